"""Refunds over random after-sales histories (issue 11, "Tests"): orders from several vendors,
with or without a discount code, then refusals, the customer's and the operator's
cancellations (before the vendor's acceptance, and after it as a request the vendor
confirms), partial withdrawals with deductions, and claims (refunded, refunded as a
withdrawal less the return's cost, or replaced), in any order. Whatever happens, per line
the customer never gets back more than they paid for it (plus its shipping share), the
ledger holds exactly what was captured minus what was refunded, and every refund is told by
exactly one email. Everything goes through the real services."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from allies.aftersales.cancellation_requests import (
    cancellable_lines,
    cancellation_request_confirm,
    cancellation_request_open,
)
from allies.aftersales.claims import (
    ItemInput,
    claim_mark_received,
    claim_open,
    claim_return_propose,
    claim_settle,
)
from allies.aftersales.errors import CancellationRequestError, ClaimError, ReturnError
from allies.aftersales.holding import available_units
from allies.aftersales.returns import (
    Deduction,
    return_accept,
    return_mark_received,
    return_refund,
    return_refund_preview,
    return_request_open,
    returnable_lines,
)
from allies.ledger.selectors import order_ledger_total, order_money_captured
from allies.notifications.models import OutgoingEmail
from allies.orders.acceptance import vendor_order_cancel, vendor_order_lines_decide
from allies.orders.cancellations import CancellationError, vendor_order_lines_cancel
from allies.orders.events import Actor
from allies.orders.models import OrderLine, VendorOrder
from allies.orders.shipments import vendor_order_mark_delivered, vendor_order_ship
from allies.orders.vendor_side import FulfilmentError
from allies.payments.models import Payment, Refund
from allies.vendors.models import VendorMembership
from tests.aftersales.conftest import photo
from tests.factories import UserFactory, VendorMembershipFactory
from tests.ledger.conftest import discount_code, offer_of, pay, place, vendor_with_rates

pytestmark = pytest.mark.django_db
ZERO = Decimal("0.00")
REFUND_EMAILS = (
    "order_lines_refused",
    "order_lines_cancelled",
    "order_vendor_order_cancelled",
    "aftersales_return_refunded",
    "aftersales_claim_refunded",
)

money = st.integers(min_value=100, max_value=20_000).map(lambda c: Decimal(c) / 100)
carts = st.lists(st.tuples(st.integers(0, 1), money, st.integers(1, 3)), min_size=1, max_size=5)
steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["refuse", "customer_cancel", "deliver", "deliver", "cancel", "return", "return"]
            + ["claim_refund", "claim_withdrawal", "claim_replace", "accept", "cancel_request"]
        ),
        st.integers(0, 1),  # vendor order
        st.integers(0, 4),  # line
        st.integers(1, 3),  # units
        st.integers(0, 100),  # deduction, % of what the units give back
    ),
    max_size=7,
)
_tracking = iter(range(10_000_000, 99_999_999))


def _act(order, step) -> None:
    kind, vo_index, line_index, units, deduction_pct = step
    vendor_orders = list(order.vendor_orders.order_by("id"))
    vo = vendor_orders[vo_index % len(vendor_orders)]
    lines = list(vo.lines.order_by("id"))
    line = lines[line_index % len(lines)]
    vendor = vo.vendor
    try:
        if kind == "refuse":
            refusal = {line.pk: ("refuse", "out_of_stock", "")}
            vendor_order_lines_decide(vendor_order=vo, vendor=vendor, decisions=refusal)
        elif kind == "customer_cancel":
            vendor_order_lines_cancel(vendor_order=vo, customer=order.customer, line_ids=[line.pk])
        elif kind == "cancel":
            vendor_order_cancel(vendor_order=vo, reason="acceptance_overdue")
        elif kind == "deliver":
            pending = {ln.pk: "accept" for ln in lines if ln.status == OrderLine.Status.PENDING}
            if pending:
                vendor_order_lines_decide(vendor_order=vo, vendor=vendor, decisions=pending)
            vo.refresh_from_db()
            if vo.status == VendorOrder.Status.TO_SHIP:
                vendor_order_ship(vendor_order=vo, vendor=vendor, carrier="colissimo",
                                  parcels=[f"6A{next(_tracking):011d}"])  # fmt: skip
                vendor_order_mark_delivered(vendor_order=vo, vendor=vendor)
            else:
                event("deliver: nothing to ship")
                return
        elif kind == "accept":
            pending = {ln.pk: "accept" for ln in lines if ln.status == OrderLine.Status.PENDING}
            if not pending:
                event("accept: nothing pending")
                return
            vendor_order_lines_decide(vendor_order=vo, vendor=vendor, decisions=pending)
        elif kind == "cancel_request":
            # ORD-5 after acceptance: the customer asks, the vendor confirms before shipping.
            pending = {ln.pk: "accept" for ln in lines if ln.status == OrderLine.Status.PENDING}
            if pending:
                vendor_order_lines_decide(vendor_order=vo, vendor=vendor, decisions=pending)
                vo.refresh_from_db()
            accepted = cancellable_lines(vendor_order=vo)
            if not accepted:
                event("cancel_request: nothing accepted to ship")
                return
            request = cancellation_request_open(
                customer=order.customer, vendor_order=vo,
                line_ids=[accepted[line_index % len(accepted)].pk],
            )  # fmt: skip
            member = VendorMembership.objects.filter(vendor=vendor).first()
            cancellation_request_confirm(
                request=request, actor=Actor.vendor_user(member.user), vendor=vendor
            )
        elif kind.startswith("claim_"):
            _claim(order, vo, line_index, units, kind)
        else:
            left = {r.line.pk: r.quantity for r in returnable_lines(vendor_order=vo)}
            if not left:
                event("return: nothing returnable")
                return
            line_id = sorted(left)[line_index % len(left)]
            wanted = {line_id: min(units, left[line_id])}
            request = return_request_open(
                customer=order.customer, vendor_order=vo, quantities=wanted
            )
            actor = Actor.vendor_user(VendorMembership.objects.filter(vendor=vendor).first().user)
            return_accept(request=request, actor=actor, vendor=vendor)
            return_mark_received(request=request, actor=actor, vendor=vendor)
            item = request.items.get()
            part = return_refund_preview(request=request)["split"].lines[0]
            most = part.articles - part.discount
            amount = (most * deduction_pct / 100).quantize(Decimal("0.01"))
            deductions = {item.pk: Deduction(amount=amount, reason="used")} if amount else {}
            return_refund(request=request, actor=actor, vendor=vendor, deductions=deductions)
        event(kind)
    except (
        FulfilmentError,
        ReturnError,
        ClaimError,
        CancellationError,
        CancellationRequestError,
    ) as exc:
        event(f"{kind} refused: {exc.code}")


def _claim(order, vo, line_index, units, kind) -> None:
    """A claim on units of `vo`: refunded at once (defect, no return), refunded as a
    withdrawal after the item came back (return cost deducted), or settled by a replacement
    (no money moves)."""
    left = {a.line.pk: a.quantity for a in available_units(vendor_order=vo)}
    if not left:
        event("claim: nothing claimable")
        return
    line_id = sorted(left)[line_index % len(left)]
    remedy = "replacement" if kind == "claim_replace" else "refund"
    claim = claim_open(
        customer=order.customer, vendor_order=vo, problem="damaged", remedy=remedy,
        items={line_id: ItemInput(quantity=min(units, left[line_id]), description="Cassé",
                                  photos=[photo()])},
    )  # fmt: skip
    vendor = vo.vendor
    actor = Actor.vendor_user(VendorMembership.objects.filter(vendor=vendor).first().user)
    if kind == "claim_refund":
        claim_settle(claim=claim, actor=actor, vendor=vendor, resolution="refund")
        return
    claim_return_propose(claim=claim, actor=actor, vendor=vendor, mode="label")
    claim_mark_received(claim=claim, actor=actor, vendor=vendor)
    if kind == "claim_withdrawal":
        claim_settle(claim=claim, actor=actor, vendor=vendor, resolution="withdrawal")
    else:
        claim_settle(claim=claim, actor=actor, vendor=vendor, resolution="replacement",
                     carrier="colissimo", tracking_number=f"6A{next(_tracking):011d}")  # fmt: skip


def _check(order) -> None:
    captured = Payment.objects.get(order=order, status="succeeded").amount
    refunds = list(Refund.objects.filter(payment__order=order))
    refunded = sum((r.amount for r in refunds), ZERO)
    assert refunded <= captured
    assert order_ledger_total(order=order) == order_money_captured(order=order)
    assert order_money_captured(order=order) == captured - refunded
    for vo in order.vendor_orders.all():
        lines = list(vo.lines.order_by("id"))
        for ln in lines:
            # Never more than what was paid for the units given back, plus their shipping.
            assert 0 <= ln.refunded_quantity <= ln.quantity
            paid_for_units = ln.unit_price * ln.refunded_quantity
            assert ln.refunded_discount <= ln.discount_amount
            assert (
                ln.refunded_amount <= paid_for_units - ln.refunded_discount + ln.refunded_shipping
            )
            assert ln.refunded_amount == (
                paid_for_units - ln.refunded_discount - ln.refunded_deduction + ln.refunded_shipping
            )
        assert sum((ln.refunded_shipping for ln in lines), ZERO) <= vo.shipping_fee
    paid_back = sum(
        (ln.refunded_amount for ln in OrderLine.objects.filter(vendor_order__order=order)), ZERO
    )
    assert paid_back == refunded


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fees=st.lists(st.sampled_from(["0", "4.90", "7.45"]), min_size=2, max_size=2),
    cart=carts,
    code=st.one_of(st.none(), st.integers(1, 60)),
    history=steps,
)
def test_after_sales_refunds_never_exceed_what_was_paid_and_each_has_one_email(
    db, fees, cart, code, history
):
    # covers: ORD-5, RET-3, RET-6, SAV-4, PAY-2
    with transaction.atomic():
        shop = [vendor_with_rates(fee=Decimal(fee)) for fee in fees]
        for vendor in shop:
            VendorMembershipFactory(vendor=vendor)
        discount = (
            discount_code(funded_by="vendor", kind="percent", value=str(code)) if code else None
        )
        chosen = [(offer_of(shop[v], price=str(price)), qty) for v, price, qty in cart]
        order = place(chosen, customer=UserFactory(), code=discount)
        pay(order)
        order.refresh_from_db()
        _check(order)
        for step in history:
            refunds_before = Refund.objects.filter(payment__order=order).count()
            emails_before = OutgoingEmail.objects.filter(template__in=REFUND_EMAILS).count()
            _act(order, step)
            new_refunds = Refund.objects.filter(payment__order=order).count() - refunds_before
            new_emails = (
                OutgoingEmail.objects.filter(template__in=REFUND_EMAILS).count() - emails_before
            )
            assert new_refunds <= 1
            if new_refunds:
                assert new_emails == 1  # every refund is told once
            _check(order)
        transaction.set_rollback(True)
