"""The customer's order page: each vendor order's status timeline and "Expéditions" tab
(ORD-2, ORD-3); "Mes achats" shows each vendor order's status. Bounded queries."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.shipments import shipment_mark_delivered, vendor_order_ship
from tests.factories import UserFactory
from tests.orders.conftest import TRACKING_1, TRACKING_2, buy, lines_by_title, vendor_order_of

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(NBSP, " ")


def progressed(market):
    """Verlaine: accepted, shipped in two parcels, delivered. Brun: one line of two refused,
    the other still in preparation."""
    order = buy(market, [(market["shirt"], 1), (market["belt"], 1), (market["wallet"], 1)])
    verlaine = vendor_order_of(order, market["verlaine"])
    vendor_order_lines_decide(
        vendor_order=verlaine, vendor=market["verlaine"],
        decisions={line.pk: "accept" for line in verlaine.lines.all()},
    )  # fmt: skip
    shipment = vendor_order_ship(
        vendor_order=verlaine, vendor=market["verlaine"], carrier="colissimo",
        parcels=[TRACKING_1, TRACKING_2],
        estimated_delivery_date=timezone.localdate() + timedelta(days=2),
    )  # fmt: skip
    shipment_mark_delivered(shipment=shipment, at=timezone.now(), source="carrier")
    return order


def test_the_order_page_shows_timelines_shipments_and_refunds(client, market):
    # covers: ORD-2, ORD-3, CAT-5
    order = buy(market, [(market["shirt"], 1), (market["belt"], 1), (market["wallet"], 2)])
    verlaine = vendor_order_of(order, market["verlaine"])
    vendor_order_lines_decide(
        vendor_order=verlaine, vendor=market["verlaine"],
        decisions={line.pk: "accept" for line in verlaine.lines.all()},
    )  # fmt: skip
    estimate = timezone.localdate() + timedelta(days=2)
    shipment = vendor_order_ship(
        vendor_order=verlaine, vendor=market["verlaine"], carrier="colissimo",
        parcels=[TRACKING_1, TRACKING_2], estimated_delivery_date=estimate,
    )  # fmt: skip
    brun = vendor_order_of(order, market["brun"])
    (wallet,) = brun.lines.all()
    vendor_order_lines_decide(
        vendor_order=brun, vendor=market["brun"],
        decisions={wallet.pk: ("refuse", "out_of_stock", "")},
    )  # fmt: skip
    client.force_login(market["customer"])
    html = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    text = text_of(html)
    assert "Vendu par Maison Verlaine" in text and "Expédiée" in text
    assert "Commande validée" in text and "Acceptée par le vendeur" in text
    assert "Expéditions" in text and "Colissimo" in text
    assert "Colis 1/2" in text and "Colis 2/2" in text
    for number in (TRACKING_1, TRACKING_2):
        assert f'href="https://www.laposte.fr/outils/suivre-vos-envois?code={number}"' in html
    assert "livraison estimée le" in text
    # The refused line, with what was given back; the vendor order is refused.
    assert "Refusée par le vendeur" in text
    assert "Refusé par le vendeur (Rupture de stock) : remboursé 90,00 €" in text
    assert "Remboursé sur votre carte" in text
    # Delivered later: the date shows.
    shipment_mark_delivered(shipment=shipment, at=timezone.now(), source="carrier")
    text = text_of(client.get(reverse("orders:detail", args=[order.reference])).content.decode())
    assert "Livrée" in text and "Livré le" in text


def test_the_order_page_does_a_bounded_number_of_queries(client, market):
    # covers: ORD-2
    client.force_login(market["customer"])
    small = progressed(market)
    url = reverse("orders:detail", args=[small.reference])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    # A bigger order: more lines, more shipments, more parcels, more events.
    big = buy(market, [(market["shirt"], 3), (market["belt"], 2), (market["wallet"], 1)])
    verlaine = vendor_order_of(big, market["verlaine"])
    by_title = lines_by_title(verlaine)
    vendor_order_lines_decide(
        vendor_order=verlaine, vendor=market["verlaine"],
        decisions={line.pk: "accept" for line in verlaine.lines.all()},
    )  # fmt: skip
    for index in range(3):
        vendor_order_ship(
            vendor_order=verlaine, vendor=market["verlaine"], carrier="colissimo",
            parcels=[f"6B1234567890{index}", f"6C1234567890{index}"],
            lines={by_title["Chemise Oxford bleue"].pk: 1},
        )  # fmt: skip
    big_url = reverse("orders:detail", args=[big.reference])
    client.get(big_url)
    with CaptureQueriesContext(connection) as many:
        assert client.get(big_url).status_code == 200
    assert len(many) == len(few) <= 12


def test_another_customer_gets_404(client, market):
    # covers: ORD-2, ACC-8
    order = progressed(market)
    client.force_login(UserFactory())
    assert client.get(reverse("orders:detail", args=[order.reference])).status_code == 404


def test_my_purchases_shows_each_vendor_orders_status(
    client, market, django_assert_max_num_queries
):
    # covers: ORD-2, ACC-8
    order = progressed(market)
    client.force_login(market["customer"])
    with django_assert_max_num_queries(10):
        html = client.get(reverse("orders:purchases")).content.decode()
    text = text_of(html)
    assert order.reference in text
    assert "Maison Verlaine · Livrée" in text and "livrée le" in text
    assert "Atelier Brun · En préparation" in text
