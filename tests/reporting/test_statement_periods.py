"""The monthly statement's figures (allies/reporting/statements.py): months cut in Paris time,
balances that carry over from month to month and add up to the ledger's balance, totals by
kind group, the payouts of a month with the vendor orders each paid, bounded queries."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allies.ledger.models import LedgerEntry
from allies.ledger.selectors import vendor_balance
from allies.reporting.statements import (
    Month,
    StatementMonthInvalid,
    vendor_month_summary,
    vendor_statement_months,
)
from tests.factories import VendorFactory
from tests.ledger.conftest import buy
from tests.ledger.statement_factories import entry, paid_payout

pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def vo(two_vendors):
    """A vendor order of "Maison Verlaine"; its real sale entries are dated today (2026 or
    later), after every month these tests write into."""
    return buy([(two_vendors["watch"], 1)]).vendor_orders.get()


def test_months_are_cut_at_midnight_paris_time(vo):
    # covers: PAY-2 (statement periods), issue 13 STATEMENTS
    vendor = vo.vendor
    entry(vo, amount="10.00", at=utc(2025, 10, 31, 22, 59))  # 23:59 in Paris: October
    entry(vo, amount="20.00", at=utc(2025, 10, 31, 23, 30))  # 00:30 on 1 Nov in Paris
    entry(vo, amount="40.00", at=utc(2025, 6, 30, 22, 30))  # summer time: 00:30 on 1 July
    october = vendor_month_summary(vendor=vendor, month=Month(2025, 10))
    november = vendor_month_summary(vendor=vendor, month=Month(2025, 11))
    july = vendor_month_summary(vendor=vendor, month=Month(2025, 7))
    assert (october.count, october.credits) == (1, Decimal("10.00"))
    assert (november.count, november.credits) == (1, Decimal("20.00"))
    assert (july.count, july.credits) == (1, Decimal("40.00"))
    assert vendor_month_summary(vendor=vendor, month=Month(2025, 6)).count == 0
    assert november.opening_balance == Decimal("50.00") == october.closing_balance
    months = vendor_statement_months(vendor=vendor)
    assert {Month(2025, 7), Month(2025, 10), Month(2025, 11)} <= set(months)
    assert Month(2025, 6) not in months
    assert months == sorted(months, reverse=True)


def test_a_month_is_parsed_with_bounds():
    # covers: issue 13 STATEMENTS (a bad month is a clear refusal, not a crash)
    assert Month.parse("2026-11") == Month(2026, 11)
    assert Month.parse("2026-1").key == "2026-01"
    assert Month(2026, 12).next == Month(2027, 1) and Month(2026, 1).previous == Month(2025, 12)
    for bad in ("2026-13", "2026-00", "1999-12", "2101-01", "nov", "", "2026-11-01", "²⁰²⁶-11"):
        with pytest.raises(StatementMonthInvalid):
            Month.parse(bad)
    assert Month(2100, 12).neighbour(+1) is None
    assert Month(2026, 3).last_day.isoformat() == "2026-03-31"
    assert Month(2028, 2).last_day.isoformat() == "2028-02-29"


# "shipping" is once per vendor order (a database constraint); "payout" needs a payout row.
KINDS = [k for k, _label in LedgerEntry.Kind.choices if k not in ("payout", "shipping")]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    entries=st.lists(
        st.tuples(
            st.integers(0, 13),  # month offset from January 2024
            st.integers(0, 27 * 24 * 60 + 3 * 24 * 60),  # minutes into the month (may spill)
            st.sampled_from(KINDS),
            st.integers(-50_000, 50_000),  # cents
        ),
        max_size=40,
    )
)
def test_months_carry_over_and_add_up_to_the_ledger_balance(vo, entries):
    # covers: PAY-2, issue 13 STATEMENTS ("totals carry over between months and add up")
    vendor = VendorFactory()  # a fresh vendor per example: entries are never deleted
    for offset, minutes, kind, cents in entries:
        year, month = 2024 + offset // 12, offset % 12 + 1
        at = datetime(year, month, 1, tzinfo=UTC).timestamp() + minutes * 60
        entry(vo, vendor=vendor, kind=kind, amount=Decimal(cents) / 100,
              at=datetime.fromtimestamp(at, tz=UTC))  # fmt: skip
    months = [Month(2023, 12)]
    while months[-1] < Month(2025, 4):
        months.append(months[-1].next)
    summaries = [vendor_month_summary(vendor=vendor, month=m) for m in months]
    assert summaries[0].opening_balance == 0
    for before, after in zip(summaries, summaries[1:], strict=False):
        assert after.opening_balance == before.closing_balance
    for s in summaries:
        assert s.closing_balance == s.opening_balance + s.credits + s.debits
        assert sum(g.amount for g in s.groups) == s.credits + s.debits
        assert s.credits >= 0 >= s.debits
    assert sum(s.credits + s.debits for s in summaries) == vendor_balance(vendor=vendor)
    assert summaries[-1].closing_balance == vendor_balance(vendor=vendor)
    with_entries = {m for m, s in zip(months, summaries, strict=True) if s.count}
    assert set(vendor_statement_months(vendor=vendor)) == with_entries


def test_each_payout_of_the_month_is_listed_with_the_orders_it_paid(two_vendors):
    # covers: PAY-1, issue 13 STATEMENTS ("each payout with its lines")
    verlaine = two_vendors["verlaine"]
    orders = [buy([(two_vendors["shirt"], 1)]) for _ in range(3)]
    vos = [o.vendor_orders.get() for o in orders]
    first = paid_payout(verlaine, lines=[(vos[0], "50.00"), (vos[1], "45.50")],
                        at=utc(2025, 11, 5, 9))  # fmt: skip
    second = paid_payout(verlaine, lines=[(vos[2], "46.00")], at=utc(2025, 11, 20, 9))
    paid_payout(verlaine, lines=[(vos[0], "1.00")], at=utc(2025, 12, 1, 9))  # December's
    nov = vendor_month_summary(vendor=verlaine, month=Month(2025, 11))
    assert [p.payout for p in nov.payouts] == [first, second]
    assert [(line.reference, line.amount) for line in nov.payouts[0].lines] == [
        (orders[0].reference, Decimal("50.00")), (orders[1].reference, Decimal("45.50")),
    ]  # fmt: skip
    assert nov.payouts[0].amount == Decimal("95.50") and nov.payouts[1].amount == Decimal("46.00")
    payouts_group = {g.key: g.amount for g in nov.groups}["payouts"]
    assert payouts_group == Decimal("-141.50")
    # Lines are capped (pages and PDF); the payout still knows how many it paid.
    capped = vendor_month_summary(vendor=verlaine, month=Month(2025, 11), payout_lines=1)
    assert len(capped.payouts[0].lines) == 1 and capped.payouts[0].lines_hidden == 1
    assert capped.payouts[1].lines_hidden == 1
    # Another vendor's month shows none of them.
    brun = vendor_month_summary(vendor=two_vendors["brun"], month=Month(2025, 11))
    assert brun.payouts == [] and brun.count == 0


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx)


def test_a_months_figures_take_the_same_queries_for_10_or_200_entries(two_vendors):
    # covers: issue 13 STATEMENTS (bounded queries)
    verlaine = two_vendors["verlaine"]
    vos = [buy([(two_vendors["shirt"], 1)]).vendor_orders.get() for _ in range(2)]

    def fill(month, n):
        LedgerEntry.objects.bulk_create(
            LedgerEntry(vendor=verlaine, vendor_order=vos[i % 2], kind="sale",
                        amount=Decimal("1.00"), created_at=utc(2025, month, 2, 0, i % 60))
            for i in range(n)
        )  # fmt: skip
        paid_payout(verlaine, lines=[(vos[0], "1.00")], at=utc(2025, month, 3))

    fill(3, 10)
    fill(4, 200)
    small = _queries(lambda: vendor_month_summary(vendor=verlaine, month=Month(2025, 3)))
    big = _queries(lambda: vendor_month_summary(vendor=verlaine, month=Month(2025, 4)))
    assert small == big <= 4
    assert vendor_month_summary(vendor=verlaine, month=Month(2025, 4)).count == 201
