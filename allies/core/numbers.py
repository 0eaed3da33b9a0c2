"""Bounded parsing of every number a person or a program sends us (issue 9).

`Decimal("1e999990")` costs nothing, but turning it into an integer, quantizing it or storing
it does: a 41-byte value held a web worker for 30 s, and a value too large for its column was
saved on SQLite and then broke every page that read it back. So numbers are checked *as
text*, before any conversion:

- only ASCII digits 0-9, at most one sign and one decimal separator ("," or "."), spaces
  between digit groups ("1 299,90", also the no-break spaces French formatting uses);
- no exponent, no NaN or Infinity, no Unicode digits ("²", "٣"), nothing longer than
  MAX_TEXT characters;
- no more integer digits and decimals than the column holds, then the value's own bounds.

Every refusal is one `NumberError` (an `AlliesError`, and a ValueError) with a stable `code`
and a message in the user's language. `decimal_bounds` and `integer_bounds` read those limits
from a model column, so a form, an API and an import all refuse what the database could not
store, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext as _

from allies.core.errors import AlliesError

# Far more than any column's digits, short enough to be read in no time.
MAX_TEXT = 40
# Spaces people (and French number formatting) put between groups of three digits.
_GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f\t")
_DECIMAL_TEXT = re.compile(r"([+-]?)(\d*)(?:[.,](\d*))?", re.ASCII)
_INTEGER_TEXT = re.compile(r"([+-]?)(\d+)(?:[.,]0*)?", re.ASCII)

# PostgreSQL's integer columns (Django's portable ranges): SQLite stores 64-bit integers in
# every integer column, so its own wider range would let a value through that PostgreSQL
# refuses.
INTEGER_RANGES = {
    "SmallIntegerField": (-32_768, 32_767),
    "IntegerField": (-2_147_483_648, 2_147_483_647),
    "BigIntegerField": (-9_223_372_036_854_775_808, 9_223_372_036_854_775_807),
    "PositiveSmallIntegerField": (0, 32_767),
    "PositiveIntegerField": (0, 2_147_483_647),
    "PositiveBigIntegerField": (0, 9_223_372_036_854_775_807),
    "AutoField": (1, 2_147_483_647),
    "BigAutoField": (1, 9_223_372_036_854_775_807),
    "SmallAutoField": (1, 32_767),
}


class NumberError(AlliesError, ValueError):
    """A number refused: `code` is stable ("invalid", "too_small", "too_large",
    "too_many_decimals"), `message` is for people (translated when raised).

    Also a ValueError: code that converts numbers catches ValueError for every bad value."""

    code = "invalid"


def ascii_digits(text: str) -> bool:
    """True for a non-empty string of 0-9 only. `str.isdigit()` also accepts "²" or "٣",
    which `int()` then refuses or reads as another digit."""
    return bool(text) and text.isascii() and text.isdigit()


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 30 else text[:29] + "…"


def _french(value: Decimal | int) -> str:
    """A bound as people read it: "9 999,99", "2 147 483 647"."""
    sign = "-" if value < 0 else ""
    units, _dot, decimals = f"{abs(value)}".partition(".")
    groups: list[str] = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    text = sign + "\u00a0".join(groups)
    return f"{text},{decimals}" if decimals else text


def _as_text(value: Any) -> str:
    """Any accepted input as the text it stands for; NumberError("invalid") otherwise."""
    if isinstance(value, bool) or value is None:
        raise NumberError(code="invalid")
    if isinstance(value, int):
        # Python's int→str refuses more than 4,300 digits by itself; refuse far fewer here.
        if value.bit_length() > 4 * MAX_TEXT:
            raise NumberError(code="too_large")
        return str(value)
    if isinstance(value, float):
        return repr(value)  # "inf", "nan" and "1e+300" are then refused as text
    if isinstance(value, Decimal):
        return str(value)  # exponents ("1E+999990") are refused as text
    if isinstance(value, str):
        return value
    raise NumberError(code="invalid")


def _too_small(minimum: Decimal | int) -> NumberError:
    return NumberError(
        _("La valeur doit être au moins %(min)s.") % {"min": _french(minimum)}, code="too_small"
    )


def _too_large(maximum: Decimal | int) -> NumberError:
    return NumberError(
        _("La valeur doit être au plus %(max)s.") % {"max": _french(maximum)}, code="too_large"
    )


def parse_decimal(
    value: Any,
    *,
    max_digits: int,
    decimal_places: int,
    min_value: Decimal | int | None = None,
    max_value: Decimal | int | None = None,
) -> Decimal:
    """A Decimal with at most `max_digits` digits of which `decimal_places` decimals (like a
    DecimalField), within [min_value, max_value], returned with exactly `decimal_places`
    decimals. Accepts str ("49,90", "1 299.90", "-3"), int, finite float and Decimal."""

    def invalid() -> NumberError:  # built only when raised: translating costs, on every cell
        return NumberError(
            _("« %(value)s » n'est pas un nombre : écrivez-le en chiffres, par exemple 12,50.")
            % {"value": _shown(value)},
            code="invalid",
        )

    whole_limit = 10 ** (max_digits - decimal_places) - Decimal(1).scaleb(-decimal_places)
    try:
        text = _as_text(value)
    except NumberError as exc:
        if exc.code == "too_large":
            raise _too_large(max_value if max_value is not None else whole_limit) from None
        raise invalid() from None
    if len(text) > MAX_TEXT:
        raise invalid()
    match = _DECIMAL_TEXT.fullmatch(text.strip().translate(_GROUP_SPACES))
    if match is None:
        raise invalid()
    sign, whole, decimals = match.group(1), match.group(2), match.group(3) or ""
    if not whole and not decimals:
        raise invalid()
    whole, decimals = whole.lstrip("0"), decimals.rstrip("0")
    if len(whole) > max_digits - decimal_places:
        if sign == "-":
            raise _too_small(min_value if min_value is not None else -whole_limit)
        raise _too_large(max_value if max_value is not None else whole_limit)
    if len(decimals) > decimal_places:
        if decimal_places == 0:
            raise NumberError(_("Indiquez un nombre entier."), code="too_many_decimals")
        raise NumberError(
            _("Au plus %(places)s décimales.") % {"places": decimal_places},
            code="too_many_decimals",
        )
    # Only now is the text known to be a short plain number: converting it is safe.
    number = Decimal(f"{sign}{whole or '0'}.{decimals or '0'}")
    if not number:
        number = abs(number)  # "-0" is 0
    if min_value is not None and number < min_value:
        raise _too_small(min_value)
    if max_value is not None and number > max_value:
        raise _too_large(max_value)
    return number.quantize(Decimal(1).scaleb(-decimal_places))


def parse_int(value: Any, *, min_value: int, max_value: int) -> int:
    """An integer within [min_value, max_value]. Accepts str ("12", "1 000", "12,0"), int,
    and integral finite float or Decimal."""

    def invalid() -> NumberError:  # built only when raised (see parse_decimal)
        return NumberError(
            _("« %(value)s » n'est pas un nombre entier : écrivez-le en chiffres, par exemple 12.")
            % {"value": _shown(value)},
            code="invalid",
        )

    try:
        text = _as_text(value)
    except NumberError as exc:
        if exc.code == "too_large":
            raise _too_large(max_value) from None
        raise invalid() from None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        if len(text) > MAX_TEXT:
            raise invalid()
        match = _INTEGER_TEXT.fullmatch(text.strip().translate(_GROUP_SPACES))
        if match is None:
            raise invalid()
        sign, digits = match.group(1), match.group(2).lstrip("0") or "0"
        if len(digits) > len(str(max(abs(min_value), abs(max_value)))):
            raise _too_small(min_value) if sign == "-" else _too_large(max_value)
        number = int(sign + digits)
    if number < min_value:
        raise _too_small(min_value)
    if number > max_value:
        raise _too_large(max_value)
    return number


def decimal_bounds(model: type[models.Model], field_name: str) -> dict[str, Any]:
    """`parse_decimal`'s keyword arguments for a DecimalField: its digits, and the largest
    value it stores (a MinValueValidator gives the lower bound, else its negative)."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, models.DecimalField):
        raise TypeError(f"{model.__name__}.{field_name} is not a DecimalField")
    places = field.decimal_places
    largest = 10 ** (field.max_digits - places) - Decimal(1).scaleb(-places)
    lowest = -largest
    for validator in field.validators:
        if isinstance(validator, MinValueValidator):
            lowest = max(lowest, Decimal(validator.limit_value))
    return {
        "max_digits": field.max_digits,
        "decimal_places": places,
        "min_value": lowest,
        "max_value": largest,
    }


def integer_bounds(model: type[models.Model], field_name: str) -> dict[str, int]:
    """`parse_int`'s keyword arguments for an integer column (PostgreSQL's range), narrowed
    by its Min/MaxValueValidators."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{field_name} is not a column")
    lowest, highest = INTEGER_RANGES[field.get_internal_type()]
    for validator in field.validators:
        if isinstance(validator, MinValueValidator):
            lowest = max(lowest, int(validator.limit_value))
        elif isinstance(validator, MaxValueValidator):
            highest = min(highest, int(validator.limit_value))
    return {"min_value": lowest, "max_value": highest}
