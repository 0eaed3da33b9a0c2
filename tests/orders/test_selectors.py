"""What a vendor reads: its own paid vendor orders only (ORD-8, VEN-2, VEN-3)."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from allies.cart.models import Cart
from allies.cart.services import cart_add
from allies.checkout.services import CheckoutChoices, order_place
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.events import SYSTEM
from allies.orders.models import VendorOrder
from allies.orders.selectors import vendor_order_get, vendor_orders_for
from allies.orders.services import order_cancel_unpaid, order_payment_succeeded
from allies.orders.shipments import vendor_order_ship
from allies.orders.states import UNPAID
from tests.orders.conftest import TRACKING_1, buy, vendor_order_of

pytestmark = pytest.mark.django_db


def _placed_unpaid(market, items):
    """An order placed ("Payer") whose payment never came back."""
    cart, _created = Cart.objects.get_or_create(customer=market["customer"])
    cart.lines.all().delete()  # an unpaid order leaves its items in the cart
    for offer, quantity in items:
        cart_add(cart=cart, offer_id=offer.pk, quantity=quantity)
    return order_place(
        customer=market["customer"],
        cart=cart,
        choices=CheckoutChoices(
            delivery_address_id=market["address"].pk,
            modes={offer.vendor_id: "home" for offer, _quantity in items},
        ),
    )


def test_a_vendor_lists_only_its_own_paid_vendor_orders(market):
    # covers: ORD-8
    order = buy(market, [(market["shirt"], 1), (market["wallet"], 1)])
    mine = vendor_order_of(order, market["verlaine"])
    # An abandoned checkout, and an order placed whose payment is still awaited, never reach
    # the vendor: neither in the list nor in its count.
    abandoned = _placed_unpaid(market, [(market["belt"], 1)])
    order_cancel_unpaid(order=abandoned, actor=SYSTEM, reason="expired")
    waiting = _placed_unpaid(market, [(market["shirt"], 1)])
    assert VendorOrder.objects.get(order=waiting).status == VendorOrder.Status.AWAITING_PAYMENT
    assert vendor_orders_for(vendor=market["verlaine"]).count() == 1
    assert list(vendor_orders_for(vendor=market["verlaine"])) == [mine]
    assert list(vendor_orders_for(vendor=market["brun"])) == [
        vendor_order_of(order, market["brun"])
    ]
    with pytest.raises(Http404):
        vendor_order_get(
            vendor=market["verlaine"], pk=vendor_order_of(waiting, market["verlaine"]).pk
        )
    # The abandoned checkout's payment arrives late: the order is paid after all, and so is
    # what its vendor sees.
    order_payment_succeeded(order=abandoned, payment_reference="late-1")
    late = vendor_order_of(abandoned, market["verlaine"])
    assert set(vendor_orders_for(vendor=market["verlaine"])) == {mine, late}


def test_a_vendor_order_is_outside_the_unpaid_stages_exactly_when_its_order_is_paid(market):
    # covers: ORD-8 (the vendor's lists read the vendor order's stage, not its order)
    buy(market, [(market["shirt"], 1), (market["wallet"], 1)])
    cancelled = _placed_unpaid(market, [(market["belt"], 1), (market["wallet"], 1)])
    order_cancel_unpaid(order=cancelled, actor=SYSTEM, reason="expired")
    late = _placed_unpaid(market, [(market["shirt"], 1)])
    order_cancel_unpaid(order=late, actor=SYSTEM, reason="expired")
    order_payment_succeeded(order=late, payment_reference="late-2")
    _placed_unpaid(market, [(market["shirt"], 1)])  # last: still waiting for its payment
    rows = list(VendorOrder.objects.values_list("status", "order__validated_at"))
    assert sorted(status for status, _at in rows) == sorted(
        ["waiting_acceptance"] * 3 + ["awaiting_payment"] + ["cancelled_unpaid"] * 2
    )
    for status, validated_at in rows:
        assert (status not in UNPAID) == (validated_at is not None), rows


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
