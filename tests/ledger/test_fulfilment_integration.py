"""Refused lines and cancelled vendor orders (allies.orders.acceptance) reach the ledger
with their own shipping and discount shares, and the identity holds."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from allies.core.money import round_cent
from allies.ledger.models import LedgerEntry
from allies.ledger.selectors import order_ledger_total, order_money_captured
from allies.orders import acceptance
from tests.ledger.conftest import buy, discount_code

pytestmark = pytest.mark.django_db


def owed(vendor_order) -> tuple[Decimal, Decimal]:
    totals = LedgerEntry.objects.filter(vendor_order=vendor_order).aggregate(
        v=Sum("amount"), o=Sum("operator_amount")
    )
    return round_cent(totals["v"] or 0), round_cent(totals["o"] or 0)


def test_a_refused_line_and_a_cancelled_vendor_order_are_reversed_in_the_ledger(two_vendors):
    # covers: PAY-2, ORD-5, ORD-8
    shop = two_vendors
    code = discount_code(funded_by="vendor", value="10")
    order = buy([(shop["watch"], 1), (shop["shirt"], 2), (shop["wallet"], 1)], code=code)
    verlaine = order.vendor_orders.get(vendor=shop["verlaine"])
    brun = order.vendor_orders.get(vendor=shop["brun"])
    watch, shirt = verlaine.lines.get(offer=shop["watch"]), verlaine.lines.get(offer=shop["shirt"])

    result = acceptance.vendor_order_lines_decide(
        vendor_order=verlaine, vendor=shop["verlaine"],
        decisions={watch.pk: ("refuse", "out_of_stock", ""), shirt.pk: "accept"},
    )  # fmt: skip
    assert [r.status for r in result.refunds] == ["succeeded"]
    refund = result.refunds[0]
    written = LedgerEntry.objects.filter(refund=refund)
    assert written.filter(kind="refund_sale").get().amount == Decimal("-120.00")
    # The whole line's commission comes back (20 % of its price net of the vendor's code).
    assert written.filter(kind="refund_commission").get().amount == Decimal("21.60")
    assert order_ledger_total(order=order) == order_money_captured(order=order)

    acceptance.vendor_order_cancel(vendor_order=brun, reason="test")
    assert owed(brun) == (Decimal("0.00"), Decimal("0.00"))
    assert order_ledger_total(order=order) == order_money_captured(order=order)
