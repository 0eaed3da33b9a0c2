"""The money ledger's reads (PAY-2): a vendor's statement and balances, the operator's side,
and the two sides of the ledger's identity for one order.

Every read here filters by the vendor it is given (a vendor never sees another's entries);
who may read which vendor's statement is decided by the caller (`vendors.selectors`). How
the entries are written, and the identity they keep, is at the top of
`allies/ledger/services.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from allies.core.money import round_cent
from allies.ledger.models import CommissionRate, LedgerEntry
from allies.orders.models import Order
from allies.payments.models import Payment, Refund
from allies.vendors.models import Vendor

ZERO = Decimal("0.00")
Kind = LedgerEntry.Kind


def _rates_for(vendor: Vendor, *, on: date) -> tuple[Decimal, dict[int, Decimal]]:
    """The vendor's default rate and its per-category rates in force on the day `on`.

    Dates of effect (PAY-2): for each category (and for the vendor-wide row, category
    empty) the row with the latest `valid_from` not after `on` wins; a category without a
    row in force falls back to the vendor-wide row, and that to `Vendor.commission_rate`.
    One query; rows starting after `on` (future changes) are ignored.
    """
    default = vendor.commission_rate
    by_category: dict[int, Decimal] = {}
    rows = (
        CommissionRate.objects.filter(vendor=vendor, valid_from__lte=on)
        .order_by("valid_from", "id")
        .values_list("category_id", "rate")
    )
    for category_id, rate in rows:  # ascending: the latest row of each key is kept
        if category_id is None:
            default = rate
        else:
            by_category[category_id] = rate
    return default, by_category


def commission_rate_for(
    *, vendor: Vendor, category_id: int | None, on: date | None = None
) -> Decimal:
    """The commission rate of a line of `vendor` in this category paid on the day `on` (the
    site's local date; today when not given)."""
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    default, by_category = _rates_for(vendor, on=on or today)
    return by_category.get(category_id, default) if category_id is not None else default


def cents_round(value: Any) -> Decimal:
    """An aggregate as Decimal euros rounded to the cent (0 for none): SQLite sums decimals
    as floats (0.1 + 0.2 noise)."""
    return round_cent(value) if value is not None else ZERO


def sum_of(qs: QuerySet[Any], name: str = "amount") -> Decimal:
    """`Σ name` over `qs`, rounded to the cent."""
    return cents_round(qs.aggregate(total=Sum(name))["total"])


@dataclass(frozen=True)
class StatementRow:
    entry: LedgerEntry
    balance: Decimal  # the vendor's balance right after this entry


@dataclass(frozen=True)
class Statement:
    vendor: Vendor
    since: datetime | None
    until: datetime | None
    opening_balance: Decimal  # before `since` (0 without it)
    closing_balance: Decimal  # at `until` (now without it)
    credits: Decimal  # sum of the period's positive entries
    debits: Decimal  # sum of the period's negative entries
    rows: list[StatementRow]
    count: int  # entries in the period (rows may be one page of them)
    offset: int


def vendor_entries(
    *, vendor: Vendor, since: datetime | None = None, until: datetime | None = None
) -> QuerySet[LedgerEntry]:
    """The vendor's entries, oldest first, in [since, until). Only this vendor's."""
    qs = LedgerEntry.objects.filter(vendor=vendor)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs.order_by("created_at", "id")


def vendor_statement(
    *,
    vendor: Vendor,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> Statement:
    """The vendor's "Relevé": its entries in [since, until) with the balance after each.

    `offset`/`limit` give one page of the period; the running balance stays right on every
    page (it starts from the balance before the page). At most five queries, whatever the
    number of entries.
    """
    period = vendor_entries(vendor=vendor, since=since, until=until)
    opening = (
        sum_of(LedgerEntry.objects.filter(vendor=vendor, created_at__lt=since)) if since else ZERO
    )
    totals = period.aggregate(
        credits=Sum("amount", filter=Q(amount__gt=0)),
        debits=Sum("amount", filter=Q(amount__lt=0)),
        count=Count("id"),
    )
    credits, debits = cents_round(totals["credits"]), cents_round(totals["debits"])
    count = totals["count"]
    offset = max(0, min(offset, count))
    before_page = sum_of(period[:offset]) if offset else ZERO
    page = period.select_related("vendor_order__order", "order_line", "refund")
    page = page[offset : offset + limit] if limit is not None else page[offset:]
    balance = opening + before_page
    rows = []
    for entry in page:
        balance += entry.amount
        rows.append(StatementRow(entry=entry, balance=balance))
    return Statement(
        vendor=vendor,
        since=since,
        until=until,
        opening_balance=opening,
        closing_balance=opening + credits + debits,
        credits=credits,
        debits=debits,
        rows=rows,
        count=count,
        offset=offset,
    )


def vendor_balance(*, vendor: Vendor, as_of: datetime | None = None) -> Decimal:
    """What the marketplace owes the vendor in all (entries up to `as_of`)."""
    qs = LedgerEntry.objects.filter(vendor=vendor)
    if as_of is not None:
        qs = qs.filter(created_at__lte=as_of)
    return sum_of(qs)


def _live(kinds: Sequence[str]) -> Q:
    """Entries of these kinds, leaving out the reversals of refunds that later failed."""
    cancelled = LedgerEntry.objects.filter(kind=Kind.REFUND_FAILED, refund__isnull=False).values(
        "refund_id"
    )
    return Q(kind__in=kinds) & (Q(refund__isnull=True) | ~Q(refund_id__in=cancelled))


COMMISSION_KINDS = [Kind.COMMISSION, Kind.REFUND_COMMISSION]
OPERATOR_DISCOUNT_KINDS = [Kind.DISCOUNT_OPERATOR, Kind.REFUND_DISCOUNT_OPERATOR]


def vendor_balances(*, entries: QuerySet[LedgerEntry] | None = None) -> list[dict[str, Any]]:
    """Per vendor, over `entries` (all by default): what is owed to it (`balance`), the
    commission it paid (`commission`) and the operator's net on its orders (`operator`).
    One query."""
    qs = entries if entries is not None else LedgerEntry.objects.all()
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in qs.order_by()
        .values("vendor_id", "vendor__name", "vendor__slug")
        .annotate(
            balance=Sum("amount"),
            operator=Sum("operator_amount"),
            commission=Sum("operator_amount", filter=_live(COMMISSION_KINDS)),
        )
        .order_by("vendor__name", "vendor_id")
    ]
    for row in rows:
        for key in ("balance", "operator", "commission"):
            row[key] = cents_round(row[key])
    return rows


def operator_summary(*, entries: QuerySet[LedgerEntry] | None = None) -> dict[str, Decimal]:
    """The operator's side, over `entries` (all by default): commission earned, discounts it
    paid for (negative), its net (`operator`), what it owes vendors (`vendors`), and the
    customer money all this accounts for (`customer_money`). One query."""
    qs = entries if entries is not None else LedgerEntry.objects.all()
    totals = qs.order_by().aggregate(
        commission=Sum("operator_amount", filter=_live(COMMISSION_KINDS)),
        discounts=Sum("operator_amount", filter=_live(OPERATOR_DISCOUNT_KINDS)),
        operator=Sum("operator_amount"),
        vendors=Sum("amount"),
    )
    summary = {key: cents_round(value) for key, value in totals.items()}
    summary["customer_money"] = summary["operator"] + summary["vendors"]
    return summary


def order_ledger_total(*, order: Order) -> Decimal:
    """Σ (amount + operator_amount) over the order's entries: the customer money they hold."""
    totals = LedgerEntry.objects.filter(vendor_order__order=order).aggregate(
        vendor=Sum("amount"), operator=Sum("operator_amount")
    )
    return cents_round(totals["vendor"]) + cents_round(totals["operator"])


def order_money_captured(*, order: Order) -> Decimal:
    """What the order's payment captured minus its refunds (pending or succeeded).

    The right-hand side of the identity: it reads payments and refunds only, never the
    ledger, so a refund nobody recorded in the ledger shows as a difference.
    """
    captured = sum_of(Payment.objects.filter(order=order, status=Payment.Status.SUCCEEDED))
    refunded = sum_of(
        Refund.objects.filter(
            payment__order=order,
            payment__status=Payment.Status.SUCCEEDED,
            status__in=[Refund.Status.PENDING, Refund.Status.SUCCEEDED],
        )
    )
    return captured - refunded
