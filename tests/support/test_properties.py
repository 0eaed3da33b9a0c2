"""Random histories of a thread, driven through the real services.

Whatever the customer, the vendor, the agents and the clock do — write, answer, write to the
vendor, note, escalate, resolve, close, reopen, let hours pass — after every step:
- the thread is in a stage of the table, reached by a move of the table (or unchanged when
  the service refused, with its message);
- the clocks agree with the stage: the vendor's runs exactly while waiting for the vendor,
  48 h after the wait started; the operator's only while escalated, 24 h after it started;
  `answer_owed_since` is set exactly while a clock runs;
- the moments agree with the stage (resolved ⇒ resolved_at, closed ⇔ closed_at, open ⇒
  neither; once with the operator, never back with the vendor alone);
- `updated_at` never goes back and moves with every change of stage; breaches only grow;
- a refused step wrote nothing (no message, no event).
"""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allies.orders.events import Actor, ActorKind
from allies.support.actors import EmailIdentity
from allies.support.errors import SupportError
from allies.support.models import Message, Thread, ThreadEvent, Visibility
from allies.support.services import (
    message_post,
    thread_close,
    thread_escalate,
    thread_reopen,
    thread_resolve,
)
from allies.support.states import OPEN_STAGES, THREAD_TRANSITIONS, ThreadStage
from tests.support.conftest import START, contact, order_request, question

pytestmark = pytest.mark.django_db

STEPS = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "customer_write",
                "vendor_write",
                "agent_write",
                "agent_write_vendor",
                "note",
                "escalate",
                "escalate_staff",
                "resolve_customer",
                "resolve_vendor",
                "resolve_staff",
                "close_customer",
                "close_staff",
                "reopen",
            ]
        ),  # fmt: skip
        st.integers(min_value=1, max_value=60),  # hours passing
    ),
    min_size=1,
    max_size=12,
)


def _act(step, *, thread, shop, traveller) -> None:
    customer = (
        Actor.customer(thread.customer)
        if thread.customer_id
        else EmailIdentity(kind=ActorKind.CUSTOMER, email=thread.contact_email)
    )
    vendor = {"actor": Actor.vendor_user(shop["verlaine_user"]), "vendor": shop["verlaine"]}
    staff = Actor.staff(shop["agent"])
    if isinstance(step, int):
        traveller.shift(timedelta(hours=step))
        return
    traveller.shift(timedelta(minutes=3))
    calls = {
        "customer_write": lambda: message_post(thread=thread, actor=customer, body="Client"),
        "vendor_write": lambda: message_post(thread=thread, body="Vendeur", **vendor),
        "agent_write": lambda: message_post(thread=thread, actor=staff, body="Agent"),
        "agent_write_vendor": lambda: message_post(
            thread=thread, actor=staff, body="Au vendeur", visibility=Visibility.VENDOR
        ),
        "note": lambda: message_post(
            thread=thread, actor=staff, body="Note", visibility=Visibility.INTERNAL
        ),
        "escalate": lambda: thread_escalate(thread=thread, actor=customer),
        "escalate_staff": lambda: thread_escalate(thread=thread, actor=staff),
        "resolve_customer": lambda: thread_resolve(thread=thread, actor=customer),
        "resolve_vendor": lambda: thread_resolve(thread=thread, **vendor),
        "resolve_staff": lambda: thread_resolve(thread=thread, actor=staff),
        "close_customer": lambda: thread_close(thread=thread, actor=customer),
        "close_staff": lambda: thread_close(thread=thread, actor=staff),
        "reopen": lambda: thread_reopen(thread=thread, actor=staff),
    }
    writes = (Message.objects.count(), ThreadEvent.objects.count())
    try:
        calls[step]()
    except SupportError as refused:
        assert refused.code and refused.message
        assert (Message.objects.count(), ThreadEvent.objects.count()) == writes


def _check(before: Thread, after: Thread, settings) -> None:
    stage = ThreadStage(after.stage)
    if after.stage != before.stage:
        assert any(
            src == before.stage and dst == after.stage
            for (src, _action), dst in THREAD_TRANSITIONS.items()
        ), (before.stage, after.stage)
        assert after.updated_at > before.updated_at
    assert after.updated_at >= before.updated_at
    assert after.vendor_breaches >= before.vendor_breaches
    assert after.operator_breaches >= before.operator_breaches
    # The clocks.
    vendor_hours = timedelta(hours=settings.SUPPORT_VENDOR_ANSWER_HOURS)
    operator_hours = timedelta(hours=settings.SUPPORT_OPERATOR_ANSWER_HOURS)
    assert (after.vendor_due_at is not None) == (stage == ThreadStage.WAITING_VENDOR)
    if after.vendor_due_at is not None:
        assert after.vendor_due_at == after.answer_owed_since + vendor_hours
    if after.operator_due_at is not None:
        assert stage == ThreadStage.ESCALATED
        assert after.operator_due_at == after.answer_owed_since + operator_hours
    running = after.vendor_due_at is not None or after.operator_due_at is not None
    assert (after.answer_owed_since is not None) == running
    # The moments.
    if stage in OPEN_STAGES:
        assert after.resolved_at is None and after.closed_at is None
    if stage == ThreadStage.RESOLVED:
        assert after.resolved_at is not None and after.closed_at is None
    assert (after.closed_at is not None) == (stage == ThreadStage.CLOSED)
    if stage == ThreadStage.ESCALATED:
        assert after.escalated_at is not None
    if after.escalated_at is not None or after.vendor_id is None:
        assert stage not in (ThreadStage.WAITING_VENDOR, ThreadStage.ANSWERED)


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS, kind=st.sampled_from(["question", "order", "contact"]))
def test_random_histories_stay_in_the_table_with_consistent_clocks(shop, steps, kind):
    # covers: CS-1, CS-2, CS-4, CS-5
    from django.conf import settings as django_settings

    with transaction.atomic(), time_machine.travel(START, tick=False) as traveller:
        opened = {
            "question": lambda: question(shop),
            "order": lambda: order_request(shop),
            "contact": lambda: contact(),
        }[kind]()
        thread = Thread.objects.get(pk=opened.pk)
        _check(thread, thread, django_settings)
        for step in steps:
            before = Thread.objects.get(pk=thread.pk)
            _act(step, thread=Thread.objects.get(pk=thread.pk), shop=shop, traveller=traveller)
            after = Thread.objects.get(pk=thread.pk)
            _check(before, after, django_settings)
        transaction.set_rollback(True)
