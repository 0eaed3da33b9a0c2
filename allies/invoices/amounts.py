"""From the TTC prices the customer paid to an invoice's HT / TVA / TTC figures (INV-3).

Prices on Alliés are shown and paid TTC. An invoice must show unit prices excl. VAT, the VAT
per rate and the totals, and what it says the customer paid must be exactly what was paid.
The rules, in this order:

1. Shipping and discount are split across the VAT rates of the goods, pro rata of the goods'
   TTC amount per rate (the accessory follows the principal; with one rate — the usual case,
   20 % — everything is at that rate). Splits are made to the cent by the largest-remainder
   method, so the parts add up exactly.
2. Per rate: TTC_r = goods_r + shipping_r − discount_r (exact, cents), HT_r = TTC_r / (1 + r)
   rounded to the cent (half away from zero, `core.money.round_cent`), TVA_r = TTC_r − HT_r.
   So HT + TVA = TTC exactly, per rate and in total, and TTC is what the customer paid.
3. Rows shown: each goods line's total HT is its TTC total / (1 + r) rounded; the shipping and
   discount rows likewise. The cent or two that these separate roundings may miss against HT_r
   goes to the largest goods line of that rate, so the rows always add up to the total HT.
4. The unit price HT printed on a row is derived from the row, never the other way round:
   unit HT = line total HT / quantity, written with the fewest decimals (at least two) for
   which quantity × unit HT, rounded to the cent, gives back the line total HT
   (`unit_price_derive`). "2 × 49,915 € = 99,83 €" adds up; the rounded "2 × 49,92 € =
   99,83 €" did not. The line total comes from the TTC the customer paid, which is the truth
   of the document; the template says so under the table.

Everything here is pure (no database), so the rounding is tested directly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from allies.core.money import CENT, round_cent

ZERO = Decimal("0.00")
DEFAULT_RATE = Decimal("0.200")
HALF_CENT = Decimal("0.005")


@dataclass(frozen=True)
class GoodsLine:
    title: str
    unit_ttc: Decimal
    quantity: int
    vat_rate: Decimal
    variant: str = ""
    sku: str = ""

    @property
    def total_ttc(self) -> Decimal:
        return round_cent(self.unit_ttc * self.quantity)


@dataclass
class Row:
    """One row of the document's table. `kind`: goods, shipping, discount, adjustment."""

    kind: str
    vat_rate: Decimal
    total_ht: Decimal
    total_ttc: Decimal
    quantity: int = 1
    unit_ht: Decimal = ZERO
    title: str = ""
    variant: str = ""
    sku: str = ""
    position: int = 0  # goods keep the order they were given in

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "title": self.title,
            "variant": self.variant,
            "sku": self.sku,
            "quantity": self.quantity,
            "unit_ht": str(self.unit_ht),
            "vat_rate": str(self.vat_rate),
            "total_ht": str(self.total_ht),
            "total_ttc": str(self.total_ttc),
        }


@dataclass
class RateTotal:
    vat_rate: Decimal
    base_ht: Decimal
    vat: Decimal
    total_ttc: Decimal

    def as_json(self) -> dict:
        return {
            "vat_rate": str(self.vat_rate),
            "base_ht": str(self.base_ht),
            "vat": str(self.vat),
            "total_ttc": str(self.total_ttc),
        }


@dataclass
class Breakdown:
    rows: list[Row] = field(default_factory=list)
    rates: list[RateTotal] = field(default_factory=list)
    shipping_ttc: Decimal = ZERO
    discount_ttc: Decimal = ZERO

    @property
    def total_ht(self) -> Decimal:
        return sum((r.base_ht for r in self.rates), ZERO)

    @property
    def total_vat(self) -> Decimal:
        return sum((r.vat for r in self.rates), ZERO)

    @property
    def total_ttc(self) -> Decimal:
        return sum((r.total_ttc for r in self.rates), ZERO)

    def as_json(self) -> dict:
        return {
            "rows": [r.as_json() for r in self.rows],
            "rates": [r.as_json() for r in self.rates],
            "shipping_ttc": str(self.shipping_ttc),
            "discount_ttc": str(self.discount_ttc),
            "total_ht": str(self.total_ht),
            "total_vat": str(self.total_vat),
            "total_ttc": str(self.total_ttc),
        }


def ht_from_ttc(amount: Decimal, rate: Decimal) -> Decimal:
    return round_cent(Decimal(amount) / (1 + Decimal(rate)))


def unit_price_derive(total_ht: Decimal, quantity: int) -> Decimal:
    """The unit price HT printed for a row (rule 4): total ÷ quantity, as few decimals as
    possible (at least two) such that quantity × unit price rounds back to the total."""
    total_ht = round_cent(total_ht)
    if quantity <= 1:
        return total_ht
    places = 2
    while True:  # ends: at 2 + len(str(quantity)) places the error is below half a cent
        unit = (total_ht / quantity).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if abs(unit * quantity - total_ht) < HALF_CENT:  # rounds back whatever the rule
            return unit
        places += 1


def allocate(amount: Decimal, weights: dict[Decimal, Decimal]) -> dict[Decimal, Decimal]:
    """Split `amount` (cents) pro rata of `weights`; the parts add up to `amount` exactly."""
    amount = round_cent(amount)
    keys = sorted(weights, reverse=True)  # deterministic: the highest rate first on ties
    total = sum((weights[k] for k in keys), ZERO)
    if not keys:
        return {}
    if total <= 0:
        return {k: (amount if i == 0 else ZERO) for i, k in enumerate(keys)}
    sign = -1 if amount < 0 else 1
    magnitude = abs(amount)
    raw = {k: magnitude * weights[k] / total for k in keys}
    parts = {k: raw[k].quantize(CENT, rounding=ROUND_DOWN) for k in keys}
    missing = int((magnitude - sum(parts.values())) / CENT)
    by_remainder = sorted(keys, key=lambda k: (raw[k] - parts[k], k), reverse=True)
    for k in by_remainder[:missing]:
        parts[k] += CENT
    return {k: sign * parts[k] for k in keys}


def breakdown_compute(
    *,
    goods: list[GoodsLine],
    shipping: Decimal = ZERO,
    discount: Decimal = ZERO,
    fallback_weights: dict[Decimal, Decimal] | None = None,
    show_free_shipping: bool = False,
) -> Breakdown:
    """Rows, VAT per rate and totals for goods + shipping − discount (all amounts TTC)."""
    shipping, discount = round_cent(shipping), round_cent(discount)
    weights: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for line in goods:
        weights[Decimal(line.vat_rate)] += line.total_ttc
    if not weights or sum(weights.values()) <= 0:
        weights = defaultdict(lambda: ZERO, fallback_weights or {DEFAULT_RATE: Decimal("1")})
    shipping_parts = allocate(shipping, dict(weights))
    discount_parts = allocate(discount, dict(weights))

    result = Breakdown(shipping_ttc=shipping, discount_ttc=discount)
    for rate in sorted(weights, reverse=True):
        rate_goods = [(i, g) for i, g in enumerate(goods) if Decimal(g.vat_rate) == rate]
        goods_ttc = sum((g.total_ttc for _, g in rate_goods), ZERO)
        ship_ttc, disc_ttc = shipping_parts.get(rate, ZERO), discount_parts.get(rate, ZERO)
        ttc = goods_ttc + ship_ttc - disc_ttc
        base = ht_from_ttc(ttc, rate)
        rows = [
            Row(
                kind="goods",
                title=g.title,
                variant=g.variant,
                sku=g.sku,
                quantity=g.quantity,
                vat_rate=rate,
                total_ht=ht_from_ttc(g.total_ttc, rate),
                total_ttc=g.total_ttc,
                position=i,
            )
            for i, g in rate_goods
        ]
        extra: list[Row] = []
        if ship_ttc or (show_free_shipping and not shipping and rate == max(weights)):
            ship_ht = ht_from_ttc(ship_ttc, rate)
            extra.append(
                Row(kind="shipping", vat_rate=rate, total_ht=ship_ht, total_ttc=ship_ttc)
            )  # fmt: skip
        if disc_ttc:
            disc_ht = ht_from_ttc(disc_ttc, rate)
            extra.append(
                Row(kind="discount", vat_rate=rate, total_ht=-disc_ht, total_ttc=-disc_ttc)
            )  # fmt: skip
        residual = base - sum((r.total_ht for r in rows + extra), ZERO)
        if residual:
            absorber = max(rows or extra, key=lambda r: abs(r.total_ttc))
            absorber.total_ht += residual
        for row in rows + extra:
            row.unit_ht = unit_price_derive(row.total_ht, row.quantity)
        result.rows.extend(rows)
        result.rows.extend(extra)
        result.rates.append(RateTotal(vat_rate=rate, base_ht=base, vat=ttc - base, total_ttc=ttc))
    # Goods first, in the order given; then shipping, then discount rows.
    order = {"goods": 0, "shipping": 1, "discount": 2}
    result.rows.sort(key=lambda r: (order.get(r.kind, 3), r.position if r.kind == "goods" else 0))
    return result
