"""PAY-2's identity, over random order histories made by the real services.

For every validated order, and over the whole ledger:
    Σ (amount + operator_amount) of its entries = captured − refunds (pending or succeeded)
(see the top of allies/ledger/services.py). Random carts across one to three vendors, with
commission rates by vendor and category, codes of either kind funded by either side, then
random partial refunds (by line, by amount, of shipping), some recorded twice.
"""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from allies.core.money import round_cent
from allies.ledger.models import CommissionRate, LedgerEntry
from allies.ledger.selectors import (
    operator_summary,
    order_ledger_total,
    order_money_captured,
    vendor_balance,
    vendor_statement,
)
from allies.ledger.services import ledger_record_refund, ledger_refund_split
from allies.payments.models import Payment, Refund
from allies.payments.services import payment_refund
from tests.factories import CategoryFactory, UserFactory
from tests.ledger.conftest import discount_code, offer_of, pay, place, vendor_with_rates

pytestmark = pytest.mark.django_db
ZERO = Decimal("0.00")

money = st.integers(min_value=1, max_value=40_000).map(lambda c: Decimal(c) / 100)
vendor_specs = st.fixed_dictionaries(
    {
        "fee": st.sampled_from(["0", "4.90", "7.45", "12.00"]),
        "rate": st.sampled_from(["0", "0.05", "0.15", "0.1875"]),
        "category_rate": st.one_of(st.none(), st.sampled_from(["0", "0.1", "0.125", "0.333"])),
    }
)
code_specs = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "funded_by": st.sampled_from(["operator", "vendor"]),
            "kind": st.sampled_from(["percent", "amount"]),
            "percent": st.integers(min_value=1, max_value=100),
            "amount": money,
            "scope": st.sampled_from(["all", "first_vendor", "first_category"]),
        }
    ),
)
cart_items = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2),  # vendor
        st.integers(min_value=0, max_value=1),  # category
        money,  # unit price
        st.integers(min_value=1, max_value=3),  # quantity
    ),
    min_size=1,
    max_size=5,
)
refund_actions = st.lists(
    st.fixed_dictionaries(
        {
            "order": st.integers(min_value=0, max_value=1),
            "vendor_order": st.integers(min_value=0, max_value=2),
            "mode": st.sampled_from(["line", "line", "amount", "shipping", "all"]),
            "line": st.integers(min_value=0, max_value=4),
            "percent": st.integers(min_value=1, max_value=100),
            "shipping_percent": st.sampled_from([0, 0, 50, 100]),
            "record_twice": st.booleans(),
        }
    ),
    max_size=6,
)


def _left(vendor_order) -> tuple[dict, Decimal]:
    """What is left to refund of each line and of the fee, from the ledger itself."""
    lines: dict[int, Decimal] = {}
    shipping = ZERO
    for e in LedgerEntry.objects.filter(vendor_order=vendor_order):
        if e.refund_id and Refund.objects.get(pk=e.refund_id).status == Refund.Status.FAILED:
            continue
        if e.kind in (LedgerEntry.Kind.SALE, LedgerEntry.Kind.REFUND_SALE) and e.order_line_id:
            lines[e.order_line_id] = lines.get(e.order_line_id, ZERO) + e.amount
        elif e.kind in (LedgerEntry.Kind.SHIPPING, LedgerEntry.Kind.REFUND_SHIPPING):
            shipping += e.amount
    return lines, shipping


def _apply(action, orders) -> None:
    order = orders[action["order"] % len(orders)]
    vendor_orders = list(order.vendor_orders.order_by("id"))
    vo = vendor_orders[action["vendor_order"] % len(vendor_orders)]
    lines_left, shipping_left = _left(vo)
    open_lines = sorted(i for i, amount in lines_left.items() if amount > 0)
    shipping = round_cent(shipping_left * action["shipping_percent"] / 100)
    kwargs: dict = {"shipping_amount": shipping}
    if action["mode"] == "all":
        kwargs = {"lines": {i: lines_left[i] for i in open_lines}, "shipping_amount": shipping_left}
    elif action["mode"] == "line" and open_lines:
        line = open_lines[action["line"] % len(open_lines)]
        kwargs["lines"] = {line: round_cent(lines_left[line] * action["percent"] / 100)}
    elif action["mode"] == "amount" and open_lines:
        left = sum((lines_left[i] for i in open_lines), ZERO)
        kwargs["lines_amount"] = round_cent(left * action["percent"] / 100)
    split = ledger_refund_split(vendor_order=vo, **kwargs)
    if split.total <= 0:
        event("refund skipped: nothing to give back")
        return  # nothing goes back to the card (e.g. a line fully paid by a 100 % code)
    payment = Payment.objects.get(order=order, status=Payment.Status.SUCCEEDED)
    row = payment_refund(payment=payment, amount=split.total, reason="Test")
    assert row.status == Refund.Status.SUCCEEDED
    first = ledger_record_refund(refund=row, vendor_order=vo, split=split)
    event(f"refund recorded ({action['mode']}, discount part: {split.discount_amount > 0})")
    assert sum((e.amount + e.operator_amount for e in first), ZERO) == -split.total
    if action["record_twice"]:
        again = ledger_record_refund(refund=row, vendor_order=vo, split=split)
        assert sorted(e.pk for e in again) == sorted(e.pk for e in first)


def _check(orders, vendors) -> None:
    # Per order: the ledger holds exactly the customer money still kept.
    for order in orders:
        assert order_ledger_total(order=order) == order_money_captured(order=order), order
    # Overall.
    captured = sum((p.amount for p in Payment.objects.filter(status="succeeded")), ZERO)
    refunded = sum(
        (r.amount for r in Refund.objects.filter(status__in=["pending", "succeeded"])), ZERO
    )
    assert operator_summary()["customer_money"] == captured - refunded
    # Per line: commission kept by the operator stays between 0 and what was charged, and
    # is 0 once the line is entirely refunded; no vendor order gets back more discount
    # than it carried.
    for vo_id in LedgerEntry.objects.values_list("vendor_order_id", flat=True).distinct():
        entries = list(LedgerEntry.objects.filter(vendor_order_id=vo_id))
        per_line: dict[int, dict[str, Decimal]] = {}
        for e in entries:
            if not e.order_line_id:
                continue
            line = per_line.setdefault(e.order_line_id, {"sold": ZERO, "commission": ZERO})
            if e.kind in ("sale", "refund_sale"):
                line["sold"] += e.amount
            if e.kind in ("commission", "refund_commission"):
                line["commission"] += e.operator_amount
        for line in per_line.values():
            assert line["commission"] >= 0
            if line["sold"] == 0:
                assert line["commission"] == 0
        discount_kinds = ("discount_vendor", "discount_operator")
        given = sum((e.base or ZERO for e in entries if e.kind in discount_kinds), ZERO)
        back = sum((e.base or ZERO for e in entries if e.kind.startswith("refund_discount")), ZERO)
        assert ZERO <= back <= given
    # Each vendor's statement ends on its balance.
    for vendor in vendors:
        assert vendor_statement(vendor=vendor).closing_balance == vendor_balance(vendor=vendor)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    vendors=st.lists(vendor_specs, min_size=1, max_size=3),
    carts=st.lists(cart_items, min_size=1, max_size=2),
    code=code_specs,
    actions=refund_actions,
)
def test_the_ledger_always_equals_the_money_captured_minus_refunds(
    db, vendors, carts, code, actions
):
    # covers: PAY-2
    with transaction.atomic():
        categories = [CategoryFactory(), CategoryFactory()]
        shop = []
        for spec in vendors:
            vendor = vendor_with_rates(
                fee=Decimal(spec["fee"]), commission_rate=Decimal(spec["rate"])
            )
            if spec["category_rate"] is not None:
                CommissionRate.objects.create(
                    vendor=vendor, category=categories[0], rate=Decimal(spec["category_rate"])
                )
            shop.append(vendor)
        discount = None
        if code is not None:
            scope = {
                "all": {},
                "first_vendor": {"vendor": shop[0]},
                "first_category": {"category": categories[0]},
            }[code["scope"]]
            value = str(code["percent"]) if code["kind"] == "percent" else str(code["amount"])
            discount = discount_code(funded_by=code["funded_by"], kind=code["kind"], value=value,
                                     **scope)  # fmt: skip
        orders = []
        for items in carts:
            chosen = [
                (offer_of(shop[v % len(shop)], price=str(price), category=categories[c]), qty)
                for v, c, price, qty in items
            ]
            applies = discount is not None and any(
                (discount.vendor_id in (None, o.vendor_id))
                and (discount.category_id in (None, o.variant.product.category_id))
                for o, _q in chosen
            )
            event(f"code applied: {applies and discount.funded_by}")
            order = place(chosen, customer=UserFactory(), code=discount if applies else None)
            if order.total <= 0:
                # A 100 % code on free shipping: nothing to pay, so the order cannot be paid
                # (payments refuse a zero amount); it never reaches the ledger.
                event("order with nothing to pay")
                continue
            pay(order)
            order.refresh_from_db()
            orders.append(order)
        if not orders:
            transaction.set_rollback(True)
            return
        _check(orders, shop)
        for action in actions:
            _apply(action, orders)
            _check(orders, shop)
        transaction.set_rollback(True)
