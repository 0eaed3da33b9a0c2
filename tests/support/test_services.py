"""The services of "Assistance en ligne": who may open, write, escalate, resolve, close,
reopen and assign, what each moves, and who is emailed (in their language, through the
relayed address)."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from allies.orders.events import Actor, ActorKind
from allies.orders.models import VendorOrder
from allies.support.actors import EmailIdentity
from allies.support.errors import SupportError, SupportForbidden, ThreadNotFound
from allies.support.models import (
    MOTIFS_BY_KIND,
    Message,
    Motif,
    Thread,
    ThreadEvent,
    ThreadKind,
    Visibility,
)
from allies.support.services import (
    message_post,
    support_reminders_send,
    thread_assign,
    thread_close,
    thread_escalate,
    thread_open,
    thread_reopen,
    thread_resolve,
)
from allies.support.states import ThreadEventKind, ThreadStage
from tests.factories import OfferFactory, UserFactory, VendorFactory
from tests.support.conftest import (
    START,
    contact,
    order_request,
    question,
    sent_to,
    vendor_answer,
    vendor_order_for,
)

pytestmark = pytest.mark.django_db
W, A, E, R, C = (
    ThreadStage.WAITING_VENDOR,
    ThreadStage.ANSWERED,
    ThreadStage.ESCALATED,
    ThreadStage.RESOLVED,
    ThreadStage.CLOSED,
)


# --- opening ----------------------------------------------------------------------------------


def test_a_question_on_an_offer_goes_to_its_vendor_with_the_date_of_the_answer(shop):
    # covers: CAT-4, CS-1
    with time_machine.travel(START, tick=False):
        thread = question(shop, subject="Taille", body="La chemise taille-t-elle grand ?")
    assert (thread.kind, thread.vendor) == ("question", shop["verlaine"])
    assert thread.customer == shop["luc"]
    assert thread.product == shop["shirt"].variant.product and thread.offer == shop["shirt"]
    assert thread.stage == W and thread.vendor_due_at == START + timedelta(hours=48)
    first = thread.messages.get()
    assert (first.author_kind, first.author_id) == ("customer", shop["luc"].pk)
    assert first.channel == "web"
    assert ThreadEvent.objects.filter(thread=thread, kind=ThreadEventKind.OPENED).exists()
    (to_vendor,) = sent_to("contact@verlaine.test")
    assert "Nouvelle question de Luc M." in to_vendor.subject
    assert "La chemise taille-t-elle grand ?" in to_vendor.body
    assert "jeudi 3 décembre 2026 à 10:00" in to_vendor.body  # a date, not "48 h"
    (to_customer,) = sent_to("luc@example.test")
    assert "Maison Verlaine" in to_customer.body
    assert "jeudi 3 décembre 2026 à 10:00" in to_customer.body


def test_addresses_are_relayed_never_shown_to_the_other_party(shop):
    # covers: VEN-2, ORD-7 ("answers arrive by email")
    thread = question(shop)
    vendor_answer(shop, thread, body="Oui.")
    relay = f"reponse+{thread.reply_token}@allies.test"
    for email in mail.outbox:
        assert email.extra_headers["Reply-To"] == relay
        text = email.body + "".join(str(a[0]) for a in email.alternatives)
        if "contact@verlaine.test" in email.to:
            assert "luc@example.test" not in text
        if "luc@example.test" in email.to:
            assert "verlaine.test" not in text
    assert len(thread.reply_token) == 32


def test_emails_are_in_each_recipients_language(shop):
    shop["luc"].language = "en"
    shop["luc"].save(update_fields=["language"])
    shop["verlaine"].email_language = "fr"
    shop["verlaine"].save(update_fields=["email_language"])
    with time_machine.travel(START, tick=False):
        question(shop)
    (to_customer,) = sent_to("luc@example.test")
    (to_vendor,) = sent_to("contact@verlaine.test")
    assert "Thursday 3 December 2026, 10:00" in to_customer.body
    assert "jeudi 3 décembre 2026 à 10:00" in to_vendor.body
    assert "Nouvelle question" in to_vendor.subject


def test_a_question_about_an_order_needs_the_customers_own_paid_order(shop):
    # covers: ORD-7, CS-1
    thread = order_request(shop, motif=Motif.TRACKING)
    assert thread.kind == "order" and thread.vendor_order.order == thread.order
    others = vendor_order_for(shop["anne"], shop["verlaine"])
    with pytest.raises(ThreadNotFound):
        thread_open(
            actor=Actor.customer(shop["luc"]), vendor_order=others, motif=Motif.DELIVERY, body="?"
        )
    unpaid = vendor_order_for(
        shop["luc"], shop["verlaine"], status=VendorOrder.Status.AWAITING_PAYMENT
    )
    with pytest.raises(SupportError) as refused:
        thread_open(
            actor=Actor.customer(shop["luc"]), vendor_order=unpaid, motif=Motif.DELIVERY, body="?"
        )
    assert refused.value.code == "not_paid"
    assert Thread.objects.count() == 1


def test_a_pre_order_question_from_the_order_page_is_a_question_to_that_vendor(shop):
    # covers: ORD-7 ("question liée à votre commande ou question de précommande")
    vendor_order = vendor_order_for(shop["luc"], shop["verlaine"])
    thread = thread_open(
        actor=Actor.customer(shop["luc"]), vendor_order=vendor_order, about_order=False,
        motif=Motif.SIZE, body="Vous aurez du XL ?",
    )  # fmt: skip
    assert thread.kind == ThreadKind.QUESTION and thread.vendor == shop["verlaine"]
    assert thread.vendor_order is None and thread.order is None


def test_each_kind_offers_its_motifs_only(shop):
    # covers: CS-1
    assert Motif.RETURN in MOTIFS_BY_KIND[ThreadKind.ORDER]
    assert Motif.RETURN not in MOTIFS_BY_KIND[ThreadKind.QUESTION]
    with pytest.raises(SupportError) as refused:
        question(shop, motif=Motif.RETURN)
    assert refused.value.code == "invalid_motif" and refused.value.message


def test_visitors_use_the_contact_form_but_must_log_in_to_write_to_a_vendor(shop):
    # covers: CS-4, CAT-4
    thread = contact(email="Jeanne@Example.test", name="Jeanne Visiteuse")
    assert thread.kind == "contact" and thread.customer is None
    assert thread.contact_email == "jeanne@example.test" and thread.stage == E
    assert thread.operator_due_at is not None and thread.vendor is None
    (confirmation,) = sent_to("jeanne@example.test")
    assert "service client" in confirmation.body
    visitor = EmailIdentity(kind=ActorKind.CUSTOMER, email="v@example.test", name="V")
    with pytest.raises(SupportForbidden) as refused:
        thread_open(actor=visitor, offer=shop["shirt"], motif=Motif.SIZE, body="?")
    assert refused.value.code == "login_required"
    with pytest.raises(SupportError) as refused:
        contact(email="pas-une-adresse", name="X")
    assert refused.value.code == "invalid_email"


def test_a_contact_request_may_name_the_customers_own_order_only(shop):
    # covers: CS-4
    mine = vendor_order_for(shop["luc"], shop["verlaine"]).order
    thread = thread_open(
        actor=Actor.customer(shop["luc"]), order=mine, motif=Motif.PAYMENT, body="Remboursé ?"
    )
    assert thread.order == mine and thread.kind == "contact"
    with pytest.raises(ThreadNotFound):
        thread_open(actor=Actor.customer(shop["anne"]), order=mine, motif=Motif.PAYMENT, body="?")


def test_vendors_and_staff_do_not_open_requests(shop):
    for actor in (Actor.vendor_user(shop["verlaine_user"]), Actor.staff(shop["agent"])):
        with pytest.raises(SupportForbidden):
            thread_open(actor=actor, offer=shop["shirt"], motif=Motif.SIZE, body="?")


def test_messages_are_bounded_and_not_empty(shop, settings):
    settings.SUPPORT_MESSAGE_MAX_CHARS = 50
    with pytest.raises(SupportError) as refused:
        question(shop, body="x" * 51)
    assert refused.value.code == "too_long"
    with pytest.raises(SupportError) as refused:
        question(shop, body="  \n ")
    assert refused.value.code == "empty"
    assert not Thread.objects.exists() and not mail.outbox


def test_an_inactive_offer_takes_no_question(shop):
    offer = OfferFactory(vendor=VendorFactory(is_active=False))
    with pytest.raises(SupportError) as refused:
        question(shop, offer=offer)
    assert refused.value.code == "not_found"


# --- messages -------------------------------------------------------------------------------


def test_the_vendor_answers_the_customer_is_emailed_and_asked_the_question(shop):
    # covers: CS-1, CS-2, VEN-2
    thread = question(shop)
    mail.outbox.clear()
    message = vendor_answer(shop, thread, body="Elle taille normalement.")
    assert thread.stage == A and thread.vendor_due_at is None
    assert message.on_time is True and message.response_seconds is not None
    (email,) = sent_to("luc@example.test")
    assert "Maison Verlaine a répondu" in email.subject
    assert "Elle taille normalement." in email.body
    assert "Votre demande est-elle en cours de traitement ou résolue ?" in email.body


def test_customer_a_cannot_post_in_customer_bs_thread(shop):
    # covers: ACC-8 (access)
    thread = question(shop, customer=shop["anne"])
    for actor in (
        Actor.customer(shop["luc"]),
        EmailIdentity(kind=ActorKind.CUSTOMER, email="anne@example.test"),  # not a visitor's
    ):
        with pytest.raises(ThreadNotFound):
            message_post(thread=thread, actor=actor, body="Je m'invite")
    assert thread.messages.count() == 1


def test_vendor_x_cannot_post_in_vendor_ys_thread(shop):
    # covers: VEN-2 (access)
    thread = question(shop)  # Verlaine's
    cases = [
        (Actor.vendor_user(shop["brun_user"]), shop["brun"]),
        (Actor.vendor_user(shop["brun_user"]), shop["verlaine"]),  # not a member of it
        (EmailIdentity(kind=ActorKind.VENDOR_USER, email="contact@brun.test"), shop["verlaine"]),
        (Actor.vendor_user(shop["verlaine_user"]), None),
    ]
    for actor, vendor in cases:
        with pytest.raises(ThreadNotFound):
            message_post(thread=thread, actor=actor, vendor=vendor, body="?")
    assert thread.messages.count() == 1


def test_only_staff_write_notes_and_notes_move_nothing(shop):
    # covers: CS-5
    thread = question(shop)
    with pytest.raises(SupportForbidden):
        message_post(
            thread=thread, actor=Actor.customer(shop["luc"]), body="x",
            visibility=Visibility.INTERNAL,
        )  # fmt: skip
    mail.outbox.clear()
    before = Thread.objects.get(pk=thread.pk)
    note = message_post(
        thread=thread, actor=Actor.staff(shop["agent"]), body="Client fidèle.",
        visibility=Visibility.INTERNAL,
    )  # fmt: skip
    after = Thread.objects.get(pk=thread.pk)
    assert (after.stage, after.vendor_due_at, after.updated_at) == (
        before.stage, before.vendor_due_at, before.updated_at,
    )  # fmt: skip
    assert not mail.outbox
    assert ThreadEvent.objects.filter(kind="note_added", data__message=note.pk).exists()


def test_staff_need_the_agent_permission(shop):
    # covers: CS-5 (roles)
    thread = question(shop)
    for user in (UserFactory(is_staff=True), UserFactory()):
        with pytest.raises(SupportForbidden):
            message_post(thread=thread, actor=Actor.staff(user), body="Bonjour")


def test_an_agent_writes_to_the_vendor_only(shop):
    # covers: CS-5 ("write to the vendor")
    thread = question(shop)
    mail.outbox.clear()
    message_post(
        thread=thread, actor=Actor.staff(shop["agent"]), body="Merci de répondre.",
        visibility=Visibility.VENDOR,
    )  # fmt: skip
    assert sent_to("contact@verlaine.test") and not sent_to("luc@example.test")
    assert thread.stage == W
    with pytest.raises(SupportError) as refused:
        message_post(
            thread=contact(), actor=Actor.staff(shop["agent"]), body="?",
            visibility=Visibility.VENDOR,
        )  # fmt: skip
    assert refused.value.code == "no_vendor"


def test_a_customer_writing_in_a_resolved_thread_reopens_it_to_whoever_handled_it(shop):
    # covers: CS-1, CS-2
    thread = question(shop)
    vendor_answer(shop, thread)
    thread_resolve(thread=thread, actor=Actor.customer(shop["luc"]))
    message_post(thread=thread, actor=Actor.customer(shop["luc"]), body="En fait, non.")
    assert thread.stage == W and thread.vendor_due_at is not None
    handled = contact()
    thread_resolve(thread=handled, actor=Actor.staff(shop["agent"]))
    message_post(
        thread=handled,
        actor=EmailIdentity(kind=ActorKind.CUSTOMER, email="visiteur@example.test"),
        body="Encore une question.",
    )
    assert handled.stage == E and handled.operator_due_at is not None


def test_a_closed_thread_takes_only_staff_notes(shop):
    thread = question(shop)
    thread_close(thread=thread, actor=Actor.customer(shop["luc"]))
    with pytest.raises(SupportError) as refused:
        message_post(thread=thread, actor=Actor.customer(shop["luc"]), body="Et alors ?")
    assert refused.value.code == "closed"
    with pytest.raises(SupportError):
        vendor_answer(shop, thread)
    message_post(
        thread=thread, actor=Actor.staff(shop["agent"]), body="Classé.",
        visibility=Visibility.INTERNAL,
    )  # fmt: skip
    assert thread.messages.count() == 2


def test_a_vendors_order_email_address_answers_as_the_vendor(shop):
    shop["verlaine"].order_email_recipients = "commandes@verlaine.test"
    shop["verlaine"].save(update_fields=["order_email_recipients"])
    thread = question(shop)
    identity = EmailIdentity(kind=ActorKind.VENDOR_USER, email="Commandes@verlaine.test")
    message = message_post(thread=thread, actor=identity, vendor=shop["verlaine"], body="Oui")
    assert message.author_kind == "vendor_user"
    assert message.author_email == "commandes@verlaine.test"
    assert thread.stage == A


def test_a_vendor_api_key_answers_for_its_vendor_only(shop):
    from allies.vendors.models import VendorApiKey

    key = VendorApiKey.objects.create(vendor=shop["verlaine"], name="ERP", prefix="k", digest="d1")
    other = VendorApiKey.objects.create(vendor=shop["brun"], name="ERP", prefix="k", digest="d2")
    thread = question(shop)
    with pytest.raises(ThreadNotFound):
        message_post(thread=thread, actor=Actor.api_key(other), vendor=shop["verlaine"], body="x")
    message = message_post(
        thread=thread, actor=Actor.api_key(key), vendor=shop["verlaine"], body="Oui", channel="api"
    )
    assert (message.author_api_key_id, message.channel) == (key.pk, "api")


# --- escalation -----------------------------------------------------------------------------


def test_no_escalation_before_an_answer_or_the_end_of_the_48_hours(shop):
    # covers: CS-2
    with time_machine.travel(START, tick=False):
        thread = question(shop)
    with time_machine.travel(START + timedelta(hours=47), tick=False):
        with pytest.raises(SupportError) as refused:
            thread_escalate(thread=thread, actor=Actor.customer(shop["luc"]))
    assert refused.value.code == "too_early"
    assert "3 décembre 2026 à 10:00" in refused.value.message
    thread.refresh_from_db()
    assert thread.stage == W


def test_escalation_once_the_48_hours_passed_with_no_answer(shop):
    # covers: CS-1, CS-2
    with time_machine.travel(START, tick=False):
        thread = question(shop)
    moment = START + timedelta(hours=48, minutes=1)
    mail.outbox.clear()
    with time_machine.travel(moment, tick=False):
        thread_escalate(thread=thread, actor=Actor.customer(shop["luc"]))
    assert thread.stage == E and thread.operator_due_at == moment + timedelta(hours=24)
    assert thread.vendor_breaches == 1
    (to_customer,) = sent_to("luc@example.test")
    assert "transmise au service client" in to_customer.subject
    assert "vendredi 4 décembre 2026 à 10:01" in to_customer.body
    assert sent_to("contact@verlaine.test")


def test_escalation_after_a_vendor_answer(shop):
    # covers: CS-2
    thread = question(shop)
    vendor_answer(shop, thread)
    thread_escalate(thread=thread, actor=Actor.customer(shop["luc"]))
    assert thread.stage == E and thread.vendor_breaches == 0
    with pytest.raises(SupportError) as refused:
        thread_escalate(thread=thread, actor=Actor.customer(shop["luc"]))
    assert refused.value.code == "already_escalated"


def test_the_vendor_or_another_customer_cannot_escalate(shop):
    thread = question(shop)
    vendor_answer(shop, thread)
    with pytest.raises(SupportForbidden):
        thread_escalate(thread=thread, actor=Actor.vendor_user(shop["verlaine_user"]))
    with pytest.raises(ThreadNotFound):
        thread_escalate(thread=thread, actor=Actor.customer(shop["anne"]))
    assert thread.stage == A


def test_staff_may_take_a_thread_over_at_any_time(shop):
    thread = question(shop)
    thread_escalate(thread=thread, actor=Actor.staff(shop["agent"]))
    assert thread.stage == E


# --- resolution, closing, reopening ---------------------------------------------------------


def test_the_customers_yes_resolves_and_a_vendor_resolves_only_after_answering(shop):
    # covers: CS-2
    thread = question(shop)
    with pytest.raises(SupportError) as refused:
        thread_resolve(
            thread=thread, actor=Actor.vendor_user(shop["verlaine_user"]), vendor=shop["verlaine"]
        )
    assert refused.value.code == "not_answered"
    vendor_answer(shop, thread)
    mail.outbox.clear()
    thread_resolve(
        thread=thread, actor=Actor.vendor_user(shop["verlaine_user"]), vendor=shop["verlaine"]
    )
    assert thread.stage == R and thread.resolved_at is not None
    (email,) = sent_to("luc@example.test")
    assert "résolue" in email.subject
    with pytest.raises(SupportError) as refused:
        thread_resolve(thread=thread, actor=Actor.customer(shop["luc"]))
    assert refused.value.code == "already_resolved"


def test_a_vendor_cannot_resolve_an_escalated_thread(shop):
    thread = question(shop)
    vendor_answer(shop, thread)
    thread_escalate(thread=thread, actor=Actor.customer(shop["luc"]))
    with pytest.raises(SupportError) as refused:
        thread_resolve(
            thread=thread, actor=Actor.vendor_user(shop["verlaine_user"]), vendor=shop["verlaine"]
        )
    assert refused.value.code == "escalated"
    thread_resolve(thread=thread, actor=Actor.staff(shop["agent"]))
    assert thread.stage == R


def test_closing_and_reopening(shop):
    # covers: CS-5
    thread = question(shop)
    with pytest.raises(SupportForbidden):
        thread_close(thread=thread, actor=Actor.vendor_user(shop["verlaine_user"]))
    thread_close(thread=thread, actor=Actor.customer(shop["luc"]))
    assert thread.stage == C
    with pytest.raises(SupportError) as refused:
        thread_close(thread=thread, actor=Actor.staff(shop["agent"]))
    assert refused.value.code == "closed"
    with pytest.raises(SupportForbidden):
        thread_reopen(thread=thread, actor=Actor.customer(shop["luc"]))
    thread_reopen(thread=thread, actor=Actor.staff(shop["agent"]))
    assert thread.stage == E and thread.operator_due_at is not None
    with pytest.raises(SupportError) as refused:
        thread_reopen(thread=thread, actor=Actor.staff(shop["agent"]))
    assert refused.value.code == "still_open"


# --- assignment -----------------------------------------------------------------------------


def test_an_agent_takes_an_unassigned_thread_a_supervisor_reassigns(shop):
    # covers: CS-5 (roles: an agent answers, a supervisor reassigns)
    thread = contact()
    agent, agent2, supervisor = shop["agent"], shop["agent2"], shop["supervisor"]
    with pytest.raises(SupportForbidden) as refused:
        thread_assign(thread=thread, actor=Actor.staff(agent), agent=agent2)
    assert refused.value.code == "supervisor_required"
    thread_assign(thread=thread, actor=Actor.staff(agent), agent=agent)
    assert thread.assigned_agent_id == agent.pk
    with pytest.raises(SupportForbidden):
        thread_assign(thread=thread, actor=Actor.staff(agent2), agent=agent2)
    with pytest.raises(SupportForbidden):
        thread_assign(thread=thread, actor=Actor.staff(agent), agent=None)
    thread_assign(thread=thread, actor=Actor.staff(supervisor), agent=agent2)
    thread.refresh_from_db()
    assert thread.assigned_agent_id == agent2.pk
    trail = list(thread.events.filter(kind="assigned").values_list("actor_id", "data"))
    assert trail == [
        (agent.pk, {"from": None, "to": agent.pk}),
        (supervisor.pk, {"from": agent.pk, "to": agent2.pk}),
    ]
    with pytest.raises(SupportError) as refused:
        thread_assign(thread=thread, actor=Actor.staff(supervisor), agent=shop["luc"])
    assert refused.value.code == "not_agent"
    with pytest.raises(SupportForbidden):
        thread_assign(thread=thread, actor=Actor.customer(shop["luc"]), agent=agent)


# --- reminders ------------------------------------------------------------------------------


def test_the_vendor_is_reminded_once_before_its_48_hours_run_out(shop, settings):
    # covers: CS-1
    settings.SUPPORT_VENDOR_REMINDER_HOURS = 12
    with time_machine.travel(START, tick=False):
        thread = question(shop)
        answered = question(shop, body="Autre question")
        vendor_answer(shop, answered)
    mail.outbox.clear()
    with time_machine.travel(START + timedelta(hours=35), tick=False):
        assert support_reminders_send() == 0  # 13 h left: not yet
    with time_machine.travel(START + timedelta(hours=37), tick=False):
        assert support_reminders_send() == 1
        assert support_reminders_send() == 0  # once
    (reminder,) = sent_to("contact@verlaine.test")
    assert "Rappel" in reminder.subject and "jeudi 3 décembre 2026 à 10:00" in reminder.subject
    thread.refresh_from_db()
    assert thread.vendor_reminded_at is not None
    assert thread.events.filter(kind="reminder_sent", actor_kind="system").count() == 1
    with time_machine.travel(START + timedelta(hours=49), tick=False):
        assert support_reminders_send() == 0  # too late for a reminder: it is late now


def test_a_new_wait_gets_its_own_reminder(shop, settings):
    settings.SUPPORT_VENDOR_REMINDER_HOURS = 12
    with time_machine.travel(START, tick=False):
        thread = question(shop)
    with time_machine.travel(START + timedelta(hours=40), tick=False):
        assert support_reminders_send() == 1
        vendor_answer(shop, thread)
        message_post(thread=thread, actor=Actor.customer(shop["luc"]), body="Et en L ?")
    thread.refresh_from_db()
    assert thread.vendor_reminded_at is None
    with time_machine.travel(START + timedelta(hours=40 + 37), tick=False):
        assert support_reminders_send() == 1


def test_messages_record_the_vendors_response_time(shop):
    # covers: VEN-1
    with time_machine.travel(START, tick=False):
        thread = question(shop)
    with time_machine.travel(START + timedelta(hours=50), tick=False):
        late = vendor_answer(shop, thread)
    assert (late.on_time, late.response_seconds) == (False, 50 * 3600)
    thread.refresh_from_db()
    assert thread.vendor_breaches == 1
    later = Message.objects.get(pk=late.pk)
    assert later.on_time is False
