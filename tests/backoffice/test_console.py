"""The customer-service console (CS-5, CS-2, ACC-7): who may open it and act, the queue's
order and filters, the request page and each action with its audit-trail entry, refunds and
cancellations through the one refund service, and the supervisor's figures."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from allies.accounts.services import user_deactivate
from allies.ledger.models import LedgerEntry
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.events import Actor, ActorKind
from allies.orders.models import OrderLine, VendorOrder
from allies.orders.shipments import vendor_order_ship
from allies.payments.models import Payment, Refund
from allies.payments.services import refund_create
from allies.support.actors import EmailIdentity
from allies.support.models import Message, Motif, Thread, ThreadEvent, Visibility
from allies.support.services import (
    is_agent,
    is_supervisor,
    message_post,
    thread_escalate,
    thread_open,
)
from allies.support.states import ThreadEventKind, ThreadStage
from tests.backoffice.conftest import open_request
from tests.factories import VendorFactory
from tests.orders.conftest import assert_ledger_balanced

pytestmark = pytest.mark.django_db
LOGIN = "/compte/connexion/"


def url(name, *args):
    return reverse(f"backoffice:{name}", args=args)


def events(thread, kind):
    return list(ThreadEvent.objects.filter(thread=thread, kind=kind))


def contact(email="visiteur@example.test", name="Jeanne Visiteuse", now=None, **kwargs):
    return thread_open(
        actor=EmailIdentity(kind=ActorKind.CUSTOMER, email=email, name=name),
        motif=kwargs.pop("motif", Motif.OTHER),
        body=kwargs.pop("body", "Bonjour, une question."),
        now=now,
        **kwargs,
    )


# --- roles and access -----------------------------------------------------------------------


def test_the_groups_of_the_data_migration_make_agents_and_supervisors(people):
    # covers: CS-5 (roles: an agent sees and answers, a supervisor also reassigns)
    assert Group.objects.filter(name="Agents du service client").exists()
    assert is_agent(people["agent"]) and not is_supervisor(people["agent"])
    assert is_supervisor(people["supervisor"])
    assert not is_agent(people["plain_staff"])


def test_every_console_page_and_action_is_refused_outside_customer_service(client, market, people):
    # covers: CS-5 (permission for each action: customer, vendor, plain staff refused)
    thread = open_request(market, staff=people["agent"])
    before = Thread.objects.values().get(pk=thread.pk)
    gets = [url("queue"), url("stats"), url("thread", thread.pk)]
    posts = {
        "thread_message": {"destinataire": "public", "message": "Bonjour"},
        "thread_assign": {"agent": people["agent"].pk},
        "thread_stage": {"action": "close"},
        "thread_refund": {"articles": [thread.vendor_order.lines.first().pk], "motif": "x"},
        "thread_cancel": {"motif": "x"},
        "thread_account_reopen": {},
    }
    for who in ("customer", "vendor", "plain_staff"):
        client.force_login(people[who])
        for page in gets:
            assert client.get(page).status_code == 403, (who, page)
        for name, data in posts.items():
            assert client.post(url(name, thread.pk), data).status_code == 403, (who, name)
    client.logout()
    answer = client.get(url("thread", thread.pk))
    assert answer.status_code == 302 and answer["Location"].startswith(LOGIN)
    assert client.post(url("thread_refund", thread.pk), posts["thread_refund"])[
        "Location"
    ].startswith(LOGIN)
    assert Thread.objects.values().get(pk=thread.pk) == before
    assert not Refund.objects.exists()
    assert Message.objects.filter(thread=thread).count() == 1


def test_an_agent_opens_the_queue_and_a_request_but_not_the_supervisor_view(client, market, people):
    # covers: CS-5
    thread = open_request(market, staff=people["agent"])
    client.force_login(people["agent"])
    assert client.get(url("queue")).status_code == 200
    assert client.get(url("thread", thread.pk)).status_code == 200
    assert client.get(url("stats")).status_code == 403
    assert client.get(url("thread", 999999)).status_code == 404
    client.force_login(people["supervisor"])
    assert client.get(url("stats")).status_code == 200


# --- the queue ------------------------------------------------------------------------------


def test_the_queue_puts_the_breached_first_then_the_nearest_deadline(client, people):
    # covers: CS-5, CS-2 (queue ordered by deadline, breached first)
    now = timezone.now()
    recent = contact(email="a@example.test", now=now - timedelta(hours=1))
    oldest = contact(email="b@example.test", now=now - timedelta(hours=30))  # 24 h passed
    middle = contact(email="c@example.test", now=now - timedelta(hours=10))
    client.force_login(people["agent"])
    response = client.get(url("queue"))
    shown = [t.pk for t in response.context["page"].object_list]
    assert shown == [oldest.pk, middle.pk, recent.pk]
    assert [t.is_late for t in response.context["page"].object_list] == [True, False, False]
    assert response.context["counts"].late == 1
    late_only = client.get(url("queue"), {"filtre": "en-retard"}).context["page"].object_list
    assert [t.pk for t in late_only] == [oldest.pk]


def test_the_queue_filters_by_kind_vendor_and_agent(client, market, people):
    # covers: CS-5 (filters: escalated, contact form, vendor, agent)
    agent = people["agent"]
    about_order = open_request(market, staff=agent)
    form = contact()
    other = VendorFactory(name="Autre")
    client.force_login(agent)
    client.post(url("thread_assign", form.pk), {"agent": agent.pk})

    def listed(**params):
        page = client.get(url("queue"), params).context["page"]
        return {t.pk for t in page.object_list}

    assert listed() == {about_order.pk, form.pk}
    assert listed(filtre="formulaire") == {form.pk}
    assert listed(filtre="transmises") == {about_order.pk, form.pk}
    assert listed(vendeur=market["verlaine"].pk) == {about_order.pk}
    assert listed(vendeur=other.pk) == set()
    assert listed(agent="moi") == {form.pk}
    assert listed(agent="aucun") == {about_order.pk}
    assert listed(agent=str(agent.pk)) == {form.pk}
    assert listed(agent=str(people["agent2"].pk)) == set()
    # A filter that does not parse is ignored, not an error.
    assert client.get(url("queue"), {"vendeur": "x", "filtre": "zzz"}).status_code == 200


def test_the_queue_costs_the_same_queries_for_3_or_40_requests(
    client, people, django_assert_max_num_queries
):
    # covers: CS-5 (queries constant in the number of threads)
    for i in range(3):
        contact(email=f"v{i}@example.test")
    client.force_login(people["agent"])
    client.get(url("queue"))  # sessions, caches
    with django_assert_max_num_queries(12) as small:
        client.get(url("queue"))
    for i in range(40):
        contact(email=f"w{i}@example.test")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url("queue"))
    assert len(response.context["page"].object_list) == 25
    assert response.context["page"].paginator.num_pages == 2
    # "À traiter" reuses the counters' number instead of counting the queue again.
    thread_counts = [q for q in small.captured_queries if "COUNT(" in q["sql"].upper()
                     and '"support_thread"' in q["sql"]]  # fmt: skip
    assert len(thread_counts) == 1
    second = client.get(url("queue"), {"page": "2"}).context["page"]
    assert len(second.object_list) == 18
    unassigned = client.get(url("queue"), {"agent": "aucun"}).context["page"]
    assert unassigned.paginator.count == 43 == response.context["counts"].unassigned


# --- the request page -----------------------------------------------------------------------


def test_the_request_page_shows_the_whole_thread_and_the_order_in_bounded_queries(
    client, market, people, django_assert_max_num_queries
):
    # covers: CS-5 (whole customer–vendor thread with order, payments, shipments, invoices)
    agent = people["agent"]
    thread = open_request(market, staff=agent)
    message_post(
        thread=thread,
        actor=Actor.staff(agent),
        body="Vérifier avec l'entrepôt",
        visibility=Visibility.INTERNAL,
    )
    client.force_login(agent)
    client.get(url("thread", thread.pk))
    with django_assert_max_num_queries(30) as few:
        body = client.get(url("thread", thread.pk)).content.decode()
    assert "Ma chemise est arrivée déchirée." in body
    assert "Vérifier avec l&#x27;entrepôt" in body and "Note interne" in body
    assert thread.order.reference in body
    assert "Chemise Oxford bleue" in body and "Portefeuille en cuir" in body
    payment = Payment.objects.get(order=thread.order)
    assert payment.reference in body
    assert " style=" not in body
    # More messages, and more lines on the order, cost nothing more.
    for i in range(10):
        message_post(
            thread=thread,
            actor=Actor.staff(agent),
            body=f"note {i}",
            visibility=Visibility.INTERNAL,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("thread", thread.pk))


def test_answer_vendor_message_and_note_each_go_where_they_should_with_their_agent(
    client, market, people
):
    # covers: CS-5 (answer the customer, write to the vendor, internal note; audit trail)
    agent = people["agent"]
    thread = open_request(market, staff=agent)
    client.force_login(agent)
    mail.outbox.clear()
    response = client.post(
        url("thread_message", thread.pk), {"destinataire": "public", "message": "Nous regardons."}
    )
    assert response.status_code == 302 and response["Location"] == url("thread", thread.pk)
    assert any("luc@example.test" in m.to for m in mail.outbox)
    mail.outbox.clear()
    client.post(
        url("thread_message", thread.pk),
        {"destinataire": "vendor", "message": "Pouvez-vous vérifier ?"},
    )
    assert not any("luc@example.test" in m.to for m in mail.outbox)
    mail.outbox.clear()
    client.post(
        url("thread_message", thread.pk), {"destinataire": "internal", "message": "Client fidèle."}
    )
    assert mail.outbox == []
    kinds = list(
        ThreadEvent.objects.filter(thread=thread, actor=agent).values_list("kind", flat=True)
    )
    assert ThreadEventKind.AGENT_WROTE in kinds
    assert ThreadEventKind.AGENT_WROTE_VENDOR in kinds
    assert ThreadEventKind.NOTE_ADDED in kinds
    visibilities = set(
        Message.objects.filter(thread=thread, author=agent).values_list("visibility", flat=True)
    )
    assert visibilities == {"public", "vendor", "internal"}
    # An empty message is refused with its reason; nothing is written.
    count = Message.objects.count()
    refused = client.post(
        url("thread_message", thread.pk), {"destinataire": "public", "message": ""}
    )
    assert refused.status_code == 422 and Message.objects.count() == count


def test_an_agent_takes_a_request_but_only_a_supervisor_reassigns_it(client, market, people):
    # covers: CS-5 (assign: self; reassign = supervisor)
    agent, agent2, chief = people["agent"], people["agent2"], people["supervisor"]
    thread = open_request(market, staff=agent)
    client.force_login(agent)
    assert client.post(url("thread_assign", thread.pk), {"agent": agent.pk}).status_code == 302
    thread.refresh_from_db()
    assert thread.assigned_agent == agent
    client.force_login(agent2)
    refused = client.post(url("thread_assign", thread.pk), {"agent": agent2.pk})
    assert refused.status_code == 422
    assert "superviseur" in refused.content.decode()
    thread.refresh_from_db()
    assert thread.assigned_agent == agent
    client.force_login(chief)
    assert client.post(url("thread_assign", thread.pk), {"agent": agent2.pk}).status_code == 302
    thread.refresh_from_db()
    assert thread.assigned_agent == agent2
    trail = events(thread, ThreadEventKind.ASSIGNED)
    assert [(e.actor_id, e.data["to"]) for e in trail] == [
        (agent.pk, agent.pk),
        (chief.pk, agent2.pk),
    ]


def test_close_and_reopen_are_in_the_trail(client, market, people):
    # covers: CS-5 (close, reopen; audit trail with the agent)
    agent = people["agent"]
    thread = open_request(market, staff=agent)
    client.force_login(agent)
    client.post(url("thread_stage", thread.pk), {"action": "close"})
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.CLOSED
    again = client.post(url("thread_stage", thread.pk), {"action": "close"})
    assert again.status_code == 422 and "déjà clôturée" in again.content.decode()
    client.post(url("thread_stage", thread.pk), {"action": "reopen"})
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.ESCALATED and thread.operator_due_at is not None
    assert events(thread, ThreadEventKind.CLOSED)[0].actor == agent
    assert events(thread, ThreadEventKind.REOPENED)[0].actor == agent


# --- refunds and cancellations --------------------------------------------------------------


def _shirt(thread):
    return thread.vendor_order.lines.get(product_title="Chemise Oxford bleue")


def test_an_agent_refunds_an_article_through_the_refund_service(client, market, people):
    # covers: CS-5 (refund through the refund service, with reason; customer and vendor
    # emailed; ledger reversal; audit trail)
    agent = people["agent"]
    thread = open_request(market, staff=agent)
    shirt = _shirt(thread)
    client.force_login(agent)
    mail.outbox.clear()
    response = client.post(
        url("thread_refund", thread.pk),
        {"articles": [shirt.pk], "motif": "Article déchiré à réception"},
    )
    assert response.status_code == 302
    shirt.refresh_from_db()
    refund = Refund.objects.get()
    # 59.90 and its share of the 7.00 shipping fee (59.90 / 94.90 of it: 4.42).
    assert shirt.refunded_at is not None and shirt.refund == refund
    assert refund.amount == Decimal("64.32") == shirt.refunded_amount
    assert shirt.refunded_shipping == Decimal("4.42")
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.reason == "Article déchiré à réception"
    assert LedgerEntry.objects.filter(refund=refund).exists()
    assert_ledger_balanced(thread.order)
    to_customer = [m for m in mail.outbox if "luc@example.test" in m.to]
    assert to_customer and "64,32" in to_customer[0].body
    assert len(mail.outbox) >= 2  # the vendor too
    (event,) = events(thread, ThreadEventKind.REFUNDED)
    assert event.actor == agent and event.data["amount"] == str(refund.amount)
    assert event.data["lines"] == [shirt.pk] and event.data["reason"]
    # Sent twice (a double click): the article is refunded once.
    again = client.post(
        url("thread_refund", thread.pk),
        {"articles": [shirt.pk], "motif": "Article déchiré à réception"},
    )
    assert again.status_code == 422
    assert Refund.objects.count() == 1


def test_a_refund_needs_a_reason_and_an_article(client, market, people):
    # covers: CS-5 (reason required; errors shown, nothing changed)
    thread = open_request(market, staff=people["agent"])
    client.force_login(people["agent"])
    no_reason = client.post(url("thread_refund", thread.pk), {"articles": [_shirt(thread).pk]})
    assert no_reason.status_code == 422 and "Indiquez le motif" in no_reason.content.decode()
    no_line = client.post(url("thread_refund", thread.pk), {"motif": "geste"})
    assert no_line.status_code == 422
    other_line = OrderLine.objects.exclude(vendor_order=thread.vendor_order).first()
    foreign = client.post(
        url("thread_refund", thread.pk), {"articles": [other_line.pk], "motif": "geste"}
    )
    assert foreign.status_code == 422
    assert not Refund.objects.exists() and not events(thread, ThreadEventKind.REFUNDED)


def test_above_the_limit_only_a_supervisor_refunds(client, market, people, settings):
    # covers: CS-5 (a supervisor refunds above a limit)
    settings.SUPPORT_AGENT_REFUND_LIMIT = Decimal("50")
    thread = open_request(market, staff=people["agent"])
    shirt = _shirt(thread)
    client.force_login(people["agent"])
    refused = client.post(
        url("thread_refund", thread.pk), {"articles": [shirt.pk], "motif": "geste"}
    )
    assert refused.status_code == 422
    page = refused.content.decode()
    assert "réservé à un superviseur" in page and "Rien n'a été modifié." in page
    shirt.refresh_from_db()
    assert shirt.refunded_at is None and not Refund.objects.exists()
    client.force_login(people["supervisor"])
    done = client.post(url("thread_refund", thread.pk), {"articles": [shirt.pk], "motif": "geste"})
    assert done.status_code == 302 and Refund.objects.count() == 1


def test_a_refund_above_what_is_left_of_the_payment_is_refused(client, market, people):
    # covers: CS-5 (amount bounded by what was paid)
    thread = open_request(market, staff=people["agent"])
    payment = Payment.objects.get(order=thread.order)
    # Most of the payment already went back (e.g. a goodwill refund made at the provider).
    refund_create(
        payment=payment,
        amount=payment.amount - Decimal("10"),
        reason="avant",
        idempotency_key="earlier",
    )
    shirt = _shirt(thread)
    client.force_login(people["supervisor"])
    refused = client.post(
        url("thread_refund", thread.pk), {"articles": [shirt.pk], "motif": "geste"}
    )
    assert refused.status_code == 422 and "il reste" in refused.content.decode()
    shirt.refresh_from_db()
    assert shirt.refunded_at is None
    assert Refund.objects.count() == 1 and not events(thread, ThreadEventKind.REFUNDED)


def test_an_agent_cancels_a_vendor_order_not_yet_shipped(client, market, people):
    # covers: CS-5 (cancel a vendor order not yet shipped, through the state machine)
    agent = people["agent"]
    thread = open_request(market, staff=agent)
    client.force_login(agent)
    mail.outbox.clear()
    response = client.post(url("thread_cancel", thread.pk), {"motif": "Rupture chez le vendeur"})
    assert response.status_code == 302
    vendor_order = VendorOrder.objects.get(pk=thread.vendor_order_id)
    assert vendor_order.status == VendorOrder.Status.CANCELLED
    refund = Refund.objects.get()
    assert refund.amount == vendor_order.lines_total + vendor_order.shipping_fee
    assert any("luc@example.test" in m.to for m in mail.outbox)
    (event,) = events(thread, ThreadEventKind.VENDOR_ORDER_CANCELLED)
    assert event.actor == agent and event.data["reason"] == "Rupture chez le vendeur"
    assert_ledger_balanced(thread.order)
    assert client.post(url("thread_cancel", thread.pk), {"motif": "x"}).status_code == 422


def test_a_shipped_vendor_order_cannot_be_cancelled(client, market, people):
    # covers: CS-5, ORD-5 (cancel only before shipping)
    thread = open_request(market, staff=people["agent"])
    vendor_order = thread.vendor_order
    vendor_order_lines_decide(
        vendor_order=vendor_order,
        vendor=market["verlaine"],
        decisions={ln.pk: "accept" for ln in vendor_order.lines.all()},
    )
    vendor_order_ship(
        vendor_order=vendor_order,
        vendor=market["verlaine"],
        carrier="colissimo",
        parcels=["6A12345678901"],
    )
    client.force_login(people["supervisor"])
    refused = client.post(url("thread_cancel", thread.pk), {"motif": "trop tard"})
    assert refused.status_code == 422 and "déjà expédiée" in refused.content.decode()
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.SHIPPED
    assert not Refund.objects.exists()
    assert not events(thread, ThreadEventKind.VENDOR_ORDER_CANCELLED)


def test_cancelling_above_the_limit_is_a_supervisors(client, market, people, settings):
    # covers: CS-5
    settings.SUPPORT_AGENT_REFUND_LIMIT = Decimal("20")
    thread = open_request(market, staff=people["agent"])
    client.force_login(people["agent"])
    assert client.post(url("thread_cancel", thread.pk), {"motif": "x"}).status_code == 422
    assert VendorOrder.objects.get(pk=thread.vendor_order_id).status != VendorOrder.Status.CANCELLED
    assert not Refund.objects.exists()


# --- ACC-7 ----------------------------------------------------------------------------------


def test_customer_service_reopens_a_deactivated_account_from_a_contact_request(
    client, market, people
):
    # covers: ACC-7 (only customer service reopens), CS-5
    luc = market["customer"]
    user_deactivate(user=luc)
    thread = contact(email="LUC@example.test", name="Luc Martin", body="Je veux revenir.")
    client.force_login(people["agent"])
    page = client.get(url("thread", thread.pk)).content.decode()
    assert "Compte désactivé" in page and "Rouvrir le compte" in page
    assert client.post(url("thread_account_reopen", thread.pk)).status_code == 302
    luc.refresh_from_db()
    assert luc.is_active and luc.reactivated_at is not None
    (event,) = events(thread, ThreadEventKind.ACCOUNT_REOPENED)
    assert event.actor == people["agent"] and event.data["account"] == luc.pk
    again = client.post(url("thread_account_reopen", thread.pk))
    assert again.status_code == 422 and "déjà actif" in again.content.decode()
    # A request with no account behind it: said so, nothing done.
    nobody = contact(email="personne@example.test")
    assert client.post(url("thread_account_reopen", nobody.pk)).status_code == 422


# --- the supervisor's view ------------------------------------------------------------------


def test_the_supervisor_view_draws_its_charts_in_svg(
    client, market, people, django_assert_max_num_queries
):
    # covers: CS-5 (requests per day, share in time by vendors and operator, worst vendors,
    # as charts)
    agent = people["agent"]
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=3)):
        late = open_request(market, escalate=False)
    # Verlaine's 48 h ran out; the customer hands it over; the agent answers in time.
    thread_escalate(thread=late, actor=Actor.customer(market["customer"]))
    message_post(thread=late, actor=Actor.staff(agent), body="Nous remboursons.")
    contact()
    client.force_login(people["supervisor"])
    with django_assert_max_num_queries(14):
        response = client.get(url("stats"))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('class="bo-chart"') == 3 and " style=" not in body
    stats = response.context["stats"]
    assert stats.total == 2  # the order's request and the contact form
    assert stats.vendors.missed >= 1
    assert stats.operator.on_time == 1
    assert stats.worst_vendors[0].name == "Maison Verlaine"
    assert "Maison Verlaine" in body
