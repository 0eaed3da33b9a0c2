"""Each invoice is "éditée et envoyée": the customer is emailed it when it is issued (INV-1).

Generated at shipment or uploaded by the vendor, the email links to "Ma facture" (the PDF
behind the customer's login); it leaves after the commit, once per invoice.
"""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from allies.invoices.models import Invoice
from allies.invoices.services import invoice_generate
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.shipments import vendor_order_ship
from tests.orders import conftest as orders_conftest
from tests.orders.conftest import TRACKING_1, buy, vendor_order_of

pytestmark = pytest.mark.django_db

market = orders_conftest.market  # the orders' test market, as a fixture


def _ship(market, vendor_order, capture):
    vendor = market["verlaine"]
    vendor_order_lines_decide(
        vendor_order=vendor_order,
        vendor=vendor,
        decisions={line.pk: "accept" for line in vendor_order.lines.all()},
    )
    mail.outbox.clear()
    with capture(execute=True):
        vendor_order_ship(
            vendor_order=vendor_order, vendor=vendor, carrier="colissimo", parcels=[TRACKING_1]
        )


def _invoice_emails():
    return [m for m in mail.outbox if "Votre facture" in m.subject or "invoice" in m.subject]


def test_the_invoice_generated_at_shipment_is_emailed_to_the_customer(
    market, django_capture_on_commit_callbacks
):
    # covers: INV-1 — "éditée et envoyée"
    order = buy(market, [(market["shirt"], 2)])
    vendor_order = vendor_order_of(order, market["verlaine"])
    _ship(market, vendor_order, django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get(vendor_order=vendor_order, kind=Invoice.Kind.INVOICE)
    [message] = _invoice_emails()
    assert message.to == [market["customer"].email]
    assert message.subject == f"Votre facture Maison Verlaine de la commande {order.reference}"
    body = " ".join(message.body.split())
    assert f"Facture n° {invoice.number} du" in body
    assert reverse("invoices:download", args=[vendor_order.pk]) in body
    html = message.alternatives[0][0]
    assert "Ma facture" in html and reverse("invoices:download", args=[vendor_order.pk]) in html

    # Asking for it again (the "Ma facture" click) issues nothing new and sends nothing more.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert invoice_generate(vendor_order=vendor_order) == invoice
    assert _invoice_emails() == []


def test_the_english_customer_reads_it_in_english(market, django_capture_on_commit_callbacks):
    # covers: INV-1, SITE-4
    customer = market["customer"]
    customer.language = "en"
    customer.save(update_fields=["language"])
    order = buy(market, [(market["shirt"], 1)])
    vendor_order = vendor_order_of(order, market["verlaine"])
    _ship(market, vendor_order, django_capture_on_commit_callbacks)
    [message] = _invoice_emails()
    assert message.subject == f"Your Maison Verlaine invoice for order {order.reference}"
    assert "has issued the invoice for your items" in message.body
    with translation.override("en"):
        link = reverse("invoices:download", args=[vendor_order.pk])
    assert link.startswith("/en/") and link in message.body
    assert " à " not in message.body


def test_nothing_is_sent_before_the_shipment_commits(market, django_capture_on_commit_callbacks):
    # covers: INV-1 — a shipment (and its invoice) rolled back announces nothing.
    order = buy(market, [(market["shirt"], 1)])
    vendor_order = vendor_order_of(order, market["verlaine"])
    vendor = market["verlaine"]
    vendor_order_lines_decide(
        vendor_order=vendor_order,
        vendor=vendor,
        decisions={line.pk: "accept" for line in vendor_order.lines.all()},
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        vendor_order_ship(
            vendor_order=vendor_order, vendor=vendor, carrier="colissimo", parcels=[TRACKING_1]
        )
    assert Invoice.objects.filter(vendor_order=vendor_order).exists()
    assert _invoice_emails() == [] and callbacks  # queued for the commit, not sent yet
