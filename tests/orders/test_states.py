"""The vendor order's state machine (allies.orders.states): its stages, labels and Mirakl
states from one table, every move through one function with its timestamps, `updated_at`
and a typed timeline event; and the closing of delivered vendor orders."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from allies.cart.models import Cart
from allies.cart.services import cart_add
from allies.checkout.services import CheckoutChoices, order_place
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.closing import vendor_orders_close_due, withdrawal_window_end
from allies.orders.events import Actor, ActorKind, EventKind, order_event_add
from allies.orders.models import OrderEvent, VendorOrder
from allies.orders.services import order_cancel_unpaid, order_payment_succeeded
from allies.orders.shipments import vendor_order_mark_delivered, vendor_order_ship
from allies.orders.states import (
    VENDOR_ORDER_STAGES,
    VENDOR_ORDER_TRANSITIONS,
    TransitionNotAllowed,
    VendorOrderAction,
    VendorOrderStatus,
    vendor_order_transition,
)
from tests.orders.conftest import TRACKING_1, buy, vendor_order_of

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def test_every_stage_has_its_labels_and_mirakl_state_and_is_reachable():
    # covers: ORD-2 (the customer's three statuses), ORD-8 (the vendor's and Mirakl's words)
    assert set(VENDOR_ORDER_STAGES) == set(VendorOrderStatus)
    customer = {status: str(status.label) for status in VendorOrderStatus}
    for status in ("waiting_acceptance", "to_ship", "partially_shipped"):
        assert customer[status] == "En préparation"
    assert customer["shipped"] == "Expédiée"
    assert customer["delivered"] == customer["closed"] == "Livrée"
    vendor = {status: str(stage.vendor_label) for status, stage in VENDOR_ORDER_STAGES.items()}
    assert vendor["waiting_acceptance"] == "À accepter" and vendor["to_ship"] == "À expédier"
    assert vendor["closed"] == "Clôturée"
    reachable = {target for target in VENDOR_ORDER_TRANSITIONS.values()}
    assert reachable | {VendorOrderStatus.AWAITING_PAYMENT} == set(VendorOrderStatus)


def test_a_move_the_table_does_not_have_changes_nothing(market):
    # covers: issue 8 §1
    vendor_order = vendor_order_of(buy(market, [(market["shirt"], 1)]), market["verlaine"])
    before = (vendor_order.status, vendor_order.updated_at, vendor_order.events.count())
    for action in (VendorOrderAction.SHIP_ALL, VendorOrderAction.DELIVER, VendorOrderAction.CLOSE):
        with pytest.raises(TransitionNotAllowed):
            vendor_order_transition(vendor_order=vendor_order, action=action, actor=None)
    vendor_order.refresh_from_db()
    assert (vendor_order.status, vendor_order.updated_at, vendor_order.events.count()) == before


def test_a_stale_instance_is_checked_against_the_database(market):
    # Two tabs: the first accepts, the second (stale, still "to accept") cannot accept again.
    vendor_order = vendor_order_of(buy(market, [(market["shirt"], 1)]), market["verlaine"])
    stale = VendorOrder.objects.get(pk=vendor_order.pk)
    vendor_order_transition(vendor_order=vendor_order, action="accept", actor=None)
    with pytest.raises(TransitionNotAllowed):
        vendor_order_transition(vendor_order=stale, action="accept", actor=None)
    assert vendor_order.events.filter(kind=EventKind.ACCEPTED).count() == 1


def test_each_move_stamps_its_time_and_moves_updated_at_and_the_timeline(market):
    # covers: ORD-2, ORD-8, issue 8 §1
    user = market["verlaine_user"]
    vendor = market["verlaine"]
    with time_machine.travel(datetime(2026, 12, 1, 10, tzinfo=PARIS), tick=False):
        order = buy(market, [(market["shirt"], 2)])
    vendor_order = vendor_order_of(order, vendor)
    line = vendor_order.lines.get()
    seen = [vendor_order.updated_at]
    with time_machine.travel(datetime(2026, 12, 1, 15, tzinfo=PARIS), tick=False):
        vendor_order_lines_decide(
            vendor_order=vendor_order, vendor=vendor, decisions={line.pk: "accept"},
            actor=Actor.vendor_user(user),
        )  # fmt: skip
        vendor_order.refresh_from_db()
        assert vendor_order.status == "to_ship" and vendor_order.accepted_at == timezone.now()
        seen.append(vendor_order.updated_at)
    with time_machine.travel(datetime(2026, 12, 2, 9, tzinfo=PARIS), tick=False):
        vendor_order_ship(
            vendor_order=vendor_order, vendor=vendor, carrier="colissimo", parcels=[TRACKING_1],
            lines={line.pk: 1}, actor=Actor.vendor_user(user),
        )  # fmt: skip
        vendor_order.refresh_from_db()
        assert vendor_order.status == "partially_shipped" and vendor_order.shipped_at is None
        assert vendor_order.vendor_status_label == "Partiellement expédiée"
        assert vendor_order.get_status_display() == "En préparation"
        seen.append(vendor_order.updated_at)
    with time_machine.travel(datetime(2026, 12, 3, 9, tzinfo=PARIS), tick=False):
        vendor_order_ship(
            vendor_order=vendor_order, vendor=vendor, carrier="colissimo",
            parcels=["6A12345678909"], actor=Actor.vendor_user(user),
        )  # fmt: skip
        vendor_order.refresh_from_db()
        assert vendor_order.status == "shipped" and vendor_order.shipped_at == timezone.now()
        seen.append(vendor_order.updated_at)
    with time_machine.travel(datetime(2026, 12, 4, 18, tzinfo=PARIS), tick=False):
        vendor_order_mark_delivered(
            vendor_order=vendor_order, vendor=vendor, actor=Actor.vendor_user(user)
        )
        vendor_order.refresh_from_db()
        assert vendor_order.status == "delivered" and vendor_order.delivered_at == timezone.now()
        seen.append(vendor_order.updated_at)
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    moves = list(
        vendor_order.events.filter(
            kind__in=["accepted", "partially_shipped", "shipped", "delivered"]
        ).values_list("kind", "actor_kind", "actor")
    )
    assert moves == [
        ("accepted", ActorKind.VENDOR_USER, user.pk),
        ("partially_shipped", ActorKind.VENDOR_USER, user.pk),
        ("shipped", ActorKind.VENDOR_USER, user.pk),
        ("delivered", ActorKind.VENDOR_USER, user.pk),
    ]


def _placed(market, items):
    """An order placed and not paid yet (the checkout's last step before the bank)."""
    customer = market["customer"]
    cart, _created = Cart.objects.get_or_create(customer=customer)
    for offer, quantity in items:
        cart_add(cart=cart, offer_id=offer.pk, quantity=quantity)
    return order_place(
        customer=customer,
        cart=cart,
        choices=CheckoutChoices(
            delivery_address_id=market["address"].pk,
            modes={offer.vendor_id: "home" for offer, _quantity in items},
        ),
    )


def test_an_unpaid_order_cancelled_then_paid_late_comes_back_to_the_vendor(market):
    # covers: ORD-4 (a not-yet-validated order can be cancelled); a late payment revives it
    customer = market["customer"]
    order = _placed(market, [(market["shirt"], 1)])
    vendor_order = vendor_order_of(order, market["verlaine"])
    assert vendor_order.status == "awaiting_payment"
    assert vendor_order.mirakl_state == "WAITING_DEBIT_PAYMENT"
    order_cancel_unpaid(order=order, actor=Actor.customer(customer))
    vendor_order.refresh_from_db()
    assert vendor_order.status == "cancelled_unpaid" and vendor_order.cancelled_at is not None
    assert vendor_order.mirakl_state == "CANCELED"
    assert vendor_order.get_status_display() == "Annulée"
    cancelled = OrderEvent.objects.get(order=order, kind=EventKind.ORDER_CANCELLED)
    assert (cancelled.actor_kind, cancelled.actor_id) == (ActorKind.CUSTOMER, customer.pk)
    order_payment_succeeded(order=order, payment_reference="late")
    vendor_order.refresh_from_db()
    order.refresh_from_db()
    assert order.status == "validated" and order.cancelled_at is None
    assert vendor_order.status == "waiting_acceptance" and vendor_order.cancelled_at is None


def test_events_take_a_known_kind_and_a_typed_actor(market):
    # covers: issue 8 §1 (typed events and actors)
    order = buy(market, [(market["shirt"], 1)])
    with pytest.raises(ValueError):
        order_event_add(order=order, kind="shiped", actor=None)
    with pytest.raises(TypeError):
        order_event_add(order=order, kind=EventKind.CREATED, actor=market["customer"])
    with pytest.raises(ValueError):
        Actor(ActorKind.STAFF)  # staff without a user


def _delivered(market, when: datetime) -> VendorOrder:
    vendor = market["verlaine"]
    with time_machine.travel(when - timedelta(days=2), tick=False):
        vendor_order = vendor_order_of(buy(market, [(market["shirt"], 1)]), vendor)
        vendor_order_lines_decide(
            vendor_order=vendor_order, vendor=vendor,
            decisions={vendor_order.lines.get().pk: "accept"},
        )  # fmt: skip
        vendor_order_ship(
            vendor_order=vendor_order, vendor=vendor, carrier="colissimo", parcels=[TRACKING_1]
        )
    with time_machine.travel(when, tick=False):
        vendor_order_mark_delivered(vendor_order=vendor_order, vendor=vendor)
    vendor_order.refresh_from_db()
    return vendor_order


def test_a_delivered_vendor_order_closes_once_the_withdrawal_window_has_passed(market):
    # covers: RET-1 (14 calendar days from delivery), issue 8 §1 (CLOSED has a way in)
    delivered = datetime(2026, 12, 1, 18, tzinfo=PARIS)
    vendor_order = _delivered(market, delivered)
    # The customer may ask until the end of 15 December (the delivery day does not count).
    assert withdrawal_window_end(vendor_order.delivered_at) == datetime(2026, 12, 16, tzinfo=PARIS)
    with time_machine.travel(datetime(2026, 12, 15, 23, 59, tzinfo=PARIS), tick=False):
        assert vendor_orders_close_due() == 0
    with time_machine.travel(datetime(2026, 12, 16, 0, 1, tzinfo=PARIS), tick=False):
        call_command("orders_close_due")
        assert vendor_orders_close_due() == 0  # idempotent
    vendor_order.refresh_from_db()
    assert vendor_order.status == "closed" and vendor_order.mirakl_state == "CLOSED"
    assert vendor_order.closed_at == datetime(2026, 12, 16, 0, 1, tzinfo=PARIS)
    assert vendor_order.get_status_display() == "Livrée"  # the customer still reads delivered
    closed = vendor_order.events.get(kind=EventKind.CLOSED)
    assert closed.actor_kind == ActorKind.SYSTEM


def test_closing_waits_while_an_after_sales_request_is_open(market, monkeypatch):
    # covers: issue 8 §1 ("with nothing open")
    vendor_order = _delivered(market, datetime(2026, 12, 1, 18, tzinfo=PARIS))
    monkeypatch.setattr(
        "allies.orders.closing.vendor_order_has_open_after_sales", lambda vendor_order: True
    )
    with time_machine.travel(datetime(2027, 1, 10, tzinfo=PARIS), tick=False):
        assert vendor_orders_close_due() == 0
    vendor_order.refresh_from_db()
    assert vendor_order.status == "delivered"
