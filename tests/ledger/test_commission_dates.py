"""Commission rates with dates of effect (PAY-2, issue 13 "Commissions"): an order uses the
rates in force on the day it was paid; staff schedule new rates, never in the past."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.admin.models import LogEntry

from allies.ledger.commissions import (
    CommissionRateError,
    commission_rate_delete,
    commission_rate_set,
    percent_label,
    percent_parse,
)
from allies.ledger.models import CommissionRate, LedgerEntry
from allies.ledger.selectors import commission_rate_for
from tests.factories import CategoryFactory, UserFactory
from tests.ledger.conftest import buy, offer_of, vendor_with_rates

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
K = LedgerEntry.Kind


def at(year, month, day, hour=12, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def commissions(order) -> dict[str, tuple[Decimal, Decimal]]:
    """{product title: (rate, amount the vendor was charged)} of the order's commissions."""
    return {
        e.description.split(" × ")[0]: (e.rate, e.operator_amount)
        for e in LedgerEntry.objects.filter(vendor_order__order=order, kind=K.COMMISSION)
    }


def test_a_rate_change_applies_from_its_day_and_older_orders_keep_their_rate():
    # covers: PAY-2 (issue 13: "a test changes a rate and checks older orders keep theirs")
    vendor = vendor_with_rates(commission_rate=Decimal("0.15"))
    offer = offer_of(vendor, price="100.00")
    offer.variant.product.title = "Montre"
    offer.variant.product.save()
    staff = UserFactory(is_staff=True)
    with time_machine.travel(at(2026, 3, 10), tick=False):
        before = buy([(offer, 1)])
        commission_rate_set(
            vendor=vendor, rate=Decimal("0.10"), valid_from=date(2026, 4, 1), by=staff
        )
        # Scheduled, not in force yet: an order paid the same day keeps the old rate.
        same_day = buy([(offer, 1)])
    # 00:30 in Paris on 1 April is still 31 March in UTC: the site's day decides.
    with time_machine.travel(at(2026, 4, 1, 0, 30), tick=False):
        after = buy([(offer, 1)])

    old = {"Montre": (Decimal("0.1500"), Decimal("15.00"))}
    assert commissions(before) == old
    assert commissions(same_day) == old
    assert commissions(after) == {"Montre": (Decimal("0.1000"), Decimal("10.00"))}
    # The older order's entries are untouched by the change, and so is its vendor's balance.
    assert [e.amount for e in before.vendor_orders.get().ledger_entries.filter(
        kind=K.COMMISSION)] == [Decimal("-15.00")]  # fmt: skip
    assert commission_rate_for(vendor=vendor, category_id=None, on=date(2026, 3, 31)) == Decimal(
        "0.15"
    )
    assert commission_rate_for(vendor=vendor, category_id=None, on=date(2026, 4, 1)) == Decimal(
        "0.1000"
    )


def test_a_category_rate_overrides_the_vendor_default_from_its_own_date():
    # covers: PAY-2
    vendor = vendor_with_rates(commission_rate=Decimal("0.15"))
    watches, shirts = CategoryFactory(name="Montres"), CategoryFactory(name="Chemises")
    watch = offer_of(vendor, price="200.00", category=watches)
    shirt = offer_of(vendor, price="50.00", category=shirts)
    watch.variant.product.title, shirt.variant.product.title = "Montre", "Chemise"
    watch.variant.product.save()
    shirt.variant.product.save()
    # History as staff would have scheduled it over the months.
    CommissionRate.objects.create(vendor=vendor, rate=Decimal("0.12"), valid_from=date(2026, 2, 1))
    CommissionRate.objects.create(
        vendor=vendor, category=watches, rate=Decimal("0.20"), valid_from=date(2026, 3, 1)
    )
    CommissionRate.objects.create(
        vendor=vendor, category=watches, rate=Decimal("0.25"), valid_from=date(2026, 5, 1)
    )
    expected = {
        at(2026, 1, 15): ("0.15", "0.15"),  # nothing in force yet: Vendor.commission_rate
        at(2026, 2, 15): ("0.12", "0.12"),  # the vendor-wide row, no watch row yet
        at(2026, 3, 1, 0, 5): ("0.20", "0.12"),  # the watch row from its first minute
        at(2026, 4, 30, 23, 55): ("0.20", "0.12"),
        at(2026, 5, 2): ("0.25", "0.12"),
    }
    for moment, (watch_rate, shirt_rate) in expected.items():
        with time_machine.travel(moment, tick=False):
            order = buy([(watch, 1), (shirt, 1)])
        got = commissions(order)
        assert got["Montre"][0] == Decimal(watch_rate), moment
        assert got["Chemise"][0] == Decimal(shirt_rate), moment
        assert got["Montre"][1] == Decimal("200.00") * Decimal(watch_rate)
        # The selector agrees with what the sale used.
        day = moment.date()
        assert commission_rate_for(vendor=vendor, category_id=watches.pk, on=day) == Decimal(
            watch_rate
        )
        assert commission_rate_for(vendor=vendor, category_id=shirts.pk, on=day) == Decimal(
            shirt_rate
        )


@pytest.mark.parametrize(
    "text",
    ["-1", "101", "abc", "Infinity", "NaN", "1e3", "9" * 60, "100,01", "12,345", "", "١٢"],
)
def test_a_bad_percentage_is_refused_in_french(text):
    # covers: PAY-2, issue 9 (bounded parsing)
    with pytest.raises(CommissionRateError) as refused:
        percent_parse(text)
    assert refused.value.code == "invalid_rate"
    assert "Taux refusé" in refused.value.message
    assert "pourcentage entre 0 et 100" in refused.value.message


def test_percentages_are_typed_with_a_french_comma_and_stored_as_fractions():
    assert percent_parse("12,5") == Decimal("0.1250")
    assert percent_parse(" 7.25 ") == Decimal("0.0725")
    assert percent_parse("0") == Decimal("0.0000")
    assert percent_parse("100") == Decimal("1.0000")
    assert percent_label(Decimal("0.1250")) == "12,5\u00a0%"


@pytest.mark.parametrize(
    "rate", [Decimal("-0.01"), Decimal("1.01"), Decimal("Infinity"), Decimal("NaN"),
             Decimal("0.12345"), Decimal("1E+999999"), 0.15, "0.15"],
)  # fmt: skip
def test_the_service_refuses_a_rate_out_of_bounds_and_saves_nothing(rate):
    # covers: PAY-2
    vendor = vendor_with_rates()
    with pytest.raises(CommissionRateError):
        commission_rate_set(vendor=vendor, rate=rate, valid_from=date.today(), by=UserFactory())
    assert not CommissionRate.objects.filter(vendor=vendor).exists()
    assert not LogEntry.objects.exists()


def test_a_rate_cannot_start_in_the_past_nor_replace_one_already_in_force():
    # covers: PAY-2 (history is never rewritten)
    vendor = vendor_with_rates(commission_rate=Decimal("0.15"))
    staff = UserFactory(is_staff=True)
    with time_machine.travel(at(2026, 6, 10), tick=False):
        with pytest.raises(CommissionRateError) as past:
            commission_rate_set(
                vendor=vendor, rate=Decimal("0.1"), valid_from=date(2026, 6, 9), by=staff
            )
        assert past.value.code == "in_the_past"
        assert "dans le passé" in past.value.message
        with pytest.raises(CommissionRateError) as too_far:
            commission_rate_set(
                vendor=vendor, rate=Decimal("0.1"), valid_from=date(2030, 1, 1), by=staff
            )
        assert too_far.value.code == "too_far"
        assert not CommissionRate.objects.filter(vendor=vendor).exists()

        today = commission_rate_set(
            vendor=vendor, rate=Decimal("0.1"), valid_from=date(2026, 6, 10), by=staff
        )
        with pytest.raises(CommissionRateError) as again:
            commission_rate_set(
                vendor=vendor, rate=Decimal("0.2"), valid_from=date(2026, 6, 10), by=staff
            )
        assert again.value.code == "already_in_force"
        today.refresh_from_db()
        assert today.rate == Decimal("0.1000")

        # A future rate is replaced by another for the same day, and may be deleted.
        future = commission_rate_set(
            vendor=vendor, rate=Decimal("0.08"), valid_from=date(2026, 7, 1), by=staff
        )
        replaced = commission_rate_set(
            vendor=vendor, rate=Decimal("0.09"), valid_from=date(2026, 7, 1), by=staff
        )
        assert replaced.pk == future.pk and replaced.rate == Decimal("0.0900")
        with pytest.raises(CommissionRateError) as in_force:
            commission_rate_delete(rate=today, by=staff)
        assert in_force.value.code == "not_future"
        commission_rate_delete(rate=future, by=staff)
    assert list(CommissionRate.objects.filter(vendor=vendor)) == [today]
    # Who did what is in the admin's history.
    assert LogEntry.objects.filter(user=staff).count() == 4
