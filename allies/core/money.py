"""Money: Decimal euros rounded to the cent, formatted the French way ("1 249,90 €")."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
NBSP = "\u00a0"


def to_cents(amount: Decimal) -> Decimal:
    """Round to the cent, halves away from zero: the one rounding rule of the whole product."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def format_eur(amount: Decimal | int | None, *, language: str = "fr") -> str:
    """`49,90 €` in French, `€49.90` in English; spaces never break a price in two."""
    if amount is None:
        return ""
    value = to_cents(Decimal(amount))
    sign = "-" if value < 0 else ""
    units, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    if language == "en":
        return f"{sign}€{','.join(groups)}.{cents}"
    return f"{sign}{NBSP.join(groups)},{cents}{NBSP}€"
