"""Vendors accept or refuse each line (ORD-8, Mirakl OR21); refused lines are refunded."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from allies.cart.models import DiscountCode
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.events import Actor
from allies.orders.models import OrderEvent, OrderLine, VendorOrder
from allies.orders.refunds import refunds_reconcile
from allies.orders.vendor_side import FulfilmentError, VendorOrderNotFound
from allies.payments.models import Refund, SandboxTransaction
from tests.orders.conftest import assert_ledger_balanced, buy, lines_by_title, vendor_order_of

pytestmark = pytest.mark.django_db


def refused_mails():
    return [m for m in mail.outbox if "refusés" in m.subject]


@pytest.fixture
def discount(db):
    return DiscountCode.objects.create(
        code="ALLIES10", kind=DiscountCode.Kind.PERCENT, value=Decimal("10"),
        valid_from=timezone.now() - timedelta(days=1),
    )  # fmt: skip


def test_after_payment_each_vendor_order_waits_for_acceptance(market):
    # covers: ORD-2, ORD-8
    order = buy(market, [(market["shirt"], 1), (market["wallet"], 1)])
    vendor_orders = list(order.vendor_orders.all())
    assert vendor_orders
    for vendor_order in vendor_orders:
        assert vendor_order.status == VendorOrder.Status.WAITING_ACCEPTANCE
        assert vendor_order.get_status_display() == "En préparation"
        assert vendor_order.mirakl_state == "WAITING_ACCEPTANCE"
        assert vendor_order.acceptance_deadline > order.validated_at
        assert {line.status for line in vendor_order.lines.all()} == {"pending"}


def test_accepting_every_line_makes_the_vendor_order_ready_to_ship(market):
    # covers: ORD-8
    order = buy(market, [(market["shirt"], 1), (market["belt"], 1)])
    vendor_order = vendor_order_of(order, market["verlaine"])
    lines = list(vendor_order.lines.all())
    actor = market["verlaine_user"]
    result = vendor_order_lines_decide(
        vendor_order=vendor_order,
        vendor=market["verlaine"],
        decisions={line.pk: ("accept", None, None) for line in lines},
        actor=Actor.vendor_user(actor),
    )
    vendor_order.refresh_from_db()
    assert len(result.accepted) == 2 and result.refused == [] and result.refunds == []
    assert vendor_order.status == VendorOrder.Status.TO_SHIP
    assert vendor_order.get_status_display() == "En préparation"  # for the customer
    assert vendor_order.accepted_at is not None
    assert vendor_order.mirakl_state == "SHIPPING"
    assert {line.status for line in vendor_order.lines.all()} == {"accepted"}
    kinds = list(OrderEvent.objects.filter(vendor_order=vendor_order).values_list("kind", "actor"))
    assert kinds == [
        ("vendor_order_paid", None),
        ("lines_accepted", actor.pk),
        ("accepted", actor.pk),
    ]
    assert not Refund.objects.exists() and refused_mails() == []


def test_decisions_may_come_line_by_line_and_a_retry_changes_nothing(market):
    # covers: ORD-8
    order = buy(market, [(market["shirt"], 1), (market["belt"], 1)])
    vendor_order = vendor_order_of(order, market["verlaine"])
    by_title = lines_by_title(vendor_order)
    shirt, belt = by_title["Chemise Oxford bleue"], by_title["Ceinture en cuir"]
    vendor = market["verlaine"]
    vendor_order_lines_decide(
        vendor_order=vendor_order, vendor=vendor, decisions={shirt.pk: "accept"}
    )
    vendor_order.refresh_from_db()
    assert vendor_order.mirakl_state == "WAITING_ACCEPTANCE"
    # The same call again (a network retry) changes nothing.
    events = OrderEvent.objects.count()
    again = vendor_order_lines_decide(
        vendor_order=vendor_order, vendor=vendor, decisions={str(shirt.pk): "accept"}
    )
    assert again.accepted == [] and OrderEvent.objects.count() == events
    # Contradicting a decision is refused.
    with pytest.raises(FulfilmentError) as error:
        vendor_order_lines_decide(
            vendor_order=vendor_order, vendor=vendor,
            decisions={shirt.pk: ("refuse", "out_of_stock", "")},
        )  # fmt: skip
    assert "déjà accepté" in error.value.message
    vendor_order_lines_decide(
        vendor_order=vendor_order, vendor=vendor, decisions={belt.pk: "accept"}
    )
    vendor_order.refresh_from_db()
    assert vendor_order.mirakl_state == "SHIPPING"


def test_refusing_one_line_refunds_it_with_its_shares_exactly_once(market, discount):
    # covers: ORD-8, ORD-5, PAY-1
    order = buy(
        market, [(market["shirt"], 1), (market["belt"], 1), (market["wallet"], 1)], code="ALLIES10"
    )
    vendor_order = vendor_order_of(order, market["verlaine"])
    # 10 % of 139,90 € = 13,99 €, split by vendor in proportion to their articles.
    assert order.discount_total == Decimal("13.99")
    assert vendor_order.lines_total == Decimal("94.90")
    assert vendor_order.shipping_fee == Decimal("7.00")
    assert vendor_order.discount_share == Decimal("9.49")
    belt = lines_by_title(vendor_order)["Ceinture en cuir"]
    result = vendor_order_lines_decide(
        vendor_order=vendor_order,
        vendor=market["verlaine"],
        decisions={belt.pk: ("refuse", "out_of_stock", "")},
        actor=Actor.vendor_user(market["verlaine_user"]),
    )
    belt.refresh_from_db()
    # 35,00 € + shipping 7,00 × 35,00 / 94,90 = 2,58 € − discount 9,49 × 35,00 / 94,90 = 3,50 €
    assert belt.refunded_shipping == Decimal("2.58")
    assert belt.refunded_discount == Decimal("3.50")
    assert belt.refunded_amount == Decimal("34.08") == result.refunded
    assert belt.status == OrderLine.Status.REFUSED
    assert belt.refusal_reason == "out_of_stock" and belt.decided_at is not None
    refund = Refund.objects.get()
    assert refund.amount == Decimal("34.08") and refund.status == Refund.Status.SUCCEEDED
    assert refund.idempotency_key == f"order-line-refused-{belt.pk}"
    assert refund.payment.order == order
    assert "Rupture de stock" in refund.reason
    assert SandboxTransaction.objects.get().refunded_cents == 3408
    # The rest of the vendor order still waits for the shirt's decision.
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.WAITING_ACCEPTANCE
    assert vendor_order.mirakl_state == "WAITING_ACCEPTANCE"
    # The customer is told, with the amount.
    (message,) = refused_mails()
    assert message.to == [market["customer"].email]
    assert order.reference in message.subject
    assert "Ceinture en cuir" in message.body and "Rupture de stock" in message.body
    assert "34,08\u00a0€" in message.body
    assert "34,08\u00a0€" in message.alternatives[0][0]
    # Never twice: the same decision again, and the periodic reconciliation.
    vendor_order_lines_decide(
        vendor_order=vendor_order, vendor=market["verlaine"],
        decisions={belt.pk: ("refuse", "out_of_stock", "")},
    )  # fmt: skip
    assert refunds_reconcile(now=timezone.now() + timedelta(hours=1)) == 0
    assert Refund.objects.count() == 1 and len(refused_mails()) == 1
    assert SandboxTransaction.objects.get().refunded_cents == 3408
    assert_ledger_balanced(order)


def test_refusing_every_line_refuses_the_vendor_order_and_refunds_all_of_it(market, discount):
    # covers: ORD-2, ORD-8
    order = buy(
        market, [(market["shirt"], 1), (market["belt"], 1), (market["wallet"], 1)], code="ALLIES10"
    )
    vendor_order = vendor_order_of(order, market["verlaine"])
    by_title = lines_by_title(vendor_order)
    vendor = market["verlaine"]
    # In two calls: the shares still add up to the whole fee and the whole discount share.
    vendor_order_lines_decide(
        vendor_order=vendor_order, vendor=vendor,
        decisions={by_title["Ceinture en cuir"].pk: ("refuse", "price_error", "")},
    )  # fmt: skip
    vendor_order_lines_decide(
        vendor_order=vendor_order, vendor=vendor,
        decisions={by_title["Chemise Oxford bleue"].pk: ("refuse", "other", "Défaut de tissu")},
    )  # fmt: skip
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.REFUSED
    assert vendor_order.get_status_display() == "Refusée par le vendeur"
    assert vendor_order.mirakl_state == "REFUSED"
    lines = list(vendor_order.lines.all())
    assert sum(line.refunded_shipping for line in lines) == Decimal("7.00")
    assert sum(line.refunded_discount for line in lines) == Decimal("9.49")
    # 94,90 + 7,00 − 9,49
    assert sum(r.amount for r in Refund.objects.all()) == Decimal("92.41") == vendor_order.total
    assert Refund.objects.count() == 2
    assert "Défaut de tissu" in refused_mails()[-1].body
    # The other vendor's order is untouched.
    assert vendor_order_of(order, market["brun"]).status == VendorOrder.Status.WAITING_ACCEPTANCE
    assert OrderEvent.objects.filter(vendor_order=vendor_order, kind="refused").count() == 1
    assert_ledger_balanced(order)


def test_free_shipping_refunds_no_shipping(market):
    # covers: ORD-5
    order = buy(market, [(market["wallet"], 2)])
    vendor_order = vendor_order_of(order, market["brun"])
    assert vendor_order.shipping_fee == 0
    (line,) = vendor_order.lines.all()
    vendor_order_lines_decide(
        vendor_order=vendor_order, vendor=market["brun"],
        decisions={line.pk: ("refuse", "out_of_stock", "")},
    )  # fmt: skip
    line.refresh_from_db()
    assert line.refunded_shipping == 0 and line.refunded_amount == Decimal("90.00")
    assert Refund.objects.get().amount == Decimal("90.00")
    assert_ledger_balanced(order)


def test_a_vendor_cannot_decide_on_another_vendors_order(market):
    # covers: ORD-8
    order = buy(market, [(market["shirt"], 1)])
    vendor_order = vendor_order_of(order, market["verlaine"])
    (line,) = vendor_order.lines.all()
    events = OrderEvent.objects.count()
    with pytest.raises(VendorOrderNotFound) as error:
        vendor_order_lines_decide(
            vendor_order=vendor_order, vendor=market["brun"],
            decisions={line.pk: ("refuse", "out_of_stock", "")},
            actor=Actor.vendor_user(market["brun_user"]),
        )  # fmt: skip
    assert error.value.code == "not_found"
    line.refresh_from_db()
    assert line.status == "pending" and line.refunded_amount == 0
    assert OrderEvent.objects.count() == events and not Refund.objects.exists()


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (("refuse", "", ""), "motif du refus"),
        (("refuse", "bored", ""), "motif du refus"),
        (("refuse", "other", "  "), "Précisez le motif"),
        (("ship", None, None), "accept"),
    ],
)
def test_bad_decisions_change_nothing(market, decision, message):
    # covers: ORD-8
    order = buy(market, [(market["shirt"], 1), (market["belt"], 1)])
    vendor_order = vendor_order_of(order, market["verlaine"])
    first, second = vendor_order.lines.all()
    with pytest.raises(FulfilmentError) as error:
        vendor_order_lines_decide(
            vendor_order=vendor_order, vendor=market["verlaine"],
            decisions={first.pk: "accept", second.pk: decision},
        )  # fmt: skip
    assert message in error.value.message
    assert set(vendor_order.lines.values_list("status", flat=True)) == {"pending"}


def test_a_line_of_another_order_is_unknown_here(market):
    # covers: ORD-8
    mine = vendor_order_of(buy(market, [(market["shirt"], 1)]), market["verlaine"])
    other = vendor_order_of(buy(market, [(market["belt"], 1)]), market["verlaine"])
    with pytest.raises(FulfilmentError):
        vendor_order_lines_decide(
            vendor_order=mine, vendor=market["verlaine"],
            decisions={other.lines.get().pk: "accept"},
        )  # fmt: skip
    assert other.lines.get().status == "pending"
