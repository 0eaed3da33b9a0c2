"""The dashboards' figures equal the ledger's (issue 13, PAY-2): every chart's numbers, per
day, week and month in Paris time, whether the days are frozen by `reporting_refresh` or read
live; the splits per vendor and per category add up to the total; the vendors' ranking."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allies.ledger.models import LedgerEntry
from allies.ledger.selectors import operator_summary
from allies.orders.models import OrderLine, VendorOrder
from allies.reporting.facts import facts_refresh
from allies.reporting.models import DailyFact, RefreshState
from allies.reporting.selectors import (
    DAY,
    MONTH,
    WEEK,
    bucket_of,
    operator_dashboard,
    vendor_dashboard,
    vendor_rankings,
)
from tests.factories import CategoryFactory, VendorFactory
from tests.reporting.factories import (
    history_claim,
    history_order,
    history_payout,
    history_refund,
    offer_in,
)

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
K = LedgerEntry.Kind
SALE = {K.SALE, K.SHIPPING, K.DISCOUNT_OPERATOR, K.DISCOUNT_VENDOR}
REFUND = {
    K.REFUND_SALE,
    K.REFUND_SHIPPING,
    K.REFUND_DISCOUNT_OPERATOR,
    K.REFUND_DISCOUNT_VENDOR,
    K.REFUND_COMMISSION,
}
COMMISSION = {K.COMMISSION, K.REFUND_COMMISSION}
ZERO = Decimal("0.00")


def ledger_by_day(*, vendor=None, category=None) -> dict[date, dict[str, Decimal]]:
    """The oracle: every entry read one by one, in Python, each on its Paris day (a failed
    refund's reversal undone on the day it failed), as allies/reporting/facts.py defines."""
    days: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    entries = list(LedgerEntry.objects.select_related("order_line__offer__variant__product"))
    failed_at = {e.refund_id: e.created_at for e in entries if e.kind == K.REFUND_FAILED}

    def category_of(e):
        return e.order_line.offer.variant.product.category_id if e.order_line_id else None

    def add(day, e, sign):
        figures = days[day]
        if e.kind in SALE:
            figures["sales"] += sign * (e.amount + e.operator_amount)
        if e.kind in REFUND:
            figures["refunds"] -= sign * (e.amount + e.operator_amount)
        if e.kind in COMMISSION:
            figures["commission"] += sign * e.operator_amount
        if e.kind == K.PAYOUT:
            figures["payouts"] -= sign * e.amount

    for e in entries:
        if vendor is not None and e.vendor_id != vendor.pk:
            continue
        if category is not None and category_of(e) != category.pk:
            continue
        add(e.created_at.astimezone(PARIS).date(), e, 1)
        if e.refund_id in failed_at and e.kind in REFUND:
            add(failed_at[e.refund_id].astimezone(PARIS).date(), e, -1)
    return days


def bucketed(days, granularity):
    out: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for day, figures in days.items():
        for name, value in figures.items():
            out[bucket_of(day, granularity)][name] += value
    return out


def assert_board_equals_ledger(board, days, granularity):
    expected = bucketed(days, granularity)
    for point in board.points:
        for name in ("sales", "refunds", "commission", "payouts"):
            assert getattr(point, name) == expected[point.start][name], (point.start, name)


# --- random histories ---------------------------------------------------------------------

moments = st.tuples(
    st.integers(min_value=0, max_value=69),  # day of the history
    st.sampled_from([0, 1, 30, 22 * 60 + 30, 23 * 60 + 59, 12 * 60]),  # minutes: midnight edges
)
order_specs = st.lists(
    st.fixed_dictionaries(
        {
            "at": moments,
            "vendor": st.integers(min_value=0, max_value=2),
            "category": st.integers(min_value=0, max_value=2),
            "price": st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c) / 100),
            "quantity": st.integers(min_value=1, max_value=3),
            "fee": st.sampled_from([Decimal("0"), Decimal("4.90")]),
            "refund_after": st.one_of(st.none(), st.integers(min_value=0, max_value=20)),
            "payout_after": st.one_of(st.none(), st.integers(min_value=0, max_value=30)),
        }
    ),
    min_size=1,
    max_size=12,
)
START = datetime(2026, 2, 20, tzinfo=PARIS)  # the history crosses the change to summer time


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=order_specs, frozen_day=st.integers(min_value=0, max_value=80))
def test_every_chart_equals_the_ledger_over_random_histories(db, specs, frozen_day):
    # covers: issue 13 "the numbers of every chart equal the ledger's", PAY-2
    with transaction.atomic():
        vendors = [VendorFactory() for _ in range(3)]
        categories = [CategoryFactory() for _ in range(3)]
        offers = {(v, c): offer_in(vendors[v], categories[c]) for v in range(3) for c in range(3)}
        for spec in specs:
            day, minutes = spec["at"]
            at = START + timedelta(days=day, minutes=minutes)
            at = at.replace(tzinfo=None).replace(tzinfo=PARIS)  # wall-clock time in Paris
            vendor = vendors[spec["vendor"]]
            offer = offers[(spec["vendor"], spec["category"])]
            order = history_order(
                at=at, parts=[(vendor, [(offer, spec["price"], spec["quantity"])], spec["fee"])]
            )
            vo = order.vendor_orders.get()
            if spec["refund_after"] is not None:
                history_refund(
                    line=vo.lines.get(),
                    at=at + timedelta(hours=spec["refund_after"] * 7),
                    part=Decimal("0.5"),
                    shipping=spec["fee"],
                )
            if spec["payout_after"] is not None:
                history_payout(
                    vendor_order=vo,
                    at=at + timedelta(days=spec["payout_after"]),
                    amount=spec["price"],
                )
        # Days before `frozen_day` are frozen, the others live: both must read the same.
        frozen_now = START + timedelta(days=frozen_day, hours=1)
        facts_refresh(now=frozen_now)
        first, last = date(2026, 2, 16), date(2026, 6, 7)
        with time_machine.travel(datetime(2026, 6, 8, 12, tzinfo=PARIS), tick=False):
            for granularity in (DAY, WEEK, MONTH):
                board = operator_dashboard(start=first, end=last, granularity=granularity)
                assert_board_equals_ledger(board, ledger_by_day(), granularity)
                # The splits add up to the total, to the cent.
                for split in (board.by_vendor, board.by_category):
                    for name in ("sales", "refunds", "commission", "payouts"):
                        assert sum((getattr(r, name) for r in split), ZERO) == getattr(
                            board.totals, name
                        )
                assert sum(r.orders for r in board.by_vendor) == VendorOrder.objects.count()
            assert board.totals.orders == len(specs)
            # One vendor, one category, both: each equals the ledger read with that filter.
            v, c = vendors[0], categories[1]
            for kwargs in ({"vendor": v}, {"category": c}, {"vendor": v, "category": c}):
                board = operator_dashboard(start=first, end=last, granularity=WEEK, **kwargs)
                assert_board_equals_ledger(board, ledger_by_day(**kwargs), WEEK)
            # Over all time, the commission is the ledger's own operator summary.
            summary = operator_summary()
            board = operator_dashboard(start=first, end=last, granularity=MONTH)
            assert board.totals.commission == summary["commission"]
            assert (
                board.totals.sales - board.totals.refunds - board.totals.payouts
                == summary["customer_money"]
            )
        transaction.set_rollback(True)


# --- Paris days, weeks and months -----------------------------------------------------------


def test_days_weeks_and_months_are_paris_ones(db):
    # covers: issue 13 (per day/week/month)
    vendor = VendorFactory()
    offer = offer_in(vendor)
    price = Decimal("10.00")
    # 31 March 23:30 in Paris is 21:30 UTC: March, and the week of Monday 30 March.
    history_order(
        at=datetime(2026, 3, 31, 23, 30, tzinfo=PARIS), parts=[(vendor, [(offer, price, 1)], ZERO)]
    )
    # 1 April 00:10 in Paris is still 31 March in UTC: April.
    history_order(
        at=datetime(2026, 4, 1, 0, 10, tzinfo=PARIS), parts=[(vendor, [(offer, price, 2)], ZERO)]
    )
    # Sunday 5 April 23:59 belongs to the week of 30 March; Monday 6 April starts another.
    history_order(
        at=datetime(2026, 4, 5, 23, 59, tzinfo=PARIS), parts=[(vendor, [(offer, price, 4)], ZERO)]
    )
    history_order(
        at=datetime(2026, 4, 6, 0, 0, tzinfo=PARIS), parts=[(vendor, [(offer, price, 8)], ZERO)]
    )
    with time_machine.travel(datetime(2026, 4, 20, tzinfo=PARIS), tick=False):
        months = operator_dashboard(
            start=date(2026, 3, 1), end=date(2026, 4, 30), granularity=MONTH
        )
        assert [(p.start, p.sales) for p in months.points] == [
            (date(2026, 3, 1), Decimal("10.00")),
            (date(2026, 4, 1), Decimal("140.00")),
        ]
        weeks = operator_dashboard(start=date(2026, 3, 30), end=date(2026, 4, 12), granularity=WEEK)
        assert [(p.start, p.sales, p.orders) for p in weeks.points] == [
            (date(2026, 3, 30), Decimal("70.00"), 3),
            (date(2026, 4, 6), Decimal("80.00"), 1),
        ]
        days = operator_dashboard(start=date(2026, 3, 31), end=date(2026, 4, 1), granularity=DAY)
        assert [p.sales for p in days.points] == [Decimal("10.00"), Decimal("20.00")]
        assert days.totals.basket == Decimal("15.00")


# --- the real services: refunds, a refund that fails ----------------------------------------


def test_a_refund_that_fails_is_undone_on_the_day_it_failed(db):
    # covers: issue 13, PAY-2 (a failed refund's reversal leaves the commission earned)
    from allies.ledger.services import ledger_refund_failed
    from allies.payments.models import Refund
    from tests.ledger.conftest import buy, offer_of, refund, vendor_with_rates

    vendor = vendor_with_rates(fee=Decimal("4.90"), commission_rate=Decimal("0.10"))
    offer = offer_of(vendor, price="100.00")
    with time_machine.travel(datetime(2026, 5, 4, 10, tzinfo=PARIS), tick=False):
        order = buy([(offer, 1)])
        vo = order.vendor_orders.get()
    with time_machine.travel(datetime(2026, 5, 5, 10, tzinfo=PARIS), tick=False):
        row, _ = refund(vo, lines={vo.lines.get().pk: Decimal("100.00")})
    with time_machine.travel(datetime(2026, 5, 7, 10, tzinfo=PARIS), tick=False):
        Refund.objects.filter(pk=row.pk).update(status=Refund.Status.FAILED)
        ledger_refund_failed(refund=row)
    with time_machine.travel(datetime(2026, 5, 9, 10, tzinfo=PARIS), tick=False):
        facts_refresh()
        board = operator_dashboard(start=date(2026, 5, 4), end=date(2026, 5, 8), granularity=DAY)
    by_day = {p.start: p for p in board.points}
    assert by_day[date(2026, 5, 4)].sales == Decimal("104.90")
    assert by_day[date(2026, 5, 4)].commission == Decimal("10.00")
    assert by_day[date(2026, 5, 5)].refunds == Decimal("100.00")
    assert by_day[date(2026, 5, 5)].commission == Decimal("-10.00")
    # The refund failed on the 7th: the customer was not refunded, the commission is earned.
    assert by_day[date(2026, 5, 7)].refunds == Decimal("-100.00")
    assert by_day[date(2026, 5, 7)].commission == Decimal("10.00")
    assert board.totals.commission == operator_summary()["commission"] == Decimal("10.00")
    assert board.totals.refunds == ZERO


# --- the ranking ------------------------------------------------------------------------------


def test_vendors_are_ranked_by_late_acceptances_late_shipments_refusals_and_claims(db):
    # covers: issue 13 (vendors ranked)
    a, b, c = (
        VendorFactory(name="Atelier A"),
        VendorFactory(name="Boutique B"),
        VendorFactory(name="Comptoir C"),
    )
    day = datetime(2026, 9, 14, 10, tzinfo=PARIS)
    deadline = day + timedelta(days=2)
    vos = {}
    for vendor, n in ((a, 1), (b, 3), (c, 2)):
        offer = offer_in(vendor)
        vos[vendor] = []
        for _ in range(n):
            order = history_order(
                at=day,
                parts=[(vendor, [(offer, Decimal("20.00"), 1)], ZERO)],
                delivery_min=date(2026, 9, 17),
            )
            vos[vendor].append(order.vendor_orders.get())
    # Late acceptances: B's three (flagged), A's one accepted after the deadline; C in time.
    VendorOrder.objects.filter(vendor=b).update(
        acceptance_deadline=deadline, overdue_flagged_at=deadline
    )
    VendorOrder.objects.filter(vendor=a).update(
        acceptance_deadline=deadline, accepted_at=deadline + timedelta(hours=1)
    )
    VendorOrder.objects.filter(vendor=c).update(
        acceptance_deadline=deadline, accepted_at=deadline - timedelta(hours=1)
    )
    # Late shipments: C's two accepted, never shipped by the 17th; A shipped on the 18th.
    VendorOrder.objects.filter(vendor=a).update(shipped_at=datetime(2026, 9, 18, 9, tzinfo=PARIS))
    # Refusals: one of B's lines; claims: two for A.
    OrderLine.objects.filter(vendor_order=vos[b][0]).update(status="refused", decided_at=day)
    for vo in vos[a] * 2:
        history_claim(vendor_order=vo, at=day + timedelta(days=3))
    with time_machine.travel(datetime(2026, 9, 30, tzinfo=PARIS), tick=False):
        facts_refresh()
        ranks = vendor_rankings(start=date(2026, 9, 1), end=date(2026, 9, 30))
    assert [(r.name, r.count) for r in ranks.late_acceptances] == [
        ("Boutique B", 3),
        ("Atelier A", 1),
    ]
    assert [(r.name, r.count) for r in ranks.late_shipments] == [
        ("Comptoir C", 2),
        ("Atelier A", 1),
    ]
    assert [(r.name, r.count) for r in ranks.refusals] == [("Boutique B", 1)]
    assert [(r.name, r.count) for r in ranks.claims[:1]] == [("Atelier A", 2)]


# --- the vendor's own figures --------------------------------------------------------------


def test_a_vendor_sees_only_its_own_sales_and_payouts(db):
    # covers: issue 13 (vendor portal dashboard), VEN-2
    mine, other = VendorFactory(), VendorFactory()
    offer, theirs = offer_in(mine), offer_in(other)
    at = datetime(2026, 10, 5, 12, tzinfo=PARIS)
    order = history_order(at=at, parts=[(mine, [(offer, Decimal("30.00"), 1)], Decimal("5.00"))])
    history_order(at=at, parts=[(other, [(theirs, Decimal("999.00"), 1)], ZERO)])
    history_payout(
        vendor_order=order.vendor_orders.get(), at=at + timedelta(days=20), amount=Decimal("25.50")
    )
    with time_machine.travel(datetime(2026, 11, 2, 12, tzinfo=PARIS), tick=False):
        facts_refresh()
        board = vendor_dashboard(vendor=mine, periods=12)
    assert len(board.points) == 12 and board.points[-1].start == date(2026, 11, 1)
    by_month = {p.start: p for p in board.points}
    assert by_month[date(2026, 10, 1)].sales == Decimal("35.00")
    assert by_month[date(2026, 10, 1)].payouts == Decimal("25.50")
    assert board.totals.sales == Decimal("35.00")


# --- the refresh ----------------------------------------------------------------------------


def test_the_refresh_is_idempotent_and_cheap_when_no_day_closed(db, django_assert_num_queries):
    # covers: issue 13 (pre-aggregated tables; reporting_refresh every minute)
    vendor = VendorFactory()
    offer = offer_in(vendor)
    history_order(
        at=datetime(2026, 1, 10, 12, tzinfo=PARIS),
        parts=[(vendor, [(offer, Decimal("10.00"), 1)], ZERO)],
    )
    now = datetime(2026, 1, 20, 12, tzinfo=PARIS)
    first = facts_refresh(now=now)
    assert first.days == 10 and RefreshState.objects.get().frozen_until == date(2026, 1, 20)
    rows = sorted(
        map(str, DailyFact.objects.values_list("scope", "day", "vendor_id", "category_id", "sales"))
    )
    with django_assert_num_queries(1):
        assert facts_refresh(now=now + timedelta(minutes=5)).days == 0
    facts_refresh(now=now, rebuild=True)
    assert (
        sorted(
            map(
                str,
                DailyFact.objects.values_list("scope", "day", "vendor_id", "category_id", "sales"),
            )
        )
        == rows
    )
    # Ten minutes after midnight, the day before is closed and frozen.
    facts_refresh(now=datetime(2026, 1, 21, 0, 11, tzinfo=PARIS))
    assert RefreshState.objects.get().frozen_until == date(2026, 1, 21)


def test_whole_months_read_from_the_monthly_rows_equal_the_days(db):
    # covers: issue 13 (pre-aggregated tables stay equal to the ledger)
    vendors = [VendorFactory(name=f"V{i}") for i in range(2)]
    offers = [offer_in(v) for v in vendors]
    for i in range(40):
        at = datetime(2026, 1, 1, 12, tzinfo=PARIS) + timedelta(days=i * 3, hours=i % 13)
        vendor = vendors[i % 2]
        history_order(at=at, parts=[(vendor, [(offers[i % 2], Decimal("10.00") + i, 1)], ZERO)])
    facts_refresh(now=datetime(2026, 5, 2, 12, tzinfo=PARIS))
    assert DailyFact.objects.filter(scope=DailyFact.Scope.VENDOR_MONTH).count() == 8  # Jan–Apr
    with time_machine.travel(datetime(2026, 5, 2, 12, tzinfo=PARIS), tick=False):
        board = operator_dashboard(start=date(2026, 1, 15), end=date(2026, 4, 30), granularity=DAY)
    days = ledger_by_day()
    for vendor, row in zip(vendors, sorted(board.by_vendor, key=lambda r: r.key or 0), strict=True):
        expected = sum(
            (
                figures["sales"]
                for day, figures in ledger_by_day(vendor=vendor).items()
                if date(2026, 1, 15) <= day <= date(2026, 4, 30)
            ),
            ZERO,
        )
        assert row.sales == expected
    assert sum(r.sales for r in board.by_vendor) == board.totals.sales
    assert days
