"""Vendors ship accepted units with a carrier, tracking numbers and parcels (ORD-1, ORD-3,
ORD-8, CAT-5, Mirakl OR23/OR24)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from allies.core import hooks
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.events import Actor
from allies.orders.models import OrderEvent, Parcel, Shipment, VendorOrder
from allies.orders.shipments import vendor_order_ship
from allies.orders.vendor_side import FulfilmentError, VendorOrderNotFound
from tests.orders.conftest import (
    TRACKING_1,
    TRACKING_2,
    TRACKING_3,
    buy,
    lines_by_title,
    vendor_order_of,
)

pytestmark = pytest.mark.django_db


def shipped_mails():
    return [m for m in mail.outbox if "expédiée" in m.subject]


def accepted(market, items, vendor_key="verlaine"):
    order = buy(market, items)
    vendor_order = vendor_order_of(order, market[vendor_key])
    vendor_order_lines_decide(
        vendor_order=vendor_order,
        vendor=market[vendor_key],
        decisions={line.pk: "accept" for line in vendor_order.lines.all()},
    )
    vendor_order.refresh_from_db()
    return vendor_order


def test_shipping_in_two_parcels_with_tracking(market):
    # covers: ORD-3, CAT-5, ORD-1, ORD-8
    vendor_order = accepted(market, [(market["shirt"], 1), (market["belt"], 1)])
    estimate = timezone.localdate() + timedelta(days=3)
    shipment = vendor_order_ship(
        vendor_order=vendor_order,
        vendor=market["verlaine"],
        carrier="colissimo",
        parcels=[TRACKING_1, " 6a1234-5678902 "],  # typed loosely: normalised
        estimated_delivery_date=estimate,
        actor=Actor.vendor_user(market["verlaine_user"]),
    )
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.SHIPPED
    assert vendor_order.get_status_display() == "Expédiée"
    assert vendor_order.mirakl_state == "SHIPPED" and vendor_order.shipped_at
    assert shipment.vendor_id == market["verlaine"].pk and shipment.carrier == "colissimo"
    assert shipment.created_by == market["verlaine_user"]
    assert shipment.estimated_delivery_date == estimate
    parcels = list(shipment.parcels.all())
    assert [p.label for p in parcels] == ["Colis 1/2", "Colis 2/2"]
    assert [p.tracking_number for p in parcels] == [TRACKING_1, TRACKING_2]
    assert parcels[0].tracking_url == (
        f"https://www.laposte.fr/outils/suivre-vos-envois?code={TRACKING_1}"
    )
    assert sorted(sl.quantity for sl in shipment.lines.all()) == [1, 1]
    kinds = OrderEvent.objects.filter(vendor_order=vendor_order).values_list("kind", flat=True)
    assert [k for k in kinds if k.startswith("ship")] == ["shipment_created", "shipped"]
    # One email for the shipment: carrier, a tracking link per parcel, the estimated date.
    (message,) = shipped_mails()
    assert message.to == [market["customer"].email]
    assert vendor_order.order.reference in message.subject
    body = message.body
    assert "Colissimo" in body
    assert f"Colis 1/2 : https://www.laposte.fr/outils/suivre-vos-envois?code={TRACKING_1}" in body
    assert f"Colis 2/2 : https://www.laposte.fr/outils/suivre-vos-envois?code={TRACKING_2}" in body
    assert "Livraison estimée" in body and str(estimate.day) in body
    html = message.alternatives[0][0]
    assert f'href="https://www.laposte.fr/outils/suivre-vos-envois?code={TRACKING_2}"' in html


def test_a_partial_shipment_then_the_rest(market):
    # covers: ORD-1, ORD-2, ORD-8
    vendor_order = accepted(market, [(market["shirt"], 2), (market["belt"], 1)])
    by_title = lines_by_title(vendor_order)
    shirt, belt = by_title["Chemise Oxford bleue"], by_title["Ceinture en cuir"]
    vendor = market["verlaine"]
    first = vendor_order_ship(
        vendor_order=vendor_order, vendor=vendor, carrier="colissimo", parcels=[TRACKING_1],
        lines={shirt.pk: 1},
    )  # fmt: skip
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.PARTIALLY_SHIPPED
    assert vendor_order.mirakl_state == "SHIPPING" and vendor_order.shipped_at is None
    # The estimate defaults to the vendor's promised latest date.
    assert first.estimated_delivery_date == vendor_order.delivery_max_date
    assert "une partie" in mail.outbox[-1].subject
    # Never more than accepted minus shipped.
    with pytest.raises(FulfilmentError) as error:
        vendor_order_ship(
            vendor_order=vendor_order, vendor=vendor, carrier="colissimo", parcels=[TRACKING_2],
            lines={shirt.pk: 2},
        )  # fmt: skip
    assert "Il reste 1" in error.value.message
    second = vendor_order_ship(
        vendor_order=vendor_order, vendor=vendor, carrier="dpd", parcels=["12345678901234"]
    )
    assert {(sl.order_line_id, sl.quantity) for sl in second.lines.all()} == {
        (shirt.pk, 1),
        (belt.pk, 1),
    }
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.SHIPPED
    # An email per shipment.
    assert len([m for m in mail.outbox if vendor_order.order.reference in m.subject
                and "expédiée" in m.subject]) == 2  # fmt: skip
    with pytest.raises(FulfilmentError):
        vendor_order_ship(
            vendor_order=vendor_order, vendor=vendor, carrier="colissimo", parcels=[TRACKING_3]
        )


def test_refused_lines_never_ship(market):
    # covers: ORD-8
    order = buy(market, [(market["shirt"], 1), (market["belt"], 1)])
    vendor_order = vendor_order_of(order, market["verlaine"])
    by_title = lines_by_title(vendor_order)
    vendor = market["verlaine"]
    with pytest.raises(FulfilmentError) as error:
        vendor_order_ship(
            vendor_order=vendor_order, vendor=vendor, carrier="colissimo", parcels=[TRACKING_1]
        )
    assert "Acceptez ou refusez" in error.value.message
    vendor_order_lines_decide(
        vendor_order=vendor_order, vendor=vendor,
        decisions={by_title["Chemise Oxford bleue"].pk: "accept",
                   by_title["Ceinture en cuir"].pk: ("refuse", "out_of_stock", "")},
    )  # fmt: skip
    with pytest.raises(FulfilmentError) as error:
        vendor_order_ship(
            vendor_order=vendor_order, vendor=vendor, carrier="colissimo", parcels=[TRACKING_1],
            lines={by_title["Ceinture en cuir"].pk: 1},
        )  # fmt: skip
    assert "n'a pas été accepté" in error.value.message
    shipment = vendor_order_ship(
        vendor_order=vendor_order, vendor=vendor, carrier="colissimo", parcels=[TRACKING_1]
    )
    assert [sl.order_line.product_title for sl in shipment.lines.all()] == ["Chemise Oxford bleue"]
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.SHIPPED


@pytest.mark.parametrize(
    ("carrier", "parcels", "message"),
    [
        ("colissimo", [TRACKING_1, "12AB"], "Colis 2/2 : Ce numéro de suivi ne correspond pas"),
        ("ups", ["6A12345678901"], "format de UPS"),
        ("pigeon", [TRACKING_1], "transporteur de la liste"),
        ("colissimo", [], "au moins un numéro de suivi"),
        ("colissimo", [TRACKING_1, "", TRACKING_2], "Colis 2/3 : indiquez le numéro"),
        ("colissimo", [TRACKING_1, TRACKING_1], "indiqué deux fois"),
    ],
)
def test_bad_carrier_or_tracking_numbers_are_refused_with_a_clear_message(
    market, carrier, parcels, message
):
    # covers: ORD-3, ORD-8
    vendor_order = accepted(market, [(market["shirt"], 1)])
    with pytest.raises(FulfilmentError) as error:
        vendor_order_ship(
            vendor_order=vendor_order, vendor=market["verlaine"], carrier=carrier, parcels=parcels
        )
    assert message in error.value.message
    assert not Shipment.objects.exists() and not Parcel.objects.exists()
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.TO_SHIP
    assert shipped_mails() == []


def test_a_tracking_number_already_used_is_refused(market):
    # covers: ORD-3
    first = accepted(market, [(market["shirt"], 1)])
    second = accepted(market, [(market["belt"], 1)])
    vendor = market["verlaine"]
    vendor_order_ship(vendor_order=first, vendor=vendor, carrier="colissimo", parcels=[TRACKING_1])
    with pytest.raises(FulfilmentError) as error:
        vendor_order_ship(
            vendor_order=second, vendor=vendor, carrier="colissimo", parcels=[TRACKING_1]
        )
    assert "déjà utilisé" in error.value.message


def test_a_past_estimated_date_is_refused(market):
    vendor_order = accepted(market, [(market["shirt"], 1)])
    with pytest.raises(FulfilmentError) as error:
        vendor_order_ship(
            vendor_order=vendor_order, vendor=market["verlaine"], carrier="colissimo",
            parcels=[TRACKING_1], estimated_delivery_date=timezone.localdate() - timedelta(days=1),
        )  # fmt: skip
    assert "passée" in error.value.message


def test_a_vendor_cannot_ship_another_vendors_order(market):
    # covers: ORD-8
    vendor_order = accepted(market, [(market["shirt"], 1)])
    with pytest.raises(VendorOrderNotFound):
        vendor_order_ship(
            vendor_order=vendor_order, vendor=market["brun"], carrier="colissimo",
            parcels=[TRACKING_1],
        )  # fmt: skip
    assert not Shipment.objects.exists()
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.TO_SHIP


def test_every_shipment_calls_the_shipped_hook_in_its_transaction(market, monkeypatch):
    # covers: INV-1 (the invoices app hears of each shipment; it invoices once "Expédiée")
    calls = []

    def receiver(*, vendor_order, shipment):
        calls.append((vendor_order.status, transaction.get_connection().in_atomic_block))
        assert Shipment.objects.filter(pk=shipment.pk).exists()

    monkeypatch.setitem(hooks._receivers, "vendor_order_shipped", [receiver])
    vendor_order = accepted(market, [(market["shirt"], 2)])
    (line,) = vendor_order.lines.all()
    vendor_order_ship(
        vendor_order=vendor_order, vendor=market["verlaine"], carrier="colissimo",
        parcels=[TRACKING_1], lines={line.pk: 1},
    )  # fmt: skip
    vendor_order_ship(
        vendor_order=vendor_order, vendor=market["verlaine"], carrier="colissimo",
        parcels=[TRACKING_2],
    )  # fmt: skip
    assert calls == [("partially_shipped", True), ("shipped", True)]


def test_a_failing_shipped_hook_undoes_the_shipment(market, monkeypatch):
    def receiver(*, vendor_order, shipment):
        raise RuntimeError("invoice numbering unavailable")

    monkeypatch.setitem(hooks._receivers, "vendor_order_shipped", [receiver])
    vendor_order = accepted(market, [(market["shirt"], 1)])
    with pytest.raises(RuntimeError):
        vendor_order_ship(
            vendor_order=vendor_order, vendor=market["verlaine"], carrier="colissimo",
            parcels=[TRACKING_1],
        )  # fmt: skip
    assert not Shipment.objects.exists()
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.TO_SHIP
    assert shipped_mails() == []


def test_the_invoices_app_listens_to_shipments():
    # covers: INV-1 (wired in allies.invoices.apps, not imported by the orders app)
    assert hooks.hook_receivers("vendor_order_shipped")
