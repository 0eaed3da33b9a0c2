"""Bounded number parsing (`core.numbers`) and every numeric field that uses it (issue 9 §3).

Property tests: any value outside a field's column or shape is refused with a clear message,
quickly and without converting it; any valid value comes back as itself.
"""

import time
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allies.catalog import offers
from allies.catalog.models import Offer
from allies.core.numbers import (
    NumberError,
    decimal_bounds,
    integer_bounds,
    parse_decimal,
    parse_int,
)
from allies.shipping.models import ShippingRate
from allies.shipping.services import shipping_rate_errors
from tests.hardening.odd_values import ODD_NUMBERS

# Odd values no numeric field accepts (the others, like "30000" or "-0", are numbers).
REFUSED = [v for v in ODD_NUMBERS if v not in ("30000", "-0", "", " ")]
MONEY = {"max_digits": 8, "decimal_places": 2, "min_value": 0, "max_value": Decimal("999999.99")}

# Texts a person or a program may send: digits of every script, signs, separators, exponents.
odd_text = st.text(
    alphabet=st.sampled_from(list("0123456789+-.,eE ²³¹٣൬\u00a0_xXnaNIfity")), max_size=60
) | st.sampled_from(ODD_NUMBERS)


@pytest.mark.parametrize("value", REFUSED)
def test_odd_values_are_refused_by_decimal_and_integer_parsing(value):
    # covers: issue 9 §3
    started = time.monotonic()
    with pytest.raises(NumberError) as refused:
        parse_decimal(value, **MONEY)
    assert refused.value.message  # a sentence for people, not a traceback
    with pytest.raises(NumberError):
        parse_int(value, min_value=0, max_value=2_147_483_647)
    assert time.monotonic() - started < 0.1


@settings(max_examples=300, deadline=200)
@given(odd_text)
def test_any_text_is_read_or_refused_with_a_number_error_never_anything_else(text):
    # covers: issue 9 §3
    for parse in (
        lambda: parse_decimal(text, **MONEY),
        lambda: parse_int(text, min_value=-32_768, max_value=32_767),
    ):
        try:
            parse()
        except NumberError as exc:
            assert exc.code in {"invalid", "too_small", "too_large", "too_many_decimals"}
            assert exc.message
        else:
            # only 0-9, the separators and the spaces between digit groups got through
            assert text.replace("\u00a0", " ").strip().isascii()
            assert not any(c in text for c in "eEnN_xX")


@settings(max_examples=200, deadline=200)
@given(st.decimals(min_value=0, max_value=Decimal("999999.99"), places=2, allow_nan=False))
def test_valid_amounts_round_trip_whatever_the_separator(amount):
    # covers: issue 9 §3
    assert parse_decimal(str(amount), **MONEY) == amount
    assert parse_decimal(str(amount).replace(".", ","), **MONEY) == amount
    assert parse_decimal(amount, **MONEY) == amount


@settings(max_examples=200, deadline=200)
@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_integers_inside_the_bounds_round_trip_and_outside_are_refused(number):
    # covers: issue 9 §3
    low, high = -32_768, 32_767
    for value in (number, str(number)):
        if low <= number <= high:
            assert parse_int(value, min_value=low, max_value=high) == number
        else:
            with pytest.raises(NumberError) as refused:
                parse_int(value, min_value=low, max_value=high)
            assert refused.value.code == ("too_small" if number < low else "too_large")


def test_messages_name_the_bound_in_french_and_in_english():
    # covers: issue 9 §3
    from django.utils import translation

    with pytest.raises(NumberError) as refused:
        parse_decimal("30000", max_digits=6, decimal_places=2, min_value=0, max_value=9999)
    assert refused.value.message == "La valeur doit être au plus 9\u00a0999."
    with translation.override("en"), pytest.raises(NumberError) as refused:
        parse_int("²", min_value=0, max_value=10)
    assert "is not a whole number" in refused.value.message


def test_negative_zero_is_zero_and_tiny_values_are_too_precise():
    # covers: issue 9 §3
    assert str(parse_decimal("-0", **MONEY)) == "0.00"
    assert parse_int("-0", min_value=0, max_value=5) == 0
    with pytest.raises(NumberError) as refused:
        parse_decimal("0.000000001", **MONEY)
    assert refused.value.code == "too_many_decimals"


def test_bounds_come_from_the_columns():
    # covers: issue 9 §3
    assert decimal_bounds(Offer, "price") == {
        "max_digits": 10,
        "decimal_places": 2,
        "min_value": Decimal("-99999999.99"),
        "max_value": Decimal("99999999.99"),
    }
    assert decimal_bounds(ShippingRate, "max_parcel_weight_kg")["min_value"] == Decimal("0.01")
    assert integer_bounds(Offer, "stock") == {"min_value": 0, "max_value": 2_147_483_647}
    assert integer_bounds(Offer, "restock_weeks") == {"min_value": 0, "max_value": 32_767}


# --- each numeric field of the product ---------------------------------------------------


@pytest.mark.parametrize("value", REFUSED + ["0", "100000.01", "-3"])
def test_offer_price_refuses_odd_values_with_its_message(value):
    # covers: issue 9 §2, §3
    with pytest.raises(offers._Invalid) as refused:
        offers.price_parse(value)
    assert refused.value.code == "invalid_price"
    assert "prix" in refused.value.message.lower()


@pytest.mark.parametrize("parse", [offers.stock_parse, offers.restock_weeks_parse])
@pytest.mark.parametrize("value", REFUSED + ["1000001", "-1", "1.5"])
def test_offer_stock_and_restock_refuse_odd_values(parse, value):
    # covers: issue 9 §2, §3
    if parse is offers.restock_weeks_parse and value == "-1":
        value = "53"
    with pytest.raises(offers._Invalid) as refused:
        parse(value)
    assert refused.value.message


@settings(max_examples=100, deadline=200)
@given(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2),
    st.integers(min_value=0, max_value=1_000_000),
)
def test_offer_values_round_trip(price, stock):
    # covers: issue 9 §3
    assert offers.price_parse(f"{price}".replace(".", ",")) == price
    assert offers.price_parse(float(price)) == price
    assert offers.stock_parse(str(stock)) == stock == offers.stock_parse(stock)


RATE = {
    "mode": "home",
    "zone": "FR",
    "carrier": "colissimo",
    "base_fee": "4.90",
    "min_days": 2,
    "max_days": 4,
}
RATE_NUMBERS = [
    "base_fee",
    "per_extra_item_fee",
    "per_extra_parcel_fee",
    "per_kg_beyond",
    "free_shipping_threshold",
    "max_parcel_weight_kg",
    "min_days",
    "max_days",
]


@pytest.mark.parametrize("field", RATE_NUMBERS)
@pytest.mark.parametrize("value", [*REFUSED, "1e50", "30000"])
def test_every_shipping_rate_number_refuses_odd_values(field, value):
    # covers: issue 9 §3
    if value == "30000" and field not in ("max_parcel_weight_kg", "min_days", "max_days"):
        value = "3000000"  # above the amounts' bound
    errors = shipping_rate_errors(**{**RATE, field: value})
    assert list(errors) == [field], errors
    assert all(isinstance(message, str) and message for message in errors[field])


@pytest.mark.parametrize("value", [*REFUSED, "1e50"])
@pytest.mark.parametrize("key", ["up_to_kg", "fee"])
def test_shipping_rate_brackets_refuse_odd_values(key, value):
    # covers: issue 9 §3
    bracket = {"up_to_kg": "2", "fee": "5.90", key: value}
    errors = shipping_rate_errors(**RATE, weight_brackets=[bracket])
    assert list(errors) == ["weight_brackets"]
