"""Delivery windows in working days: weekends and French public holidays do not count."""

from datetime import date

import pytest

from allies.shipping.engine import delay_text, quote_vendor

from .helpers import item, rule


@pytest.mark.parametrize(
    "today,days,earliest,latest",
    [
        # Friday → skips the weekend.
        (date(2026, 11, 27), (2, 4), date(2026, 12, 1), date(2026, 12, 3)),
        # Thursday 24 Dec: Christmas Friday and the weekend do not count.
        (date(2026, 12, 24), (1, 3), date(2026, 12, 28), date(2026, 12, 30)),
        # Ordered on a Saturday: counted from Monday.
        (date(2026, 11, 28), (1, 2), date(2026, 12, 1), date(2026, 12, 2)),
        # 30 April 2026 (Thursday): 1 May and 8 May (Fridays) are holidays.
        (date(2026, 4, 30), (2, 6), date(2026, 5, 5), date(2026, 5, 12)),
        # Armistice, Wednesday 11 November 2026.
        (date(2026, 11, 10), (1, 2), date(2026, 11, 12), date(2026, 11, 13)),
    ],
)
def test_delivery_window_counts_working_days(today, days, earliest, latest):
    # covers: CHK-2, CAT-3
    option = quote_vendor([item()], [rule(days=days)], "FR", today).option("home")
    assert (option.earliest, option.latest) == (earliest, latest)
    assert (option.min_days, option.max_days) == days


def test_delay_is_written_in_working_days():
    # covers: CAT-3
    assert delay_text(2, 4) == "2 à 4 jours ouvrés"
    assert delay_text(3, 3) == "3 jours ouvrés"
    assert delay_text(1, 1) == "1 jour ouvré"
    option = quote_vendor([item()], [rule(days=(2, 4))], "FR", date(2026, 11, 26)).option("home")
    assert option.delay_text == "2 à 4 jours ouvrés"
