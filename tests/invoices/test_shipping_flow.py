"""The contract with shipping: bought, accepted, shipped through the real services → invoice.

Orders are placed and paid with the real checkout and sandbox bank (`tests.orders.conftest`),
then accepted, refused and shipped with `orders.acceptance` and `orders.shipments`, which call
`invoice_on_shipment` inside the shipment's transaction (INV-1).
"""

import pytest
from django.core import mail
from django.urls import reverse

from allies.invoices.models import Invoice, InvoiceRequest
from allies.invoices.services import vendor_invoicing_set
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.models import OrderLine
from allies.orders.shipments import vendor_order_ship
from tests.invoices.conftest import pdf_bytes, pdf_text
from tests.orders.conftest import (  # noqa: F401 - `market` is a fixture
    TRACKING_1,
    TRACKING_2,
    buy,
    lines_by_title,
    market,
    vendor_order_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_invoice_is_issued_once_all_shipped_without_the_refused_line(market, client):  # noqa: F811
    # covers: INV-1, INV-3
    order = buy(market, [(market["shirt"], 2), (market["belt"], 1)])
    vo = vendor_order_of(order, market["verlaine"])
    by_title = lines_by_title(vo)
    shirt, belt = by_title["Chemise Oxford bleue"], by_title["Ceinture en cuir"]
    vendor = market["verlaine"]
    vendor_order_lines_decide(
        vendor_order=vo, vendor=vendor,
        decisions={shirt.pk: "accept", belt.pk: ("refuse", "out_of_stock", "")},
    )  # fmt: skip
    vendor_order_ship(
        vendor_order=vo, vendor=vendor, carrier="colissimo", parcels=[TRACKING_1],
        lines={shirt.pk: 1},
    )  # fmt: skip
    assert not Invoice.objects.exists()  # partial shipment: still "En préparation"
    client.force_login(order.customer)
    url = reverse("invoices:download", args=[vo.pk])
    assert "en préparation" in client.get(url).content.decode()

    vendor_order_ship(vendor_order=vo, vendor=vendor, carrier="colissimo", parcels=[TRACKING_2])
    invoice = Invoice.objects.get(vendor_order=vo)
    vo.refresh_from_db()
    belt = OrderLine.objects.get(pk=belt.pk)
    assert belt.refunded_amount > 0
    assert invoice.total_ttc == vo.total - belt.refunded_amount
    text = pdf_text(pdf_bytes(invoice))
    assert "Chemise Oxford bleue" in text and "Ceinture en cuir" not in text
    assert f"Commande {order.reference}" in text
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == pdf_bytes(invoice)


def test_a_vendor_issuing_its_own_invoices_is_asked_for_it_after_shipping(
    market,  # noqa: F811
    client,
    django_capture_on_commit_callbacks,
):
    # covers: INV-1, INV-2
    vendor = market["brun"]
    vendor_invoicing_set(vendor=vendor, mode="uploaded")
    order = buy(market, [(market["wallet"], 1)])
    vo = vendor_order_of(order, vendor)
    vendor_order_lines_decide(
        vendor_order=vo, vendor=vendor, decisions={line.pk: "accept" for line in vo.lines.all()}
    )
    vendor_order_ship(vendor_order=vo, vendor=vendor, carrier="dpd", parcels=["12345678901234"])
    assert not Invoice.objects.exists()
    mail.outbox.clear()
    client.force_login(order.customer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("invoices:download", args=[vo.pk]))
    assert InvoiceRequest.objects.filter(vendor_order=vo).count() == 1
    assert [m.to for m in mail.outbox] == [[vendor.email]]
