"""The dashboards' reads (issue 13): the operator's figures per day, week or month, split per
vendor and per category, the vendors' ranking, and one vendor's own figures.

Every figure is defined in `allies/reporting/facts.py`. Each read takes the frozen days from
`DailyFact` and the days after them live from the ledger (`facts_compute`), so the numbers
equal the ledger's whatever the last `reporting_refresh`. Who may call which is decided by
the views: `operator_dashboard` and `vendor_rankings` are for staff allowed to read the
ledger; `vendor_dashboard` reads only the vendor it is given.

Days, weeks (Monday to Sunday) and months are Paris ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Sum
from django.utils import formats, timezone
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.functional import cached_property

from allies.catalog.models import Category
from allies.payouts.selectors import vendors_due
from allies.reporting.facts import (
    COUNTS,
    MONEY,
    OPERATIONS,
    ZERO,
    Fact,
    facts_compute,
    paris,
    refresh_state,
    vendor_periods,
)
from allies.reporting.models import DailyFact
from allies.vendors.models import Vendor

Scope = DailyFact.Scope
DAY, WEEK, MONTH = "day", "week", "month"
GRANULARITIES = (DAY, WEEK, MONTH)
SPLIT_TOP = 15  # vendors shown by name in the split; the others are summed in one row
RANKING_TOP = 10
FIGURES = (*MONEY, "orders")


def today() -> date:
    return timezone.localtime(timezone.now(), paris()).date()


def bucket_of(day: date, granularity: str) -> date:
    """The first day of the day's bucket: itself, its week's Monday, its month's 1st."""
    if granularity == WEEK:
        return day - timedelta(days=day.weekday())
    if granularity == MONTH:
        return day.replace(day=1)
    return day


def _next_bucket(start: date, granularity: str) -> date:
    if granularity == WEEK:
        return start + timedelta(days=7)
    if granularity == MONTH:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def _average(total: Decimal, count: int) -> Decimal | None:
    if not count:
        return None
    return (total / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    """The money figures and orders of one bucket, one vendor or one category."""

    sales: Decimal = ZERO
    refunds: Decimal = ZERO
    commission: Decimal = ZERO
    payouts: Decimal = ZERO
    orders: int = 0

    def add(self, other: Any) -> None:
        for name in FIGURES:
            setattr(
                self,
                name,
                getattr(self, name)
                + (getattr(other, name) if not isinstance(other, dict) else other[name]),
            )

    @property
    def basket(self) -> Decimal | None:
        """Average basket: sales / orders (None without orders)."""
        return _average(self.sales, self.orders)

    @property
    def net_sales(self) -> Decimal:
        return self.sales - self.refunds


@dataclass
class Point(Figures):
    start: date = date.min
    end: date = date.min  # last day of the bucket (inclusive)
    granularity: str = DAY
    first: bool = False  # the first bucket of the chart: its month label says the year

    @cached_property
    def label(self) -> str:
        """Short: the axis ("03/11"; "Déc 2025", "Jan 2026", "Fév"…: the year on the first
        column and on January only, so that twelve labels fit)."""
        if self.granularity == MONTH:
            with_year = self.first or self.start.month == 1
            return formats.date_format(self.start, "M Y" if with_year else "M")
        return f"{self.start.day:02d}/{self.start.month:02d}"

    @cached_property
    def title(self) -> str:
        """Long: the table and the screen reader. Days are written by hand: a year per day
        asks for 365 of them, and `date_format` costs a tenth of a millisecond each."""
        if self.granularity == MONTH:
            return formats.date_format(self.start, "F Y")
        if self.granularity == WEEK:
            return (
                f"{formats.date_format(self.start, 'SHORT_DATE_FORMAT')} – "
                f"{formats.date_format(self.end, 'SHORT_DATE_FORMAT')}"
            )
        day = self.start
        return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month]} {day.year}"


@dataclass
class SplitRow(Figures):
    key: int | None = None
    name: str = ""
    others: int = 0  # for the "other vendors" row: how many


@dataclass
class RankRow:
    vendor_id: int
    name: str
    count: int


@dataclass
class Rankings:
    """Vendors with the most late acceptances, late shipments, refusals, claims (top 10 of
    each, most first, then by name), over frozen days only (`until`: the last day counted)."""

    until: date | None
    late_acceptances: list[RankRow] = field(default_factory=list)
    late_shipments: list[RankRow] = field(default_factory=list)
    refusals: list[RankRow] = field(default_factory=list)
    claims: list[RankRow] = field(default_factory=list)


@dataclass
class OperatorDashboard:
    start: date
    end: date  # inclusive
    granularity: str
    vendor_id: int | None
    category_id: int | None
    points: list[Point]
    totals: Figures
    by_vendor: list[SplitRow]
    by_category: list[SplitRow]
    rankings: Rankings
    frozen_until: date | None
    # Money a payout run would pay now ("Disponible pour virement", PAY-1): today's
    # figure, whatever the period (see `_payouts_due`).
    payouts_due: Decimal | None


def _series_scope(vendor_id: int | None, category_id: int | None) -> tuple[str, dict[str, Any]]:
    if vendor_id is not None and category_id is not None:
        return Scope.VENDOR_CATEGORY, {"vendor_id": vendor_id, "category_id": category_id}
    if vendor_id is not None:
        return Scope.VENDOR, {"vendor_id": vendor_id}
    if category_id is not None:
        return Scope.CATEGORY, {"category_id": category_id}
    return Scope.ALL, {}


def _live(start: date, end_excl: date, frozen_until: date | None, **filters: Any) -> list[Fact]:
    """The facts of the days not frozen yet, computed from the ledger now."""
    live_start = max(start, frozen_until) if frozen_until else start
    return facts_compute(start=live_start, end=end_excl, **filters)


def _sums() -> dict[str, Sum]:
    return {name: Sum(name) for name in FIGURES}


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (
            Decimal(row[name] or 0).quantize(Decimal("0.01"))
            if name in MONEY
            else int(row[name] or 0)
        )
        for name in FIGURES
    }


def _frozen_days(
    scope: str, start: date, end_excl: date, frozen_until: date | None, **filters: Any
) -> list[dict[str, Any]]:
    if frozen_until is None or start >= frozen_until:
        return []
    rows = (
        DailyFact.objects.filter(
            scope=scope, day__gte=start, day__lt=min(end_excl, frozen_until), **filters
        )
        .order_by()
        .values("day")
        .annotate(**_sums())
    )
    return [{"day": row["day"], **_figures(dict(row))} for row in rows]


def _split(
    scope: str,
    key: str,
    start: date,
    end_excl: date,
    frozen_until: date | None,
    live: Iterable[Fact],
    **filters: Any,
) -> dict[int | None, Figures]:
    out: dict[int | None, Figures] = defaultdict(Figures)
    if frozen_until is not None and start < frozen_until:
        until = min(end_excl, frozen_until)
        rows = (
            DailyFact.objects.filter(vendor_periods(start, until), **filters)
            if scope == Scope.VENDOR
            else DailyFact.objects.filter(scope=scope, day__gte=start, day__lt=until, **filters)
        )
        for row in rows.order_by().values(key).annotate(**_sums()):
            out[row[key]].add(_figures(row))
    for fact in live:
        if fact.scope == scope and all(getattr(fact, k) == v for k, v in filters.items()):
            out[getattr(fact, key)].add(fact)
    return out


def _points(start: date, end: date, granularity: str, days: Iterable[Any]) -> list[Point]:
    points: dict[date, Point] = {}
    bucket = bucket_of(start, granularity)
    while bucket <= end:
        nxt = _next_bucket(bucket, granularity)
        points[bucket] = Point(
            start=bucket, end=nxt - timedelta(days=1), granularity=granularity, first=not points
        )
        bucket = nxt
    for day in days:
        when = day["day"] if isinstance(day, dict) else day.day
        points[bucket_of(when, granularity)].add(day)
    return list(points.values())


def _payouts_due(vendor_id: int | None) -> Decimal:
    """What a payout run now would pay ("Disponible pour virement", PAY-1): the payouts
    app's one rule (`vendors_due`, one query over the balances that can count), summed over
    the vendors it would pay (a vendor who owes money counts 0, not less)."""
    due = vendors_due(vendor_ids=[vendor_id] if vendor_id is not None else None)
    return sum((max(amount, ZERO) for amount in due.values()), ZERO)


def operator_dashboard(
    *,
    start: date,
    end: date,
    granularity: str = DAY,
    vendor: Vendor | int | None = None,
    category: Category | int | None = None,
    vendor_names: dict[int, str] | None = None,
    category_names: dict[int, str] | None = None,
) -> OperatorDashboard:
    """The operator's figures over the Paris days [start, end] (inclusive), per bucket of
    `granularity`, optionally for one vendor and/or one category, with the split per vendor
    and per category and the vendors' ranking. A fixed number of queries (the names are read
    unless given)."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {granularity!r}")
    vendor_id = vendor.pk if isinstance(vendor, Vendor) else vendor
    category_id = category.pk if isinstance(category, Category) else category
    end_excl = end + timedelta(days=1)
    state = refresh_state()
    frozen_until = state.frozen_until if state else None
    live = _live(start, end_excl, frozen_until, vendor_id=vendor_id, category_id=category_id)
    scope, filters = _series_scope(vendor_id, category_id)
    days: list[Any] = _frozen_days(scope, start, end_excl, frozen_until, **filters)
    days += [
        f for f in live if f.scope == scope and all(getattr(f, k) == v for k, v in filters.items())
    ]
    points = _points(start, end, granularity, days)
    totals = Figures()
    for point in points:
        totals.add(point)

    vendor_scope, vendor_filters = (
        (Scope.VENDOR_CATEGORY, {"category_id": category_id})
        if category_id is not None
        else (Scope.VENDOR, {})
    )
    if vendor_id is not None:
        vendor_filters["vendor_id"] = vendor_id
    by_vendor_map = _split(
        vendor_scope, "vendor_id", start, end_excl, frozen_until, live, **vendor_filters
    )
    category_scope, category_filters = (
        (Scope.VENDOR_CATEGORY, {"vendor_id": vendor_id})
        if vendor_id is not None
        else (Scope.CATEGORY, {})
    )
    if category_id is not None:
        category_filters["category_id"] = category_id
    by_category_map = _split(
        category_scope, "category_id", start, end_excl, frozen_until, live, **category_filters
    )

    rankings = vendor_rankings(start=start, end=end, frozen_until=frozen_until, names=vendor_names)
    if vendor_names is None:
        vendor_names = dict(
            Vendor.objects.filter(pk__in=[k for k in by_vendor_map if k is not None]).values_list(
                "pk", "name"
            )
        )
    if category_names is None:
        category_names = dict(
            Category.objects.filter(
                pk__in=[k for k in by_category_map if k is not None]
            ).values_list("pk", "name")
        )
    by_vendor = _top(by_vendor_map, vendor_names)
    by_category = sorted(
        (
            SplitRow(
                key=key,
                name=category_names.get(key, "") if key is not None else "",
                **_as_kwargs(figures),
            )
            for key, figures in by_category_map.items()
        ),
        key=lambda row: (row.key is None, -row.sales, row.name),
    )
    return OperatorDashboard(
        start=start,
        end=end,
        granularity=granularity,
        vendor_id=vendor_id,
        category_id=category_id,
        points=points,
        totals=totals,
        by_vendor=by_vendor,
        by_category=by_category,
        rankings=rankings,
        frozen_until=frozen_until,
        payouts_due=_payouts_due(vendor_id),
    )


def _as_kwargs(figures: Figures) -> dict[str, Any]:
    return {name: getattr(figures, name) for name in FIGURES}


def _top(rows: dict[int | None, Figures], names: dict[int, str]) -> list[SplitRow]:
    """The SPLIT_TOP vendors with the most sales, then one row summing the others: the rows
    always add up to the total."""
    ordered = sorted(
        (
            SplitRow(key=key, name=names.get(key, "") if key is not None else "", **_as_kwargs(f))
            for key, f in rows.items()
        ),
        key=lambda row: (-row.sales, row.name, row.key or 0),
    )
    top, rest = ordered[:SPLIT_TOP], ordered[SPLIT_TOP:]
    if rest:
        others = SplitRow(key=None, others=len(rest))
        for row in rest:
            others.add(row)
        top.append(others)
    return top


def vendor_rankings(
    *,
    start: date,
    end: date,
    frozen_until: date | None = None,
    names: dict[int, str] | None = None,
    top: int = RANKING_TOP,
) -> Rankings:
    """Vendors ranked by late acceptances, late shipments, refusals and claims over the
    frozen days of [start, end]: most first, then by name. Two queries (one with `names`)."""
    if frozen_until is None:
        state = refresh_state()
        frozen_until = state.frozen_until if state else None
    if frozen_until is None or start >= frozen_until:
        return Rankings(until=None)
    until = min(end + timedelta(days=1), frozen_until)
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in DailyFact.objects.filter(vendor_periods(start, until))
        .order_by()
        .values("vendor_id")
        .annotate(**{name: Sum(name) for name in OPERATIONS})
    ]
    if names is None:
        wanted = {row["vendor_id"] for row in rows if any(row[n] for n in OPERATIONS)}
        names = (
            dict(Vendor.objects.filter(pk__in=wanted).values_list("pk", "name")) if wanted else {}
        )
    rankings = Rankings(until=until - timedelta(days=1))
    for name in OPERATIONS:
        ranked = sorted(
            (
                RankRow(
                    vendor_id=r["vendor_id"], name=names.get(r["vendor_id"], ""), count=int(r[name])
                )
                for r in rows
                if r[name]
            ),
            key=lambda row: (-row.count, row.name, row.vendor_id),
        )
        setattr(rankings, name, ranked[:top])
    return rankings


@dataclass
class VendorDashboard:
    vendor: Vendor
    points: list[Point]
    totals: Figures


def vendor_dashboard(
    *, vendor: Vendor, periods: int = 12, granularity: str = MONTH, until: date | None = None
) -> VendorDashboard:
    """One vendor's sales, refunds, commission and payouts over the last `periods` months
    (or weeks), the current one included. Only this vendor's facts. Fixed queries."""
    last = until or today()
    first = bucket_of(last, granularity)
    for _ in range(max(periods, 1) - 1):
        first = bucket_of(first - timedelta(days=1), granularity)
    state = refresh_state()
    frozen_until = state.frozen_until if state else None
    end_excl = last + timedelta(days=1)
    days: list[Any] = _frozen_days(Scope.VENDOR, first, end_excl, frozen_until, vendor_id=vendor.pk)
    days += [
        f
        for f in _live(first, end_excl, frozen_until, vendor_id=vendor.pk)
        if f.scope == Scope.VENDOR and f.vendor_id == vendor.pk
    ]
    points = _points(first, last, granularity, days)
    totals = Figures()
    for point in points:
        totals.add(point)
    return VendorDashboard(vendor=vendor, points=points, totals=totals)


def names_for_filters() -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The vendors and categories of the filter form, by name (two queries)."""
    vendors = list(Vendor.objects.order_by("name", "pk").values_list("pk", "name"))
    categories = list(Category.objects.order_by("position", "name", "pk").values_list("pk", "name"))
    return vendors, categories


__all__: Sequence[str] = (
    "GRANULARITIES",
    "OperatorDashboard",
    "VendorDashboard",
    "operator_dashboard",
    "vendor_dashboard",
    "vendor_rankings",
    "names_for_filters",
    "COUNTS",
)
