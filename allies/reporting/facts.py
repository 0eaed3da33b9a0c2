"""The dashboards' daily facts: what each figure means, how it is computed from the ledger, and
how the pre-aggregated rows (`DailyFact`) stay equal to the ledger.

Figures (Paris days; `a` = `LedgerEntry.amount`, `o` = `operator_amount`; see the signs at the
top of `allies/ledger/services.py`):

- `sales`: what customers paid: Σ (a + o) over `sale`, `shipping`, `discount_*` entries;
- `orders`: orders paid that day (one `shipping` entry per vendor order; customer orders are
  the distinct orders of those vendor orders);
- `refunds`: what customers got back: −Σ (a + o) over the refund reversals
  (`refund_sale`, `refund_shipping`, `refund_discount_*`; `refund_commission` moves 0);
- `commission`: Σ o over `commission` and `refund_commission` (the operator's commission net
  of the commission given back);
- `payouts`: −Σ a over `payout` entries (money that reached a vendor's wallet).

A refund that FAILS after its reversal was written (`refund_failed`, `ledger_refund_failed`)
undoes that reversal ON THE DAY IT FAILED: that day gets back, in the same vendor and
category, every entry of the reversal (its refunds go down, its commission up). The
`refund_failed` entry itself is not read (it is by construction the negated sum of those
entries, but without their categories). So a day's figures depend only on entries written
that day, and over all days `commission` equals `ledger.selectors.operator_summary()`'s
(which leaves failed reversals out); `sales − refunds` equals its `customer_money`.

Vendor operations (ranking of vendors), each counted on the day it became a fact, from
timestamps set once:
- late acceptance: the acceptance deadline fell that day and was missed (the vendor order
  was flagged overdue, or accepted after it);
- late shipment: accepted, but not shipped by the end of its first promised delivery day
  (`delivery_min_date`, the rule of the portal's "En retard" tab), nor cancelled by then;
  counted on that day;
- refusals: vendor orders with lines refused that day;
- claims: claims opened that day.

Why frozen days plus live days, not a hook in the ledger's transactions: the ledger is
append-only and every entry is written with `created_at` = now, so once a Paris day is over
(plus `FREEZE_MARGIN` for transactions still committing across midnight) its figures never
change. `reporting_refresh` (`facts_refresh`) computes the closed days not yet frozen, in one
pass, and moves `RefreshState.frozen_until`; when no day has closed since the last run it
does one query and nothing else (it runs every minute). The days from `frozen_until` on
(today, and yesterday until the margin passes) are computed on each request by the same
function (`facts_compute`) over the live ledger: the figures are never stale and a page
never reads more than about two days of entries. A write hook would have put reporting
inside every payment's transaction (and needed ledger/services.py changed); a rebuild keeps
the ledger unaware of the dashboards, and `reporting_refresh --rebuild` redoes everything
from the ledger at any time (after a bulk import, or a back-dated history in tests).
Vendor operations are only read from frozen days (they come from unindexed columns of
vendor orders, too slow to scan on each request): the rankings stop at the last closed day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, DateField, F, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from allies.aftersales.models import Claim
from allies.core.money import round_cent
from allies.ledger.models import LedgerEntry
from allies.orders.models import OrderLine, VendorOrder
from allies.reporting.models import DailyFact, RefreshState

Kind = LedgerEntry.Kind
Scope = DailyFact.Scope
ZERO = Decimal("0.00")
# A day is frozen this long after it ended: a transaction that started before midnight has
# committed by then (the ledger's writes last milliseconds; the margin is generous).
FREEZE_MARGIN = timedelta(minutes=10)

SALE_KINDS = (Kind.SALE, Kind.SHIPPING, Kind.DISCOUNT_OPERATOR, Kind.DISCOUNT_VENDOR)
REFUND_KINDS = (
    Kind.REFUND_SALE,
    Kind.REFUND_SHIPPING,
    Kind.REFUND_DISCOUNT_OPERATOR,
    Kind.REFUND_DISCOUNT_VENDOR,
    Kind.REFUND_COMMISSION,
)
COMMISSION_KINDS = (Kind.COMMISSION, Kind.REFUND_COMMISSION)
READ_KINDS = (*SALE_KINDS, *REFUND_KINDS, Kind.COMMISSION, Kind.PAYOUT)
MONEY = ("sales", "refunds", "commission", "payouts")
COUNTS = ("orders", "late_acceptances", "late_shipments", "refusals", "claims")
OPERATIONS = ("late_acceptances", "late_shipments", "refusals", "claims")
CATEGORY = "order_line__offer__variant__product__category_id"


def paris() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: date) -> datetime:
    """Midnight of a Paris day, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=paris())


@dataclass
class Fact:
    """One day at one grain: the in-memory form of a `DailyFact` row."""

    scope: str
    day: date
    vendor_id: int | None = None
    category_id: int | None = None
    sales: Decimal = ZERO
    refunds: Decimal = ZERO
    commission: Decimal = ZERO
    payouts: Decimal = ZERO
    orders: int = 0
    late_acceptances: int = 0
    late_shipments: int = 0
    refusals: int = 0
    claims: int = 0
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def row(self) -> DailyFact:
        return DailyFact(
            **{f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        )


def _cents(value: Any) -> Decimal:
    # SQLite sums decimals as floats: round each group to the cent.
    return round_cent(value) if value is not None else ZERO


class _Facts:
    """Facts keyed by (scope, day, vendor, category), created on first use."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, date, int | None, int | None], Fact] = {}

    def get(self, scope: str, day: date, vendor_id: int | None, category_id: int | None) -> Fact:
        key = (scope, day, vendor_id, category_id)
        fact = self.rows.get(key)
        if fact is None:
            fact = self.rows[key] = Fact(scope, day, vendor_id, category_id)
        return fact

    def add_money(
        self, day: date, vendor_id: int, category_id: int | None, **amounts: Decimal
    ) -> None:
        """Add amounts to the four grains at once: the splits add up to the total by
        construction."""
        for fact in (
            self.get(Scope.ALL, day, None, None),
            self.get(Scope.VENDOR, day, vendor_id, None),
            self.get(Scope.CATEGORY, day, None, category_id),
            self.get(Scope.VENDOR_CATEGORY, day, vendor_id, category_id),
        ):
            for name, value in amounts.items():
                setattr(fact, name, getattr(fact, name) + value)

    def add_operation(self, day: date, vendor_id: int, name: str, count: int) -> None:
        for fact in (
            self.get(Scope.ALL, day, None, None),
            self.get(Scope.VENDOR, day, vendor_id, None),
        ):
            setattr(fact, name, getattr(fact, name) + count)


def _money(kind: str, amount: Decimal, operator: Decimal) -> dict[str, Decimal]:
    """What one group of entries of `kind` adds to each figure."""
    if kind in SALE_KINDS:
        out = {"sales": amount + operator}
    elif kind in REFUND_KINDS:
        out = {"refunds": -(amount + operator)}
    elif kind == Kind.PAYOUT:
        out = {"payouts": -amount}
    else:
        out = {}
    if kind in COMMISSION_KINDS:
        out["commission"] = operator
    return out


def day_of(field: str, start: date, end: date) -> Case:
    """The Paris day of the moment `field`, for rows known to lie in the days [start, end):
    compared with each day's first moment (`day_start`, daylight saving included) instead of
    converted row by row (SQLite converts time zones with a Python function per row, the
    larger part of reading a day of entries)."""
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    return Case(
        *(When(**{f"{field}__lt": day_start(day + timedelta(days=1))}, then=Value(day))
          for day in days[:-1]),
        default=Value(days[-1]),
        output_field=DateField(),
    )  # fmt: skip


def facts_compute(
    *,
    start: date,
    end: date,
    vendor_id: int | None = None,
    category_id: int | None = None,
    operations: bool = False,
) -> list[Fact]:
    """Every fact of the Paris days [start, end), from the ledger (and, with `operations`,
    from vendor orders and claims). Optionally only one vendor's / one category's entries
    (the live part of a filtered page). A fixed number of queries (5, or 9 with operations),
    whatever the number of days or entries."""
    facts = _Facts()
    if start >= end:
        return []
    since, until = day_start(start), day_start(end)
    tz = paris()
    entries = LedgerEntry.objects.filter(created_at__gte=since, created_at__lt=until)
    if vendor_id is not None:
        entries = entries.filter(vendor_id=vendor_id)
    # One category: its rows are kept below rather than filtered by the database, whose
    # planners then start from the category's products and read its whole history.
    dated = entries.annotate(day=day_of("created_at", start, end))
    for row in (
        dated.annotate(category=F(CATEGORY))
        .filter(kind__in=READ_KINDS)
        .order_by()
        .values("day", "vendor_id", "category", "kind")
        .annotate(
            amount=Sum("amount"),
            operator=Sum("operator_amount"),
            vendor_orders=Count("vendor_order_id", distinct=True),
        )
    ):
        day, vendor, category, kind = row["day"], row["vendor_id"], row["category"], row["kind"]
        if category_id is not None and category != category_id:
            continue
        facts.add_money(
            day, vendor, category, **_money(kind, _cents(row["amount"]), _cents(row["operator"]))
        )
        # Orders: one shipping entry per vendor order; with a category, the vendor orders
        # with a sale line in it.
        if kind == Kind.SHIPPING:
            facts.get(Scope.VENDOR, day, vendor, None).orders += row["vendor_orders"]
            if category_id is None:
                facts.get(Scope.VENDOR_CATEGORY, day, vendor, None).orders += row["vendor_orders"]
        elif kind == Kind.SALE:
            facts.get(Scope.VENDOR_CATEGORY, day, vendor, category).orders += row["vendor_orders"]
            facts.get(Scope.CATEGORY, day, None, category).orders += row["vendor_orders"]
    # Customer orders of the day (all vendors): a shipping entry has no line, so no
    # category; with one category there are none to count.
    shipping = dated.filter(kind=Kind.SHIPPING) if category_id is None else dated.none()
    for orders_row in (
        shipping.order_by()
        .values("day")
        .annotate(orders=Count("vendor_order__order_id", distinct=True))
    ):
        facts.get(Scope.ALL, orders_row["day"], None, None).orders = orders_row["orders"]
    # Refunds that failed in these days: their reversal is undone on the day of the failure.
    failed = dict(
        LedgerEntry.objects.filter(
            kind=Kind.REFUND_FAILED,
            created_at__gte=since,
            created_at__lt=until,
            refund__isnull=False,
        )
        .filter(**({"vendor_id": vendor_id} if vendor_id is not None else {}))
        .values_list("refund_id", "created_at")
    )
    if failed:
        reversals = LedgerEntry.objects.filter(refund_id__in=list(failed), kind__in=REFUND_KINDS)
        if category_id is not None:
            reversals = reversals.filter(**{CATEGORY: category_id})
        for refund_id, vendor, category, kind, amount, operator in reversals.values_list(
            "refund_id", "vendor_id", CATEGORY, "kind", "amount", "operator_amount"
        ):
            day = timezone.localtime(failed[refund_id], tz).date()
            undo = {name: -value for name, value in _money(kind, amount, operator).items()}
            facts.add_money(day, vendor, category, **undo)
    if operations:
        _operations(facts, start=start, end=end, vendor_id=vendor_id)
    out = list(facts.rows.values())
    if vendor_id is not None:
        out = [f for f in out if f.vendor_id in (None, vendor_id)]
    if category_id is not None:
        out = [f for f in out if f.category_id in (None, category_id)]
    return out


def _operations(facts: _Facts, *, start: date, end: date, vendor_id: int | None) -> None:
    since, until = day_start(start), day_start(end)
    tz = paris()
    vendor_orders = VendorOrder.objects.all()
    if vendor_id is not None:
        vendor_orders = vendor_orders.filter(vendor_id=vendor_id)
    late_acceptance = (
        vendor_orders.filter(acceptance_deadline__gte=since, acceptance_deadline__lt=until)
        .filter(Q(overdue_flagged_at__isnull=False) | Q(accepted_at__gt=F("acceptance_deadline")))
        .annotate(day=TruncDate("acceptance_deadline", tzinfo=tz))
        .order_by()
        .values("day", "vendor_id")
        .annotate(n=Count("id"))
    )
    for row in late_acceptance:
        facts.add_operation(row["day"], row["vendor_id"], "late_acceptances", row["n"])
    # Compared in Python with each day's end in Paris: SQLite converts time zones with a
    # Python function per row, far slower than reading the few columns.
    ends = {
        start + timedelta(days=i): day_start(start + timedelta(days=i + 1))
        for i in range((end - start).days)
    }
    for min_date, vendor, accepted, shipped, cancelled in vendor_orders.filter(
        delivery_min_date__gte=start, delivery_min_date__lt=end, accepted_at__isnull=False
    ).values_list("delivery_min_date", "vendor_id", "accepted_at", "shipped_at", "cancelled_at"):
        day_end = ends[min_date]
        if (
            accepted is not None
            and accepted < day_end
            and (shipped is None or shipped >= day_end)
            and (cancelled is None or cancelled >= day_end)
        ):
            facts.add_operation(min_date, vendor, "late_shipments", 1)
    lines = OrderLine.objects.filter(
        status=OrderLine.Status.REFUSED, decided_at__gte=since, decided_at__lt=until
    )
    if vendor_id is not None:
        lines = lines.filter(vendor_id=vendor_id)
    for row in (
        lines.annotate(day=TruncDate("decided_at", tzinfo=tz))
        .order_by()
        .values("day", "vendor_id")
        .annotate(n=Count("vendor_order_id", distinct=True))
    ):
        facts.add_operation(row["day"], row["vendor_id"], "refusals", row["n"])
    claims = Claim.objects.filter(created_at__gte=since, created_at__lt=until)
    if vendor_id is not None:
        claims = claims.filter(vendor_id=vendor_id)
    for row in (
        claims.annotate(day=TruncDate("created_at", tzinfo=tz))
        .order_by()
        .values("day", "vendor_id")
        .annotate(n=Count("id"))
    ):
        facts.add_operation(row["day"], row["vendor_id"], "claims", row["n"])


# --- freezing closed days -----------------------------------------------------------------


def closable_until(now: datetime | None = None) -> date:
    """The first day that is not closed yet: every day before it has ended (and its margin
    passed)."""
    return timezone.localtime((now or timezone.now()) - FREEZE_MARGIN, paris()).date()


def refresh_state() -> RefreshState | None:
    return RefreshState.objects.order_by("pk").first()


@dataclass(frozen=True)
class RefreshResult:
    start: date | None
    end: date | None
    days: int
    rows: int


def _first_day() -> date | None:
    first = LedgerEntry.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return timezone.localtime(first, paris()).date() if first else None


def facts_refresh(
    *, now: datetime | None = None, rebuild: bool = False, batch_days: int = 31
) -> RefreshResult:
    """Freeze every closed day not frozen yet (`reporting_refresh`). Idempotent; one query
    when no day closed since the last run. `rebuild` recomputes every day from the first
    ledger entry. Each batch of days is written in its own transaction (delete + insert), so
    a page never reads a day half written and an interrupted run resumes where it stopped."""
    until = closable_until(now)
    state = refresh_state()
    if state is not None and state.frozen_until == until and not rebuild:
        return RefreshResult(start=None, end=None, days=0, rows=0)
    if state is None:
        state = RefreshState.objects.create()
    start = state.frozen_until if state.frozen_until and not rebuild else _first_day()
    if rebuild:
        DailyFact.objects.filter(day__gte=until).delete()
    if start is None or start >= until:
        RefreshState.objects.filter(pk=state.pk).update(
            frozen_until=until, refreshed_at=timezone.now()
        )
        return RefreshResult(start=None, end=None, days=0, rows=0)
    written = 0
    batch_start = start
    while batch_start < until:
        batch_end = min(until, batch_start + timedelta(days=batch_days))
        facts = facts_compute(start=batch_start, end=batch_end, operations=True)
        with transaction.atomic():
            DailyFact.objects.filter(day__gte=batch_start, day__lt=batch_end).delete()
            DailyFact.objects.bulk_create((f.row() for f in facts), batch_size=2000)
            RefreshState.objects.filter(pk=state.pk).update(
                frozen_until=batch_end, refreshed_at=timezone.now()
            )
        written += len(facts)
        batch_start = batch_end
    written += _months_roll_up(start=start, until=until)
    return RefreshResult(start=start, end=until, days=(until - start).days, rows=written)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _months_roll_up(*, start: date, until: date) -> int:
    """The `vendor_month` rows of every month touched by [start, until) that is now wholly
    frozen: the sums of its `vendor` rows (one query and one write per month)."""
    written = 0
    month = month_start(start)
    while next_month(month) <= until:
        end = next_month(month)
        rows = [
            DailyFact(
                scope=Scope.VENDOR_MONTH,
                day=month,
                vendor_id=row["vendor_id"],
                **{
                    name: (_cents(sums[name]) if name in MONEY else int(sums[name] or 0))
                    for sums in (cast(dict[str, Any], dict(row)),)
                    for name in (*MONEY, *COUNTS)
                },
            )
            for row in DailyFact.objects.filter(scope=Scope.VENDOR, day__gte=month, day__lt=end)
            .order_by()
            .values("vendor_id")
            .annotate(**{name: Sum(name) for name in (*MONEY, *COUNTS)})
        ]
        with transaction.atomic():
            DailyFact.objects.filter(scope=Scope.VENDOR_MONTH, day=month).delete()
            DailyFact.objects.bulk_create(rows, batch_size=2000)
        written += len(rows)
        month = end
    return written


def vendor_periods(start: date, end: date) -> Q:
    """Rows of the `vendor` grain over the frozen days [start, end): whole months from
    `vendor_month`, the days at either edge from `vendor`. Every day counted once."""
    first_whole = month_start(start) if start.day == 1 else next_month(start)
    whole: list[date] = []
    month = first_whole
    while next_month(month) <= end:
        whole.append(month)
        month = next_month(month)
    if not whole:
        return Q(scope=Scope.VENDOR, day__gte=start, day__lt=end)
    return (
        Q(scope=Scope.VENDOR_MONTH, day__in=whole)
        | Q(scope=Scope.VENDOR, day__gte=start, day__lt=whole[0])
        | Q(scope=Scope.VENDOR, day__gte=next_month(whole[-1]), day__lt=end)
    )


def sum_facts(
    facts: Iterable[Fact | DailyFact], names: Iterable[str] = (*MONEY, *COUNTS)
) -> dict[str, Any]:
    """Totals of some facts, per figure."""
    totals: dict[str, Any] = defaultdict(int)
    for name in names:
        totals[name] = ZERO if name in MONEY else 0
    for fact in facts:
        for name in names:
            totals[name] += getattr(fact, name)
    return dict(totals)
