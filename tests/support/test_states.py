"""The thread's state machine (allies.support.states): its stages and labels from one table,
every move through one function with its clocks, moments, `updated_at` and a typed event."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

import allies
from allies.orders.events import Actor
from allies.support.models import Thread, ThreadEvent
from allies.support.states import (
    THREAD_ACTION_EVENTS,
    THREAD_STAGES,
    THREAD_TRANSITIONS,
    ThreadAction,
    ThreadEventKind,
    ThreadStage,
    TransitionNotAllowed,
    thread_transition,
)
from tests.source_trees import project_trees
from tests.support.conftest import START, contact, question

pytestmark = pytest.mark.django_db
W, A, E, R, C = (
    ThreadStage.WAITING_VENDOR,
    ThreadStage.ANSWERED,
    ThreadStage.ESCALATED,
    ThreadStage.RESOLVED,
    ThreadStage.CLOSED,
)


def test_stages_have_the_help_pages_words_and_every_stage_is_reachable():
    # covers: CS-1, CS-2, ACC-8
    labels = {stage: str(stage.label) for stage in ThreadStage}
    assert labels == {
        W: "En attente de réponse du vendeur",
        A: "Répondue",
        E: "Transmise au service client",
        R: "Résolue",
        C: "Clôturée",
    }
    assert set(THREAD_STAGES) == set(ThreadStage)
    assert str(THREAD_STAGES[W].vendor_label) == "À répondre"
    assert set(THREAD_TRANSITIONS.values()) == set(ThreadStage)
    assert set(THREAD_ACTION_EVENTS) == set(ThreadAction)


def _force(thread: Thread, stage: ThreadStage, **fields) -> Thread:
    """Put a thread in `stage` with consistent clocks, through the table's own moves."""
    paths = {
        W: [],
        A: [ThreadAction.VENDOR_WRITE],
        E: [ThreadAction.ESCALATE],
        R: [ThreadAction.RESOLVE],
        C: [ThreadAction.CLOSE],
    }
    for action in paths[stage]:
        thread_transition(thread=thread, action=action, actor=None)
    return thread


@pytest.mark.parametrize("source", list(ThreadStage))
@pytest.mark.parametrize("action", list(ThreadAction))
def test_every_pair_of_the_table_moves_and_every_other_is_refused(shop, source, action):
    # covers: CS-1, CS-2
    thread = _force(question(shop), source)
    thread.refresh_from_db()
    before = (thread.stage, thread.updated_at, thread.events.count())
    target = THREAD_TRANSITIONS.get((source, action))
    if action == ThreadAction.CUSTOMER_WRITE and source == R and thread.escalated_at:
        target = None
    if target is None:
        with pytest.raises(TransitionNotAllowed):
            thread_transition(thread=thread, action=action, actor=None)
        thread.refresh_from_db()
        assert (thread.stage, thread.updated_at, thread.events.count()) == before
        return
    moved = thread_transition(thread=thread, action=action, actor=Actor.staff(shop["agent"]))
    moved.refresh_from_db()
    assert moved.stage == target
    assert moved.updated_at >= before[1]
    event = moved.events.order_by("-id").first()
    assert event.kind == THREAD_ACTION_EVENTS[action]
    assert event.actor_id == shop["agent"].pk and event.actor_kind == "staff"
    assert event.data["from"] == source and event.data["to"] == target


def test_a_contact_request_never_waits_for_a_vendor(shop):
    # covers: CS-4
    thread = contact()
    assert thread.stage == E and thread.vendor_id is None
    thread_transition(thread=thread, action=ThreadAction.RESOLVE, actor=None)
    with pytest.raises(TransitionNotAllowed):
        thread_transition(thread=thread, action=ThreadAction.CUSTOMER_WRITE, actor=None)
    thread_transition(thread=thread, action=ThreadAction.CUSTOMER_WRITE_OPERATOR, actor=None)
    assert thread.stage == E


def test_the_vendor_clock_is_48_hours_after_the_customers_message(shop):
    # covers: CS-1
    with time_machine.travel(START, tick=False):
        thread = question(shop)
    assert thread.stage == W
    assert thread.vendor_due_at == START + timedelta(hours=48)
    assert thread.operator_due_at is None and thread.answer_owed_since == START
    # A second message while waiting does not push the clock back.
    with time_machine.travel(START + timedelta(hours=5), tick=False):
        thread_transition(thread=thread, action=ThreadAction.CUSTOMER_WRITE, actor=None)
    assert thread.vendor_due_at == START + timedelta(hours=48)
    # The vendor answers in time: the clock stops, no breach.
    with time_machine.travel(START + timedelta(hours=30), tick=False):
        thread_transition(thread=thread, action=ThreadAction.VENDOR_WRITE, actor=None)
    assert (thread.stage, thread.vendor_due_at, thread.vendor_breaches) == (A, None, 0)
    # The customer writes again: a new 48 h clock from that message.
    later = START + timedelta(hours=50)
    with time_machine.travel(later, tick=False):
        thread_transition(thread=thread, action=ThreadAction.CUSTOMER_WRITE, actor=None)
    assert thread.vendor_due_at == later + timedelta(hours=48)


def test_the_operator_clock_is_24_hours_after_the_escalation(shop, settings):
    # covers: CS-2
    settings.SUPPORT_OPERATOR_ANSWER_HOURS = 24
    with time_machine.travel(START, tick=False):
        thread = question(shop)
    moment = START + timedelta(hours=49)
    with time_machine.travel(moment, tick=False):
        thread_transition(thread=thread, action=ThreadAction.ESCALATE, actor=None)
    thread.refresh_from_db()
    assert thread.stage == E and thread.escalated_at == moment
    assert thread.operator_due_at == moment + timedelta(hours=24)
    assert thread.vendor_due_at is None
    assert thread.vendor_breaches == 1  # the vendor's 48 h ran out unanswered
    # The vendor writing does not stop the operator's clock; the agent's answer does, late.
    with time_machine.travel(moment + timedelta(hours=2), tick=False):
        thread_transition(thread=thread, action=ThreadAction.VENDOR_WRITE, actor=None)
        thread_transition(thread=thread, action=ThreadAction.AGENT_WRITE_VENDOR, actor=None)
    assert thread.operator_due_at == moment + timedelta(hours=24)
    with time_machine.travel(moment + timedelta(hours=25), tick=False):
        thread_transition(thread=thread, action=ThreadAction.AGENT_WRITE, actor=None)
    assert thread.operator_due_at is None and thread.operator_breaches == 1
    # The customer answers the agent: the operator owes a new answer within 24 h.
    again = moment + timedelta(hours=30)
    with time_machine.travel(again, tick=False):
        thread_transition(thread=thread, action=ThreadAction.CUSTOMER_WRITE_OPERATOR, actor=None)
    assert thread.operator_due_at == again + timedelta(hours=24)


def test_the_hours_come_from_the_settings(shop, settings):
    settings.SUPPORT_VENDOR_ANSWER_HOURS = 12
    with time_machine.travel(START, tick=False):
        thread = question(shop)
    assert thread.vendor_due_at == START + timedelta(hours=12)


def test_moments_follow_the_stage(shop):
    thread = question(shop)
    thread_transition(thread=thread, action=ThreadAction.RESOLVE, actor=None)
    assert thread.resolved_at is not None and thread.closed_at is None
    thread_transition(thread=thread, action=ThreadAction.CLOSE, actor=None)
    assert thread.closed_at is not None and thread.resolved_at is not None
    thread_transition(thread=thread, action=ThreadAction.REOPEN, actor=None)
    assert (thread.stage, thread.resolved_at, thread.closed_at) == (E, None, None)
    assert thread.escalated_at is not None and thread.operator_due_at is not None


def test_the_event_kind_must_exist(shop):
    from allies.support.states import thread_event_add

    with pytest.raises(ValueError):
        thread_event_add(thread=question(shop), kind="typo", actor=None)
    assert ThreadEvent.objects.filter(kind=ThreadEventKind.OPENED).count() == 1


def test_no_module_but_states_writes_a_thread_stage_or_clock():
    # covers: CS-1, CS-2 (one function moves a thread and its clocks)
    root = Path(allies.__file__).parent
    owner = root / "support" / "states.py"
    watched = {"stage", "vendor_due_at", "operator_due_at", "escalated_at", "resolved_at"}
    offenders = []
    for path, tree in project_trees(skip=owner):
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in watched:
                    if "thread" in ast.unparse(target.value) or "locked" in ast.unparse(
                        target.value
                    ):
                        offenders.append(f"{path.relative_to(root)}:{node.lineno}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                keywords = {kw.arg for kw in node.keywords}
                if node.func.attr == "update" and keywords & watched:
                    if "Thread" in ast.unparse(node.func.value):
                        offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []
