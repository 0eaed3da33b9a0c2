"""The money ledger (PAY-2): the services that write it (its reads are in `selectors.py`).

Every euro a customer pays for a vendor's goods is written here, as append-only
`LedgerEntry` rows (`allies.ledger.models`), so the operator and each vendor can read what
is owed to whom. An entry is never updated or deleted: a correction is another entry.

The ledger is its own app, above `orders` and `payments` (ARCHITECTURE.md layers): they
never import it. They tell it what happened through hooks (`allies.core.hooks`), whose
receivers `LedgerConfig.ready()` registers: `order_paid` (the sale entries), `refund_recorded`
(the reversal), `refund_failed` (the reversal cancelled).

Signs. `amount` is seen from the VENDOR's side: what the marketplace owes the vendor (a
sale is positive, a commission or a refund negative). `operator_amount` is the same fact
seen from the OPERATOR's side: its own revenue (a commission is positive, a discount code
the operator pays for is negative). Their sum is the customer money the fact moves.

The identity (tested over random order histories in tests/ledger/test_invariant.py)
------------------------------------------------------------------------------------
For every validated order O, paid by its succeeded payment P:

    Σ_{e ∈ entries of O's vendor orders} (e.amount + e.operator_amount)
        = P.amount − Σ_{r ∈ refunds of P, status pending or succeeded} r.amount

and, summed over all validated orders, the same for the whole ledger
(`operator_summary()["customer_money"]`). Both sides are computed by
`order_ledger_total(order=…)` and `order_money_captured(order=…)` (`selectors.py`); the
right side reads payments and refunds only, so a refund nobody recorded here shows as a
difference.
It holds as long as every refund of a validated order is recorded with
`ledger_record_refund`, and a recorded refund that fails later is cancelled with
`ledger_refund_failed` (until then the two sides differ by that refund). Payments of orders
never validated (a success arriving after the order was closed, refunded in full at once by
`payments.services`) have no entries and are outside the identity. Per vendor order, with
L = lines_total, S = shipping_fee, D = discount_share, C = commission:

    sale L  + shipping S  − discount D (vendor's, or operator's)  − C + C  = L + S − D
    refund: − lines part + discount part − shipping part (− C' + C')       = − refund.amount

i.e. commission only moves money from the vendor's side to the operator's side; it never
changes the total. The vendor's balance is Σ amount; the operator's net is Σ operator_amount.

What is computed how (choices, and why)
---------------------------------------
- Sale: one `sale` entry per order line, its total TTC (unit price × quantity, as paid
  before any discount code). One `shipping` entry with the vendor order's fee (the fee is
  the vendor's: it ships with its own carrier).
- Commission is charged on ITEMS ONLY, NOT ON SHIPPING (the fee pays the vendor's carrier;
  charging on it would make vendors raise fees and customers pay for it). It is computed
  per line, `rate × base` rounded to the cent, with the rate of `CommissionRate(vendor,
  line's category)` if one exists, else `CommissionRate(vendor, category=None)`, else
  `Vendor.commission_rate` — each time the row in force on the day the order was paid
  (latest `valid_from` not after the local date of `Order.validated_at`). The base is the
  line's total minus the line's share of a discount the VENDOR pays for (commission is
  earned on what the vendor really sells for); a discount the OPERATOR pays for does not
  lower it (the vendor is paid the full price).
  The rate and base are stored on the entry: a later rate change never rewrites history.
- Discount: each line's part of the code as charged at placement (`OrderLine.
  discount_amount`, split by `cart.discounts.discount_line_split`; the parts add up to the
  vendor order's `discount_share`). If the code is funded by the vendor:
  `discount_vendor` entries of −share. If by the operator: `discount_operator` entries whose
  `amount` is 0 (the vendor still gets the full price) and `operator_amount` is −share (the
  operator's cost, seen in the operator's view and in the admin).
- A refund (`ledger_record_refund`) writes the reversal of what it gives back, per line:
  `refund_sale` −(line amount), `refund_discount_*` +(its discount part), `refund_commission`
  +(its commission part) and `refund_shipping` −(shipping part). A line's discount and
  commission parts are proportional to the part of the line refunded; the refund that
  completes a line gives back exactly what is left (no rounding cent is ever lost) — the
  rule `orders.refunds.line_part`, shared with the refund service.

Call signatures for the other apps
----------------------------------
Paid order: `orders.services.order_payment_succeeded` calls the hook `order_paid` in its
transaction; `ledger_on_order_paid` writes every vendor order's entries there with

    ledger_record_sales(*, vendor_orders) -> {vendor_order_id: [LedgerEntry]}   # idempotent
    ledger_record_sale(*, vendor_order) -> list[LedgerEntry]      # the same, for one

Refunds of order lines are written by the refund service (`orders.refunds`), which calls
the hook `refund_recorded` in its transaction; `ledger_on_refund_recorded` (registered in
`ledger.apps`) writes the reversal there from the parts written on the lines. A refund the
provider finally reports FAILED calls the hook `refund_failed` (`payments.services`), and
`ledger_on_refund_failed` cancels the reversal in that same transaction.

For a refund of something else, one `Refund` row belongs to ONE vendor order; compute the
money first, refund the card, then record what went through:

    split = ledger_refund_split(
        vendor_order=vo,
        lines={line.pk: line.unit_price * refused_quantity, ...},  # TTC, before discount
        shipping_amount=Decimal("4.90"),                           # part of the fee, or 0
    )                                   # or lines_amount=Decimal(...) to spread over lines
    refund = payment_refund(payment=payment, amount=split.total, reason=..., idempotency_key=...)
    if refund.status != Refund.Status.FAILED:
        ledger_record_refund(refund=refund, vendor_order=vo, split=split)   # idempotent

`ledger_record_refund` also accepts `lines=` / `lines_amount=` / `shipping_amount=` /
`discount_amount=` directly instead of `split=` (it then computes the split itself, and the
refund's amount must equal lines + shipping − discount); a `discount_amount` is taken as
given (capped: never more than the discount the vendor order still carries, nor more than
the line refunded). The customer is refunded what they paid for those lines: the line
amount minus its part of the discount code.
`split.total` may be 0 (a line entirely paid by a 100 % code): there is no money to refund,
so no `Refund` row and nothing is recorded — see "Left open" below.
LedgerError (nothing written; the caller's transaction stays usable) when the refund
belongs to another order, failed, is already recorded with other amounts, or does not add
up, or when more is given back than what is left of a line, of the fee or of the discount.

A refund recorded while pending that later FAILS: `ledger_refund_failed(*, refund)`
(idempotent; it writes one `refund_failed` entry cancelling the reversal), called by the
`refund_failed` hook; `ledger_failed_refunds_reconcile()` catches up on any missed one.

Reads (`allies.ledger.selectors`): `vendor_statement(*, vendor, since=None, until=None)`
(entries + running balance), `vendor_balance(*, vendor)`, `vendor_balances()` and
`operator_summary()` for staff, `order_ledger_total()`. What may be paid out now is the
payouts' rule, `allies.payouts.selectors.vendor_payable`.

Left open
---------
- A refused line entirely paid by a 100 % discount code has no money to refund, hence no
  `Refund` row to hang its reversal on; it is not reversed.

Payouts
-------
A payout (`allies.payouts`) writes, when its P2P to the vendor's wallet succeeded, one
`payout` entry per vendor order it pays: amount −(what that vendor order still owed the
vendor), operator_amount 0. A paid vendor order's entries then sum to 0, and a later refund
makes it negative: the debt is taken from the next payout. With payouts the identity reads

    Σ (amount + operator_amount) over every entry = captured − refunds − P2P transfers

i.e. the marketplace wallet's balance (tests/payouts/test_money_properties.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import DateTimeField, Exists, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from allies.cart.discounts import split_proportionally
from allies.core.errors import AlliesError
from allies.core.money import round_cent
from allies.ledger.models import CommissionRate, LedgerEntry
from allies.orders.events import EventKind, order_event_add
from allies.orders.models import Order, OrderLine, VendorOrder
from allies.orders.refunds import RefundSplit as OrdersRefundSplit
from allies.orders.refunds import line_part
from allies.payments.models import Payment, Refund

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
RATE_PLACES = Decimal("0.0001")
Kind = LedgerEntry.Kind

DISCOUNT_KINDS = (Kind.DISCOUNT_OPERATOR, Kind.DISCOUNT_VENDOR)


class LedgerError(AlliesError):
    """The ledger cannot record this (wrong order, more than was paid, mismatching amounts).

    Its message is for staff and logs (English), never shown to a customer."""

    code = "ledger_refused"


# --- writes: sale -------------------------------------------------------------------------


def _sale_rows(vendor_order_ids: Sequence[int]) -> list[Mapping[str, Any]]:
    """Every line of the vendor orders with all the sale needs, in ONE query whatever their
    number (the hook runs inside the payment's settlement, whose query count is bounded),
    the lines locked; ordered by vendor order, then line."""
    # The rates in force on the day the order was PAID (PAY-2, dates of effect): the site's
    # local date of `Order.validated_at` (set by the payment's settlement, in this very
    # transaction, before the `order_paid` hook runs), today for an order without one. Per
    # key, the row with the latest `valid_from` not after that day.
    paid_on = TruncDate(
        Coalesce(
            OuterRef("vendor_order__order__validated_at"),
            Value(timezone.now()),
            output_field=DateTimeField(),
        ),
        tzinfo=timezone.get_default_timezone(),
    )
    rates = CommissionRate.objects.filter(
        vendor_id=OuterRef("vendor_id"), valid_from__lte=paid_on
    ).order_by("-valid_from", "-id")
    return list(
        OrderLine.objects.filter(vendor_order_id__in=vendor_order_ids)
        .select_for_update(of=("self",))
        .annotate(
            category_id=F("offer__variant__product__category_id"),
            category_rate=Subquery(
                rates.filter(category_id=OuterRef("offer__variant__product__category_id")).values(
                    "rate"
                )[:1]
            ),
            default_rate=Coalesce(
                Subquery(rates.filter(category__isnull=True).values("rate")[:1]),
                F("vendor__commission_rate"),
            ),
            recorded=Exists(
                LedgerEntry.objects.filter(
                    vendor_order_id=OuterRef("vendor_order_id"), kind=Kind.SALE
                )
            ),
        )
        .order_by("vendor_order_id", "id")
        .values(
            "id",
            "vendor_order_id",
            "unit_price",
            "quantity",
            "discount_amount",
            "product_title",
            "vendor_id",
            "category_id",
            "category_rate",
            "default_rate",
            "recorded",
            "vendor_order__lines_total",
            "vendor_order__shipping_fee",
            "vendor_order__discount_share",
            "vendor_order__order__status",
            "vendor_order__order__reference",
            "vendor_order__order__discount_code__code",
            "vendor_order__order__discount_code__funded_by",
            "vendor_order__order__discount_code__category_id",
        )  # fmt: skip
    )


def ledger_record_sale(*, vendor_order: VendorOrder) -> list[LedgerEntry]:
    """Write the entries of a paid vendor order: sales, discount, commission, shipping.

    Called once per vendor order when its order is validated (paid); calling it again
    returns the entries already written and writes nothing (one set per vendor order; the
    database refuses a second set too). LedgerError if the order is not validated (nothing
    is written). `ledger_record_sales` for several at once."""
    return ledger_record_sales(vendor_orders=[vendor_order])[vendor_order.pk]


def ledger_record_sales(*, vendor_orders: Sequence[VendorOrder]) -> dict[int, list[LedgerEntry]]:
    """`ledger_record_sale` of several vendor orders (an order's, when it is paid), in three
    statements whatever their number: one read of their lines, one insert of the entries, one
    upsert of their balances. Returns each vendor order's sale entries by its id; LedgerError
    (nothing written) if one of their orders is not validated."""
    result: dict[int, list[LedgerEntry]] = {}
    # No savepoint (it would cost queries inside the payment's settlement): a database
    # error here fails the caller's whole transaction, which is what we want (no validated
    # order without its entries). A refusal leaves the block normally, then raises.
    with transaction.atomic(savepoint=False):
        rows_by_order: dict[int, list[Mapping[str, Any]]] = {}
        for row in _sale_rows([vo.pk for vo in vendor_orders]):
            rows_by_order.setdefault(row["vendor_order_id"], []).append(row)
        new: dict[int, list[LedgerEntry]] = {}
        refused = ""
        for vendor_order in vendor_orders:
            rows = rows_by_order.get(vendor_order.pk)
            if not rows:
                created, refused = _record_sale_without_lines(vendor_order)
                result[vendor_order.pk] = created
            elif rows[0]["recorded"]:
                result[vendor_order.pk] = list(
                    LedgerEntry.objects.filter(vendor_order_id=vendor_order.pk, refund__isnull=True)
                )
            elif rows[0]["vendor_order__order__status"] != Order.Status.VALIDATED:
                refused = (
                    f"order {rows[0]['vendor_order__order__reference']} is not paid "
                    f"({rows[0]['vendor_order__order__status']})"
                )
            else:
                new[vendor_order.pk] = _sale_entries(vendor_order.pk, rows)
            if refused:
                break
        if not refused:
            LedgerEntry.objects.bulk_create([e for entries in new.values() for e in entries])
            result.update(new)
    if refused:
        raise LedgerError(refused)
    return result


def _sale_entries(vendor_order_id: int, rows: Sequence[Mapping[str, Any]]) -> list[LedgerEntry]:
    first = rows[0]
    code = first["vendor_order__order__discount_code__code"] or ""
    funded_by_vendor = first["vendor_order__order__discount_code__funded_by"] == "vendor"
    code_category = first["vendor_order__order__discount_code__category_id"]
    totals = {r["id"]: round_cent(r["unit_price"] * r["quantity"]) for r in rows}

    # Each line's part of the code, as charged at placement (OrderLine.discount_amount): the
    # refund service gives back exactly the same.
    discounts = {r["id"]: round_cent(r["discount_amount"] or ZERO) for r in rows}
    share = round_cent(first["vendor_order__discount_share"] or ZERO)
    if sum(discounts.values(), ZERO) != share:
        # Never seen (placement and the orders/0004 migration fill the parts): keep the
        # identity true by the placement rule's proportions.
        logger.error("vendor order %s: line discounts differ from its share", vendor_order_id)
        eligible = {
            r["id"]: totals[r["id"]]
            for r in rows
            if code_category is None or r["category_id"] == code_category
        }
        # The product may have changed category since: then every line carries a share.
        discounts = split_proportionally(share, eligible or dict(totals))

    now = timezone.now()
    entries: list[LedgerEntry] = []

    def add(kind: str, amount: Decimal, operator: Decimal = ZERO, **extra: Any) -> None:
        entries.append(
            LedgerEntry(
                vendor_id=first["vendor_id"],
                vendor_order_id=vendor_order_id,
                kind=kind,
                amount=amount,
                operator_amount=operator,
                created_at=now,
                **extra,
            )
        )

    for r in rows:
        line_id, total = r["id"], totals[r["id"]]
        label = f"{r['product_title']} × {r['quantity']}"[:300]
        add(Kind.SALE, total, order_line_id=line_id, description=label)
        discount = discounts.get(line_id, ZERO)
        if discount > 0:
            if funded_by_vendor:
                add(Kind.DISCOUNT_VENDOR, -discount, order_line_id=line_id, base=discount,
                    description=f"{code} · {label}"[:300])  # fmt: skip
            else:
                add(Kind.DISCOUNT_OPERATOR, ZERO, -discount, order_line_id=line_id,
                    base=discount, description=f"{code} · {label}"[:300])  # fmt: skip
        rate = r["category_rate"] if r["category_rate"] is not None else r["default_rate"]
        rate = Decimal(rate).quantize(RATE_PLACES)  # a subquery's value comes as float on SQLite
        base = total - discount if funded_by_vendor else total
        commission = round_cent(base * rate)
        if commission:
            add(Kind.COMMISSION, -commission, commission, order_line_id=line_id,
                base=base, rate=rate, description=label)  # fmt: skip
    gap = round_cent(first["vendor_order__lines_total"]) - sum(totals.values(), ZERO)
    if gap:
        # Never seen: lines_total is the sum of the lines. Keep the identity true anyway.
        logger.error("vendor order %s: lines_total differs from its lines by %s",
                     vendor_order_id, gap)  # fmt: skip
        add(Kind.SALE, gap, description="Écart entre le total et les lignes")
    fee = round_cent(first["vendor_order__shipping_fee"] or ZERO)
    if fee:
        add(Kind.SHIPPING, fee)  # the page names the mode from the vendor order
    return entries


def _record_sale_without_lines(vendor_order: VendorOrder) -> tuple[list[LedgerEntry], str]:
    """A vendor order without lines (checkout never makes one): only its fees can be owed."""
    vo = VendorOrder.objects.select_for_update().select_related("order").get(pk=vendor_order.pk)
    existing = list(LedgerEntry.objects.filter(vendor_order=vo, refund__isnull=True))
    if existing:
        return existing, ""
    if vo.order.status != Order.Status.VALIDATED:
        return [], f"order {vo.order.reference} is not paid ({vo.order.status})"
    entries = []
    if vo.lines_total:
        entries.append(LedgerEntry(vendor_id=vo.vendor_id, vendor_order=vo, kind=Kind.SALE,
                                   amount=round_cent(vo.lines_total)))  # fmt: skip
    if vo.shipping_fee:
        entries.append(LedgerEntry(vendor_id=vo.vendor_id, vendor_order=vo, kind=Kind.SHIPPING,
                                   amount=round_cent(vo.shipping_fee)))  # fmt: skip
    return LedgerEntry.objects.bulk_create(entries), ""


# --- writes: refunds ----------------------------------------------------------------------


@dataclass(frozen=True)
class RefundSplit:
    """What a refund gives back for one vendor order; `total` is what goes back to the card.

    `lines` maps an order line id to (amount TTC of the line refunded, its discount part).
    """

    vendor_order_id: int
    lines: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)
    shipping_amount: Decimal = ZERO

    @property
    def lines_amount(self) -> Decimal:
        return sum((amount for amount, _d in self.lines.values()), ZERO)

    @property
    def discount_amount(self) -> Decimal:
        return sum((discount for _a, discount in self.lines.values()), ZERO)

    @property
    def total(self) -> Decimal:
        return self.lines_amount - self.discount_amount + self.shipping_amount


@dataclass
class _LineState:
    total: Decimal = ZERO  # sold (TTC)
    refunded: Decimal = ZERO  # already refunded (TTC, before discount)
    discount: Decimal = ZERO
    discount_kind: str = ""
    discount_back: Decimal = ZERO
    commission: Decimal = ZERO
    commission_back: Decimal = ZERO


@dataclass
class _OrderState:
    lines: dict[int, _LineState]
    shipping: Decimal
    shipping_back: Decimal
    recorded: bool  # the sale was recorded


def _state(vendor_order_id: int) -> _OrderState:
    """What the ledger says of a vendor order: sold, discounted, commissioned, refunded.

    Reads every entry of the vendor order once (a handful of rows); the reversals of refunds
    that later failed do not count.
    """
    entries = list(
        LedgerEntry.objects.filter(vendor_order_id=vendor_order_id).values(
            "kind", "order_line_id", "refund_id", "amount", "operator_amount", "base"
        )
    )
    failed = {e["refund_id"] for e in entries if e["kind"] == Kind.REFUND_FAILED}
    lines: dict[int, _LineState] = {}
    shipping = shipping_back = ZERO
    recorded = False
    for e in entries:
        if e["refund_id"] is not None and e["refund_id"] in failed:
            continue
        kind, line_id = e["kind"], e["order_line_id"]
        line = lines.setdefault(line_id, _LineState()) if line_id else None
        if kind == Kind.SALE:
            recorded = True
            if line is not None:
                line.total += e["amount"]
        elif kind == Kind.SHIPPING:
            recorded = True
            shipping += e["amount"]
        elif line is None:
            if kind == Kind.REFUND_SHIPPING:
                shipping_back -= e["amount"]
        elif kind in DISCOUNT_KINDS:
            line.discount += e["base"] or ZERO
            line.discount_kind = kind
        elif kind == Kind.COMMISSION:
            line.commission += e["operator_amount"]
        elif kind == Kind.REFUND_SALE:
            line.refunded -= e["amount"]
        elif kind in (Kind.REFUND_DISCOUNT_OPERATOR, Kind.REFUND_DISCOUNT_VENDOR):
            line.discount_back += e["base"] or ZERO
        elif kind == Kind.REFUND_COMMISSION:
            line.commission_back -= e["operator_amount"]
    return _OrderState(lines=lines, shipping=shipping, shipping_back=shipping_back,
                       recorded=recorded)  # fmt: skip


def _line_part(s: _LineState, what: str, amount: Decimal) -> Decimal:
    """The line's discount or commission part that goes back with `amount` of it: the rule
    of the refund service (`orders.refunds.line_part`), so both always agree."""
    return line_part(
        whole=getattr(s, what),
        whole_back=getattr(s, f"{what}_back"),
        line_total=s.total,
        line_back=s.refunded,
        refunded=amount,
    )


def _money(value: Any, name: str) -> Decimal:
    try:
        amount = Decimal(value)
    except (TypeError, ArithmeticError, ValueError) as exc:
        raise LedgerError(f"{name}: not an amount: {value!r}") from exc
    if not amount.is_finite() or amount != round_cent(amount) or amount < 0:
        raise LedgerError(f"{name}: a positive amount in cents is expected, got {value}")
    return amount


def _split(
    *,
    state: _OrderState,
    vendor_order_id: int,
    lines: Mapping[Any, Decimal] | None,
    lines_amount: Decimal | None,
    shipping_amount: Decimal | None,
    discount_amount: Decimal | None,
) -> RefundSplit:
    shipping_amount = _money(shipping_amount or ZERO, "shipping_amount")
    if shipping_amount > state.shipping - state.shipping_back:
        raise LedgerError(
            f"shipping refund {shipping_amount} exceeds what is left "
            f"({state.shipping - state.shipping_back})"
        )
    wanted: dict[int, Decimal] = {}
    for key, value in (lines or {}).items():
        line_id = getattr(key, "pk", key)
        if line_id not in state.lines:
            raise LedgerError(f"line {line_id} is not a line of vendor order {vendor_order_id}")
        amount = _money(value, f"line {line_id}")
        if amount:
            wanted[line_id] = wanted.get(line_id, ZERO) + amount
    if lines_amount is not None:
        lines_amount = _money(lines_amount, "lines_amount")
        if lines:
            if sum(wanted.values(), ZERO) != lines_amount:
                raise LedgerError("lines_amount is not the sum of the lines given")
        elif lines_amount:
            # Spread over the lines in proportion to what is left of each.
            left = {i: s.total - s.refunded for i, s in state.lines.items() if s.total > s.refunded}
            if lines_amount > sum(left.values(), ZERO):
                raise LedgerError(f"lines refund {lines_amount} exceeds what is left")
            wanted = {i: a for i, a in split_proportionally(lines_amount, left).items() if a}
    result: dict[int, tuple[Decimal, Decimal]] = {}
    for line_id, amount in wanted.items():
        s = state.lines[line_id]
        if s.refunded + amount > s.total:
            raise LedgerError(
                f"line {line_id}: refund {amount} exceeds what is left ({s.total - s.refunded})"
            )
        result[line_id] = (amount, _line_part(s, "discount", amount))
    if discount_amount is not None:
        # The caller's own discount rule (e.g. the fulfilment's per-line refund amounts): any
        # split is right for the money as long as the vendor order never gets back more
        # discount than it carried, and no line more than its refunded amount.
        discount_amount = _money(discount_amount, "discount_amount")
        if discount_amount != sum((d for _a, d in result.values()), ZERO):
            discount_left = sum((s.discount - s.discount_back for s in state.lines.values()), ZERO)
            if discount_amount > discount_left:
                raise LedgerError(
                    f"discount part {discount_amount} exceeds the discount left ({discount_left})"
                )
            if discount_amount and not result:
                raise LedgerError("a discount part needs refunded lines")
            weights = {i: d for i, (_a, d) in result.items() if d} or {
                i: a for i, (a, _d) in result.items()
            }
            parts = split_proportionally(discount_amount, weights) if discount_amount else {}
            for i, (amount, _d) in result.items():
                part = parts.get(i, ZERO)
                if part > amount:
                    raise LedgerError(f"line {i}: discount part {part} exceeds the line refund")
                result[i] = (amount, part)
    return RefundSplit(vendor_order_id=vendor_order_id, lines=result,
                       shipping_amount=shipping_amount)  # fmt: skip


def ledger_refund_split(
    *,
    vendor_order: VendorOrder,
    lines: Mapping | None = None,
    lines_amount: Decimal | None = None,
    shipping_amount: Decimal = ZERO,
    discount_amount: Decimal | None = None,
) -> RefundSplit:
    """How much to refund for these lines (TTC amounts, before discount) and shipping part.

    `lines` maps order lines (or their ids) to the amount of each given back; or give
    `lines_amount` alone to spread it over the lines in proportion to what is left of each.
    The discount part is each line's share of the code, pro rata (the refund completing a
    line takes exactly what is left), unless `discount_amount` says it. `split.total` is
    what goes back to the card. LedgerError if it is more than what is left to refund.
    """
    state = _state(vendor_order.pk)
    if not state.recorded:
        raise LedgerError(f"vendor order {vendor_order.pk} has no recorded sale")
    return _split(state=state, vendor_order_id=vendor_order.pk, lines=lines,
                  lines_amount=lines_amount, shipping_amount=shipping_amount,
                  discount_amount=discount_amount)  # fmt: skip


def _same_split(entries: Iterable[LedgerEntry], split: RefundSplit) -> bool:
    sold = -sum((e.amount for e in entries if e.kind == Kind.REFUND_SALE), ZERO)
    shipping = -sum((e.amount for e in entries if e.kind == Kind.REFUND_SHIPPING), ZERO)
    return sold == split.lines_amount and shipping == split.shipping_amount


@transaction.atomic
def ledger_record_refund(
    *,
    refund: Refund,
    vendor_order: VendorOrder,
    split: RefundSplit | None = None,
    lines: Mapping | None = None,
    lines_amount: Decimal | None = None,
    shipping_amount: Decimal = ZERO,
    discount_amount: Decimal | None = None,
) -> list[LedgerEntry]:
    """Write the entries reversing what `refund` gave back on `vendor_order`.

    Give the `split` from `ledger_refund_split` (the amount refunded was its `total`), or
    the same arguments as `ledger_refund_split`. The refund must belong to the vendor
    order's order, not have failed, and its amount must equal lines − discount + shipping.
    Idempotent per refund: recording it again returns the entries already written (and
    LedgerError if they say something else, or name another vendor order). Runs in its own
    savepoint: a LedgerError leaves the caller's transaction usable.
    """
    vo = VendorOrder.objects.select_for_update().get(pk=vendor_order.pk)
    refund = Refund.objects.select_related("payment").get(pk=refund.pk)
    if refund.payment.order_id != vo.order_id:
        raise LedgerError(f"refund {refund.pk} is not a refund of this vendor order's order")
    if refund.payment.status != Payment.Status.SUCCEEDED:
        raise LedgerError(f"refund {refund.pk}: its payment was never captured")
    existing = list(LedgerEntry.objects.filter(refund=refund).exclude(kind=Kind.REFUND_FAILED))
    if existing:
        if any(e.vendor_order_id != vo.pk for e in existing):
            raise LedgerError(f"refund {refund.pk} is already recorded for another vendor order")
        if split is not None and not _same_split(existing, split):
            raise LedgerError(f"refund {refund.pk} is already recorded with other amounts")
        return existing
    if refund.status == Refund.Status.FAILED:
        raise LedgerError(f"refund {refund.pk} failed: nothing was given back")
    state = _state(vo.pk)
    if not state.recorded:
        raise LedgerError(f"vendor order {vo.pk} has no recorded sale")
    if split is None:
        split = _split(state=state, vendor_order_id=vo.pk, lines=lines,
                       lines_amount=lines_amount, shipping_amount=shipping_amount,
                       discount_amount=discount_amount)  # fmt: skip
    elif split.vendor_order_id != vo.pk:
        raise LedgerError("this split was computed for another vendor order")
    else:
        # Computed before the lock: check it again against the ledger as it is now (same
        # amounts, each line's discount part within what is left).
        split = _split(state=state, vendor_order_id=vo.pk,
                       lines={i: a for i, (a, _d) in split.lines.items()}, lines_amount=None,
                       shipping_amount=split.shipping_amount,
                       discount_amount=split.discount_amount)  # fmt: skip
    if split.total != refund.amount:
        raise LedgerError(
            f"refund {refund.pk} is {refund.amount}, the split says {split.total} "
            f"(lines {split.lines_amount} − discount {split.discount_amount} "
            f"+ shipping {split.shipping_amount})"
        )

    now = timezone.now()
    reason = (refund.reason or "")[:300]
    entries: list[LedgerEntry] = []

    def add(kind: str, amount: Decimal, operator: Decimal = ZERO, **extra: Any) -> None:
        entries.append(
            LedgerEntry(
                vendor_id=vo.vendor_id,
                vendor_order=vo,
                refund=refund,
                kind=kind,
                amount=amount,
                operator_amount=operator,
                created_at=now,
                description=reason,
                **extra,
            )
        )

    for line_id, (amount, discount) in sorted(split.lines.items()):
        s = state.lines[line_id]
        add(Kind.REFUND_SALE, -amount, order_line_id=line_id)
        if discount:
            if s.discount_kind == Kind.DISCOUNT_VENDOR:
                add(Kind.REFUND_DISCOUNT_VENDOR, discount, order_line_id=line_id, base=discount)
            else:
                add(Kind.REFUND_DISCOUNT_OPERATOR, ZERO, discount, order_line_id=line_id,
                    base=discount)  # fmt: skip
        commission = _line_part(s, "commission", amount)
        if commission:
            add(Kind.REFUND_COMMISSION, commission, -commission, order_line_id=line_id,
                base=amount)  # fmt: skip
    if split.shipping_amount:
        add(Kind.REFUND_SHIPPING, -split.shipping_amount)
    return LedgerEntry.objects.bulk_create(entries)


@transaction.atomic
def ledger_refund_failed(*, refund: Refund) -> LedgerEntry | None:
    """A recorded refund failed at the provider: cancel its reversal with one entry.

    Idempotent; does nothing (None) if the refund did not fail or was never recorded.
    """
    refund = Refund.objects.get(pk=refund.pk)
    if refund.status != Refund.Status.FAILED:
        return None
    entries = list(LedgerEntry.objects.filter(refund=refund).order_by("id"))
    if not entries:
        return None
    vo = VendorOrder.objects.select_for_update().get(pk=entries[0].vendor_order_id)
    done = LedgerEntry.objects.filter(refund=refund, kind=Kind.REFUND_FAILED).first()
    if done is not None:
        return done
    return LedgerEntry.objects.create(
        vendor_id=vo.vendor_id,
        vendor_order=vo,
        refund=refund,
        kind=Kind.REFUND_FAILED,
        amount=-sum((e.amount for e in entries), ZERO),
        operator_amount=-sum((e.operator_amount for e in entries), ZERO),
        description=(refund.failure_message or refund.reason or "")[:300],
    )


@transaction.atomic
def ledger_record_return_label(
    *, vendor_order: VendorOrder, cost: Decimal, vendor_pays: bool, reference: str
) -> LedgerEntry:
    """Record a prepaid return label bought for a return of `vendor_order` (RET-5).

    The customer pays nothing either way. Charged to the vendor, it moves `cost` from the
    vendor's side to the operator's (who pays the carrier); at the operator's expense, the
    entry moves nothing in this ledger of customer money and keeps the cost in `base` for
    the operator's reports. Idempotent per `reference` (the return's).
    """
    cost = _money(cost, "cost")
    vo = VendorOrder.objects.select_for_update().get(pk=vendor_order.pk)
    existing = LedgerEntry.objects.filter(
        vendor_order=vo, kind=Kind.RETURN_LABEL, description=reference[:300]
    ).first()
    if existing is not None:
        return existing
    return LedgerEntry.objects.create(
        vendor_id=vo.vendor_id,
        vendor_order=vo,
        kind=Kind.RETURN_LABEL,
        amount=-cost if vendor_pays else ZERO,
        operator_amount=cost if vendor_pays else ZERO,
        base=cost,
        description=reference[:300],
    )


def ledger_on_order_paid(
    *, order: Order, vendor_orders: Sequence[VendorOrder] | None = None
) -> None:
    """Receiver of the `order_paid` hook (registered in `ledger.apps`): the sale entries of
    each vendor order (`vendor_orders`, the order's, as the validation read them), in the
    transaction that validates the order (no validated order without its entries: a
    LedgerError fails that transaction)."""
    if vendor_orders is None:
        vendor_orders = list(VendorOrder.objects.filter(order=order))
    ledger_record_sales(vendor_orders=vendor_orders)


def ledger_on_refund_recorded(
    *,
    refund: Refund,
    vendor_order: VendorOrder,
    lines: Sequence[OrderLine],
    split: OrdersRefundSplit,
) -> None:
    """Receiver of the `refund_recorded` hook (registered in `ledger.apps`): the reversal
    of a refund of order lines, in the refund's own transaction, from the refund service's
    split (each line's articles less what the vendor keeps, shipping share, discount part).

    The money goes back whatever the ledger says: a refusal here (a vendor order paid before
    the ledger existed has no sale to reverse) is logged and put on the order's timeline for
    staff, and the refund goes on (the savepoint of `ledger_record_refund` undid its part).
    """

    try:
        ledger_record_refund(
            refund=refund,
            vendor_order=vendor_order,
            lines={part.line_id: part.articles - part.deduction for part in split.lines},
            shipping_amount=split.shipping,
            discount_amount=split.discount,
        )
    except LedgerError as exc:
        logger.error("ledger entries of refund %s could not be written: %s", refund.pk, exc)
        order_event_add(order=vendor_order.order, vendor_order=vendor_order,
                        kind=EventKind.LEDGER_FAILED, refund=refund.pk,
                        error=str(exc)[:300])  # fmt: skip


def ledger_on_refund_failed(*, refund: Refund) -> None:
    """Receiver of the `refund_failed` hook: the provider finally refused the refund, so its
    reversal is cancelled in the same transaction (the vendor keeps the sale)."""
    ledger_refund_failed(refund=refund)


def ledger_failed_refunds_reconcile() -> int:
    """Cancel the reversal of every recorded refund that failed since; returns how many."""
    refunds = (
        Refund.objects.filter(status=Refund.Status.FAILED, ledger_entries__isnull=False)
        .exclude(ledger_entries__kind=Kind.REFUND_FAILED)
        .distinct()
    )
    count = 0
    for refund in refunds:
        if ledger_refund_failed(refund=refund) is not None:
            count += 1
    return count
