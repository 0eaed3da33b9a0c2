"""Refunds write their reversing entries: proportional, exact at the end, idempotent."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum

from allies.core.money import round_cent
from allies.ledger.models import LedgerEntry
from allies.ledger.selectors import order_ledger_total, order_money_captured
from allies.ledger.services import (
    LedgerError,
    ledger_failed_refunds_reconcile,
    ledger_record_refund,
    ledger_refund_split,
)
from allies.orders.models import OrderLine
from allies.payments.models import Refund, SandboxTransaction
from allies.payments.services import payment_refund
from tests.ledger.conftest import buy, discount_code, refund

pytestmark = pytest.mark.django_db
K = LedgerEntry.Kind


def line_of(vendor_order, offer) -> OrderLine:
    return vendor_order.lines.get(offer=offer)


def sums(qs) -> tuple[Decimal, Decimal]:
    totals = qs.aggregate(v=Sum("amount"), o=Sum("operator_amount"))
    return round_cent(totals["v"] or 0), round_cent(totals["o"] or 0)


def assert_identity(order):
    assert order_ledger_total(order=order) == order_money_captured(order=order)


def test_refusing_a_line_reverses_its_sale_discount_and_commission(two_vendors):
    # covers: PAY-2, ORD-5
    shop = two_vendors
    code = discount_code(funded_by="vendor", value="10")
    order = buy([(shop["watch"], 1), (shop["shirt"], 2), (shop["wallet"], 1)], code=code)
    vo = order.vendor_orders.get(vendor=shop["verlaine"])
    watch = line_of(vo, shop["watch"])
    before = sums(LedgerEntry.objects.filter(vendor=shop["verlaine"]))

    split = ledger_refund_split(vendor_order=vo, lines={watch: watch.total})
    # The customer gets back what they paid for the watch: 120.00 minus its 12.00 discount.
    assert (split.lines_amount, split.discount_amount, split.total) == (
        Decimal("120.00"), Decimal("12.00"), Decimal("108.00"),
    )  # fmt: skip
    row = payment_refund(payment=order.payments.get(), amount=split.total, reason="Rupture")
    written = ledger_record_refund(refund=row, vendor_order=vo, split=split)
    by_kind = {e.kind: e for e in written}
    assert set(by_kind) == {K.REFUND_SALE, K.REFUND_DISCOUNT_VENDOR, K.REFUND_COMMISSION}
    assert by_kind[K.REFUND_SALE].amount == Decimal("-120.00")
    assert by_kind[K.REFUND_DISCOUNT_VENDOR].amount == Decimal("12.00")
    # The whole line's commission comes back: 20 % of 108.00.
    assert by_kind[K.REFUND_COMMISSION].amount == Decimal("21.60")
    assert by_kind[K.REFUND_COMMISSION].operator_amount == Decimal("-21.60")
    assert all(e.refund_id == row.pk and e.vendor_id == shop["verlaine"].pk for e in written)
    after = sums(LedgerEntry.objects.filter(vendor=shop["verlaine"]))
    assert after[0] - before[0] == Decimal("-86.40")  # −120 + 12 + 21.60
    assert after[1] - before[1] == Decimal("-21.60")
    assert_identity(order)


def test_partial_refunds_round_each_time_and_end_exactly_at_zero(two_vendors):
    # covers: PAY-2
    shop = two_vendors
    order = buy([(shop["shirt"], 2), (shop["watch"], 1)])
    vo = order.vendor_orders.get()
    shirt, watch = line_of(vo, shop["shirt"]), line_of(vo, shop["watch"])
    _r, first = refund(vo, lines={shirt: Decimal("59.90")})
    # Half of 17.97, rounded half up.
    assert [e.amount for e in first if e.kind == K.REFUND_COMMISSION] == [Decimal("8.99")]
    _r, second = refund(vo, lines={shirt: Decimal("59.90")}, shipping=Decimal("2.00"))
    assert [e.amount for e in second if e.kind == K.REFUND_COMMISSION] == [Decimal("8.98")]
    refund(vo, lines={watch: Decimal("120.00")}, shipping=vo.shipping_fee - Decimal("2.00"))
    # Everything given back: nothing owed to the vendor, no commission kept, to the cent.
    assert sums(LedgerEntry.objects.filter(vendor_order=vo)) == (Decimal("0"), Decimal("0"))
    assert_identity(order)
    with pytest.raises(LedgerError):
        ledger_refund_split(vendor_order=vo, lines={watch: Decimal("0.01")})
    with pytest.raises(LedgerError):
        ledger_refund_split(vendor_order=vo, shipping_amount=Decimal("0.01"))


def test_an_operator_funded_discount_comes_back_on_the_operator_side(two_vendors):
    # covers: PAY-2, CHK-5
    shop = two_vendors
    code = discount_code(funded_by="operator", kind="amount", value="20")
    order = buy([(shop["wallet"], 2)], code=code)
    vo = order.vendor_orders.get()
    line = vo.lines.get()
    row, written = refund(vo, lines={line: Decimal("45.00")})
    assert row.amount == Decimal("35.00")  # half the line, minus half the 20.00 code
    back = next(e for e in written if e.kind == K.REFUND_DISCOUNT_OPERATOR)
    assert (back.amount, back.operator_amount, back.base) == (
        Decimal("0"), Decimal("10.00"), Decimal("10.00"),
    )  # fmt: skip
    assert next(e for e in written if e.kind == K.REFUND_SALE).amount == Decimal("-45.00")
    assert_identity(order)


def test_an_amount_without_lines_is_spread_over_what_is_left(two_vendors):
    # covers: PAY-2, RET-3
    shop = two_vendors
    order = buy([(shop["watch"], 1), (shop["shirt"], 1)])
    vo = order.vendor_orders.get()
    row, written = refund(vo, lines_amount=Decimal("35.98"))  # a partial refund, with reason
    sold = {e.order_line.offer_id: e.amount for e in written if e.kind == K.REFUND_SALE}
    assert sold == {shop["watch"].pk: Decimal("-24.00"), shop["shirt"].pk: Decimal("-11.98")}
    assert row.amount == Decimal("35.98")
    # Commission comes back in proportion: 20 % of 24.00, 15 % of 11.98.
    back = {e.order_line.offer_id: e.amount for e in written if e.kind == K.REFUND_COMMISSION}
    assert back == {shop["watch"].pk: Decimal("4.80"), shop["shirt"].pk: Decimal("1.80")}
    assert_identity(order)


def test_the_fulfilment_can_give_its_own_discount_and_shipping_parts(two_vendors):
    # covers: PAY-2, ORD-5
    shop = two_vendors
    code = discount_code(funded_by="vendor", value="10")
    order = buy([(shop["watch"], 1), (shop["shirt"], 1)], code=code)
    vo = order.vendor_orders.get()
    shirt = line_of(vo, shop["shirt"])
    # e.g. OrderLine.refunded_amount = total + refunded_shipping − refunded_discount
    amount = shirt.total + Decimal("2.45") - Decimal("6.00")
    row = payment_refund(payment=order.payments.get(), amount=amount, reason="Refusée")
    written = ledger_record_refund(
        refund=row, vendor_order=vo, lines={shirt.pk: shirt.total},
        shipping_amount=Decimal("2.45"), discount_amount=Decimal("6.00"),
    )  # fmt: skip
    assert sum(e.amount + e.operator_amount for e in written) == -amount
    assert next(e for e in written if e.kind == K.REFUND_DISCOUNT_VENDOR).amount == Decimal("6")
    assert_identity(order)


def test_recording_a_refund_twice_writes_it_once(two_vendors):
    # covers: PAY-2, PAY-3
    shop = two_vendors
    order = buy([(shop["watch"], 1), (shop["shirt"], 1)])
    vo = order.vendor_orders.get()
    watch = line_of(vo, shop["watch"])
    split = ledger_refund_split(vendor_order=vo, lines={watch: watch.total})
    row = payment_refund(payment=order.payments.get(), amount=split.total, reason="Refus",
                         idempotency_key="refuse-watch")  # fmt: skip
    one = ledger_record_refund(refund=row, vendor_order=vo, split=split)
    two = ledger_record_refund(refund=row, vendor_order=vo, split=split)
    assert sorted(e.pk for e in one) == sorted(e.pk for e in two)
    assert LedgerEntry.objects.filter(refund=row).count() == len(one)
    other = ledger_refund_split(vendor_order=vo, lines={line_of(vo, shop["shirt"]): 1})
    with pytest.raises(LedgerError):
        ledger_record_refund(refund=row, vendor_order=vo, split=other)
    assert_identity(order)


def test_a_refund_that_does_not_add_up_or_belongs_elsewhere_is_refused(two_vendors):
    # covers: PAY-2
    shop = two_vendors
    order = buy([(shop["watch"], 1), (shop["wallet"], 1)])
    elsewhere = buy([(shop["shirt"], 1)])
    verlaine = order.vendor_orders.get(vendor=shop["verlaine"])
    brun = order.vendor_orders.get(vendor=shop["brun"])
    watch = line_of(verlaine, shop["watch"])
    wrong = payment_refund(payment=order.payments.get(), amount=Decimal("50"), reason="?")
    foreign = payment_refund(payment=elsewhere.payments.get(), amount=Decimal("5"), reason="?")
    count = LedgerEntry.objects.count()
    with transaction.atomic():  # a refusal leaves the caller's transaction usable
        with pytest.raises(LedgerError):  # 50.00 is not 120.00
            ledger_record_refund(refund=wrong, vendor_order=verlaine, lines={watch: watch.total})
        with pytest.raises(LedgerError):  # the watch is not a line of Brun's order
            ledger_record_refund(refund=wrong, vendor_order=brun, lines={watch: Decimal("50")})
        with pytest.raises(LedgerError):  # another order's payment
            ledger_record_refund(refund=foreign, vendor_order=verlaine, lines={watch: 5})
        with pytest.raises(LedgerError):
            ledger_refund_split(vendor_order=verlaine, lines={watch: Decimal("-1")})
        with pytest.raises(LedgerError):
            ledger_refund_split(vendor_order=verlaine, lines={watch: Decimal("1.001")})
        assert LedgerEntry.objects.count() == count
    # Unrecorded, the refund shows as a difference between the ledger and the money.
    assert order_ledger_total(order=order) - order_money_captured(order=order) == Decimal("50")


def test_a_refund_that_fails_later_has_its_reversal_cancelled(two_vendors):
    # covers: PAY-2
    shop = two_vendors
    order = buy([(shop["watch"], 1), (shop["shirt"], 1)])
    vo = order.vendor_orders.get()
    watch = line_of(vo, shop["watch"])
    row, _written = refund(vo, lines={watch: watch.total})
    # The provider says, later, that it failed (a card refund is asynchronous).
    Refund.objects.filter(pk=row.pk).update(status=Refund.Status.FAILED)
    SandboxTransaction.objects.update(refunded_cents=0)  # the bank gave nothing back
    assert order_ledger_total(order=order) != order_money_captured(order=order)
    assert ledger_failed_refunds_reconcile() == 1
    assert ledger_failed_refunds_reconcile() == 0  # once
    assert_identity(order)
    assert LedgerEntry.objects.filter(refund=row, kind=K.REFUND_FAILED).count() == 1
    # The line can be refunded again, for real this time.
    again, _written = refund(vo, lines={watch: watch.total})
    assert again.status == Refund.Status.SUCCEEDED
    assert_identity(order)
    # A refund that failed before being recorded is not recorded.
    never = Refund.objects.create(
        payment=order.payments.get(), amount=Decimal("10"), amount_cents=1000,
        status=Refund.Status.FAILED, reason="Refusé par la banque", idempotency_key="never",
    )  # fmt: skip
    with pytest.raises(LedgerError):
        ledger_record_refund(refund=never, vendor_order=vo, lines_amount=Decimal("10"))
    assert_identity(order)
