"""What a vendor reads: its own paid vendor orders only (ORD-8, VEN-2, VEN-3)."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.models import Order, VendorOrder
from allies.orders.selectors import vendor_order_get, vendor_orders_for
from allies.orders.shipments import vendor_order_ship
from tests.orders.conftest import TRACKING_1, buy, vendor_order_of

pytestmark = pytest.mark.django_db


def test_a_vendor_lists_only_its_own_paid_vendor_orders(market):
    # covers: ORD-8
    order = buy(market, [(market["shirt"], 1), (market["wallet"], 1)])
    mine = vendor_order_of(order, market["verlaine"])
    # An unpaid order never reaches the vendor.
    Order.objects.filter(pk=order.pk).update(validated_at=None)
    assert list(vendor_orders_for(vendor=market["verlaine"])) == []
    Order.objects.filter(pk=order.pk).update(validated_at=timezone.now())
    assert list(vendor_orders_for(vendor=market["verlaine"])) == [mine]
    assert list(vendor_orders_for(vendor=market["brun"])) == [
        vendor_order_of(order, market["brun"])
    ]


def test_filters_by_status_mirakl_state_and_update_time(market):
    # covers: ORD-8
    first = vendor_order_of(buy(market, [(market["shirt"], 1)]), market["verlaine"])
    second = vendor_order_of(buy(market, [(market["belt"], 1)]), market["verlaine"])
    vendor = market["verlaine"]
    before = timezone.now()
    vendor_order_lines_decide(
        vendor_order=second, vendor=vendor, decisions={second.lines.get().pk: "accept"}
    )
    assert list(vendor_orders_for(vendor=vendor, status="WAITING_ACCEPTANCE")) == [first]
    assert list(vendor_orders_for(vendor=vendor, status="SHIPPING")) == [second]
    assert list(vendor_orders_for(vendor=vendor, status="waiting_acceptance")) == [first]
    assert set(vendor_orders_for(vendor=vendor, status=["to_ship", "WAITING_ACCEPTANCE"])) == {
        first,
        second,
    }
    assert list(vendor_orders_for(vendor=vendor, status=["SHIPPED", "RECEIVED"])) == []
    assert list(vendor_orders_for(vendor=vendor, status="nonsense")) == []
    assert list(vendor_orders_for(vendor=vendor, updated_since=before)) == [second]
    vendor_order_ship(vendor_order=second, vendor=vendor, carrier="colissimo", parcels=[TRACKING_1])
    assert list(vendor_orders_for(vendor=vendor, status="SHIPPED")) == [second]
    assert (
        list(vendor_orders_for(vendor=vendor, updated_since=timezone.now() + timedelta(seconds=1)))
        == []
    )
    found = vendor_orders_for(vendor=vendor, status="shipped").get()
    assert found.mirakl_state == "SHIPPED"
    assert [p.label for p in found.shipments.all()[0].parcels.all()] == ["Colis 1/1"]


def test_another_vendors_order_does_not_exist(market):
    # covers: ORD-8
    order = buy(market, [(market["shirt"], 1)])
    mine = vendor_order_of(order, market["verlaine"])
    assert vendor_order_get(vendor=market["verlaine"], pk=mine.pk) == mine
    with pytest.raises(Http404):
        vendor_order_get(vendor=market["brun"], pk=mine.pk)
    with pytest.raises(Http404):
        vendor_order_get(vendor=market["verlaine"], pk="abc")


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("awaiting_payment", "WAITING_DEBIT_PAYMENT"),
        ("waiting_acceptance", "WAITING_ACCEPTANCE"),
        ("to_ship", "SHIPPING"),
        ("partially_shipped", "SHIPPING"),
        ("shipped", "SHIPPED"),
        ("delivered", "RECEIVED"),
        ("closed", "CLOSED"),
        ("refused", "REFUSED"),
        ("cancelled_unpaid", "CANCELED"),
        ("cancelled", "CANCELED"),
    ],
)
def test_mirakl_states(status, state):
    # covers: ORD-8 (the vendor API speaks Mirakl's states)
    assert VendorOrder(status=status).mirakl_state == state
