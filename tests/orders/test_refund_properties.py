"""Refunds over random orders (issue 8 §2): whatever the vendors, the code (percent or
amount, on every article, one vendor's or one category's) and the refusals and
cancellations, the customer gets back exactly what they paid for the refused items — to the
cent, never more, never less — and the ledger holds what was captured minus what was
refunded. Orders are made and refunded by the real services."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from allies.core.money import round_cent
from allies.ledger.selectors import order_ledger_total, order_money_captured
from allies.orders.acceptance import vendor_order_cancel, vendor_order_lines_decide
from allies.orders.models import OrderLine, VendorOrder
from allies.orders.refunds import refund_split
from allies.orders.vendor_side import FulfilmentError
from allies.payments.models import Payment, Refund, SandboxTransaction
from tests.factories import CategoryFactory, UserFactory
from tests.ledger.conftest import discount_code, offer_of, pay, place, vendor_with_rates

pytestmark = pytest.mark.django_db
ZERO = Decimal("0.00")

money = st.integers(min_value=1, max_value=30_000).map(lambda c: Decimal(c) / 100)
codes = st.one_of(
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
items = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2),  # vendor
        st.integers(min_value=0, max_value=1),  # category
        money,  # unit price
        st.integers(min_value=1, max_value=3),  # quantity
    ),
    min_size=1,
    max_size=6,
)
actions = st.lists(
    st.tuples(
        st.sampled_from(["refuse", "refuse", "accept", "cancel", "refuse_again"]),
        st.integers(min_value=0, max_value=2),  # vendor order
        st.integers(min_value=0, max_value=5),  # line
    ),
    max_size=8,
)


def _act(order, action, refused) -> None:
    kind, vo_index, line_index = action
    vendor_orders = list(order.vendor_orders.order_by("id"))
    vo = vendor_orders[vo_index % len(vendor_orders)]
    lines = list(vo.lines.order_by("id"))
    line = lines[line_index % len(lines)]
    try:
        if kind == "cancel":
            vendor_order_cancel(vendor_order=vo, reason="acceptance_overdue")
        elif kind == "refuse_again" and refused:
            again = refused[line_index % len(refused)]
            vendor_order_lines_decide(
                vendor_order=again.vendor_order, vendor=again.vendor,
                decisions={again.pk: ("refuse", "out_of_stock", "")},
            )  # fmt: skip
        elif kind == "accept":
            vendor_order_lines_decide(vendor_order=vo, vendor=vo.vendor,
                                      decisions={line.pk: "accept"})  # fmt: skip
        else:
            vendor_order_lines_decide(
                vendor_order=vo, vendor=vo.vendor,
                decisions={line.pk: ("refuse", "out_of_stock", "")},
            )  # fmt: skip
            refused.append(line)
        event(kind)
    except FulfilmentError:
        event(f"{kind} refused (already decided or cancelled)")


def _check(order) -> None:
    captured = Payment.objects.get(order=order, status="succeeded").amount
    refunds = list(Refund.objects.filter(payment__order=order))
    assert all(r.status == Refund.Status.SUCCEEDED for r in refunds)
    refunded = sum((r.amount for r in refunds), ZERO)
    # What the bank gave back is what the refund rows say, never more than was captured.
    tx = SandboxTransaction.objects.get(checkout__reference=order.payments.get().reference)
    assert Decimal(tx.refunded_cents) / 100 == refunded <= captured
    # The ledger holds exactly the money kept.
    assert order_ledger_total(order=order) == order_money_captured(order=order)
    assert order_money_captured(order=order) == captured - refunded
    code = order.discount_code
    for vo in order.vendor_orders.all():
        lines = list(vo.lines.order_by("id"))
        # What each line was charged less adds up to the vendor order's share; a line
        # outside the code's scope carries none of it (the 4 € defect).
        assert sum((ln.discount_amount for ln in lines), ZERO) == vo.discount_share
        eligible = [
            ln
            for ln in lines
            if code is not None
            and code.vendor_id in (None, vo.vendor_id)
            and code.category_id in (None, ln.offer.variant.product.category_id)
        ]
        for ln in lines:
            if ln not in eligible:
                assert ln.discount_amount == 0
        base = sum((ln.total for ln in eligible), ZERO)
        for ln in eligible:
            assert abs(ln.discount_amount - vo.discount_share * ln.total / base) < Decimal("0.05")
        done = [ln for ln in lines if ln.refunded_at is not None]
        for ln in done:
            # Exactly what was paid for the item, plus its shipping share.
            assert ln.refunded_discount == ln.discount_amount
            assert ln.refunded_amount == ln.total - ln.discount_amount + ln.refunded_shipping
            assert ln.refunded_shipping >= 0
            assert ln.status in (OrderLine.Status.REFUSED, OrderLine.Status.CANCELLED)
            if ln.refunded_amount > 0:
                assert ln.refund is not None and ln.refund.amount >= ln.refunded_amount
        shipping_back = sum((ln.refunded_shipping for ln in done), ZERO)
        assert shipping_back <= vo.shipping_fee
        if len(done) == len(lines):
            # Everything refused or cancelled: the whole vendor order comes back, no more.
            assert shipping_back == vo.shipping_fee
            assert sum((ln.refunded_amount for ln in done), ZERO) == vo.total
        if vo.status == VendorOrder.Status.CANCELLED:
            assert len(done) == len(lines)
    paid_back = sum(
        (ln.refunded_amount for ln in OrderLine.objects.filter(vendor_order__order=order)), ZERO
    )
    assert paid_back == refunded


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fees=st.lists(st.sampled_from(["0", "4.90", "7.45"]), min_size=1, max_size=3),
    cart=items,
    code=codes,
    steps=actions,
)
def test_refunds_give_back_exactly_what_was_paid_for_the_refused_items(db, fees, cart, code, steps):
    # covers: issue 8 §2, ORD-5, PAY-2
    with transaction.atomic():
        categories = [CategoryFactory(), CategoryFactory()]
        shop = [
            vendor_with_rates(fee=Decimal(fee), commission_rate=Decimal("0.15")) for fee in fees
        ]
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
        chosen = [
            (offer_of(shop[v % len(shop)], price=str(price), category=categories[c]), qty)
            for v, c, price, qty in cart
        ]
        applies = discount is not None and any(
            discount.vendor_id in (None, o.vendor_id)
            and discount.category_id in (None, o.variant.product.category_id)
            for o, _q in chosen
        )
        order = place(chosen, customer=UserFactory(), code=discount if applies else None)
        if order.total <= 0:
            event("nothing to pay")
            transaction.set_rollback(True)
            return
        pay(order)
        order.refresh_from_db()
        refused: list = []
        _check(order)
        for step in steps:
            _act(order, step, refused)
            _check(order)
        transaction.set_rollback(True)


class _Line:
    """A stand-in for an order line in the pure split."""

    def __init__(self, pk, total, discount):
        self.pk, self.unit_price, self.quantity, self.discount_amount = pk, total, 1, discount
        self.refunded_quantity = 0
        self.refunded_shipping = self.refunded_discount = ZERO


cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)


@settings(max_examples=200, deadline=None)
@given(
    totals=st.lists(cents, min_size=1, max_size=8),
    fee=st.integers(min_value=0, max_value=5000).map(lambda c: Decimal(c) / 100),
    discount_ratio=st.integers(min_value=0, max_value=100),
    data=st.data(),
)
def test_shipping_shares_add_up_to_the_fee_whatever_the_order_of_refunds(
    totals, fee, discount_ratio, data
):
    # covers: ORD-5 (never refunded twice, never a cent lost)
    lines = [
        _Line(pk, total, round_cent(total * discount_ratio / 100))
        for pk, total in enumerate(totals, start=1)
    ]
    remaining = list(lines)
    while remaining:
        batch = data.draw(
            st.lists(st.sampled_from(remaining), min_size=1, unique_by=lambda ln: ln.pk)
        )
        split = refund_split(lines=lines, refunding=[ln.pk for ln in batch], shipping_fee=fee)
        assert {p.line_id for p in split.lines} == {ln.pk for ln in batch}
        for part in split.lines:
            line = next(ln for ln in lines if ln.pk == part.line_id)
            assert part.shipping >= 0 and part.discount == line.discount_amount
            line.refunded_quantity, line.refunded_shipping = 1, part.shipping
            line.refunded_discount = part.discount
            remaining.remove(line)
        # Refunding them again gives nothing.
        assert (
            refund_split(lines=lines, refunding=[ln.pk for ln in batch], shipping_fee=fee).lines
            == ()
        )
    assert sum(ln.refunded_shipping for ln in lines) == fee
