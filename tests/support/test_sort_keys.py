"""The lists' sort keys (`vendor_sort_at`, `queue_sort_at`): set with the clocks by the state
machine, so that the inbox and the queue keep "the next deadline first, then the last
changed" with an index instead of a sort."""

import importlib
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.db.models import F
from django.db.models.functions import Coalesce

from allies.support.models import Thread
from allies.support.selectors import ThreadFilter, threads_for_staff, threads_for_vendor
from allies.support.states import (
    SORT_LAST,
    ThreadAction,
    ThreadStage,
    thread_transition,
    vendor_late_q,
)
from tests.support.conftest import START, contact, question

pytestmark = pytest.mark.django_db


def _keys(thread: Thread) -> tuple:
    thread.refresh_from_db()
    return thread.vendor_sort_at, thread.queue_sort_at


def test_the_sort_keys_follow_the_deadlines_through_the_moves(shop):
    # covers: VEN-2, CS-5
    with time_machine.travel(START, tick=False):
        thread = question(shop)
    due = START + timedelta(hours=48)
    assert thread.vendor_due_at == due
    assert _keys(thread) == (due, due)

    answered = START + timedelta(hours=2)
    thread_transition(thread=thread, action=ThreadAction.VENDOR_WRITE, actor=None, now=answered)
    assert thread.stage == ThreadStage.ANSWERED and thread.vendor_due_at is None
    assert _keys(thread) == (SORT_LAST, SORT_LAST)

    escalated = START + timedelta(hours=3)
    thread_transition(thread=thread, action=ThreadAction.ESCALATE, actor=None, now=escalated)
    operator_due = escalated + timedelta(hours=24)
    assert thread.operator_due_at == operator_due
    assert _keys(thread) == (SORT_LAST, operator_due)

    agent_answer = START + timedelta(hours=4)
    thread_transition(thread=thread, action=ThreadAction.AGENT_WRITE, actor=None, now=agent_answer)
    assert thread.stage == ThreadStage.ESCALATED and thread.operator_due_at is None
    assert _keys(thread) == (SORT_LAST, SORT_LAST)

    again = START + timedelta(hours=5)
    thread_transition(
        thread=thread, action=ThreadAction.CUSTOMER_WRITE_OPERATOR, actor=None, now=again
    )
    assert _keys(thread) == (SORT_LAST, again + timedelta(hours=24))

    thread_transition(thread=thread, action=ThreadAction.RESOLVE, actor=None, now=again)
    assert thread.stage == ThreadStage.RESOLVED
    assert _keys(thread) == (SORT_LAST, SORT_LAST)


def test_a_customer_message_after_the_answer_restarts_the_vendors_key(shop):
    # covers: VEN-2
    with time_machine.travel(START, tick=False):
        thread = question(shop)
    thread_transition(thread=thread, action=ThreadAction.VENDOR_WRITE, actor=None, now=START)
    later = START + timedelta(hours=10)
    thread_transition(thread=thread, action=ThreadAction.CUSTOMER_WRITE, actor=None, now=later)
    assert _keys(thread) == (later + timedelta(hours=48),) * 2


def test_a_contact_request_opens_with_the_operators_deadline(shop):
    # covers: CS-4, CS-5
    with time_machine.travel(START, tick=False):
        thread = contact()
    assert _keys(thread) == (SORT_LAST, START + timedelta(hours=24))


def _old_vendor_order(vendor) -> list[int]:
    """The inbox's order as it was written before the sort keys, on the clocks themselves."""
    return list(
        Thread.objects.filter(vendor=vendor)
        .order_by(F("vendor_due_at").asc(nulls_last=True), "-updated_at", "-id")
        .values_list("pk", flat=True)
    )


def _old_queue_order() -> list[int]:
    due = Coalesce("operator_due_at", "vendor_due_at")
    return list(
        Thread.objects.order_by(due.asc(nulls_last=True), "-updated_at", "-id").values_list(
            "pk", flat=True
        )
    )


def test_the_lists_keep_the_order_of_the_deadlines(shop):
    # covers: VEN-2, CS-5
    moves = [
        [],
        [ThreadAction.VENDOR_WRITE],
        [ThreadAction.ESCALATE],
        [ThreadAction.ESCALATE, ThreadAction.AGENT_WRITE],
        [ThreadAction.RESOLVE],
        [ThreadAction.CLOSE],
    ]
    for hour, actions in enumerate(moves * 2):
        moment = START + timedelta(hours=hour)
        with time_machine.travel(moment, tick=False):
            thread = contact() if hour % 4 == 3 else question(shop)
            for action in actions:
                if thread.vendor_id is None and action in (
                    ThreadAction.VENDOR_WRITE,
                    ThreadAction.ESCALATE,
                ):
                    continue  # a contact request opens escalated, with no vendor
                thread_transition(thread=thread, action=action, actor=None, now=moment)
    now = START + timedelta(hours=60)
    vendor = shop["verlaine"]
    inbox = threads_for_vendor(vendor=vendor, now=now)
    assert [t.pk for t in inbox] == _old_vendor_order(vendor)
    queue = threads_for_staff(user=shop["agent"], filter=ThreadFilter.ALL, now=now)
    assert [t.pk for t in queue] == _old_queue_order()
    late = threads_for_staff(user=shop["agent"], filter=ThreadFilter.LATE, now=now)
    assert {t.pk for t in late} == {t.pk for t in queue if t.is_late} != set()
    vendor_late = Thread.objects.filter(vendor_late_q(now), vendor=vendor)
    assert vendor_late.exists()
    assert {t.pk for t in threads_for_vendor(vendor=vendor, filter="late", now=now)} == {
        t.pk for t in vendor_late
    }


def test_the_migration_fills_the_keys_of_existing_threads(shop):
    # covers: VEN-2, CS-5
    with time_machine.travel(START, tick=False):
        waiting, escalated = question(shop), contact()
    Thread.objects.update(vendor_sort_at=SORT_LAST, queue_sort_at=SORT_LAST)
    migration = importlib.import_module("allies.support.migrations.0003_list_sort_keys")
    migration.fill_sort_keys(apps, None)
    assert _keys(waiting) == (START + timedelta(hours=48),) * 2
    assert _keys(escalated) == (SORT_LAST, START + timedelta(hours=24))
