"""Refunds of order lines: the one place that says how much goes back, and sends it.

Every refund of order lines — lines the vendor refuses, a vendor order cancelled before it
ships (ORD-5, ORD-8), and later returns, claims and the console's refunds — goes through
`vendor_order_lines_refund` (or its two halves, `vendor_order_lines_refund_record` inside the
caller's transaction and `refunds_send` after the commit). The customer gets back exactly what
they paid for those lines, to the cent:

    refund of units of a line = unit price × units (TTC)
                     − their part of the line's discount code, as charged (`OrderLine.
                       discount_amount`, fixed at placement by `cart.discounts.
                       discount_line_split`; pro rata, the last units take what is left)
                     + their share of the vendor order's shipping fee
                     − what the vendor keeps of a returned item (a deduction, RET-3)

A line is refunded whole (refusal, cancellation) or by units (a withdrawal of one of two
shirts); its `refunded_*` columns add up every refund of it, `refunded_at` is set once every
unit is refunded.

Shipping share: proportional to the line totals and rounded to the cent *cumulatively*: once
lines L1..Lk (in refund order, by id within one call) are refunded, the shipping refunded so
far is round(fee × (L1+…+Lk) / lines_total), and the whole fee once every line is. So the
shares always add up to the fee, whatever the number of calls, and no cent is refunded twice.
Free shipping (fee 0) refunds no shipping. A withdrawal gives back the standard delivery cost
only (L221-24): `shipping_cap` bounds the fee spread for it. (ORD-5 says the refund includes
"the shipping fee attached to" the item; a vendor's fee is not itemised per article, so the share in
proportion to the price is our reading of it.)

The commission the vendor paid on a line goes back to it with the line: `line_part` gives
the part of a line's discount or commission that goes with a refunded amount; the ledger
(`allies.ledger`) uses it for its reversal.

How a refund is written, so that it is never paid twice nor lost:

1. In one transaction, vendor order and lines locked: the split is computed, the lines get
   their `refunded_*` columns, `refunded_at` and `refund`, and the `Refund` row is written
   (pending, `payments.services.refund_create`, one idempotency key per refund). The hook
   `refund_recorded` runs there too: the ledger records the reversal and, when the vendor
   order already has its invoice, the invoices app issues the credit note (INV-1).
   Units already refunded are skipped: repeating a call refunds nothing.
2. After the commit, outside any lock, the provider is asked (`payments.services.
   refund_send`, at most once per refund). A refund the provider refuses, at once or later,
   turns FAILED through `payments.services` and the hook `refund_failed` cancels its ledger
   reversal; staff find it in the admin's refunds list (filter "Échoué"). A refund written
   but never sent (a crash right after the commit) is sent by `refunds_reconcile`.

This module is in the orders layer: it may use `payments` (below it) but not the ledger or
invoices (above it), which act through the hooks registered in their `apps.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from django.db import transaction
from django.utils import timezone

from allies.core.hooks import hook_call
from allies.core.money import round_cent
from allies.orders.events import EventKind, order_event_add
from allies.orders.models import Order, OrderLine, VendorOrder
from allies.payments.gateways.base import GatewayError
from allies.payments.models import Payment, Refund
from allies.payments.services import refund_create, refund_send, refunds_unsent_send

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
# A refund written this long ago and still not sent is sent by `refunds_reconcile`.
REFUND_GRACE = timedelta(minutes=10)


class RefundLine(Protocol):
    """What the split reads of an order line (an `OrderLine`, or a stand-in in tests)."""

    @property
    def pk(self) -> int: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def quantity(self) -> int: ...
    @property
    def discount_amount(self) -> Decimal: ...
    @property
    def refunded_quantity(self) -> int: ...
    @property
    def refunded_shipping(self) -> Decimal: ...
    @property
    def refunded_discount(self) -> Decimal: ...


@dataclass(frozen=True)
class LinePart:
    """What one line gives back: its units' articles and shipping share, less their discount
    part and what the vendor keeps (`deduction`: a returned item used or incomplete, RET-3)."""

    line_id: int
    articles: Decimal  # TTC, before the discount code: unit price × quantity
    shipping: Decimal
    discount: Decimal
    quantity: int = 0
    deduction: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.articles + self.shipping - self.discount - self.deduction


@dataclass(frozen=True)
class RefundSplit:
    """The parts of one refund, line by line (in id order); `total` goes back to the card."""

    lines: tuple[LinePart, ...] = ()

    @property
    def articles(self) -> Decimal:
        return sum((p.articles for p in self.lines), ZERO)

    @property
    def shipping(self) -> Decimal:
        return sum((p.shipping for p in self.lines), ZERO)

    @property
    def discount(self) -> Decimal:
        return sum((p.discount for p in self.lines), ZERO)

    @property
    def deduction(self) -> Decimal:
        return sum((p.deduction for p in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return sum((p.total for p in self.lines), ZERO)

    @property
    def quantities(self) -> dict[int, int]:
        return {p.line_id: p.quantity for p in self.lines}


def _articles(line: RefundLine, quantity: int) -> Decimal:
    return round_cent(line.unit_price * quantity)


def refund_split(
    *,
    lines: Sequence[RefundLine],
    refunding: Iterable[int] | Mapping[int, int],
    shipping_fee: Decimal,
    deductions: Mapping[int, Decimal] | None = None,
    shipping_cap: Decimal | None = None,
) -> RefundSplit:
    """The split of refunding, now, units of the vendor order's lines (module doc).

    `refunding` maps line ids to a number of units, or lists line ids to refund every unit
    not refunded yet. `lines` are ALL the vendor order's lines (the shipping share depends on
    what the others cost and on what was refunded before). Units already refunded are left
    out: asking for more than what is left of a line gives what is left.

    `deductions` (line id → euros) is what the vendor keeps of a returned line (RET-3), at
    most what the line gives back before shipping. `shipping_cap` bounds the fee whose share
    is given back: a withdrawal refunds the standard delivery cost, not an express mode's
    extra (L221-24).
    """
    if isinstance(refunding, Mapping):
        wanted = {int(k): int(v) for k, v in refunding.items()}
    else:
        wanted = {int(pk): -1 for pk in refunding}  # -1: every unit left
    deductions = deductions or {}
    base = sum((_articles(line, line.quantity) for line in lines), ZERO)
    cumulative = sum((_articles(line, line.refunded_quantity) for line in lines), ZERO)
    shipping_so_far = sum((line.refunded_shipping for line in lines), ZERO)
    fee = round_cent(shipping_fee or ZERO)
    if shipping_cap is not None:
        fee = min(fee, max(round_cent(shipping_cap), ZERO))
    parts = []
    for line in sorted(lines, key=lambda ln: ln.pk):
        asked = wanted.get(line.pk)
        left = line.quantity - line.refunded_quantity
        quantity = left if asked is None or asked < 0 else min(asked, left)
        if asked is None or quantity <= 0:
            continue
        articles = _articles(line, quantity)
        discount = line_part(
            whole=round_cent(line.discount_amount or ZERO),
            whole_back=line.refunded_discount,
            line_total=_articles(line, line.quantity),
            line_back=_articles(line, line.refunded_quantity),
            refunded=articles,
        )
        cumulative += articles
        target = fee if base <= 0 or cumulative >= base else round_cent(fee * cumulative / base)
        shipping = max(target - shipping_so_far, ZERO)
        shipping_so_far += shipping
        deduction = min(max(round_cent(deductions.get(line.pk, ZERO)), ZERO), articles - discount)
        parts.append(
            LinePart(
                line_id=line.pk,
                articles=articles,
                shipping=shipping,
                discount=discount,
                quantity=quantity,
                deduction=deduction,
            )
        )
    return RefundSplit(lines=tuple(parts))


def line_part(
    *,
    whole: Decimal,
    whole_back: Decimal,
    line_total: Decimal,
    line_back: Decimal,
    refunded: Decimal,
) -> Decimal:
    """The part of a line's `whole` (its discount, or the commission charged on it) that goes
    with refunding `refunded` more of the line, `line_back` of its `line_total` and
    `whole_back` of `whole` being given back already.

    Pro rata, to the cent; the refund that completes the line takes exactly what is left, so
    no rounding cent is ever lost or given twice. The ledger's discount and commission
    reversals use it.
    """
    left = max(whole - whole_back, ZERO)
    if line_back + refunded >= line_total:
        return left
    if line_total <= 0:
        return ZERO
    return max(min(round_cent(whole * refunded / line_total), left), ZERO)


@dataclass
class LinesRefund:
    """What `vendor_order_lines_refund_record` wrote: the lines it refunded now (none when
    they all were already) and the `Refund` carrying their money (None when there is no
    money to give back, e.g. lines fully paid by a code, or nothing new)."""

    vendor_order: VendorOrder
    split: RefundSplit
    lines: list[OrderLine] = field(default_factory=list)
    refund: Refund | None = None

    @property
    def amount(self) -> Decimal:
        return self.split.total


def _succeeded_payment(order: Order) -> Payment | None:
    return (
        Payment.objects.filter(order=order, status=Payment.Status.SUCCEEDED).order_by("-id").first()
    )


def vendor_order_lines_refund_record(
    *,
    vendor_order: VendorOrder,
    lines: Iterable[OrderLine | int] | Mapping[int, int],
    reason: str,
    key: str,
    now: datetime | None = None,
    deductions: Mapping[int, Decimal] | None = None,
    shipping_cap: Decimal | None = None,
) -> LinesRefund:
    """Refund these lines of `vendor_order` (whole, or `{line id: units}`): write the split on
    them and the pending `Refund` (idempotency key `key`), and let the ledger and invoices
    record it (hook `refund_recorded`) — all in one transaction, nothing sent yet.

    Call it inside the transaction that changes the lines' status (refusal, cancellation,
    a return's decision…), then `refunds_send` once committed. Units already refunded are
    skipped. `deductions` and `shipping_cap`: see `refund_split`. ValueError if a line is
    not one of the vendor order's (nothing is written); RefundError (payments) if the
    payment cannot give that much back.
    """
    now = now or timezone.now()
    with transaction.atomic():
        vo = (
            VendorOrder.objects.select_for_update(of=("self",))
            .select_related("order")
            .get(pk=vendor_order.pk)
        )
        all_lines = list(
            OrderLine.objects.select_for_update().filter(vendor_order=vo).order_by("id")
        )
        by_id = {line.pk: line for line in all_lines}
        refunding: dict[int, int] | list[int]
        if isinstance(lines, Mapping):
            refunding = {int(k): int(v) for k, v in lines.items()}
        else:
            refunding = [line.pk if isinstance(line, OrderLine) else int(line) for line in lines]
        if not set(refunding) <= by_id.keys():
            raise ValueError(f"lines {sorted(set(refunding) - by_id.keys())} are not lines of {vo}")
        split = refund_split(
            lines=all_lines,
            refunding=refunding,
            shipping_fee=vo.shipping_fee,
            deductions=deductions,
            shipping_cap=shipping_cap,
        )
        result = LinesRefund(vendor_order=vo, split=split)
        if not split.lines:
            return result
        if split.total > 0:
            payment = _succeeded_payment(vo.order)
            if payment is None:
                # Never seen: a paid vendor order has its payment. Staff must see it.
                logger.error("refund %s of %s: no succeeded payment", key, vo)
                order_event_add(order=vo.order, vendor_order=vo, kind=EventKind.REFUND_FAILED,
                                key=key, amount=str(split.total),
                                error="no succeeded payment to refund")  # fmt: skip
            else:
                result.refund = refund_create(
                    payment=payment, amount=split.total, reason=reason, idempotency_key=key
                )
        for part in split.lines:
            line = by_id[part.line_id]
            line.refunded_quantity += part.quantity
            line.refunded_shipping += part.shipping
            line.refunded_discount += part.discount
            line.refunded_deduction += part.deduction
            line.refunded_amount += part.total
            if line.refunded_quantity >= line.quantity:
                line.refunded_at = now
            line.refund = result.refund or line.refund
            result.lines.append(line)
        OrderLine.objects.bulk_update(
            result.lines,
            ["refunded_quantity", "refunded_shipping", "refunded_discount", "refunded_deduction",
             "refunded_amount", "refunded_at", "refund"],
        )  # fmt: skip
        if result.refund is not None:
            hook_call(
                "refund_recorded",
                refund=result.refund,
                vendor_order=vo,
                lines=result.lines,
                split=split,
            )
    return result


def refunds_send(*, refunds: Iterable[LinesRefund]) -> None:
    """Ask the provider to pay back these recorded refunds; call it after the commit, outside
    any lock. A refund refused at once is put on the order's timeline for staff."""
    for done in refunds:
        if done.refund is None:
            continue
        try:
            refund = refund_send(refund=done.refund)
        except GatewayError as exc:  # the gateway could not even be reached: stays pending
            logger.exception("refund %s could not be sent", done.refund.pk)
            refund, problem = done.refund, str(exc)
        else:
            problem = refund.failure_message if refund.status == Refund.Status.FAILED else ""
        done.refund = refund
        if problem:
            vo = done.vendor_order
            order_event_add(order=vo.order, vendor_order=vo, kind=EventKind.REFUND_FAILED,
                            key=refund.idempotency_key, amount=str(refund.amount),
                            error=(problem or "refund failed")[:300])  # fmt: skip


def vendor_order_lines_refund(
    *,
    vendor_order: VendorOrder,
    lines: Iterable[OrderLine | int] | Mapping[int, int],
    reason: str,
    key: str,
    deductions: Mapping[int, Decimal] | None = None,
    shipping_cap: Decimal | None = None,
) -> LinesRefund:
    """Refund these lines (or units) and send the money back: `vendor_order_lines_refund_
    record` in its own transaction, then `refunds_send`. Call it outside any transaction
    (the console); idempotent with the same `key`."""
    done = vendor_order_lines_refund_record(
        vendor_order=vendor_order,
        lines=lines,
        reason=reason,
        key=key,
        deductions=deductions,
        shipping_cap=shipping_cap,
    )
    if done.refund is None and done.lines == []:
        # Nothing new: a retried call. Send the refund of an earlier call if it never left.
        done.refund = Refund.objects.filter(idempotency_key=key).first()
    refunds_send(refunds=[done])
    return done


def refunds_reconcile(*, now: datetime | None = None) -> int:
    """Send every refund written but never sent (a crash between the commit and the provider
    call) more than REFUND_GRACE ago; each is sent at most once. Returns how many were sent."""
    return refunds_unsent_send(now=now, older_than=REFUND_GRACE)
