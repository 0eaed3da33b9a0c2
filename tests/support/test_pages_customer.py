"""The customer's pages of "Assistance en ligne", end to end through the test client:
"Posez une question" (with the visitor's draft kept through the login), "Contacter le
vendeur" / "Assistance en ligne" on an order, the thread page with its deadline and the CS-2
question, the downloads, "Mes demandes" and the contact form. Access, hostile files, the
honeypot and the throttle, bounded queries, the English pages."""

import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allies.orders.events import Actor
from allies.support.emails import reply_address
from allies.support.models import Attachment, Message, Motif, Thread, ThreadKind, Visibility
from allies.support.services import message_post, thread_open
from allies.support.states import ThreadStage
from tests.factories import PASSWORD
from tests.support.conftest import (
    START,
    jpeg_bytes,
    question,
    sent_to,
    stored_files,
    vendor_answer,
    vendor_order_for,
)

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def text_of(response) -> str:
    html = unescape(response.content.decode())
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(NBSP, " ")


def jpeg(name="photo.jpg"):
    return SimpleUploadedFile(name, jpeg_bytes(), content_type="image/jpeg")


def relayed(email, thread) -> bool:
    """The email's Reply-To is the thread's relayed address (VEN-2)."""
    return email.message()["Reply-To"] == reply_address(thread)


@pytest.fixture
def at_start():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


# --- "Posez une question" (CAT-4) ----------------------------------------------------------


def test_the_product_page_offers_a_question_per_offer(client, shop):
    # covers: CAT-4
    product = shop["shirt"].variant.product
    html = client.get(reverse("storefront:product", args=[product.slug])).content.decode()
    assert reverse("support:question", args=[shop["shirt"].pk]) in html
    assert "Posez une question" in html


def test_a_customer_asks_a_question_and_the_vendor_is_emailed_with_a_relayed_address(
    client, shop, at_start
):
    # covers: CAT-4, CS-1
    client.force_login(shop["luc"])
    url = reverse("support:question", args=[shop["shirt"].pk])
    response = client.post(
        url, {"motif": Motif.SIZE, "body": "La taille M taille-t-elle grand ?",
              "attachments": [jpeg()]},
    )  # fmt: skip
    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "support:thread", args=[thread.pk]
    )
    assert thread.kind == ThreadKind.QUESTION and thread.vendor == shop["verlaine"]
    assert thread.offer == shop["shirt"] and thread.customer == shop["luc"]
    assert Attachment.objects.filter(thread=thread).count() == 1
    to_vendor = sent_to("contact@verlaine.test")
    assert len(to_vendor) == 1 and relayed(to_vendor[0], thread)
    assert "luc@example.test" not in to_vendor[0].body
    to_customer = sent_to("luc@example.test")
    assert len(to_customer) == 1 and relayed(to_customer[0], thread)
    # The thread page says by when the vendor answers: a date and a time, not "48 h".
    page = text_of(client.get(response["Location"]))
    assert "Le vendeur vous répondra au plus tard le jeudi 3 décembre 2026 à 10:00" in page
    assert "Votre message est envoyé" in page


def test_a_visitor_logs_in_and_finds_the_question_they_typed(client, shop):
    # covers: CAT-4 (logged-out visitors come back to the form with what they typed)
    url = reverse("support:question", args=[shop["shirt"].pk])
    page = text_of(client.get(url))
    assert "vous devrez vous connecter ou créer un compte" in page
    response = client.post(url, {"motif": Motif.PRODUCT, "body": "Est-ce du lin lavé ?"})
    login = reverse("accounts:login")
    assert response.status_code == 302 and response["Location"] == f"{login}?next={url}"
    assert not Thread.objects.exists()
    logged = client.post(
        f"{login}?next={url}", {"username": "luc@example.test", "password": PASSWORD,
                                "next": url},
    )  # fmt: skip
    assert logged.status_code == 302 and logged["Location"] == url
    form = client.get(url).content.decode()
    assert "Est-ce du lin lavé ?" in form
    assert f'<option value="{Motif.PRODUCT}" selected>' in form
    assert "Nous avons gardé votre message" in form
    client.post(url, {"motif": Motif.PRODUCT, "body": "Est-ce du lin lavé ?"})
    assert Thread.objects.get().customer == shop["luc"]
    # Sent: the draft is gone.
    assert "Est-ce du lin lavé ?" not in client.get(url).content.decode()


def test_a_question_on_an_inactive_offer_is_not_found(client, shop):
    # covers: CAT-4
    shop["shirt"].is_active = False
    shop["shirt"].save(update_fields=["is_active"])
    client.force_login(shop["luc"])
    assert client.get(reverse("support:question", args=[shop["shirt"].pk])).status_code == 404


def test_a_hostile_attachment_is_refused_in_french_and_nothing_is_stored(
    client, shop, _support_storage_in_tmp
):
    # covers: CAT-4, issue 10 "Attachments"
    client.force_login(shop["luc"])
    url = reverse("support:question", args=[shop["shirt"].pk])
    exe = SimpleUploadedFile("facture.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    response = client.post(
        url, {"motif": Motif.SIZE, "body": "Voici ma photo", "attachments": [jpeg(), exe]}
    )
    assert response.status_code == 200
    page = text_of(response)
    assert "« facture.pdf » n'est ni une photo (JPEG, PNG, WebP) ni un PDF" in page
    assert "Voici ma photo" in response.content.decode()  # what was typed is kept
    assert not Thread.objects.exists() and not Message.objects.exists()
    assert stored_files(_support_storage_in_tmp) == []
    assert mail.outbox == []


# --- "Contacter le vendeur" / "Assistance en ligne" (ORD-7, CS-1) --------------------------------


def test_the_order_page_has_contacter_le_vendeur_and_assistance_en_ligne(client, shop):
    # covers: ORD-7, CS-1
    vo = vendor_order_for(shop["luc"], shop["verlaine"])
    client.force_login(shop["luc"])
    html = client.get(reverse("orders:detail", args=[vo.order.reference])).content.decode()
    assistance = reverse("support:order_assistance", args=[vo.order.reference])
    assert f"{assistance}?vendeur={vo.pk}" in html and "Contacter le vendeur" in html
    assert "Assistance en ligne" in html


def test_assistance_en_ligne_steps_open_an_order_thread(client, shop, at_start):
    # covers: ORD-7, CS-1
    vo = vendor_order_for(shop["luc"], shop["verlaine"])
    url = reverse("support:order_assistance", args=[vo.order.reference])
    client.force_login(shop["luc"])
    first = client.get(url, {"vendeur": vo.pk})
    assert first.status_code == 200 and "Écrire le message" in text_of(first)
    choice = {"vendor_order": vo.pk, "about": "commande", "motif": Motif.TRACKING}
    second = client.get(url, {**choice, "etape": "message"})
    text = text_of(second)
    assert "Envoyer un message" in text and "Suivi de colis" in text
    assert not Thread.objects.exists()  # "Écrire le message" writes nothing
    sent = client.post(url, {**choice, "body": "Mon colis n'avance plus.",
                             "attachments": [jpeg("colis.jpg")]})  # fmt: skip
    thread = Thread.objects.get()
    assert sent["Location"] == reverse("support:thread", args=[thread.pk])
    assert thread.kind == ThreadKind.ORDER and thread.vendor_order == vo
    assert thread.order == vo.order and thread.motif == Motif.TRACKING
    assert thread.stage == ThreadStage.WAITING_VENDOR
    (to_vendor,) = sent_to("contact@verlaine.test")
    assert relayed(to_vendor, thread)
    # The order's assistance page lists it with its deadline.
    listed = text_of(client.get(url))
    assert "Vos demandes sur cette commande" in listed and "Suivi de colis" in listed
    assert "au plus tard le jeudi 3 décembre 2026 à 10:00" in listed


def test_a_pre_order_question_from_the_order_page_takes_only_its_motifs(client, shop):
    # covers: ORD-7 (question de précommande)
    vo = vendor_order_for(shop["luc"], shop["verlaine"])
    url = reverse("support:order_assistance", args=[vo.order.reference])
    client.force_login(shop["luc"])
    wrong = {"vendor_order": vo.pk, "about": "precommande", "motif": Motif.INVOICE}
    response = client.get(url, {**wrong, "etape": "message"})
    assert "Ce motif ne convient pas à une question de précommande." in text_of(response)
    assert client.post(url, {**wrong, "body": "x"}).status_code == 200
    assert not Thread.objects.exists()
    client.post(url, {**wrong, "motif": Motif.SIZE, "body": "Existe-t-il en L ?"})
    thread = Thread.objects.get()
    assert thread.kind == ThreadKind.QUESTION and thread.order is None
    assert thread.vendor == shop["verlaine"]


def test_an_unpaid_order_offers_no_request(client, shop):
    # covers: ORD-7
    vo = vendor_order_for(shop["luc"], shop["verlaine"], status="awaiting_payment")
    url = reverse("support:order_assistance", args=[vo.order.reference])
    client.force_login(shop["luc"])
    assert "n'est pas payée" in text_of(client.get(url))
    client.post(url, {"vendor_order": vo.pk, "about": "commande", "motif": Motif.OTHER,
                      "body": "?"})  # fmt: skip
    assert not Thread.objects.exists()


# --- the thread page (CS-1, CS-2) -----------------------------------------------------------


def test_the_thread_page_hides_notes_and_the_vendors_people(client, shop, at_start):
    # covers: CS-1, VEN-2 (relayed: the customer never sees the vendor's people)
    thread = question(shop)
    vendor_answer(shop, thread, body="Oui, la M est en stock.")
    message_post(thread=thread, actor=Actor.staff(shop["agent"]), body="NOTE-SECRETE",
                 visibility=Visibility.INTERNAL)  # fmt: skip
    client.force_login(shop["luc"])
    page = text_of(client.get(reverse("support:thread", args=[thread.pk])))
    assert "Oui, la M est en stock." in page and "Maison Verlaine" in page
    assert "NOTE-SECRETE" not in page
    assert "paul@verlaine.test" not in page and "contact@verlaine.test" not in page
    assert "Répondue" in page


def test_the_customer_replies_with_a_file_and_downloads_it(client, shop, at_start):
    # covers: CS-1
    thread = question(shop)
    vendor_answer(shop, thread)
    client.force_login(shop["luc"])
    url = reverse("support:thread", args=[thread.pk])
    mail.outbox.clear()
    response = client.post(url, {"body": "Merci, et en L ?", "attachments": [jpeg("moi.jpg")]})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.WAITING_VENDOR
    (to_vendor,) = sent_to("contact@verlaine.test")
    assert relayed(to_vendor, thread)
    file = Attachment.objects.get(thread=thread)
    assert reverse("support:attachment", args=[file.pk]) in client.get(url).content.decode()
    download = client.get(reverse("support:attachment", args=[file.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert "moi.jpg" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download["Cache-Control"] and "private" in download["Cache-Control"]
    assert download["Content-Type"] == "image/jpeg"
    assert b"".join(download.streaming_content)[:3] == b"\xff\xd8\xff"


def test_an_empty_reply_is_refused_and_changes_nothing(client, shop):
    # covers: CS-1
    thread = question(shop)
    client.force_login(shop["luc"])
    response = client.post(reverse("support:thread", args=[thread.pk]), {"body": "  "})
    assert response.status_code == 400 and "Écrivez votre message." in text_of(response)
    assert thread.messages.count() == 1


def test_no_escalation_before_the_48_hours_without_an_answer(client, shop, at_start):
    # covers: CS-2 (escalation only when allowed)
    thread = question(shop)
    client.force_login(shop["luc"])
    url = reverse("support:thread", args=[thread.pk])
    assert "Votre demande est-elle en cours de traitement" not in text_of(client.get(url))
    response = client.post(reverse("support:follow_up", args=[thread.pk]), {"answer": "non"},
                           follow=True)  # fmt: skip
    assert "Le vendeur a jusqu'au" in text_of(response)
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.WAITING_VENDOR


def test_non_after_48_hours_without_answer_escalates_with_the_24_hour_deadline(
    client, shop, at_start
):
    # covers: CS-1, CS-2
    thread = question(shop)
    client.force_login(shop["luc"])
    url = reverse("support:thread", args=[thread.pk])
    at_start.move_to(START + timedelta(hours=49))
    page = text_of(client.get(url))
    assert "Votre demande est-elle en cours de traitement ou résolue ?" in page
    assert "Le vendeur devait vous répondre au plus tard le jeudi 3 décembre 2026" in page
    mail.outbox.clear()
    response = client.post(reverse("support:follow_up", args=[thread.pk]), {"answer": "non"},
                           follow=True)  # fmt: skip
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.ESCALATED
    assert thread.operator_due_at == START + timedelta(hours=49 + 24)
    page = text_of(response)
    assert "Votre demande est transmise au service client Les Alliés" in page
    assert "interviendra au plus tard le vendredi 4 décembre 2026 à 11:00" in page
    assert "Votre demande est-elle en cours de traitement" not in page
    assert sent_to("luc@example.test") and sent_to("contact@verlaine.test")


def test_oui_after_the_vendors_answer_resolves_and_a_new_message_reopens(client, shop):
    # covers: CS-2
    thread = question(shop)
    vendor_answer(shop, thread)
    client.force_login(shop["luc"])
    url = reverse("support:thread", args=[thread.pk])
    assert "Votre demande est-elle en cours de traitement" in text_of(client.get(url))
    page = text_of(client.post(reverse("support:follow_up", args=[thread.pk]),
                               {"answer": "oui"}, follow=True))  # fmt: skip
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.RESOLVED and "marquée comme résolue" in page
    client.post(url, {"body": "Finalement, une autre question."})
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.WAITING_VENDOR


def test_follow_up_from_the_order_page_goes_back_to_it(client, shop):
    # covers: CS-2 ("Cliquez à nouveau sur Assistance en ligne, et répondez Non")
    vo = vendor_order_for(shop["luc"], shop["verlaine"])
    client.force_login(shop["luc"])
    url = reverse("support:order_assistance", args=[vo.order.reference])
    client.post(url, {"vendor_order": vo.pk, "about": "commande", "motif": Motif.DELIVERY,
                      "body": "Quand ?"})  # fmt: skip
    thread = Thread.objects.get()
    vendor_answer(shop, thread)
    assert "Votre demande est-elle en cours de traitement" in text_of(client.get(url))
    response = client.post(reverse("support:follow_up", args=[thread.pk]),
                           {"answer": "non", "back": "order"})  # fmt: skip
    assert response["Location"] == url
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.ESCALATED


# --- access -----------------------------------------------------------------------------------


def test_another_customer_gets_404_and_a_visitor_the_login(client, shop):
    # covers: CS-1, ACC-8 (a customer never reaches another's thread or file)
    thread = question(shop, attachments=[jpeg_bytes()])
    file = Attachment.objects.get()
    urls = [
        reverse("support:thread", args=[thread.pk]),
        reverse("support:attachment", args=[file.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("accounts:login")
        )
    client.force_login(shop["anne"])
    for url in urls:
        assert client.get(url).status_code == 404
    assert client.post(urls[0], {"body": "intrus"}).status_code == 404
    for answer in ("non", "oui"):
        follow = reverse("support:follow_up", args=[thread.pk])
        assert client.post(follow, {"answer": answer}).status_code == 404
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.WAITING_VENDOR and thread.messages.count() == 1
    vo = vendor_order_for(shop["luc"], shop["verlaine"])
    assistance = reverse("support:order_assistance", args=[vo.order.reference])
    assert client.get(assistance).status_code == 404
    client.post(assistance, {"vendor_order": vo.pk, "about": "commande",
                             "motif": Motif.OTHER, "body": "x"})  # fmt: skip
    assert Thread.objects.count() == 1


def test_a_file_of_an_internal_note_is_not_downloadable_by_the_customer(client, shop):
    # covers: CS-5 (notes never shown to the customer)
    thread = question(shop)
    message_post(thread=thread, actor=Actor.staff(shop["agent"]), body="note",
                 visibility=Visibility.INTERNAL, attachments=[jpeg_bytes()])  # fmt: skip
    file = Attachment.objects.get()
    client.force_login(shop["luc"])
    assert client.get(reverse("support:attachment", args=[file.pk])).status_code == 404


# --- "Mes demandes" (ACC-8) ---------------------------------------------------------------------


def test_mes_demandes_lists_threads_with_state_vendor_order_and_deadline(client, shop, at_start):
    # covers: ACC-8, CS-1
    client.force_login(shop["luc"])
    empty = text_of(client.get(reverse("support:threads")))
    assert "Vous n'avez aucune demande en cours" in empty
    question(shop)
    vo = vendor_order_for(shop["luc"], shop["brun"])
    client.post(reverse("support:order_assistance", args=[vo.order.reference]),
                {"vendor_order": vo.pk, "about": "commande", "motif": Motif.INVOICE,
                 "body": "Ma facture ?"})  # fmt: skip
    question(shop, customer=shop["anne"], body="AUTRE-CLIENT")
    page = text_of(client.get(reverse("support:threads")))
    assert "Maison Verlaine" in page and "Atelier Brun" in page
    assert vo.order.reference in page and "Facture" in page
    assert "En attente de réponse du vendeur" in page and "3 décembre 2026 à 10:00" in page
    assert "AUTRE-CLIENT" not in page
    assert 'href="/compte/demandes/"' in client.get(reverse("accounts:home")).content.decode()


# --- the contact form (CS-4) ------------------------------------------------------------------


def _contact(client, **data):
    fields = {"motif": Motif.OTHER, "body": "Bonjour, une question.", "name": "Jeanne Dupont",
              "email": "jeanne@example.test", "website": ""}  # fmt: skip
    return client.post(reverse("support:contact"), {**fields, **data}, follow=True)


def test_a_visitor_contacts_the_operator_and_gets_a_confirmation(client, shop, at_start):
    # covers: CS-4
    assert reverse("support:contact") in client.get(reverse("storefront:home")).content.decode()
    response = _contact(client, attachments=[jpeg()])
    thread = Thread.objects.get()
    assert thread.kind == ThreadKind.CONTACT and thread.vendor is None
    assert thread.stage == ThreadStage.ESCALATED and thread.contact_email == "jeanne@example.test"
    page = text_of(response)
    assert "Votre demande est bien envoyée" in page
    assert "au plus tard le mercredi 2 décembre 2026 à 10:00" in page
    (confirmation,) = sent_to("jeanne@example.test")
    assert relayed(confirmation, thread)
    assert Attachment.objects.filter(thread=thread).count() == 1


def test_a_customer_contacts_the_operator_about_one_of_their_orders(client, shop):
    # covers: CS-4
    mine = vendor_order_for(shop["luc"], shop["verlaine"]).order
    theirs = vendor_order_for(shop["anne"], shop["verlaine"]).order
    client.force_login(shop["luc"])
    page = client.get(reverse("support:contact")).content.decode()
    assert mine.reference in page and theirs.reference not in page
    # The contact form itself (not the chat bubble's visitor form) asks no email.
    form = page.split('<main id="contenu"', 1)[1].split("</main>", 1)[0]
    assert 'name="email"' not in form
    refused = client.post(reverse("support:contact"),
                          {"motif": Motif.OTHER, "body": "x", "order": theirs.pk})  # fmt: skip
    assert refused.status_code == 400 and not Thread.objects.exists()
    data = {"motif": Motif.INVOICE, "body": "Facture ?", "order": mine.pk}
    response = client.post(reverse("support:contact"), data)
    thread = Thread.objects.get()
    assert thread.customer == shop["luc"] and thread.order == mine
    sent = client.get(response["Location"])
    assert reverse("support:thread", args=[thread.pk]) in sent.content.decode()


def test_the_honeypot_sends_nothing(client, shop):
    # covers: CS-4 (honeypot)
    response = _contact(client, website="http://spam.example")
    assert response.status_code == 200
    assert not Thread.objects.exists() and mail.outbox == []


def test_the_contact_form_is_throttled(client, shop):
    # covers: CS-4 (throttled)
    for n in range(3):
        _contact(client, body=f"Demande {n}")
    assert Thread.objects.count() == 3
    response = _contact(client, body="Encore une")
    assert response.status_code == 429
    assert "Vous avez envoyé plusieurs demandes en peu de temps" in text_of(response)
    assert Thread.objects.count() == 3
    # Another address from the same client: the IP's allowance still counts (5 an hour).
    _contact(client, email="autre@example.test")
    assert Thread.objects.count() == 4
    _contact(client, email="troisieme@example.test")
    assert Thread.objects.count() == 4


def test_a_visitor_must_give_name_and_email(client, shop):
    # covers: CS-4
    response = _contact(client, name="", email="pas-une-adresse")
    assert response.status_code == 400 and not Thread.objects.exists()


# --- queries and languages --------------------------------------------------------------------


def _query_counts(client, urls) -> dict[str, int]:
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        counts[url] = len(queries)
    return counts


def test_pages_do_a_bounded_number_of_queries(client, shop, django_assert_max_num_queries):
    # covers: issue 10 (queries constant in the number of threads, messages and files)
    vo = vendor_order_for(shop["luc"], shop["verlaine"])

    def on_order():
        return thread_open(
            actor=Actor.customer(shop["luc"]), vendor_order=vo, motif=Motif.DELIVERY,
            body="Quand ?", attachments=[jpeg_bytes()],
        )  # fmt: skip

    first = question(shop, attachments=[jpeg_bytes()])
    answered = on_order()
    vendor_answer(shop, answered)  # the CS-2 question shows on the order's page
    client.force_login(shop["luc"])
    urls = [
        reverse("support:threads"),
        reverse("support:thread", args=[first.pk]),
        reverse("support:order_assistance", args=[vo.order.reference]),
        reverse("support:question", args=[shop["shirt"].pk]),
        reverse("support:contact"),
        reverse("orders:detail", args=[vo.order.reference]),
    ]
    _query_counts(client, urls)  # the session's first requests settle it (messages, login)
    few = _query_counts(client, urls)
    for _ in range(5):
        vendor_answer(shop, on_order(), attachments=[jpeg_bytes()])
        question(shop, attachments=[jpeg_bytes()])
    for _ in range(4):
        vendor_answer(shop, first, attachments=[jpeg_bytes(), jpeg_bytes()])
        message_post(thread=first, actor=Actor.customer(shop["luc"]), body="Et ensuite ?",
                     attachments=[jpeg_bytes()])  # fmt: skip
    assert _query_counts(client, urls) == few
    for url in urls:
        with django_assert_max_num_queries(14):
            client.get(url)


def test_the_pages_render_in_english(client, shop):
    # covers: issue 10 (English pages)
    thread = question(shop)
    client.force_login(shop["luc"])
    for url in (
        f"/en/compte/demandes/{thread.pk}/",
        "/en/compte/demandes/",
        f"/en/question/{shop['shirt'].pk}/",
        "/en/aide/contact/",
    ):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, url
        assert '<html lang="en">' in response.content.decode()


def test_a_reply_may_be_a_file_alone(client, shop):
    # covers: CS-1 (message, optional attachment)
    thread = question(shop)
    vendor_answer(shop, thread)
    client.force_login(shop["luc"])
    url = reverse("support:thread", args=[thread.pk])
    assert client.post(url, {"body": "", "attachments": [jpeg()]}).status_code == 302
    assert Attachment.objects.filter(thread=thread).count() == 1
