"""Money: Decimal euros rounded to the cent, formatted the French way ("1 249,90 €").

Amounts are `Decimal` euros. "cents" means one thing only: an `int` number of cents, as
payment providers count (`Payment.amount_cents`); convert with `eur_to_cents` /
`cents_to_eur`, never with `* 100` or `/ 100` inline.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
NBSP = "\u00a0"


def round_cent(amount: Decimal | int) -> Decimal:
    """Round euros to the cent, halves away from zero: the one rounding rule of the product."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def eur_to_cents(amount: Decimal | int) -> int:
    """Euros → whole cents (rounded by `round_cent` first): Decimal("49.90") → 4990."""
    return int(round_cent(amount) * 100)


def cents_to_eur(cents: int) -> Decimal:
    """Whole cents → euros: 4990 → Decimal("49.90")."""
    return Decimal(cents).scaleb(-2)


def format_eur(amount: Decimal | int | None, *, language: str = "fr", places: int = 2) -> str:
    """`49,90 €` in French, `€49.90` in English; spaces never break a price in two.

    `places` > 2 only for an invoice's unit prices HT, which may need more (`invoices.amounts`).
    """
    if amount is None:
        return ""
    value = round_cent(Decimal(amount)) if places == 2 else Decimal(amount)
    sign = "-" if value < 0 else ""
    units, cents = f"{abs(value):.{places}f}".split(".")
    groups: list[str] = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    if language == "en":
        return f"{sign}€{','.join(groups)}.{cents}"
    return f"{sign}{NBSP.join(groups)},{cents}{NBSP}€"
