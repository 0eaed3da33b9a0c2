"""Working days and business hours skip weekends and French public holidays."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from allies.core.deadlines import add_business_hours, add_working_days, is_working_day

PARIS = ZoneInfo("Europe/Paris")


def test_weekends_and_french_public_holidays_are_not_working_days():
    assert is_working_day(date(2026, 11, 26))  # a Thursday
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert not is_working_day(date(2026, 11, 11))  # Armistice
    assert not is_working_day(date(2026, 12, 25))  # Noël


def test_working_days_skip_weekends_and_holidays():
    # Friday 24 Dec 2026 + 1 working day: Sat, Sun, Christmas (Fri 25) → Monday 28.
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 28)
    assert add_working_days(date(2026, 11, 26), 3) == date(2026, 12, 1)
    assert add_working_days(date(2026, 11, 28), 0) == date(2026, 11, 30)


def test_48_business_hours_from_friday_afternoon_end_tuesday_afternoon():
    # covers: INV-2, SAV-2
    start = datetime(2026, 11, 27, 15, 0, tzinfo=PARIS)  # Friday
    assert add_business_hours(start, 48) == datetime(2026, 12, 1, 15, 0, tzinfo=PARIS)


def test_business_hours_started_on_a_holiday_count_from_the_next_working_day():
    start = datetime(2026, 11, 11, 10, 0, tzinfo=PARIS)  # Armistice, a Wednesday
    # Thursday 12 and Friday 13 are the two working days: the deadline is Saturday 00:00.
    assert add_business_hours(start, 48) == datetime(2026, 11, 14, 0, 0, tzinfo=PARIS)
