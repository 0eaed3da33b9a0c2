"""The vendor's monthly statement (PAY-2, VEN-2): the "Relevé" cut into calendar months.

A month is a calendar month in the site's time zone (`settings.TIME_ZONE`, Europe/Paris),
whatever the reader's: an entry written at 23:30 UTC on 31 October belongs to November
(00:30 in Paris). Every figure comes from the ledger's entries (`allies.ledger.models`), and
the months add up by construction:

    opening(N) = Σ entries before N          closing(N) = opening(N) + Σ entries of N
    opening(N + 1) = closing(N)              Σ over every month = the vendor's balance

Each month's entries are also summed by kind group (sales, shipping, commissions, refunds,
payouts, anything else), so opening + Σ groups = closing. The payouts of the month are read
from the payout entries (`LedgerEntry.Kind.PAYOUT`, grouped by `payout_id`), each with the
vendor orders it paid.

Every read is a bounded number of queries whatever the number of entries: sums are done by
the database, and lines are read one page (or a capped number) at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allies.core.errors import AlliesError
from allies.ledger.models import LedgerEntry
from allies.ledger.selectors import (
    ZERO,
    Statement,
    StatementRow,
    cents_round,
    sum_of,
    vendor_entries,
)
from allies.payouts.models import Payout
from allies.vendors.models import Vendor

Kind = LedgerEntry.Kind

MIN_YEAR, MAX_YEAR = 2000, 2100
# The payout lines shown under the month's payouts on the page and in the PDF; the CSV has
# every entry of the month, payout lines included.
PAYOUT_LINES_SHOWN = 200


class StatementMonthInvalid(AlliesError):
    """A month asked for (URL, query string) that is not a month the statement can show."""


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in the site's time zone."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (MIN_YEAR <= self.year <= MAX_YEAR and 1 <= self.month <= 12):
            raise StatementMonthInvalid(
                _(
                    "Ce mois n'existe pas : choisissez un mois entre janvier %(first)s "
                    "et décembre %(last)s."
                )
                % {"first": MIN_YEAR, "last": MAX_YEAR}
            )

    @classmethod
    def parse(cls, text: str) -> Month:
        """`"2026-11"` → November 2026; anything else raises `StatementMonthInvalid`."""
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", (text or "").strip())
        if not match:
            raise StatementMonthInvalid(
                _("« %(value)s » n'est pas un mois : écrivez-le sous la forme 2026-11.")
                % {"value": (text or "")[:20]}
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, moment: datetime | None = None) -> Month:
        """The month (site time zone) of `moment`, now by default."""
        local = timezone.localtime(moment or timezone.now(), timezone.get_default_timezone())
        return cls(local.year, local.month)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> datetime:
        """Midnight on the 1st, site time zone (aware)."""
        return datetime(self.year, self.month, 1, tzinfo=timezone.get_default_timezone())

    @property
    def end(self) -> datetime:
        """The start of the next month (exclusive end)."""
        return self.next.start if self.year < MAX_YEAR or self.month < 12 else _after_max()

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return self.end.date() - timedelta(days=1)

    @property
    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    @property
    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def neighbour(self, step: int) -> Month | None:
        """The previous (−1) or next (+1) month, None past the bounds (for navigation)."""
        try:
            return self.previous if step < 0 else self.next
        except StatementMonthInvalid:
            return None

    def __str__(self) -> str:
        return self.key


def _after_max() -> datetime:
    return datetime(MAX_YEAR + 1, 1, 1, tzinfo=timezone.get_default_timezone())


@dataclass(frozen=True)
class KindGroup:
    key: str
    label: Any  # a lazy translation
    kinds: tuple[str, ...]


# The groups a month's entries are summed by. "other" takes every kind not listed (a kind
# added later still counts, so the groups always add up to the month's total).
KIND_GROUPS: tuple[KindGroup, ...] = (
    KindGroup("sales", _("Ventes"), (Kind.SALE, Kind.DISCOUNT_VENDOR, Kind.DISCOUNT_OPERATOR)),
    KindGroup("shipping", _("Frais de port"), (Kind.SHIPPING,)),
    KindGroup("commissions", _("Commissions"), (Kind.COMMISSION, Kind.REFUND_COMMISSION)),
    KindGroup(
        "refunds",
        _("Remboursements et retours"),
        (
            Kind.REFUND_SALE,
            Kind.REFUND_SHIPPING,
            Kind.REFUND_DISCOUNT_OPERATOR,
            Kind.REFUND_DISCOUNT_VENDOR,
            Kind.REFUND_FAILED,
            Kind.RETURN_LABEL,
        ),
    ),
    KindGroup("payouts", _("Virements"), (Kind.PAYOUT,)),
)
OTHER_GROUP_LABEL = _("Autres opérations")


@dataclass(frozen=True)
class GroupTotal:
    key: str
    label: Any
    amount: Decimal


@dataclass(frozen=True)
class PayoutLine:
    """One vendor order paid by a payout: the entry's amount is −(what the order had left)."""

    entry_id: int
    reference: str  # the customer order's reference (AL-2026-000123)
    vendor_order_id: int
    amount: Decimal  # as paid: positive


@dataclass
class PayoutOfMonth:
    payout: Payout
    amount: Decimal  # Σ of its entries this month, as paid (positive)
    line_count: int
    first_entry_at: datetime
    lines: list[PayoutLine] = field(default_factory=list)

    @property
    def lines_hidden(self) -> int:
        return self.line_count - len(self.lines)


@dataclass(frozen=True)
class PeriodSummary:
    vendor: Vendor
    since: datetime | None
    until: datetime | None
    opening_balance: Decimal
    credits: Decimal  # Σ positive entries of the period
    debits: Decimal  # Σ negative entries (≤ 0)
    closing_balance: Decimal
    count: int
    groups: list[GroupTotal]
    payouts: list[PayoutOfMonth]

    @property
    def net(self) -> Decimal:
        return self.credits + self.debits


def _period(vendor: Vendor, since: datetime | None, until: datetime | None) -> Q:
    q = Q(vendor=vendor)
    if since is not None:
        q &= Q(created_at__gte=since)
    if until is not None:
        q &= Q(created_at__lt=until)
    return q


def vendor_period_summary(
    *,
    vendor: Vendor,
    since: datetime | None,
    until: datetime | None,
    payout_lines: int = PAYOUT_LINES_SHOWN,
) -> PeriodSummary:
    """Opening and closing balances, credits, debits, totals by kind group and the payouts
    of [since, until) for `vendor` (only its entries). One query for the sums; the payouts
    take three more when the period has any, whatever their number of lines (at most
    `payout_lines` lines are read)."""
    scope = LedgerEntry.objects.filter(vendor=vendor)
    if until is not None:
        scope = scope.filter(created_at__lt=until)
    in_period = Q(created_at__gte=since) if since is not None else Q()
    aggregates: dict[str, Any] = {
        "opening": Sum("amount", filter=~in_period) if since is not None else None,
        "credits": Sum("amount", filter=in_period & Q(amount__gt=0)),
        "debits": Sum("amount", filter=in_period & Q(amount__lt=0)),
        "count": Count("id", filter=in_period) if since is not None else Count("id"),
    }
    for group in KIND_GROUPS:
        aggregates[f"group_{group.key}"] = Sum("amount", filter=in_period & Q(kind__in=group.kinds))
    totals = scope.order_by().aggregate(**{k: v for k, v in aggregates.items() if v is not None})
    opening = cents_round(totals.get("opening"))
    credits, debits = cents_round(totals["credits"]), cents_round(totals["debits"])
    groups = [
        GroupTotal(g.key, g.label, cents_round(totals[f"group_{g.key}"])) for g in KIND_GROUPS
    ]
    other = credits + debits - sum((g.amount for g in groups), ZERO)
    if other:
        groups.append(GroupTotal("other", OTHER_GROUP_LABEL, other))
    return PeriodSummary(
        vendor=vendor,
        since=since,
        until=until,
        opening_balance=opening,
        credits=credits,
        debits=debits,
        closing_balance=opening + credits + debits,
        count=totals["count"],
        groups=groups,
        payouts=vendor_period_payouts(vendor=vendor, since=since, until=until, lines=payout_lines)
        if totals["group_payouts"] is not None
        else [],
    )


def vendor_month_summary(
    *, vendor: Vendor, month: Month, payout_lines: int = PAYOUT_LINES_SHOWN
) -> PeriodSummary:
    """`vendor_period_summary` over one calendar month (site time zone)."""
    return vendor_period_summary(
        vendor=vendor, since=month.start, until=month.end, payout_lines=payout_lines
    )


def vendor_period_payouts(
    *, vendor: Vendor, since: datetime | None, until: datetime | None, lines: int
) -> list[PayoutOfMonth]:
    """The payouts whose entries fall in [since, until), oldest first, each with (up to
    `lines` in all) the vendor orders it paid. Three queries."""
    payout_entries = LedgerEntry.objects.filter(
        _period(vendor, since, until), kind=Kind.PAYOUT, payout__isnull=False
    )
    heads = list(
        payout_entries.order_by()
        .values("payout_id")
        .annotate(total=Sum("amount"), n=Count("id"), first=Min("created_at"))
    )
    if not heads:
        return []
    payouts = Payout.objects.filter(vendor=vendor).in_bulk([h["payout_id"] for h in heads])
    result = {
        h["payout_id"]: PayoutOfMonth(
            payout=payouts[h["payout_id"]],
            amount=-cents_round(h["total"]),
            line_count=h["n"],
            first_entry_at=h["first"],
        )
        for h in heads
        if h["payout_id"] in payouts
    }
    rows = payout_entries.order_by("payout_id", "created_at", "id").values_list(
        "id", "payout_id", "vendor_order_id", "vendor_order__order__reference", "amount"
    )[:lines]
    for entry_id, payout_id, vendor_order_id, reference, amount in rows:
        if payout_id in result:
            result[payout_id].lines.append(
                PayoutLine(entry_id, reference, vendor_order_id, -cents_round(amount))
            )
    return sorted(result.values(), key=lambda p: (p.first_entry_at, p.payout.pk))


def vendor_statement_months(*, vendor: Vendor) -> list[Month]:
    """The months (site time zone) in which `vendor` has entries, newest first. One query;
    one row per month (twelve a year)."""
    tz = timezone.get_default_timezone()
    months = (
        LedgerEntry.objects.filter(vendor=vendor)
        .order_by()
        .annotate(month=TruncMonth("created_at", tzinfo=tz))
        .values_list("month", flat=True)
        .distinct()
    )
    found = set()
    for value in months:
        local = timezone.localtime(value, tz) if timezone.is_aware(value) else value
        found.add((local.year, local.month))
    return [Month(y, m) for y, m in sorted(found, reverse=True) if MIN_YEAR <= y <= MAX_YEAR]


@dataclass(frozen=True)
class StatementLine:
    entry: LedgerEntry
    balance: Decimal


def vendor_month_lines(
    *, vendor: Vendor, month: Month, opening: Decimal, limit: int | None = None
) -> Iterator[StatementLine]:
    """Every entry of the month, oldest first, with the balance after it; read in chunks
    (for exports: the CSV streams them, the PDF stops at `limit`)."""
    entries: QuerySet[LedgerEntry] = vendor_entries(
        vendor=vendor, since=month.start, until=month.end
    ).select_related("vendor_order__order", "payout")
    if limit is not None:
        entries = entries[:limit]
    balance = opening
    for entry in entries.iterator(chunk_size=1000):
        balance += entry.amount
        yield StatementLine(entry=entry, balance=balance)


def vendor_period_page(*, summary: PeriodSummary, offset: int, limit: int) -> tuple[Statement, int]:
    """One page of the period's lines with the balance after each, as
    `selectors.vendor_statement` gives it, reusing the sums `summary` already read: one
    query for the page, one more for the balance before it past the first page. Returns the
    statement and the offset used (clamped to the period's entries)."""
    period = vendor_entries(vendor=summary.vendor, since=summary.since, until=summary.until)
    offset = max(0, min(offset, summary.count))
    before_page = sum_of(period[:offset]) if offset else ZERO
    page = period.select_related("vendor_order__order", "order_line", "refund", "payout")
    balance = summary.opening_balance + before_page
    rows = []
    for entry in page[offset : offset + limit]:
        balance += entry.amount
        rows.append(StatementRow(entry=entry, balance=balance))
    statement = Statement(
        vendor=summary.vendor,
        since=summary.since,
        until=summary.until,
        opening_balance=summary.opening_balance,
        closing_balance=summary.closing_balance,
        credits=summary.credits,
        debits=summary.debits,
        rows=rows,
        count=summary.count,
        offset=offset,
    )
    return statement, offset
