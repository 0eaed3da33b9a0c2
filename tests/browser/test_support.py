""" "Assistance en ligne" in Chromium (issue 10, "Tests"): a pre-sale question answered in
the vendor portal and replied to by email through the inbound SMTP listener; a request on
an order the vendor lets run past its 48 h, handed to the customer service, which refunds an
article from its console.

Emails are read from `mail.outbox`: the live server commits for real, so the outbox's
on-commit delivery runs (inline task backend) before the page that sent them is shown.
"""

import re
import smtplib
from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.utils import formats, timezone

from allies.catalog.services import product_summaries_refresh
from allies.ledger.models import LedgerEntry
from allies.orders.models import OrderLine
from allies.payments.models import Refund
from allies.shipping.models import ShippingRate
from allies.support.emails import reply_address
from allies.support.models import Channel, Message, Thread
from allies.support.states import ThreadStage
from tests.factories import (
    PASSWORD,
    AddressFactory,
    OfferFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    VendorFactory,
    VendorMembershipFactory,
)
from tests.orders.conftest import assert_ledger_balanced, buy
from tests.support.test_smtp import listening

RELAYED = re.compile(r"^reponse\+[0-9a-f]{32}@allies\.test$")
# The role of the console's backoffice data migration. Browser tests run on a flushed
# database (transactional_db), where a data migration's rows are gone: the group is made
# again here with its permission, as the migration makes it.
AGENTS = "Agents du service client"


def _offer(vendor, title, price):
    product = ProductFactory(title=title, weight_grams=300)
    offer = OfferFactory(
        vendor=vendor, variant=VariantFactory(product=product), price=Decimal(price), stock=5
    )
    product_summaries_refresh(product_ids=[product.pk])
    return offer


@pytest.fixture
def shop(transactional_db, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "support": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "support")},
        },
    }
    verlaine = VendorFactory(
        name="Maison Verlaine",
        email="contact@verlaine.test",
        order_email_recipients="commandes@verlaine.test",
    )
    ShippingRate.objects.create(
        vendor=verlaine, mode="home", zone="FR", carrier="colissimo",
        base_fee=Decimal("7.00"), min_days=2, max_days=4,
    )  # fmt: skip
    customer = UserFactory(email="luc@example.test", first_name="Luc", last_name="Martin")
    agents, _created = Group.objects.get_or_create(name=AGENTS)
    agents.permissions.add(
        Permission.objects.get(content_type__app_label="support", codename="handle_thread")
    )
    agent = UserFactory(
        email="ines@allies.test", first_name="Inès", last_name="Agent", is_staff=True
    )
    agent.groups.add(agents)
    return {
        "verlaine": verlaine,
        "vendor_user": VendorMembershipFactory(
            vendor=verlaine, user=UserFactory(email="marc@verlaine.test", first_name="Marc")
        ).user,
        "customer": customer,
        "address": AddressFactory(user=customer, recipient="Luc Martin", is_default=True),
        "agent": agent,
        "shirt": _offer(verlaine, "Chemise Oxford bleue", "59.90"),
        "belt": _offer(verlaine, "Ceinture en cuir", "35.00"),
    }


def _logged_in(browser, live_server, email, page=None):
    """A browser context of its own for `email` (the vendor, the agent), logged in through
    the login form."""
    if page is None:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.base_url = live_server.url
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse email").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/compte/")
    return page


def _emails_to(address):
    return [m for m in mail.outbox if address in m.to]


def _headers_and_body(email):
    """Everything the recipient's mail client shows: headers, text and HTML."""
    return email.message().as_string() + "".join(
        content for content, _type in getattr(email, "alternatives", [])
    )


def _when(moment, fmt="WEEKDAY_DATETIME_FORMAT"):
    return formats.date_format(timezone.localtime(moment), fmt)


def test_pre_sale_question_answered_in_the_portal_and_replied_to_by_email(
    page, browser, live_server, shop
):
    # covers: CAT-4, VEN-2, CS-1
    customer = _logged_in(browser, live_server, "luc@example.test", page=page)
    customer.goto(live_server.url + shop["shirt"].variant.product.get_absolute_url())
    customer.get_by_role("link", name="Posez une question — Maison Verlaine").click()
    customer.get_by_role("heading", name="Posez une question").wait_for()
    customer.get_by_label("Objet").select_option(label="Taille et coupe")
    customer.get_by_label("Votre message").fill(
        "Bonjour, je mesure 1,82 m pour 75 kg : la taille L de cette chemise me conviendra-t-elle ?"
    )
    customer.get_by_role("button", name="Envoyer un message").click()
    customer.get_by_text("Le vendeur vous répondra au plus tard le").first.wait_for()
    thread = Thread.objects.get()
    assert thread.vendor == shop["verlaine"] and thread.product == shop["shirt"].variant.product
    assert thread.stage == ThreadStage.WAITING_VENDOR
    assert customer.get_by_text(_when(thread.vendor_due_at)).first.is_visible()

    # The vendor is told by email through the relay: no customer address anywhere.
    (to_vendor,) = _emails_to("commandes@verlaine.test")
    assert RELAYED.match(to_vendor.message()["Reply-To"])
    assert "luc@example.test" not in _headers_and_body(to_vendor)

    # The vendor answers in the portal's Messages.
    seller = _logged_in(browser, live_server, "marc@verlaine.test")
    seller.goto(live_server.url + "/vendeur/")
    seller.get_by_test_id("nav-messages").click()
    seller.get_by_role("link", name=thread.title).click()
    seller.get_by_role("heading", name=thread.title, exact=True).wait_for()
    assert seller.get_by_text("je mesure 1,82 m").is_visible()
    assert "luc@example.test" not in seller.content()
    mail.outbox.clear()
    seller.get_by_label("Votre réponse").fill(
        "Bonjour Luc, la coupe est ajustée : prenez la taille L, ou XL pour plus d'aisance."
    )
    seller.get_by_role("button", name="Envoyer un message").click()
    seller.get_by_text("Réponse envoyée : le client la reçoit par e-mail.").wait_for()
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.ANSWERED

    # The customer gets the answer by email; replying goes to the thread's relayed address,
    # never to one of the vendor's own addresses.
    (answer,) = _emails_to("luc@example.test")
    reply_to = answer.message()["Reply-To"]
    assert RELAYED.match(reply_to) and reply_to == reply_address(thread)
    shown = _headers_and_body(answer)
    assert "prenez la taille L" in shown
    for own in ("contact@verlaine.test", "commandes@verlaine.test", "marc@verlaine.test"):
        assert own not in shown

    # The customer replies from their mailbox; the mail server hands it to the listener.
    email = EmailMessage()
    email["From"] = "Luc Martin <luc@example.test>"
    email["To"] = reply_to
    email["Subject"] = "Re: " + answer.subject
    email["Message-ID"] = "<reponse-luc-1@example.test>"
    email["In-Reply-To"] = answer.message()["Message-ID"] or "<inconnu@allies.test>"
    quoted = "\n".join("> " + line for line in answer.body.splitlines())
    email.set_content(
        "Merci, je prends donc la taille L.\n\n"
        f"Le {_when(timezone.now(), 'DATETIME_FORMAT')}, Les Alliés a écrit :\n{quoted}\n"
    )
    mail.outbox.clear()
    with listening() as server, smtplib.SMTP("127.0.0.1", server.port, timeout=10) as smtp:
        assert smtp.send_message(email) == {}
    posted = Message.objects.get(thread=thread, channel=Channel.EMAIL)
    assert posted.body == "Merci, je prends donc la taille L."
    assert posted.author_id == shop["customer"].pk
    # The vendor is told of the reply, through the relay again.
    (relayed,) = _emails_to("commandes@verlaine.test")
    assert "luc@example.test" not in _headers_and_body(relayed)

    # The reply is in the portal's thread, marked as received by email.
    seller.reload()
    reply = seller.locator("li.thread-msg-customer", has_text="Merci, je prends donc la taille L.")
    reply.wait_for()
    assert "par e-mail" in reply.inner_text()
    assert "Le " not in reply.locator(".thread-msg-body").inner_text()  # the quote is cut
    seller.context.close()


def test_a_request_left_unanswered_is_escalated_and_refunded_from_the_console(
    page, browser, live_server, shop, time_machine
):
    # covers: ORD-7, CS-1, CS-2, CS-5, PAY-2
    order = buy(
        shop, [(shop["shirt"], 1), (shop["belt"], 1)],
        customer=shop["customer"], address=shop["address"],
    )  # fmt: skip
    customer = _logged_in(browser, live_server, "luc@example.test", page=page)

    # "Mes achats" → the order → "Assistance en ligne": motif, "Écrire le message", send.
    customer.goto(live_server.url + f"/compte/achats/{order.reference}/")
    customer.get_by_role("link", name="Assistance en ligne", exact=True).click()
    customer.get_by_role("heading", name="Assistance en ligne").wait_for()
    assert customer.get_by_label("Elle concerne ma commande").is_checked()
    customer.get_by_label("Objet").select_option(
        label="Modification de la commande ou de l'adresse de livraison"
    )
    customer.get_by_role("button", name="Écrire le message").click()
    customer.get_by_label("Votre message").fill(
        "Bonjour, pouvez-vous retirer la ceinture de ma commande ? Je garde la chemise."
    )
    customer.get_by_role("button", name="Envoyer un message").click()
    customer.get_by_text("Le vendeur vous répondra au plus tard le").first.wait_for()
    thread = Thread.objects.get()
    assert thread.order == order and thread.stage == ThreadStage.WAITING_VENDOR
    assert customer.get_by_role("button", name="Non").count() == 0  # too early to escalate

    # 49 hours later, no answer: the live server's clock moves too (same process).
    vendor_due_at = thread.vendor_due_at
    time_machine.move_to(vendor_due_at + timedelta(hours=1), tick=True)
    customer.goto(live_server.url + f"/compte/achats/{order.reference}/assistance/")
    assert customer.get_by_text("Le vendeur devait vous répondre au plus tard le").is_visible()
    follow_up = customer.get_by_role(
        "group", name="Votre demande est-elle en cours de traitement ou résolue ?"
    )
    follow_up.get_by_role("button", name="Non").click()
    customer.get_by_text("Votre demande est transmise au service client Les Alliés").wait_for()
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.ESCALATED
    assert thread.operator_due_at == thread.escalated_at + timedelta(hours=24)
    assert thread.escalated_at > vendor_due_at  # the travelled clock
    assert customer.get_by_text(_when(thread.operator_due_at)).first.is_visible()

    # The agent finds it in the console's queue, with the 24 h deadline.
    agent = _logged_in(browser, live_server, "ines@allies.test")
    agent.goto(live_server.url + "/service-client/")
    row = agent.locator("table.bo-queue tbody tr", has_text=f"n° {thread.pk}")
    assert row.count() == 1
    assert timezone.localtime(thread.operator_due_at).strftime("%d/%m %H:%M") in row.inner_text()
    assert "En retard" not in row.inner_text()
    row.get_by_role("link").click()
    due = _when(thread.operator_due_at, "DATETIME_FORMAT")
    agent.get_by_text(f"Le service client doit intervenir avant le {due}.").wait_for()

    # The agent refunds the belt.
    mail.outbox.clear()
    agent.get_by_label(re.compile(r"Ceinture en cuir")).check()
    agent.get_by_label("Motif du remboursement").fill("Article retiré à la demande du client")
    agent.get_by_role("button", name="Rembourser", exact=True).click()
    agent.get_by_text("le client et le vendeur sont prévenus").wait_for()
    belt = OrderLine.objects.get(product_title="Ceinture en cuir")
    refund = Refund.objects.get()
    assert belt.refunded_at is not None and belt.refund == refund
    assert refund.status == Refund.Status.SUCCEEDED
    amount = f"{refund.amount:.2f}".replace(".", ",")
    assert amount in agent.locator(".messages").inner_text()
    assert agent.get_by_text(re.compile(r"remboursé " + re.escape(amount))).is_visible()

    # The customer and the vendor are emailed, each through the relay.
    (to_customer,) = _emails_to("luc@example.test")
    (to_vendor,) = _emails_to("commandes@verlaine.test")
    assert amount in to_customer.body and "Ceinture en cuir" in to_customer.body
    assert "Ceinture en cuir" in to_vendor.body
    assert "commandes@verlaine.test" not in _headers_and_body(to_customer)
    assert "luc@example.test" not in _headers_and_body(to_vendor)
    for email in (to_customer, to_vendor):
        assert RELAYED.match(email.message()["Reply-To"])

    # The ledger reverses the refunded sale, and the vendor's statement shows it.
    entries = LedgerEntry.objects.filter(refund=refund)
    kinds = set(entries.values_list("kind", flat=True))
    assert LedgerEntry.Kind.REFUND_SALE in kinds
    assert sum(e.amount + e.operator_amount for e in entries) == -refund.amount
    assert_ledger_balanced(order)
    seller = _logged_in(browser, live_server, "marc@verlaine.test")
    seller.goto(live_server.url + "/vendeur/releve/")
    refund_rows = seller.locator("tr.ledger-refund_sale", has_text=order.reference)
    assert refund_rows.count() >= 1
    assert "Remboursement d'articles" in refund_rows.first.inner_text()
    seller.context.close()
    agent.context.close()
