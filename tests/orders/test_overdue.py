"""A vendor order left unanswered past its acceptance deadline is flagged; past the operator's
longer limit it is cancelled and refunded in full (ORD-8)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.models import OrderEvent, VendorOrder
from allies.orders.shipments import vendor_order_ship
from allies.orders.tasks import vendor_orders_acceptance_overdue
from allies.orders.vendor_side import FulfilmentError
from allies.payments.models import Refund
from tests.orders.conftest import (
    TRACKING_1,
    assert_ledger_balanced,
    buy,
    lines_by_title,
    vendor_order_of,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# Validated on Tuesday 1 December 2026 at 10:00: acceptance due Thursday 3 at 10:00 (two
# working days), automatic cancellation from Tuesday 8 at 10:00 (five working days).
VALIDATED = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)


def at(day, hour=11):
    return time_machine.travel(datetime(2026, 12, day, hour, 0, tzinfo=PARIS), tick=False)


def run():
    return vendor_orders_acceptance_overdue.call()


@pytest.fixture
def order(market):
    with time_machine.travel(VALIDATED, tick=False):
        return buy(market, [(market["shirt"], 1), (market["belt"], 1), (market["wallet"], 1)])


def test_the_deadline_comes_from_working_days(order, market):
    vendor_order = vendor_order_of(order, market["verlaine"])
    assert vendor_order.acceptance_deadline == datetime(2026, 12, 3, 10, 0, tzinfo=PARIS)


def test_an_unanswered_vendor_order_is_flagged_once(order, market):
    # covers: ORD-8
    vendor_order = vendor_order_of(order, market["verlaine"])
    with at(3, 9):
        assert run()["flagged"] == 0
    with at(3, 11):
        assert run() == {"flagged": 2, "cancelled": 0, "refunds_resent": 0}
        assert run()["flagged"] == 0  # safe to run again
    vendor_order.refresh_from_db()
    assert vendor_order.overdue_flagged_at == datetime(2026, 12, 3, 11, 0, tzinfo=PARIS)
    assert vendor_order.status == VendorOrder.Status.WAITING_ACCEPTANCE
    assert (
        OrderEvent.objects.filter(vendor_order=vendor_order, kind="acceptance_overdue").count() == 1
    )


def test_an_accepted_vendor_order_is_never_flagged(order, market):
    vendor_order = vendor_order_of(order, market["verlaine"])
    with at(2):
        vendor_order_lines_decide(
            vendor_order=vendor_order, vendor=market["verlaine"],
            decisions={line.pk: "accept" for line in vendor_order.lines.all()},
        )  # fmt: skip
    with at(9):
        outcome = run()
    assert outcome["cancelled"] == 1  # only the other vendor's, still unanswered
    vendor_order.refresh_from_db()
    assert vendor_order.overdue_flagged_at is None
    assert vendor_order.status == VendorOrder.Status.TO_SHIP


def test_past_the_operator_limit_it_is_cancelled_and_refunded_in_full(order, market, settings):
    # covers: ORD-8, ORD-5, PAY-1
    vendor_order = vendor_order_of(order, market["verlaine"])
    with at(8, 9):
        assert run() == {"flagged": 2, "cancelled": 0, "refunds_resent": 0}
    with at(8, 11):
        assert run() == {"flagged": 0, "cancelled": 2, "refunds_resent": 0}
        assert run() == {"flagged": 0, "cancelled": 0, "refunds_resent": 0}
        call_command("orders_acceptance_check")
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.CANCELLED
    assert vendor_order.mirakl_state == "CANCELED"
    assert vendor_order.cancellation_reason == "acceptance_overdue"
    refund = Refund.objects.get(idempotency_key=f"vendor-order-cancelled-{vendor_order.pk}")
    # 59,90 + 35,00 + 7,00 shipping
    assert refund.amount == Decimal("101.90") == vendor_order.total
    assert {line.status for line in vendor_order.lines.all()} == {"cancelled"}
    assert sum(r.amount for r in Refund.objects.all()) == order.total
    messages = [m for m in mail.outbox if "annulés" in m.subject]
    assert len(messages) == 2
    verlaine = next(m for m in messages if "Maison Verlaine" in m.subject)
    assert "101,90\u00a0€" in verlaine.body and "n'a pas confirmé à temps" in verlaine.body
    assert_ledger_balanced(order)


def test_the_operator_limit_is_a_setting(order, market, settings):
    settings.ORDER_AUTO_CANCEL_WORKING_DAYS = 10
    with at(9):
        assert run()["cancelled"] == 0


def test_after_a_partial_refusal_the_cancellation_refunds_only_the_rest(order, market):
    # covers: ORD-5
    vendor_order = vendor_order_of(order, market["verlaine"])
    belt = lines_by_title(vendor_order)["Ceinture en cuir"]
    with at(2):
        vendor_order_lines_decide(
            vendor_order=vendor_order, vendor=market["verlaine"],
            decisions={belt.pk: ("refuse", "out_of_stock", "")},
        )  # fmt: skip
    with at(9):
        run()
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.CANCELLED
    refunds = Refund.objects.filter(
        idempotency_key__in=[
            f"order-line-refused-{belt.pk}",
            f"vendor-order-cancelled-{vendor_order.pk}",
        ]
    )
    assert refunds.count() == 2
    assert sum(r.amount for r in refunds) == vendor_order.total == Decimal("101.90")
    assert_ledger_balanced(order)


def test_a_shipped_vendor_order_cannot_be_cancelled(order, market):
    from allies.orders.acceptance import vendor_order_cancel

    vendor_order = vendor_order_of(order, market["verlaine"])
    vendor_order_lines_decide(
        vendor_order=vendor_order, vendor=market["verlaine"],
        decisions={line.pk: "accept" for line in vendor_order.lines.all()},
    )  # fmt: skip
    vendor_order_ship(
        vendor_order=vendor_order, vendor=market["verlaine"], carrier="colissimo",
        parcels=[TRACKING_1],
    )  # fmt: skip
    with pytest.raises(FulfilmentError):
        vendor_order_cancel(vendor_order=vendor_order, reason="operator")


def test_each_vendor_is_told_of_its_overdue_order_once(order, market):
    # covers: ORD-8
    with at(3, 11):
        run()
        run()
    overdue = [m for m in mail.outbox if "En retard" in m.subject]
    assert sorted(m.to[0] for m in overdue) == sorted(
        [market["verlaine"].email, market["brun"].email]
    )
    assert order.reference in overdue[0].subject
    assert "mardi 8 décembre 2026 à 10:00" in overdue[0].body  # when it will be cancelled
    assert "/vendeur/commandes/" in overdue[0].body


def test_each_vendor_is_told_of_a_new_paid_order(market, django_capture_on_commit_callbacks):
    # covers: ORD-8
    with django_capture_on_commit_callbacks(execute=True):
        paid = buy(market, [(market["shirt"], 2), (market["wallet"], 1)])
    new = {m.to[0]: m for m in mail.outbox if "à accepter" in m.subject}
    assert set(new) == {market["verlaine"].email, market["brun"].email}
    body = new[market["verlaine"].email].body
    assert paid.reference in body and "Chemise Oxford bleue" in body
    assert "Portefeuille" not in body  # Brun's line is not Verlaine's business
