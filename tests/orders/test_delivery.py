"""Delivery: carrier tracking webhooks (signed, idempotent), the simulated carrier, and the
vendor's confirmation. "Livrée" stores the date the withdrawal window starts from (ORD-2)."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.carrier_simulation import carrier_simulate_deliveries
from allies.orders.events import Actor
from allies.orders.models import OrderEvent, Parcel, Shipment, VendorOrder
from allies.orders.shipments import (
    shipment_mark_delivered,
    vendor_order_mark_delivered,
    vendor_order_ship,
)
from allies.orders.vendor_side import FulfilmentError, VendorOrderNotFound
from allies.shipping.tracking import SIGNATURE_HEADER, signature_for
from tests.orders.conftest import TRACKING_1, TRACKING_2, buy, vendor_order_of

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
SECRET = "test-carrier-secret"
URL = "/transporteurs/simulated/webhook/"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.CARRIER_WEBHOOK_SECRETS = {"simulated": SECRET}


def shipped(market, parcels=(TRACKING_1, TRACKING_2)):
    order = buy(market, [(market["shirt"], 1), (market["belt"], 1)])
    vendor_order = vendor_order_of(order, market["verlaine"])
    vendor_order_lines_decide(
        vendor_order=vendor_order,
        vendor=market["verlaine"],
        decisions={line.pk: "accept" for line in vendor_order.lines.all()},
    )
    shipment = vendor_order_ship(
        vendor_order=vendor_order, vendor=market["verlaine"], carrier="colissimo",
        parcels=list(parcels),
    )  # fmt: skip
    return vendor_order, shipment


def post(client, events, *, secret=SECRET, signature=None):
    body = json.dumps({"events": events}).encode()
    headers = {}
    if signature is not False:
        headers[SIGNATURE_HEADER] = signature or signature_for(body, secret)
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def event(number, kind, at):
    return {"tracking_number": number, "carrier": "colissimo", "event": kind, "at": at.isoformat()}


def test_the_webhook_route_is_the_one_carriers_are_given():
    assert reverse("carriers:carrier_webhook", args=["simulated"]) == URL


def test_a_signed_delivery_event_for_every_parcel_delivers_the_vendor_order(client, market):
    # covers: ORD-2, ORD-8
    vendor_order, shipment = shipped(market)
    first = shipment.shipped_at + timedelta(seconds=10)
    second = first + timedelta(seconds=20)
    response = post(client, [event(TRACKING_1, "delivered", first)])
    assert response.status_code == 200 and response.json()["applied"] == 1
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.SHIPPED  # one parcel of two
    response = post(client, [event(TRACKING_2, "delivered", second)])
    assert response.json() == {"applied": 1, "duplicates": 0, "unknown": 0}
    vendor_order.refresh_from_db()
    shipment.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.DELIVERED
    assert vendor_order.get_status_display() == "Livrée"
    assert vendor_order.mirakl_state == "RECEIVED"
    assert vendor_order.delivered_at == second == shipment.delivered_at
    assert shipment.delivery_source == "carrier"
    assert OrderEvent.objects.filter(vendor_order=vendor_order, kind="delivered").count() == 1


def test_the_same_event_twice_changes_nothing(client, market):
    # covers: ORD-2
    vendor_order, shipment = shipped(market)
    at = shipment.shipped_at + timedelta(seconds=30)
    events = [event(TRACKING_1, "delivered", at), event(TRACKING_2, "delivered", at)]
    assert post(client, events).json()["applied"] == 2
    before = OrderEvent.objects.count()
    vendor_order.refresh_from_db()
    updated = vendor_order.updated_at
    assert post(client, events).json() == {"applied": 0, "duplicates": 2, "unknown": 0}
    assert OrderEvent.objects.count() == before
    vendor_order.refresh_from_db()
    assert vendor_order.updated_at == updated and vendor_order.delivered_at == at


@pytest.mark.parametrize(
    "signature", [False, "sha256=" + "0" * 64, "not-a-signature", "wrong-secret"]
)
def test_a_bad_signature_is_refused_and_changes_nothing(client, market, signature):
    # covers: ORD-8
    vendor_order, _shipment = shipped(market)
    at = timezone.now() - timedelta(minutes=1)
    events = [event(TRACKING_1, "delivered", at), event(TRACKING_2, "delivered", at)]
    if signature == "wrong-secret":
        response = post(client, events, secret="guessed")
    else:
        response = post(client, events, signature=signature)
    assert response.status_code == 403
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.SHIPPED
    assert not Parcel.objects.filter(delivered_at__isnull=False).exists()


def test_no_secret_configured_means_no_request_is_accepted(client, market, settings):
    settings.CARRIER_WEBHOOK_SECRETS = {}
    settings.DEBUG = False
    shipped(market)
    at = timezone.now() - timedelta(minutes=1)
    assert post(client, [event(TRACKING_1, "delivered", at)], secret="").status_code == 403


def test_malformed_or_unknown_requests(client, market):
    shipped(market)
    body = b"{not json"
    headers = {SIGNATURE_HEADER: signature_for(body, SECRET)}
    response = client.post(URL, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 400
    bad_event = [{"tracking_number": TRACKING_1, "event": "teleported", "at": "2026-01-01T10:00"}]
    assert post(client, bad_event).status_code == 400
    assert client.get(URL).status_code == 405
    response = client.post(
        "/transporteurs/pigeon/webhook/", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404
    unknown = [event("9Z99999999999", "delivered", timezone.now())]
    assert post(client, unknown).json() == {"applied": 0, "duplicates": 0, "unknown": 1}


def test_transit_events_move_forward_only(client, market):
    # covers: ORD-3
    vendor_order, shipment = shipped(market)
    later = shipment.shipped_at + timedelta(minutes=5)
    post(client, [event(TRACKING_1, "out_for_delivery", later)])
    # An older event arriving late does not overwrite the newer one.
    response = post(client, [event(TRACKING_1, "in_transit", later - timedelta(minutes=3))])
    assert response.json()["duplicates"] == 1
    parcel = Parcel.objects.get(tracking_number=TRACKING_1)
    assert parcel.tracking_status == "out_for_delivery"
    assert parcel.tracking_status_label == "En cours de livraison"
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.SHIPPED


def test_the_vendor_confirms_delivery_of_its_own_orders_only(market):
    # covers: ORD-8, ORD-2
    vendor_order, shipment = shipped(market)
    with pytest.raises(VendorOrderNotFound):
        shipment_mark_delivered(
            shipment=shipment, at=timezone.now(), source="vendor", vendor=market["brun"]
        )
    with pytest.raises(VendorOrderNotFound):
        vendor_order_mark_delivered(vendor_order=vendor_order, vendor=market["brun"])
    with pytest.raises(FulfilmentError) as error:
        shipment_mark_delivered(
            shipment=shipment, at=timezone.now() + timedelta(days=1), source="vendor",
            vendor=market["verlaine"],
        )  # fmt: skip
    assert "futur" in error.value.message
    shipment.refresh_from_db()
    assert shipment.delivered_at is None
    at = shipment.shipped_at + timedelta(seconds=1)
    result = vendor_order_mark_delivered(
        vendor_order=vendor_order,
        vendor=market["verlaine"],
        at=at,
        actor=Actor.vendor_user(market["verlaine_user"]),
    )
    assert result.status == VendorOrder.Status.DELIVERED and result.delivered_at == at
    shipment.refresh_from_db()
    assert shipment.delivery_source == "vendor"
    assert set(shipment.parcels.values_list("delivered_at", flat=True)) == {at}
    event = OrderEvent.objects.get(vendor_order=vendor_order, kind="delivered")
    assert event.actor == market["verlaine_user"]


def test_a_partially_shipped_order_is_not_delivered_until_everything_is(market):
    # covers: ORD-2
    order = buy(market, [(market["shirt"], 2)])
    vendor_order = vendor_order_of(order, market["verlaine"])
    (line,) = vendor_order.lines.all()
    vendor = market["verlaine"]
    vendor_order_lines_decide(
        vendor_order=vendor_order, vendor=vendor, decisions={line.pk: "accept"}
    )
    first = vendor_order_ship(
        vendor_order=vendor_order, vendor=vendor, carrier="colissimo", parcels=[TRACKING_1],
        lines={line.pk: 1},
    )  # fmt: skip
    shipment_mark_delivered(shipment=first, at=timezone.now(), source="carrier")
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.PARTIALLY_SHIPPED
    assert vendor_order.delivered_at is None
    second = vendor_order_ship(
        vendor_order=vendor_order, vendor=vendor, carrier="colissimo", parcels=[TRACKING_2]
    )
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.SHIPPED
    shipment_mark_delivered(shipment=second, at=None, source="carrier")
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.DELIVERED


def test_the_simulated_carrier_delivers_two_working_days_after_shipment(market):
    # covers: ORD-2
    # Shipped on Friday 4 December 2026 at 10:00: two working days later is Tuesday at 10:00.
    with time_machine.travel(datetime(2026, 12, 4, 9, 0, tzinfo=PARIS), tick=False):
        vendor_order, shipment = shipped(market)
    assert Shipment.objects.get().shipped_at == datetime(2026, 12, 4, 9, 0, tzinfo=PARIS)
    with time_machine.travel(datetime(2026, 12, 7, 18, 0, tzinfo=PARIS), tick=False):
        assert carrier_simulate_deliveries() == 0
    with time_machine.travel(datetime(2026, 12, 8, 9, 30, tzinfo=PARIS), tick=False):
        call_command("carrier_simulate_deliveries")
        assert carrier_simulate_deliveries() == 0  # idempotent
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.DELIVERED
    assert vendor_order.delivered_at == datetime(2026, 12, 8, 9, 0, tzinfo=PARIS)


def test_the_simulation_can_be_switched_off(market, settings):
    settings.CARRIER_SIMULATION = False
    with time_machine.travel(datetime(2026, 12, 4, 9, 0, tzinfo=PARIS), tick=False):
        vendor_order, _shipment = shipped(market)
    with time_machine.travel(datetime(2026, 12, 20, 9, 0, tzinfo=PARIS), tick=False):
        assert carrier_simulate_deliveries() == 0
