"""One meaning for "cents": an int number of cents; euros are Decimal, rounded by round_cent."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from allies.core.money import cents_to_eur, eur_to_cents, round_cent

D = Decimal


def test_euros_become_whole_cents_after_the_one_rounding_rule():
    # covers: issue 8 §4
    assert eur_to_cents(D("49.90")) == 4990
    assert eur_to_cents(D("0.125")) == 13  # halves away from zero, as everywhere
    assert eur_to_cents(D("-0.125")) == -13
    assert eur_to_cents(12) == 1200
    assert isinstance(eur_to_cents(D("1")), int)


def test_cents_become_euros_to_the_cent():
    # covers: issue 8 §4
    assert cents_to_eur(4990) == D("49.90")
    assert cents_to_eur(5) == D("0.05")
    assert round_cent(D("1249.904")) == D("1249.90")


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_cents_and_euros_convert_back_exactly(cents):
    # covers: issue 8 §4
    assert eur_to_cents(cents_to_eur(cents)) == cents
