"""The customer's privacy rights: "Mes données personnelles", the data download (GDPR art. 15
and 20) and the erasure (art. 17), with what the law makes us keep (orders, invoices)."""

import json
from html import unescape

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail

from allies.accounts.models import Address
from allies.aftersales.returns import return_request_open
from allies.backoffice.services import thread_account_reopen
from allies.cart.models import Cart
from allies.chat.models import Conversation as ChatConversation
from allies.chat.models import Message as ChatMessage
from allies.invoices.models import Invoice
from allies.orders.models import Order, VendorOrder
from allies.privacy.models import Erasure
from allies.privacy.services import ErasureRefused, personal_data_erase, personal_data_export
from allies.support.errors import SupportError
from allies.support.models import Attachment, Message, Thread
from tests.factories import PASSWORD
from tests.orders.conftest import buy
from tests.privacy.conftest import login, unzip
from tests.support.conftest import staff_user

pytestmark = pytest.mark.django_db

HOME, EXPORT, ERASE, ERASED = (
    "/compte/donnees/",
    "/compte/donnees/telecharger/",
    "/compte/donnees/effacer/",
    "/compte/donnees/effacees/",
)


def snapshot(user) -> dict:
    """What a customer would notice changed: identity, address book, cart, messages, orders."""
    user.refresh_from_db()
    return {
        "user": (
            user.email,
            user.first_name,
            user.last_name,
            user.phone,
            user.is_active,
            user.newsletter_opt_in,
            user.password,
        ),  # fmt: skip
        "addresses": list(Address.objects.filter(user=user).values_list("street", flat=True)),
        "cart": Cart.objects.filter(customer=user).exists(),
        "messages": list(
            Message.objects.filter(thread__customer=user).values_list("body", flat=True)
        ),
        "attachments": Attachment.objects.filter(thread__customer=user).count(),
        "orders": list(
            Order.objects.filter(customer=user).values_list("reference", "delivery_address")
        ),
    }


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [HOME, EXPORT, ERASE])
def test_pages_need_a_login(client, path):
    # covers: ACC-8 (own data only; nothing identifies a customer in the path)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/connexion/")


def test_account_home_links_to_my_personal_data(client, people):
    html = login(client, people["luc"]).get("/compte/").content.decode()
    assert 'href="/compte/donnees/"' in html and "Mes données personnelles" in html


def test_page_lists_what_is_kept_and_what_is_erased(client, people, django_assert_max_num_queries):
    login(client, people["luc"])
    with django_assert_max_num_queries(20):
        response = client.get(HOME)
    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert "1 commande" in html and "1 facture" in html
    assert "Ce que la loi nous oblige à garder" in html and "10 ans" in html
    assert 'href="/compte/donnees/telecharger/"' in html
    assert 'href="/compte/donnees/effacer/"' in html


# --- download -------------------------------------------------------------------------------


def test_download_holds_every_piece_of_my_data_and_my_invoices(client, people):
    # covers: INV-1 (the invoices are in the archive), ACC-8
    luc, zoe = people["luc"], people["zoe"]
    response = login(client, luc).get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment;" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    archive = unzip(response)
    names = archive.namelist()
    data = json.loads(archive.read("mes-donnees.json"))
    assert data["account"]["email"] == luc.email
    assert data["account"]["phone"] == "0611223344"
    assert {a["street"] for a in data["addresses"]} == {"12 rue de la Paix", "8 rue Oberkampf"}
    assert data["newsletter"]["subscribed"] is True
    order = data["orders"][0]
    assert order["reference"] == people["luc_vo"].order.reference
    assert order["vendor_orders"][0]["lines"][0]["product"] == "Chemise Oxford bleue"
    assert order["vendor_orders"][0]["shipments"][0]["parcels"][0]["tracking_number"]
    assert order["payments"][0]["status"] == "Payé"
    invoice = Invoice.objects.get(vendor_order=people["luc_vo"])
    assert data["invoices"][0]["number"] == invoice.number
    pdf = archive.read(data["invoices"][0]["file"])
    assert pdf.startswith(b"%PDF")
    question = data["support_requests"][0]
    assert question["messages"][0]["text"].startswith("Je mesure 1,82 m")
    assert question["messages"][0]["from"] == "you"
    assert question["messages"][1]["text"] == "Oui, la taille M vous ira."
    photo = question["messages"][0]["attachments"][0]["file"]
    assert photo in names and archive.read(photo)[:2] == b"\xff\xd8"  # a JPEG
    assert data["cart"][0]["product"] == "Ceinture en cuir"
    assert data["emails_sent"] and all(e["subject"] for e in data["emails_sent"])
    assert "LISEZMOI.txt" in names
    # Nothing of Zoé's: neither her name, email, address, order, invoice nor message.
    everything = b"".join(archive.read(name) for name in names if not name.endswith(".pdf"))
    for hers in (zoe.email, "Durand", "quai Zola", "Zoé demande", people["zoe_vo"].order.reference):
        assert hers.encode() not in everything, hers
    zoe_invoice = Invoice.objects.get(vendor_order=people["zoe_vo"])
    assert not [n for n in names if zoe_invoice.number in n]


def test_download_runs_a_bounded_number_of_queries(
    client, people, market, django_assert_max_num_queries
):
    # covers: the speed rule (ARCHITECTURE.md): as many queries for 1 order as for 4
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, people["luc"])
    with CaptureQueriesContext(connection) as one:
        unzip(client.get(EXPORT))
    Cart.objects.filter(customer=people["luc"]).delete()  # buy() fills it with what it buys
    for _ in range(3):
        buy(market, [(market["belt"], 1), (market["wallet"], 1)], customer=people["luc"])
    with CaptureQueriesContext(connection) as four:
        unzip(client.get(EXPORT))
    assert len(four) == len(one)
    with django_assert_max_num_queries(25):
        unzip(client.get(EXPORT))
    with django_assert_max_num_queries(15):
        client.get(ERASE)


# --- erasure --------------------------------------------------------------------------------


def test_erasure_anonymises_me_keeps_orders_and_invoices_and_leaves_others_alone(
    client, people, settings, django_capture_on_commit_callbacks
):
    # covers: ACC-7 (no more login, no more email), INV-1 (invoices kept)
    luc, zoe = people["luc"], people["zoe"]
    original_email = luc.email
    zoe_before = snapshot(zoe)
    orders_before = snapshot(luc)["orders"]
    invoice = Invoice.objects.get(vendor_order=people["luc_vo"])
    photo = Attachment.objects.get(thread__customer=luc)
    photo_storage, photo_name = photo.file.storage, photo.file.name
    assert photo_storage.exists(photo_name)
    other_device = login(type(client)(), luc)  # a second session, elsewhere
    login(client, luc)
    assert "Effacer définitivement mes données" in unescape(client.get(ERASE).content.decode())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ERASE, {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == ERASED
    assert SESSION_KEY not in client.session
    assert "Vos données ont été effacées" in client.get(ERASED).content.decode()

    after = snapshot(luc)
    assert original_email not in after["user"][0] and after["user"][0].endswith(".invalid")
    assert after["user"][1:4] == ("", "", "")
    assert after["user"][4] is False and after["user"][5] is False
    assert after["addresses"] == [] and after["cart"] is False
    assert after["attachments"] == 0 and not photo_storage.exists(photo_name)
    assert all("1,82" not in body for body in after["messages"])
    assert "Oui, la taille M vous ira." in after["messages"]  # the vendor's answer stays
    # Kept: the orders with their addresses, the invoice and its PDF.
    assert after["orders"] == orders_before
    invoice.refresh_from_db()
    assert invoice.pdf.storage.exists(invoice.pdf.name)
    assert Erasure.objects.filter(user=luc).exists()
    # No more login, anywhere: the old password, the other device's session.
    assert not client.login(username=original_email, password=PASSWORD)
    page = client.post("/compte/connexion/", {"username": original_email, "password": PASSWORD})
    assert page.status_code == 200 and SESSION_KEY not in client.session
    assert "Aucun compte n'utilise cette adresse email" in unescape(page.content.decode())
    assert other_device.get(HOME).status_code == 302
    # One last email, to the address the customer had, after the commit.
    [confirmation] = [m for m in mail.outbox if original_email in m.to]
    assert "effacées" in confirmation.subject
    # Zoé keeps everything.
    assert snapshot(zoe) == zoe_before
    assert login(type(client)(), zoe).get(HOME).status_code == 200


def test_wrong_password_or_no_tick_changes_nothing(client, people):
    luc = people["luc"]
    before = snapshot(luc)
    login(client, luc)
    response = client.post(ERASE, {"password": "pas-le-bon", "confirm": "on"})
    assert response.status_code == 200
    assert "n'est pas le bon" in unescape(response.content.decode())
    response = client.post(ERASE, {"password": PASSWORD})
    assert "Cochez la case" in unescape(response.content.decode())
    assert snapshot(luc) == before
    assert not Erasure.objects.exists()


def test_erasure_refused_while_an_order_is_not_delivered(client, people, market):
    luc = people["luc"]
    Cart.objects.filter(customer=luc).delete()  # buy() fills the cart with what it buys
    order = buy(market, [(market["wallet"], 1)], customer=luc)
    before = snapshot(luc)
    login(client, luc)
    page = unescape(client.get(ERASE).content.decode())
    assert f"La commande {order.reference} n'est pas encore livrée." in page
    assert "Effacer définitivement" not in page  # no form to fill in vain
    response = client.post(ERASE, {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 409
    assert "Rien n'a été modifié" in unescape(response.content.decode())
    assert snapshot(luc) == before
    assert not Erasure.objects.exists()
    assert VendorOrder.objects.filter(order=order).exists()


def test_erasure_refused_while_a_return_is_open(people):
    # covers: RET-1 (an open return is still being handled)
    luc, vendor_order = people["luc"], people["luc_vo"]
    line = vendor_order.lines.get()
    import time_machine

    from tests.privacy.conftest import DELIVERED_AT

    with time_machine.travel(DELIVERED_AT, tick=False):
        return_request_open(
            customer=luc, vendor_order=vendor_order, quantities={line.pk: 1}, comment="Trop grand"
        )
    before = snapshot(luc)
    with pytest.raises(ErasureRefused) as refused:
        personal_data_erase(user=luc)
    assert "Un retour est en cours de traitement." in refused.value.reasons
    assert snapshot(luc) == before


def test_erasure_refused_for_a_vendor_member(people, market):
    vendor_user = market["verlaine_user"]
    with pytest.raises(ErasureRefused):
        personal_data_erase(user=vendor_user)
    vendor_user.refresh_from_db()
    assert vendor_user.is_active


def test_erasing_twice_is_harmless(people):
    luc = people["luc"]
    first = personal_data_erase(user=luc)
    again = personal_data_erase(user=luc)
    assert first.pk == again.pk
    assert Erasure.objects.count() == 1


def test_erasure_query_count_is_bounded(people, market, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    zoe = people["zoe"]
    with CaptureQueriesContext(connection) as few:
        personal_data_erase(user=zoe)
    luc = people["luc"]
    Cart.objects.filter(customer=luc).delete()  # buy() fills it with what it buys
    for _ in range(3):
        order = buy(market, [(market["belt"], 1)], customer=luc)
        VendorOrder.objects.filter(order=order).update(status=VendorOrder.Status.DELIVERED)
    with CaptureQueriesContext(connection) as many:
        personal_data_erase(user=luc)
    assert len(many) <= len(few) + 2  # attachments to delete add their own rows, not per order


def test_customer_service_cannot_reopen_an_erased_account(people):
    # covers: ACC-7 (an erased account stays closed: nobody can log in to it again)
    luc = people["luc"]
    thread = Thread.objects.get(customer=luc)
    personal_data_erase(user=luc)
    agent = staff_user("handle_thread", email="agent@allies.test")
    with pytest.raises(SupportError) as refused:
        thread_account_reopen(thread=thread, user=agent)
    assert refused.value.code == "erased_account"
    luc.refresh_from_db()
    assert not luc.is_active


def test_live_chat_is_exported_blocks_while_open_and_loses_my_words_when_erased(people):
    # covers: CS-3 (the chat's transcript is the customer's data too)
    luc, zoe = people["luc"], people["zoe"]
    mine = ChatConversation.objects.create(customer=luc)
    ChatMessage.objects.create(conversation=mine, author="customer", body="Mon code est 4821")
    ChatMessage.objects.create(conversation=mine, author="agent", body="Je regarde.")
    hers = ChatConversation.objects.create(customer=zoe)
    ChatMessage.objects.create(conversation=hers, author="customer", body="Zoé au chat")

    exported = personal_data_export(user=luc).data["live_chat"]
    assert [m["text"] for m in exported[0]["messages"]] == ["Mon code est 4821", "Je regarde."]
    assert "Zoé au chat" not in json.dumps(exported)

    with pytest.raises(ErasureRefused) as refused:
        personal_data_erase(user=luc)  # the conversation is still waiting for an agent
    assert any("discussion en direct" in reason for reason in refused.value.reasons)
    assert ChatMessage.objects.filter(body="Mon code est 4821").exists()

    ChatConversation.objects.filter(pk=mine.pk).update(status="closed")
    personal_data_erase(user=luc)
    bodies = list(mine.messages.order_by("id").values_list("body", flat=True))
    assert "Mon code est 4821" not in bodies and "Je regarde." in bodies
    assert ChatMessage.objects.filter(body="Zoé au chat").exists()
