"""The vendor portal's "Messages": the inbox and its filters, one thread with its order, the
answer (state, relayed email), "Marquer comme résolue", attachments, the dashboard card and the
menu count; another vendor, a deactivated vendor and a visitor are refused everywhere; the
pages cost a bounded number of queries whatever the number of threads."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allies.orders.events import Actor
from allies.support.emails import reply_address
from allies.support.models import Message, Thread, Visibility
from allies.support.services import message_post, thread_escalate
from allies.support.states import ThreadStage
from tests.factories import UserFactory, VendorMembershipFactory
from tests.support.conftest import (  # noqa: F401  (the support tests' fixtures)
    START,
    _fast_passwords,
    _support_storage_in_tmp,
    jpeg_bytes,
    order_request,
    question,
    sent_to,
    vendor_answer,
)
from tests.support.conftest import shop as shop  # noqa: F401  (registers the fixture)

pytestmark = pytest.mark.django_db

INBOX = reverse("vendor_portal:support_inbox")


def thread_url(thread) -> str:
    return reverse("vendor_portal:support_thread", args=[thread.pk])


@pytest.fixture
def verlaine(client, shop):  # noqa: F811
    client.force_login(shop["verlaine_user"])
    return client


@pytest.fixture
def threads(shop):  # noqa: F811
    """At START: a question waiting (late by the time the tests look), an order request
    answered, one escalated; and Brun's question (never Verlaine's business)."""
    with time_machine.travel(START, tick=False):
        late = question(shop, body="Taille M disponible ?", subject="Taille de la chemise")
        answered = order_request(shop, body="Où en est mon colis ?")
        vendor_answer(shop, answered, body="Parti ce matin.")
        escalated = order_request(shop, body="Colis abîmé.")
        vendor_answer(shop, escalated, body="Désolé.")
        thread_escalate(thread=escalated, actor=Actor.customer(shop["luc"]))
        brun = question(shop, offer=shop["wallet"], body="Cuir véritable ?", subject="Portefeuille")
    with time_machine.travel(START + timedelta(hours=49), tick=False):
        fresh = question(shop, customer=shop["anne"], body="Existe en bleu ?")
    mail.outbox.clear()
    return {"late": late, "answered": answered, "escalated": escalated, "brun": brun,
            "fresh": fresh}  # fmt: skip


NOW = START + timedelta(hours=50)


def _rows(response) -> str:
    return response.content.decode()


# --- the inbox ------------------------------------------------------------------------------


def test_the_inbox_filters_and_counts(verlaine, threads):
    # covers: VEN-2, CS-1
    with time_machine.travel(NOW, tick=False):
        to_answer = verlaine.get(INBOX)
        late = verlaine.get(INBOX, {"filtre": "en-retard"})
        escalated = verlaine.get(INBOX, {"filtre": "transmises"})
        every = verlaine.get(INBOX, {"filtre": "toutes"})
        unknown = verlaine.get(INBOX, {"filtre": "<script>"})

    def shown(response) -> set[int]:
        return {t.pk for t in response.context["page"].object_list}

    assert shown(to_answer) == {threads["late"].pk, threads["fresh"].pk}
    assert shown(late) == {threads["late"].pk}
    assert shown(escalated) == {threads["escalated"].pk}
    assert shown(every) == {threads[k].pk for k in ("late", "answered", "escalated", "fresh")}
    assert shown(unknown) == shown(to_answer)  # an unknown filter is the default one
    # The late first, then the next deadline.
    assert [t.pk for t in to_answer.context["page"].object_list][0] == threads["late"].pk
    counts = to_answer.context["inbox_counts"]
    assert (counts.to_answer, counts.late, counts.escalated) == (2, 1, 1)
    html = _rows(to_answer)
    assert "Taille de la chemise" in html and "En retard" in html
    assert "3 déc. 2026" in html or "03/12/2026" in html  # the deadline as a date and time
    assert "Luc" in html and "Anne" in html
    for secret in ("luc@example.test", "anne@example.test", "Martin", "Durand"):
        assert secret not in html  # the first name only, never the address
    assert "Portefeuille" not in _rows(every) and "Cuir" not in _rows(every)
    assert threads["answered"].order.reference in _rows(every)


def test_the_inbox_is_empty_with_a_word_for_each_filter(verlaine):
    # covers: VEN-2
    for slug, words in (
        ("a-repondre", "Vous avez répondu à toutes les questions"),
        ("en-retard", "Aucun retard"),
        ("transmises", "Aucune demande n'a été transmise"),
        ("toutes", "Les questions de vos clients apparaîtront ici"),
    ):
        response = verlaine.get(INBOX, {"filtre": slug})
        assert response.status_code == 200
        assert "Aucune demande ici." in _rows(response) and words in _rows(response)


def test_the_inbox_pages_and_costs_the_same_queries_for_5_or_30_threads(verlaine, shop):
    # covers: VEN-2 (queries constant in the number of threads)
    def make(count):
        for i in range(count):
            question(shop, body=f"Question {i}")

    counted = []
    for total in (5, 30):
        make(total - Thread.objects.filter(vendor=shop["verlaine"]).count())
        verlaine.get(INBOX)  # the session is warm
        with CaptureQueriesContext(connection) as queries:
            response = verlaine.get(INBOX, {"filtre": "toutes"})
        assert response.status_code == 200
        counted.append(len(queries))
    assert counted[0] == counted[1]
    assert counted[1] <= 10
    page_2 = verlaine.get(INBOX, {"filtre": "toutes", "page": 2})
    assert len(page_2.context["page"].object_list) == 5
    assert "Page 2 sur 2" in _rows(page_2)
    assert verlaine.get(INBOX, {"page": "x"}).status_code == 404


# --- one thread -----------------------------------------------------------------------------


def test_the_thread_shows_its_order_and_messages_but_no_internal_note(verlaine, shop, threads):
    # covers: VEN-2
    thread = threads["answered"]
    message_post(thread=thread, actor=Actor.staff(shop["agent"]), body="Note secrète agent",
                 visibility=Visibility.INTERNAL)  # fmt: skip
    message_post(thread=thread, actor=Actor.staff(shop["agent"]), body="Pour le vendeur seul",
                 visibility=Visibility.VENDOR)  # fmt: skip
    response = verlaine.get(thread_url(thread))
    html = _rows(response)
    assert response.status_code == 200
    assert "Où en est mon colis ?" in html and "Parti ce matin." in html
    assert "Pour le vendeur seul" in html and "visible par vous et le service client" in html
    assert "Note secrète agent" not in html
    assert thread.order.reference in html
    assert reverse("vendor_portal:order", args=[thread.vendor_order_id]) in html
    assert "luc@example.test" not in html and thread.reply_token not in html
    assert "Marquer comme résolue" in html  # answered: the vendor may resolve


def test_answering_moves_the_thread_and_emails_the_customer_through_the_relay(
    verlaine, shop, threads
):
    # covers: VEN-2, CS-1
    thread = threads["fresh"]
    with time_machine.travel(START + timedelta(hours=50), tick=False):
        response = verlaine.post(
            reverse("vendor_portal:support_reply", args=[thread.pk]),
            {"body": "Oui, en bleu marine.",
             "attachments": [SimpleUploadedFile("photo.jpg", jpeg_bytes(), "image/jpeg")]},
        )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == thread_url(thread)
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.ANSWERED and thread.vendor_due_at is None
    answer = Message.objects.filter(thread=thread).latest("id")
    assert answer.author_id == shop["verlaine_user"].pk and answer.on_time is True
    assert answer.attachments.count() == 1
    (email,) = sent_to("anne@example.test")
    assert "Oui, en bleu marine." in email.body
    assert email.extra_headers["Reply-To"] == reply_address(thread)
    assert "verlaine.test" not in email.body
    page = verlaine.get(thread_url(thread))
    assert "Réponse envoyée" in _rows(page)
    assert "photo.jpg" in _rows(page)


def test_a_refused_answer_keeps_the_text_and_changes_nothing(verlaine, shop, threads):
    # covers: VEN-2
    thread = threads["fresh"]
    url = reverse("vendor_portal:support_reply", args=[thread.pk])
    empty = verlaine.post(url, {"body": "   "})
    assert empty.status_code == 422 and "Écrivez votre message." in _rows(empty)
    bad_file = verlaine.post(
        url,
        {"body": "Voici la facture",
         "attachments": [SimpleUploadedFile("facture.pdf", b"MZ\x90\x00 not a pdf")]},
    )  # fmt: skip
    assert bad_file.status_code == 422
    assert "facture.pdf" in _rows(bad_file) and "Voici la facture" in _rows(bad_file)
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.WAITING_VENDOR
    assert Message.objects.filter(thread=thread).count() == 1
    assert mail.outbox == []


def test_mark_resolved_once_answered_only(verlaine, threads):
    # covers: VEN-2
    waiting, answered = threads["fresh"], threads["answered"]
    assert "Marquer comme résolue" not in _rows(verlaine.get(thread_url(waiting)))
    refused = verlaine.post(reverse("vendor_portal:support_resolve", args=[waiting.pk]))
    assert refused.status_code == 422 and "Répondez au client avant" in _rows(refused)
    done = verlaine.post(reverse("vendor_portal:support_resolve", args=[answered.pk]))
    assert done.status_code == 302
    answered.refresh_from_db()
    assert answered.stage == ThreadStage.RESOLVED
    (email,) = sent_to("luc@example.test")
    assert email.extra_headers["Reply-To"] == reply_address(answered)
    escalated = verlaine.post(
        reverse("vendor_portal:support_resolve", args=[threads["escalated"].pk])
    )
    assert escalated.status_code == 422 and "service client" in _rows(escalated)


def test_attachments_download_privately(verlaine, shop, threads):
    # covers: VEN-2
    thread = threads["fresh"]
    message_post(thread=thread, actor=Actor.customer(shop["anne"]), body="Photo",
                 attachments=[SimpleUploadedFile("bleu.jpg", jpeg_bytes())])  # fmt: skip
    attachment = Message.objects.filter(thread=thread).latest("id").attachments.get()
    response = verlaine.get(reverse("vendor_portal:support_attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="bleu.jpg"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert {"private", "no-store"} <= {d.strip() for d in response["Cache-Control"].split(",")}
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")


# --- who may ------------------------------------------------------------------------------


def _every_url(thread, attachment) -> list[tuple[str, str]]:
    return [
        ("get", thread_url(thread)),
        ("post", reverse("vendor_portal:support_reply", args=[thread.pk])),
        ("post", reverse("vendor_portal:support_resolve", args=[thread.pk])),
        ("get", reverse("vendor_portal:support_attachment", args=[attachment.pk])),
    ]


def test_another_vendor_a_deactivated_vendor_and_a_visitor_are_refused(client, shop, threads):
    # covers: VEN-2
    thread = threads["answered"]
    message_post(thread=thread, actor=Actor.customer(shop["luc"]), body="Photo",
                 attachments=[SimpleUploadedFile("p.jpg", jpeg_bytes())])  # fmt: skip
    attachment = Message.objects.filter(thread=thread).latest("id").attachments.get()
    before = Message.objects.filter(thread=thread).count()
    client.force_login(shop["brun_user"])
    for method, url in _every_url(thread, attachment):
        response = getattr(client, method)(url, {"body": "Intrus"} if method == "post" else {})
        assert response.status_code == 404, url
    inbox = client.get(INBOX, {"filtre": "toutes"})
    assert inbox.context["page"].object_list == [] or thread.pk not in {
        t.pk for t in inbox.context["page"].object_list
    }
    client.logout()
    for method, url in [*_every_url(thread, attachment), ("get", INBOX)]:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    shop["verlaine"].is_active = False
    shop["verlaine"].save(update_fields=["is_active"])
    client.force_login(shop["verlaine_user"])
    for method, url in [*_every_url(thread, attachment), ("get", INBOX)]:
        assert getattr(client, method)(url).status_code == 403, url
    client.force_login(shop["luc"])  # the customer is no vendor
    assert client.get(thread_url(thread)).status_code == 403
    thread.refresh_from_db()
    assert Message.objects.filter(thread=thread).count() == before
    assert thread.stage == ThreadStage.WAITING_VENDOR


def test_a_member_of_two_vendors_reads_the_acting_vendors_threads_only(client, shop, threads):
    # covers: VEN-2
    user = UserFactory()
    VendorMembershipFactory(vendor=shop["verlaine"], user=user)
    VendorMembershipFactory(vendor=shop["brun"], user=user)
    client.force_login(user)
    client.post(reverse("vendor_portal:switch"), {"vendor": shop["brun"].pk})
    assert client.get(thread_url(threads["brun"])).status_code == 200
    assert client.get(thread_url(threads["late"])).status_code == 404
    client.post(reverse("vendor_portal:switch"), {"vendor": shop["verlaine"].pk})
    assert client.get(thread_url(threads["late"])).status_code == 200


# --- the dashboard and the menu -----------------------------------------------------------


def test_the_dashboard_card_shows_the_counts_the_next_deadline_and_the_record(
    verlaine, threads, django_assert_max_num_queries
):
    # covers: VEN-1, VEN-2
    # (20, + the money charts' 4)
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(24):
        response = verlaine.get(reverse("vendor_portal:dashboard"))
    html = _rows(response)
    assert "2 demandes à répondre" in html and "1 en retard" in html
    assert "1 transmise au service client" in html
    assert 'data-testid="messages-next-due"' in html
    # Two answers met a clock, both in time; the late question counts against the record.
    assert 'data-testid="messages-record"' in html
    assert "Sur 2 réponses à vos clients" in html
    assert 'data-testid="nav-messages"' in html and 'class="nav-count nav-count-bad"' in html


def test_the_dashboard_card_without_messages(verlaine):
    # covers: VEN-2
    html = _rows(verlaine.get(reverse("vendor_portal:dashboard")))
    assert "Aucune question de client en attente de réponse." in html
    assert "nav-count" not in html


def test_the_thread_page_costs_a_bounded_number_of_queries(
    verlaine, shop, threads, django_assert_max_num_queries
):
    # covers: VEN-2
    thread = threads["answered"]
    for i in range(10):
        message_post(thread=thread, actor=Actor.customer(shop["luc"]), body=f"Encore {i}",
                     attachments=[SimpleUploadedFile(f"p{i}.jpg", jpeg_bytes())])  # fmt: skip
    # session · user · vendors · thread · messages · attachments · order lines · menu counts
    with django_assert_max_num_queries(10):
        response = verlaine.get(thread_url(thread))
    assert response.status_code == 200 and "Encore 9" in _rows(response)
