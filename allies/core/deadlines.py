"""Every delay of the product is computed here (calendar days, working days, business hours).

A working day is Monday to Friday except French public holidays (the `holidays` package).
"Business hours" count the hours of working days only: 48 business hours from a Friday at
15:00 end on the Tuesday at 15:00 (Saturday and Sunday do not count).
"""

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from django.utils import timezone


@lru_cache(maxsize=32)
def _french_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.France(years=year).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _french_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (0 → the next working day on or after it)."""
    day = start
    while not is_working_day(day):
        day += timedelta(days=1)
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def add_calendar_days(start: date | datetime, days: int) -> date | datetime:
    return start + timedelta(days=days)


def add_business_hours(start: datetime, hours: int) -> datetime:
    """`start` plus `hours` hours counted only during working days (local time, Paris)."""
    local = timezone.localtime(start) if timezone.is_aware(start) else start
    remaining = timedelta(hours=hours)
    cursor = local
    while True:
        day_end = (cursor + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        if is_working_day(cursor.date()):
            available = day_end - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
        cursor = day_end
