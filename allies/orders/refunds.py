"""Refunds of order lines: the one place that says how much goes back, and sends it.

Every refund of order lines — lines the vendor refuses, a vendor order cancelled before it
ships (ORD-5, ORD-8), and later returns, claims and the console's refunds — goes through
`vendor_order_lines_refund` (or its two halves, `vendor_order_lines_refund_record` inside the
caller's transaction and `refunds_send` after the commit). The customer gets back exactly what
they paid for those lines, to the cent:

    refund of a line = its total (unit price × quantity, TTC)
                     − its part of the discount code, as charged (`OrderLine.discount_amount`,
                       fixed at placement by `cart.discounts.discount_line_split`)
                     + its share of the vendor order's shipping fee

Shipping share: proportional to the line totals and rounded to the cent *cumulatively*: once
lines L1..Lk (in refund order, by id within one call) are refunded, the shipping refunded so
far is round(fee × (L1+…+Lk) / lines_total), and the whole fee once every line is. So the
shares always add up to the fee, whatever the number of calls, and no cent is refunded twice.
Free shipping (fee 0) refunds no shipping. (ORD-5 says the refund includes "the shipping fee
attached to" the item; a vendor's fee is not itemised per article, so the share in
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
   A line already refunded (`refunded_at`) is skipped: repeating a call refunds nothing.
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
from collections.abc import Iterable, Sequence
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
    def total(self) -> Decimal: ...
    @property
    def discount_amount(self) -> Decimal: ...
    @property
    def refunded_at(self) -> datetime | None: ...
    @property
    def refunded_shipping(self) -> Decimal: ...


@dataclass(frozen=True)
class LinePart:
    """What one line gives back: its articles, its shipping share, less its discount part."""

    line_id: int
    articles: Decimal  # TTC, before the discount code
    shipping: Decimal
    discount: Decimal

    @property
    def total(self) -> Decimal:
        return self.articles + self.shipping - self.discount


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
    def total(self) -> Decimal:
        return sum((p.total for p in self.lines), ZERO)


def refund_split(
    *, lines: Sequence[RefundLine], refunding: Iterable[int], shipping_fee: Decimal
) -> RefundSplit:
    """The split of refunding the lines whose ids are in `refunding`, whole, now (module doc).

    `lines` are ALL the vendor order's lines (the shipping share depends on what the others
    cost and on what was refunded before). Lines already refunded are left out: refunding
    them again gives nothing.
    """
    wanted = set(refunding)
    base = sum((round_cent(line.total) for line in lines), ZERO)
    before = [line for line in lines if line.refunded_at is not None]
    cumulative = sum((round_cent(line.total) for line in before), ZERO)
    shipping_so_far = sum((line.refunded_shipping for line in before), ZERO)
    fee = round_cent(shipping_fee or ZERO)
    parts = []
    for line in sorted(lines, key=lambda ln: ln.pk):
        if line.pk not in wanted or line.refunded_at is not None:
            continue
        articles = round_cent(line.total)
        cumulative += articles
        target = fee if base <= 0 or cumulative >= base else round_cent(fee * cumulative / base)
        parts.append(
            LinePart(
                line_id=line.pk,
                articles=articles,
                shipping=target - shipping_so_far,
                discount=round_cent(line.discount_amount or ZERO),
            )
        )
        shipping_so_far = target
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
    lines: Iterable[OrderLine | int],
    reason: str,
    key: str,
    now: datetime | None = None,
) -> LinesRefund:
    """Refund these lines of `vendor_order`, whole: write the split on them and the pending
    `Refund` (idempotency key `key`), and let the ledger and invoices record it (hook
    `refund_recorded`) — all in one transaction, nothing sent yet.

    Call it inside the transaction that changes the lines' status (refusal, cancellation…),
    then `refunds_send` once committed. Lines already refunded are skipped. ValueError if a
    line is not one of the vendor order's (nothing is written); RefundError (payments) if
    the payment cannot give that much back.
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
        wanted = {line.pk if isinstance(line, OrderLine) else int(line) for line in lines}
        if not wanted <= by_id.keys():
            raise ValueError(f"lines {sorted(wanted - by_id.keys())} are not lines of {vo}")
        split = refund_split(lines=all_lines, refunding=wanted, shipping_fee=vo.shipping_fee)
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
            line.refunded_shipping = part.shipping
            line.refunded_discount = part.discount
            line.refunded_amount = part.total
            line.refunded_at = now
            line.refund = result.refund
            result.lines.append(line)
        OrderLine.objects.bulk_update(
            result.lines,
            ["refunded_shipping", "refunded_discount", "refunded_amount", "refunded_at", "refund"],
        )
        if result.refund is not None:
            hook_call("refund_recorded", refund=result.refund, vendor_order=vo, lines=result.lines)
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
    lines: Iterable[OrderLine | int],
    reason: str,
    key: str,
) -> LinesRefund:
    """Refund these lines whole and send the money back: `vendor_order_lines_refund_record`
    in its own transaction, then `refunds_send`. Call it outside any transaction (returns,
    claims, the console); idempotent with the same `key`."""
    done = vendor_order_lines_refund_record(
        vendor_order=vendor_order, lines=lines, reason=reason, key=key
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
