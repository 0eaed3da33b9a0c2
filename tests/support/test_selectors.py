"""Who reads which threads, messages and attachments; the inbox and queue orders; the counts;
a bounded number of queries whatever the number of threads."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from allies.orders.events import Actor
from allies.support.errors import SupportForbidden, ThreadNotFound
from allies.support.models import Visibility
from allies.support.selectors import (
    ThreadFilter,
    attachment_for_customer,
    attachment_for_staff,
    attachment_for_vendor,
    staff_queue_counts,
    thread_for_customer,
    thread_for_staff,
    thread_for_vendor,
    threads_for_customer,
    threads_for_staff,
    threads_for_vendor,
    vendor_inbox_counts,
    vendor_response_record,
)
from allies.support.services import message_post, thread_escalate, thread_resolve
from tests.factories import UserFactory
from tests.support.conftest import (
    START,
    contact,
    jpeg_bytes,
    order_request,
    question,
    vendor_answer,
)

pytestmark = pytest.mark.django_db


def note(shop, thread, body="Note interne : client difficile."):
    return message_post(
        thread=thread, actor=Actor.staff(shop["agent"]), body=body, visibility=Visibility.INTERNAL
    )


def to_vendor(shop, thread, body="Au vendeur seulement."):
    return message_post(
        thread=thread, actor=Actor.staff(shop["agent"]), body=body, visibility=Visibility.VENDOR
    )


# --- access ---------------------------------------------------------------------------------


def test_a_customer_sees_their_own_threads_and_public_messages_only(shop):
    # covers: ACC-8
    mine = question(shop)
    others = question(shop, customer=shop["anne"])
    note(shop, mine)
    to_vendor(shop, mine)
    assert list(threads_for_customer(customer=shop["luc"])) == [mine]
    thread = thread_for_customer(customer=shop["luc"], thread_id=mine.pk)
    assert [m.visibility for m in thread.visible_messages] == ["public"]
    with pytest.raises(ThreadNotFound):
        thread_for_customer(customer=shop["luc"], thread_id=others.pk)
    with pytest.raises(ThreadNotFound):
        thread_for_customer(customer=shop["luc"], thread_id="1 OR 1=1")


def test_vendor_x_never_sees_vendor_ys_threads_nor_internal_notes(shop):
    # covers: VEN-2 (access)
    verlaine = question(shop)
    brun = question(shop, offer=shop["wallet"])
    note(shop, verlaine)
    to_vendor(shop, verlaine)
    assert list(threads_for_vendor(vendor=shop["brun"])) == [brun]
    assert list(threads_for_vendor(vendor=shop["verlaine"])) == [verlaine]
    thread = thread_for_vendor(vendor=shop["verlaine"], thread_id=verlaine.pk)
    assert sorted(m.visibility for m in thread.visible_messages) == ["public", "vendor"]
    with pytest.raises(ThreadNotFound):
        thread_for_vendor(vendor=shop["brun"], thread_id=verlaine.pk)
    assert list(threads_for_vendor(vendor=shop["verlaine"], filter=ThreadFilter.CONTACT)) == []
    contact_request = contact()
    with pytest.raises(ThreadNotFound):
        thread_for_vendor(vendor=shop["verlaine"], thread_id=contact_request.pk)


def test_staff_see_everything_others_are_refused(shop):
    # covers: CS-5
    thread = question(shop)
    note(shop, thread)
    seen = thread_for_staff(user=shop["agent"], thread_id=thread.pk)
    assert {m.visibility for m in seen.visible_messages} == {"public", "internal"}
    assert [e.kind for e in seen.trail][:1] == ["opened"]
    for user in (UserFactory(is_staff=True), shop["luc"], shop["verlaine_user"]):
        with pytest.raises(SupportForbidden):
            thread_for_staff(user=user, thread_id=thread.pk)
        with pytest.raises(SupportForbidden):
            threads_for_staff(user=user)


def test_attachments_reach_the_threads_parties_only(shop):
    # covers: issue 10 ("served only to the thread's parties and staff")
    thread = question(shop)
    public = message_post(
        thread=thread, actor=Actor.customer(shop["luc"]), body="Photo",
        attachments=[SimpleUploadedFile("a.jpg", jpeg_bytes())],
    ).attachments.get()  # fmt: skip
    internal = message_post(
        thread=thread, actor=Actor.staff(shop["agent"]), body="Note",
        visibility=Visibility.INTERNAL, attachments=[SimpleUploadedFile("b.jpg", jpeg_bytes())],
    ).attachments.get()  # fmt: skip
    assert attachment_for_customer(customer=shop["luc"], attachment_id=public.pk) == public
    assert attachment_for_vendor(vendor=shop["verlaine"], attachment_id=public.pk) == public
    assert attachment_for_staff(user=shop["agent"], attachment_id=internal.pk) == internal
    refused = [
        lambda: attachment_for_customer(customer=shop["anne"], attachment_id=public.pk),
        lambda: attachment_for_vendor(vendor=shop["brun"], attachment_id=public.pk),
        lambda: attachment_for_customer(customer=shop["luc"], attachment_id=internal.pk),
        lambda: attachment_for_vendor(vendor=shop["verlaine"], attachment_id=internal.pk),
    ]
    for attempt in refused:
        with pytest.raises(ThreadNotFound):
            attempt()
    with pytest.raises(SupportForbidden):
        attachment_for_staff(user=shop["luc"], attachment_id=public.pk)


# --- orders and filters ---------------------------------------------------------------------


def test_the_vendor_inbox_puts_the_late_first_then_the_next_deadlines(shop):
    # covers: VEN-2, CS-1
    with time_machine.travel(START, tick=False):
        oldest = question(shop, body="1")
    with time_machine.travel(START + timedelta(hours=10), tick=False):
        newer = question(shop, body="2")
        answered = question(shop, body="3")
        vendor_answer(shop, answered)
    now = START + timedelta(hours=60)  # both questions are past their 48 h
    with time_machine.travel(now, tick=False):
        inbox = list(threads_for_vendor(vendor=shop["verlaine"], now=now))
        assert inbox == [oldest, newer, answered]
        assert [t.is_late for t in inbox] == [True, True, False]
        assert list(threads_for_vendor(vendor=shop["verlaine"], filter="to_answer")) == [
            oldest, newer,
        ]  # fmt: skip
        late = threads_for_vendor(vendor=shop["verlaine"], filter=ThreadFilter.LATE, now=now)
        assert list(late) == [oldest, newer]
        counts = vendor_inbox_counts(vendor=shop["verlaine"], now=now)
    assert (counts.to_answer, counts.late, counts.escalated) == (2, 2, 0)
    assert counts.next_due_at == oldest.vendor_due_at
    since = threads_for_vendor(vendor=shop["verlaine"], updated_since=START + timedelta(hours=5))
    assert set(since) == {newer, answered}


def test_the_console_queue_is_ordered_by_the_operators_deadline(shop):
    # covers: CS-5, CS-2
    with time_machine.travel(START, tick=False):
        first = contact(body="premier")
        escalated = order_request(shop)
        thread_escalate(thread=escalated, actor=Actor.staff(shop["agent"]))
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        second = contact(body="second")
        question(shop)  # with the vendor: not in the operator's queue
    now = START + timedelta(hours=25)
    agent = shop["agent"]
    queue = list(threads_for_staff(user=agent, now=now))
    assert queue[:2] in ([first, escalated], [escalated, first]) and queue[2] == second
    assert [t.is_late for t in queue] == [True, True, False]
    assert set(threads_for_staff(user=agent, filter=ThreadFilter.CONTACT)) == {first, second}
    assert list(threads_for_staff(user=agent, filter="all", vendor_id=shop["verlaine"].pk))
    message_post(thread=first, actor=Actor.staff(agent), body="Réponse")
    to_answer = list(threads_for_staff(user=agent, filter=ThreadFilter.TO_ANSWER, now=now))
    assert first not in to_answer and second in to_answer
    counts = staff_queue_counts(user=agent, now=now)
    assert (counts.to_answer, counts.late, counts.contact, counts.unassigned) == (2, 1, 1, 2)
    from allies.support.services import thread_assign

    thread_assign(thread=second, actor=Actor.staff(agent), agent=agent)
    assert list(threads_for_staff(user=agent, filter="all", agent_id=agent.pk)) == [second]
    assert second not in threads_for_staff(user=agent, filter="all", unassigned=True)


def test_the_vendors_response_time_record(shop):
    # covers: VEN-1
    with time_machine.travel(START, tick=False):
        fast, slow, never = question(shop), question(shop), question(shop)
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        vendor_answer(shop, fast)
    with time_machine.travel(START + timedelta(hours=60), tick=False):
        vendor_answer(shop, slow)
        thread_escalate(thread=never, actor=Actor.customer(shop["luc"]))
        record = vendor_response_record(vendor=shop["verlaine"])
    assert (record.answered, record.on_time, record.missed, record.late_now) == (2, 1, 2, 0)
    assert record.average_seconds == (2 + 60) * 3600 // 2
    assert record.on_time_share == pytest.approx(1 / 3)
    assert vendor_response_record(vendor=shop["brun"]).on_time_share is None


# --- bounded queries ------------------------------------------------------------------------


def _many(shop, count):
    for index in range(count):
        thread = question(shop, body=f"Question {index}")
        vendor_answer(shop, thread)
        note(shop, thread)
        message_post(
            thread=thread, actor=Actor.customer(shop["luc"]), body="Merci",
            attachments=[SimpleUploadedFile("p.jpg", jpeg_bytes())],
        )  # fmt: skip
        if index % 2:
            thread_resolve(thread=thread, actor=Actor.customer(shop["luc"]))
        contact(body=f"Contact {index}")


def test_lists_and_threads_cost_a_fixed_number_of_queries(shop, django_assert_max_num_queries):
    # covers: issue 10 (queries constant in the number of threads)
    _many(shop, 2)
    small = question(shop)
    with django_assert_max_num_queries(1):
        list(threads_for_vendor(vendor=shop["verlaine"])[:50])
    _many(shop, 6)
    big = question(shop)
    for _thread in range(2):
        message_post(thread=big, actor=Actor.customer(shop["luc"]), body="Relance")
    agent = shop["agent"]
    agent = type(agent).objects.get(pk=agent.pk)
    agent.has_perm("support.handle_thread")  # the permission cache, as a request would have it
    with django_assert_max_num_queries(1):
        rows = list(threads_for_vendor(vendor=shop["verlaine"])[:50])
        [(t.customer.first_name, t.product, t.order, t.is_late) for t in rows]
    with django_assert_max_num_queries(1):
        rows = list(threads_for_staff(user=agent, filter="all")[:50])
        [(t.customer, t.vendor, t.assigned_agent, t.is_late) for t in rows]
    with django_assert_max_num_queries(1):
        list(threads_for_customer(customer=shop["luc"])[:50])
    for thread in (small, big):
        with django_assert_max_num_queries(3):
            seen = thread_for_customer(customer=shop["luc"], thread_id=thread.pk)
            [list(m.attachments.all()) for m in seen.visible_messages]
        with django_assert_max_num_queries(3):
            seen = thread_for_vendor(vendor=shop["verlaine"], thread_id=thread.pk)
            [list(m.attachments.all()) for m in seen.visible_messages]
        with django_assert_max_num_queries(4):
            seen = thread_for_staff(user=agent, thread_id=thread.pk)
            [list(m.attachments.all()) for m in seen.visible_messages]
            list(seen.trail)
    with django_assert_max_num_queries(1):
        vendor_inbox_counts(vendor=shop["verlaine"])
    with django_assert_max_num_queries(1):
        staff_queue_counts(user=agent)
    with django_assert_max_num_queries(2):
        vendor_response_record(vendor=shop["verlaine"])
