"""Entries of a paid order: sales, shipping, commission per line and category, discounts."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from allies.core.money import round_cent
from allies.ledger.models import CommissionRate, LedgerEntry, LedgerImmutable
from allies.ledger.selectors import (
    commission_rate_for,
    order_ledger_total,
    order_money_captured,
    vendor_balance,
)
from allies.ledger.services import LedgerError, ledger_record_sale
from allies.orders.models import Order, VendorOrder
from allies.payments.services import payment_refresh
from tests.ledger.conftest import buy, discount_code, offer_of, vendor_with_rates

pytestmark = pytest.mark.django_db
K = LedgerEntry.Kind


def entries(vendor_order, kind=None):
    qs = LedgerEntry.objects.filter(vendor_order=vendor_order)
    return qs.filter(kind=kind) if kind else qs


def amounts(vendor_order, kind):
    return sorted(e.amount for e in entries(vendor_order, kind))


def test_an_order_from_two_vendors_writes_sales_shipping_and_commission_by_category(two_vendors):
    # covers: PAY-2
    shop = two_vendors
    order = buy([(shop["watch"], 1), (shop["shirt"], 2), (shop["wallet"], 1)])
    verlaine = order.vendor_orders.get(vendor=shop["verlaine"])
    brun = order.vendor_orders.get(vendor=shop["brun"])

    # One sale per line, at the price paid (TTC); the vendor's fee as its own entry.
    assert amounts(verlaine, K.SALE) == [Decimal("119.80"), Decimal("120.00")]
    assert amounts(verlaine, K.SHIPPING) == [verlaine.shipping_fee] == [Decimal("4.90")]
    assert amounts(brun, K.SALE) == [Decimal("45.00")]
    # Commission per line: watches 20 % (category rate), shirts the vendor's 15 %; items
    # only, never on shipping. Negative for the vendor, the operator's revenue.
    watch_fee = entries(verlaine, K.COMMISSION).get(order_line__offer=shop["watch"])
    shirt_fee = entries(verlaine, K.COMMISSION).get(order_line__offer=shop["shirt"])
    assert (watch_fee.amount, watch_fee.operator_amount) == (Decimal("-24.00"), Decimal("24.00"))
    assert (watch_fee.rate, watch_fee.base) == (Decimal("0.2000"), Decimal("120.00"))
    assert (shirt_fee.amount, shirt_fee.rate) == (Decimal("-17.97"), Decimal("0.1500"))
    assert amounts(brun, K.COMMISSION) == [Decimal("-4.50")]  # 10 % of 45.00

    assert vendor_balance(vendor=shop["verlaine"]) == Decimal("239.80") + Decimal("4.90") - Decimal(
        "41.97"
    )
    assert vendor_balance(vendor=shop["brun"]) == Decimal("45.00") + brun.shipping_fee - Decimal(
        "4.50"
    )
    # vendor_id on every row; the identity holds for the order.
    assert set(entries(verlaine).values_list("vendor_id", flat=True)) == {shop["verlaine"].pk}
    assert order_ledger_total(order=order) == order_money_captured(order=order) == order.total


def test_a_vendor_wide_commission_rate_overrides_the_vendor_default(db):
    # covers: PAY-2
    vendor = vendor_with_rates(commission_rate=Decimal("0.15"))
    CommissionRate.objects.create(vendor=vendor, category=None, rate=Decimal("0.08"))
    offer = offer_of(vendor, price="100.00")
    assert commission_rate_for(vendor=vendor, category_id=None) == Decimal("0.08")
    order = buy([(offer, 1)])
    assert amounts(order.vendor_orders.get(), K.COMMISSION) == [Decimal("-8.00")]


def test_a_code_funded_by_the_vendor_lowers_its_balance_and_its_commission_base(two_vendors):
    # covers: PAY-2, CHK-5
    shop = two_vendors
    code = discount_code(funded_by="vendor", value="10")
    order = buy([(shop["watch"], 1), (shop["shirt"], 2), (shop["wallet"], 1)], code=code)
    assert order.discount_total == Decimal("28.48")  # 10 % of 284.80
    verlaine = order.vendor_orders.get(vendor=shop["verlaine"])
    brun = order.vendor_orders.get(vendor=shop["brun"])
    for vo in (verlaine, brun):
        discounts = entries(vo, K.DISCOUNT_VENDOR)
        assert round_cent(discounts.aggregate(s=Sum("amount"))["s"]) == -vo.discount_share
        assert not entries(vo, K.DISCOUNT_OPERATOR).exists()
        assert all(e.operator_amount == 0 for e in discounts)
    # Split over the lines pro rata: the watch carries 120.00/239.80 of 23.98.
    watch_discount = entries(verlaine, K.DISCOUNT_VENDOR).get(order_line__offer=shop["watch"])
    assert watch_discount.amount == Decimal("-12.00")
    # Commission is earned on what the vendor really sells for: 20 % of 108.00.
    watch_fee = entries(verlaine, K.COMMISSION).get(order_line__offer=shop["watch"])
    assert (watch_fee.base, watch_fee.amount) == (Decimal("108.00"), Decimal("-21.60"))
    assert order_ledger_total(order=order) == order_money_captured(order=order) == order.total


def test_a_code_funded_by_the_operator_leaves_the_vendor_paid_in_full(two_vendors):
    # covers: PAY-2, CHK-5
    shop = two_vendors
    plain = buy([(shop["watch"], 1), (shop["shirt"], 2)])
    before = vendor_balance(vendor=shop["verlaine"])
    code = discount_code(funded_by="operator", value="10")
    order = buy([(shop["watch"], 1), (shop["shirt"], 2)], code=code)
    vo = order.vendor_orders.get()
    assert order.total < plain.total  # the customer paid less…
    # …the vendor is owed exactly what the full-price order gave it…
    assert vendor_balance(vendor=shop["verlaine"]) == 2 * before
    operator_discounts = entries(vo, K.DISCOUNT_OPERATOR)
    assert all(e.amount == 0 for e in operator_discounts)
    # …and the operator carries the discount, on its own side.
    assert (
        round_cent(operator_discounts.aggregate(s=Sum("operator_amount"))["s"])
        == -vo.discount_share
    )
    assert (
        round_cent(operator_discounts.aggregate(s=Sum("base"))["s"])
        == vo.discount_share
        == Decimal("23.98")
    )
    assert amounts(vo, K.COMMISSION) == amounts(plain.vendor_orders.get(), K.COMMISSION)
    assert order_ledger_total(order=order) == order_money_captured(order=order) == order.total


def test_a_code_for_one_category_is_carried_by_that_categorys_lines_only(two_vendors):
    # covers: PAY-2, CHK-5
    shop = two_vendors
    code = discount_code(funded_by="vendor", kind="amount", value="30",
                         category=shop["watches"])  # fmt: skip
    order = buy([(shop["watch"], 1), (shop["shirt"], 1)], code=code)
    vo = order.vendor_orders.get()
    assert vo.discount_share == Decimal("30.00")
    [discount] = entries(vo, K.DISCOUNT_VENDOR)
    assert discount.order_line.offer == shop["watch"] and discount.amount == Decimal("-30.00")
    shirt_fee = entries(vo, K.COMMISSION).get(order_line__offer=shop["shirt"])
    assert shirt_fee.base == Decimal("59.90")


def test_recording_a_sale_twice_changes_nothing(two_vendors):
    # covers: PAY-2, PAY-3
    shop = two_vendors
    order = buy([(shop["watch"], 1), (shop["wallet"], 2)])
    before = list(LedgerEntry.objects.order_by("id").values_list("id", "amount"))
    vo = order.vendor_orders.first()
    again = ledger_record_sale(vendor_order=vo)
    assert sorted(e.pk for e in again) == sorted(entries(vo).values_list("id", flat=True))
    # A second notification of the same payment neither.
    payment_refresh(payment=order.payments.get())
    assert list(LedgerEntry.objects.order_by("id").values_list("id", "amount")) == before


def test_an_unpaid_order_has_no_sale(two_vendors):
    # covers: PAY-2
    order = buy([(two_vendors["wallet"], 1)])
    vo = order.vendor_orders.get()
    Order.objects.filter(pk=order.pk).update(status=Order.Status.AWAITING_PAYMENT)
    other = VendorOrder.objects.create(
        order=order, vendor=two_vendors["verlaine"], shipping_mode="home",
        shipping_fee=Decimal("1"), lines_total=Decimal("0"),
        delivery_min_date=vo.delivery_min_date, delivery_max_date=vo.delivery_max_date,
    )  # fmt: skip
    with pytest.raises(LedgerError):
        ledger_record_sale(vendor_order=other)
    assert not entries(other).exists()


def test_entries_are_never_changed_nor_deleted(two_vendors):
    # covers: PAY-2
    order = buy([(two_vendors["wallet"], 1)])
    entry = LedgerEntry.objects.filter(vendor_order__order=order).first()
    entry.amount = Decimal("1000")
    with pytest.raises(LedgerImmutable):
        entry.save()
    with pytest.raises(LedgerImmutable):
        entry.delete()
    with pytest.raises(LedgerImmutable):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("0"))
    with pytest.raises(LedgerImmutable):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.amount != Decimal("1000")


def test_recording_a_sale_costs_three_queries_and_the_database_refuses_a_second_set(
    two_vendors, django_assert_max_num_queries
):
    # covers: PAY-2
    from django.db import IntegrityError, transaction

    from tests.ledger.conftest import place

    order = place([(two_vendors["watch"], 1), (two_vendors["shirt"], 3)])
    Order.objects.filter(pk=order.pk).update(status=Order.Status.VALIDATED)  # paid elsewhere
    vo = order.vendor_orders.get()
    # One read, one insert, one upsert of the vendor order's balance: the settlement stays
    # bounded whatever the order's size.
    with django_assert_max_num_queries(3):
        written = ledger_record_sale(vendor_order=vo)
    assert {e.kind for e in written} == {K.SALE, K.COMMISSION, K.SHIPPING}
    duplicate = LedgerEntry(
        vendor=vo.vendor, vendor_order=vo, kind=K.SHIPPING, amount=vo.shipping_fee
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
    line_sale = next(e for e in written if e.kind == K.SALE)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.bulk_create([
            LedgerEntry(vendor=vo.vendor, vendor_order=vo, kind=K.SALE,
                        order_line_id=line_sale.order_line_id, amount=Decimal("1")),
        ])  # fmt: skip
    # The refused inserts moved nothing: the vendor order's balance is what the sale owes.
    from allies.ledger.models import VendorOrderBalance

    owed = sum((e.amount for e in written), Decimal("0"))
    assert VendorOrderBalance.objects.get(vendor_order=vo).due_cents == int(owed * 100)
