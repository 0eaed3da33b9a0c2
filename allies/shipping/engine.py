"""The shipping engine: the one computation of shipping fees and delivery dates (CHK-2/3/4, CAT-3).

The product page block, the cart's shipping simulation, the checkout step "Livraison de vos
achats" and the order all take their numbers from here, so they cannot disagree. Everything
is a pure function over frozen dataclasses: no database, no settings, no clock (the caller
passes `today`), so a quote is cheap, repeatable and testable; `selectors` loads the rules.

Fee of one vendor's shipment for one mode and zone (`RateRule`, one per vendor/mode/zone):

    articles  = Σ quantity                      parcels = Σ quantity × parcel_count
    weight    = Σ quantity × weight_grams
    fee       = base_fee
              + per_extra_item_fee   × (articles − 1)
              + per_extra_parcel_fee × (parcels − articles)    bulky goods, "Colis 1/3" (CAT-5)
              + weight surcharge(weight)                        heavy goods
    weight surcharge = the fee of the first bracket whose `up_to` ≥ weight; beyond the last
              bracket, its fee + per_kg_beyond × every kilogram started beyond it (no brackets:
              per_kg_beyond × every kilogram started).
    free      when the vendor's lines subtotal (before any discount code) ≥ its
              free_shipping_threshold, or when the fee computes to 0.
    fee is rounded with `core.money.round_cent` and never negative.

Every term is non-negative and bracket fees never decrease with weight (enforced here as well
as when a rate is saved), so adding an article never lowers a fee — except by crossing the
free-shipping threshold.

A mode is offered to a vendor's shipment when the vendor has a rule for that mode and zone
and no parcel is heavier than the rule's `max_parcel_weight_grams` (a 35 kg armchair does not
go to a relay point). A vendor with no offered mode cannot deliver the destination.

Delivery dates: earliest = add_working_days(today, min_days), latest = add_working_days(today,
max_days); the delays include preparation and start when the order is validated (paid). An
article sold on restock ("En cours de réapprovisionnement - Livré sous X semaines", CAT-2)
first waits its X weeks, counted as 5 working days each (`restock_working_days`), so the
vendor's shipment waits for its slowest article: the dates move by that many working days.

Totals (`Selection`): lines_total + shipping_total − discount_total = total, every amount to
the cent; the discount applies to the articles only and never exceeds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from allies.core.deadlines import add_working_days
from allies.core.money import round_cent
from allies.shipping.carriers import carrier_name
from allies.shipping.modes import MODE_LABELS, MODE_ORDER
from allies.shipping.zones import Zone, zone_for

ZERO = Decimal("0.00")
GRAMS_PER_KG = 1000
_MODE_RANK = {mode: rank for rank, mode in enumerate(MODE_ORDER)}


# ---------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True, slots=True)
class QuoteItem:
    """One cart line (or one article on the product page) as the engine sees it."""

    offer_id: int
    quantity: int
    unit_price: Decimal  # euros TTC
    weight_grams: int = 0  # of one article
    parcel_count: int = 1  # parcels one article ships in (CAT-5)
    restock_weeks: int = 0  # sold on restock: ships once restocked, "Livré sous X semaines"

    @property
    def line_total(self) -> Decimal:
        return round_cent(self.unit_price * self.quantity)


@dataclass(frozen=True, slots=True)
class WeightBracket:
    up_to_grams: int
    fee: Decimal


def _decimal(value: Any, default: Decimal = ZERO) -> Decimal:
    if value is None or value == "":
        return default
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValueError(f"not an amount: {value!r}") from None


def kg_to_grams(kg: Any) -> int:
    return int((_decimal(kg) * GRAMS_PER_KG).to_integral_value(rounding=ROUND_CEILING))


def parse_weight_brackets(raw: Iterable[Mapping[str, Any]] | None) -> tuple[WeightBracket, ...]:
    """Brackets from their stored JSON, ordered by weight, fees made non-decreasing.

    Saved rates are validated (`services.shipping_rate_errors`); this is the engine's own
    guarantee that a heavier shipment never costs less, whatever it is given.
    """
    brackets = sorted(
        (
            WeightBracket(kg_to_grams(b.get("up_to_kg")), max(_decimal(b.get("fee")), ZERO))
            for b in (raw or ())
        ),
        key=lambda b: b.up_to_grams,
    )
    result: list[WeightBracket] = []
    highest = ZERO
    for bracket in brackets:
        highest = max(highest, bracket.fee)
        result.append(WeightBracket(bracket.up_to_grams, highest))
    return tuple(result)


@dataclass(frozen=True, slots=True)
class RateRule:
    """A frozen copy of one active `ShippingRate` (see the module doc for the formula)."""

    vendor_id: int
    mode: str
    zone: str
    carrier: str
    base_fee: Decimal
    min_days: int
    max_days: int
    per_extra_item_fee: Decimal = ZERO
    per_extra_parcel_fee: Decimal = ZERO
    brackets: tuple[WeightBracket, ...] = ()
    per_kg_beyond: Decimal = ZERO
    max_parcel_weight_grams: int | None = None
    free_shipping_threshold: Decimal | None = None

    @classmethod
    def from_values(
        cls,
        *,
        vendor_id: int,
        mode: str,
        zone: str,
        carrier: str,
        base_fee: Any,
        min_days: int,
        max_days: int,
        per_extra_item_fee: Any = ZERO,
        per_extra_parcel_fee: Any = ZERO,
        weight_brackets: Iterable[Mapping[str, Any]] | None = None,
        per_kg_beyond: Any = ZERO,
        max_parcel_weight_kg: Any = None,
        free_shipping_threshold: Any = None,
    ) -> RateRule:
        """From a rate's stored values (Decimals, strings or numbers, kilograms)."""
        return cls(
            vendor_id=vendor_id,
            mode=str(mode),
            zone=str(zone),
            carrier=carrier,
            base_fee=_decimal(base_fee),
            min_days=int(min_days),
            max_days=int(max_days),
            per_extra_item_fee=_decimal(per_extra_item_fee),
            per_extra_parcel_fee=_decimal(per_extra_parcel_fee),
            brackets=parse_weight_brackets(weight_brackets),
            per_kg_beyond=_decimal(per_kg_beyond),
            max_parcel_weight_grams=(
                None if max_parcel_weight_kg in (None, "") else kg_to_grams(max_parcel_weight_kg)
            ),
            free_shipping_threshold=(
                None if free_shipping_threshold in (None, "") else _decimal(free_shipping_threshold)
            ),
        )

    def weight_surcharge(self, weight_grams: int) -> Decimal:
        if not self.brackets:
            if not self.per_kg_beyond or weight_grams <= 0:
                return ZERO
            return self.per_kg_beyond * -(-weight_grams // GRAMS_PER_KG)
        for bracket in self.brackets:
            if weight_grams <= bracket.up_to_grams:
                return bracket.fee
        last = self.brackets[-1]
        kilos_started = -(-(weight_grams - last.up_to_grams) // GRAMS_PER_KG)
        return last.fee + self.per_kg_beyond * kilos_started


# ---------------------------------------------------------------------------------------------
# Outputs


def delay_text(min_days: int, max_days: int) -> str:
    """ "2 à 4 jours ouvrés", "3 jours ouvrés", "1 jour ouvré"."""
    if min_days == max_days:
        return ngettext("%(days)s jour ouvré", "%(days)s jours ouvrés", max_days) % {
            "days": max_days
        }
    return ngettext("%(min)s à %(max)s jour ouvré", "%(min)s à %(max)s jours ouvrés", max_days) % {
        "min": min_days,
        "max": max_days,
    }


@dataclass(frozen=True, slots=True)
class ModeQuote:
    """One mode a vendor offers for this shipment, with its fee and delivery window."""

    mode: str
    label: Any  # lazy translation of "Domicile" / "Express" / "Point relais"
    carrier: str
    fee: Decimal
    min_days: int
    max_days: int
    earliest: date
    latest: date
    free: bool
    # The vendor's free-shipping threshold for this mode, and what the customer would still
    # have to add to reach it (None when there is none or when it is reached).
    free_shipping_threshold: Decimal | None = None
    missing_for_free: Decimal | None = None
    # Working days the shipment waits for articles sold on restock (already in the dates).
    restock_days: int = 0

    @property
    def carrier_name(self) -> str:
        return carrier_name(self.carrier)

    @property
    def delay_text(self) -> str:
        return delay_text(self.min_days, self.max_days)


@dataclass(frozen=True, slots=True)
class VendorQuote:
    vendor_id: int | None
    subtotal: Decimal  # the vendor's lines, euros TTC, before any discount code
    options: tuple[ModeQuote, ...]  # in display order: Domicile, Express, Point relais
    articles: int = 0
    parcels: int = 0
    weight_grams: int = 0

    @property
    def deliverable(self) -> bool:
        return bool(self.options)

    def option(self, mode: str) -> ModeQuote | None:
        for option in self.options:
            if option.mode == mode:
                return option
        return None

    @property
    def cheapest(self) -> ModeQuote | None:
        """Lowest fee; on a tie, the earlier delivery, then the display order."""
        if not self.options:
            return None
        return min(
            self.options, key=lambda o: (o.fee, o.latest, o.earliest, _MODE_RANK.get(o.mode, 99))
        )


@dataclass(frozen=True, slots=True)
class CartQuote:
    zone: Zone
    vendors: tuple[VendorQuote, ...]
    lines_total: Decimal
    # With each vendor's cheapest mode (the simulation's "à partir de"); vendors that cannot
    # deliver the destination count for nothing and make `deliverable` false.
    cheapest_shipping_total: Decimal
    cheapest_total: Decimal

    @property
    def deliverable(self) -> bool:
        return all(v.deliverable for v in self.vendors)

    @property
    def undeliverable_vendor_ids(self) -> list[int | None]:
        return [v.vendor_id for v in self.vendors if not v.deliverable]

    def vendor(self, vendor_id: int) -> VendorQuote | None:
        for quote in self.vendors:
            if quote.vendor_id == vendor_id:
                return quote
        return None

    def cheapest_modes(self) -> dict[int | None, str]:
        """Each deliverable vendor's cheapest mode: the checkout's preselection."""
        return {v.vendor_id: v.cheapest.mode for v in self.vendors if v.cheapest is not None}


# ---------------------------------------------------------------------------------------------
# Quoting


WORKING_DAYS_PER_WEEK = 5


def restock_working_days(weeks: int) -> int:
    """The wait of an article restocked in `weeks` weeks, in working days."""
    return max(0, weeks or 0) * WORKING_DAYS_PER_WEEK


@lru_cache(maxsize=4096)
def _working_days_after(today: date, days: int) -> date:
    """`add_working_days`, memoised: a pure function of its arguments (holidays are fixed)."""
    return add_working_days(today, days)


def _quote_vendor(
    vendor_id: int | None,
    items: Sequence[QuoteItem],
    rules: Iterable[RateRule],
    zone: str,
    today: date,
) -> VendorQuote:
    articles = parcels = weight = heaviest_parcel = restock_weeks = 0
    subtotal = ZERO
    for item in items:
        quantity = item.quantity
        if quantity <= 0:
            continue
        restock_weeks = max(restock_weeks, item.restock_weeks or 0)
        per_article_parcels = max(1, item.parcel_count or 1)
        item_weight = max(0, item.weight_grams or 0)
        articles += quantity
        parcels += quantity * per_article_parcels
        weight += quantity * item_weight
        subtotal += round_cent(item.unit_price * quantity)
        parcel_weight = -(-item_weight // per_article_parcels)
        if parcel_weight > heaviest_parcel:
            heaviest_parcel = parcel_weight

    wait = restock_working_days(restock_weeks)
    by_mode: dict[str, ModeQuote] = {}
    if articles:
        for rule in rules:
            if rule.zone != zone or rule.mode in by_mode:
                continue
            if (
                rule.max_parcel_weight_grams is not None
                and heaviest_parcel > rule.max_parcel_weight_grams
            ):
                continue
            threshold = rule.free_shipping_threshold
            if threshold is not None and subtotal >= threshold:
                fee = ZERO
                missing = None
            else:
                fee = (
                    rule.base_fee
                    + rule.per_extra_item_fee * (articles - 1)
                    + rule.per_extra_parcel_fee * (parcels - articles)
                    + rule.weight_surcharge(weight)
                )
                fee = round_cent(fee) if fee > 0 else ZERO
                missing = None if threshold is None or fee == 0 else threshold - subtotal
            by_mode[rule.mode] = ModeQuote(
                mode=rule.mode,
                label=MODE_LABELS.get(rule.mode, rule.mode),
                carrier=rule.carrier,
                fee=fee,
                min_days=rule.min_days,
                max_days=rule.max_days,
                earliest=_working_days_after(today, rule.min_days + wait),
                latest=_working_days_after(today, rule.max_days + wait),
                free=fee == 0,
                free_shipping_threshold=threshold,
                missing_for_free=missing,
                restock_days=wait,
            )
    options = tuple(sorted(by_mode.values(), key=lambda o: _MODE_RANK.get(o.mode, len(_MODE_RANK))))
    return VendorQuote(
        vendor_id=vendor_id,
        subtotal=subtotal,
        options=options,
        articles=articles,
        parcels=parcels,
        weight_grams=weight,
    )


def quote_vendor(
    items: Sequence[QuoteItem],
    rules: Iterable[RateRule],
    zone: Zone | str,
    today: date,
    *,
    vendor_id: int | None = None,
) -> VendorQuote:
    """One vendor's options for its lines in `zone` (its rules for other zones are ignored)."""
    rules = tuple(rules)
    if vendor_id is None and rules:
        vendor_id = rules[0].vendor_id
    return _quote_vendor(vendor_id, items, rules, Zone(zone).value, today)


def quote_zone(
    items_by_vendor: Mapping[int, Sequence[QuoteItem]],
    rules_by_vendor: Mapping[int, Iterable[RateRule]],
    zone: Zone | str,
    today: date,
) -> CartQuote:
    """Every vendor's options for a destination already known to be in `zone`.

    Vendors come out in the order of `items_by_vendor` (the cart's grouping, CHK-1); a vendor
    whose lines are all empty is left out.
    """
    zone = Zone(zone)
    vendors = []
    lines_total = ZERO
    cheapest_shipping = ZERO
    for vendor_id, items in items_by_vendor.items():
        quote = _quote_vendor(vendor_id, items, rules_by_vendor.get(vendor_id, ()), zone, today)
        if not quote.articles:
            continue
        vendors.append(quote)
        lines_total += quote.subtotal
        cheapest = quote.cheapest
        if cheapest is not None:
            cheapest_shipping += cheapest.fee
    return CartQuote(
        zone=zone,
        vendors=tuple(vendors),
        lines_total=lines_total,
        cheapest_shipping_total=cheapest_shipping,
        cheapest_total=lines_total + cheapest_shipping,
    )


def quote_cart(
    items_by_vendor: Mapping[int, Sequence[QuoteItem]],
    rules_by_vendor: Mapping[int, Iterable[RateRule]],
    country: str,
    postcode: str,
    today: date,
) -> CartQuote:
    """The shipping simulation (CHK-2): every vendor's options, fees and dates for an address.

    Raises ValidationError (from `zones.zone_for`, with its customer-facing message) for a
    destination Alliés does not deliver: another country, overseas France (97xxx/98xxx),
    Monaco (980xx), or a malformed postcode.
    """
    return quote_zone(items_by_vendor, rules_by_vendor, zone_for(country, postcode), today)


# ---------------------------------------------------------------------------------------------
# Selection: the checkout's choice of one mode per vendor, and the totals it gives


@dataclass(frozen=True, slots=True)
class VendorSelection:
    vendor_id: int | None
    subtotal: Decimal
    option: ModeQuote
    # The cheapest fee offered for this shipment: what a withdrawal gives back of the
    # shipping when a dearer mode was chosen (Code de la consommation L221-24).
    standard_fee: Decimal | None = None

    @property
    def mode(self) -> str:
        return self.option.mode

    @property
    def fee(self) -> Decimal:
        return self.option.fee

    def order_fields(self) -> dict[str, Any]:
        """The values a `VendorOrder` stores for this choice, named as its fields."""
        return {
            "shipping_mode": self.option.mode,
            "carrier": self.option.carrier,
            "shipping_fee": self.option.fee,
            "standard_shipping_fee": min(
                self.option.fee,
                self.option.fee if self.standard_fee is None else self.standard_fee,
            ),
            "lines_total": self.subtotal,
            "delivery_min_date": self.option.earliest,
            "delivery_max_date": self.option.latest,
        }


@dataclass(frozen=True, slots=True)
class Selection:
    zone: Zone
    vendors: tuple[VendorSelection, ...]
    lines_total: Decimal
    shipping_total: Decimal
    discount_total: Decimal
    total: Decimal

    def for_vendor(self, vendor_id: int) -> VendorSelection | None:
        for selected in self.vendors:
            if selected.vendor_id == vendor_id:
                return selected
        return None


def select_modes(
    quote: CartQuote, chosen: Mapping[Any, str], *, discount: Decimal = ZERO
) -> Selection:
    """Totals for one chosen mode per vendor (CHK-3), optionally with a discount (CHK-5).

    Every vendor of the quote must have a chosen mode it offers (`chosen` maps vendor ids, as
    ints or their text, to mode values); choices for vendors not in the quote are ignored.
    The discount is rounded to the cent and capped to the lines (the articles), never taken
    from the shipping fees. Raises ValidationError with a message for the customer otherwise.
    """
    selected = []
    for vendor in quote.vendors:
        if not vendor.deliverable:
            raise ValidationError(
                _(
                    "Un vendeur de votre panier ne livre pas à cette adresse : retirez ses "
                    "articles ou choisissez une autre adresse."
                ),
                code="vendor_not_delivering",
                params={"vendor_id": vendor.vendor_id},
            )
        # Keys may come from a form as text ("12") as well as from code (12).
        mode = chosen.get(vendor.vendor_id) or chosen.get(str(vendor.vendor_id))
        if not mode:
            raise ValidationError(
                _("Choisissez un mode de livraison pour chaque vendeur."),
                code="mode_missing",
                params={"vendor_id": vendor.vendor_id},
            )
        option = vendor.option(str(mode))
        if option is None:
            raise ValidationError(
                _("Ce mode de livraison n'est pas proposé par ce vendeur pour cette adresse."),
                code="mode_not_offered",
                params={"vendor_id": vendor.vendor_id, "mode": mode},
            )
        cheapest = vendor.cheapest
        selected.append(
            VendorSelection(
                vendor.vendor_id,
                vendor.subtotal,
                option,
                standard_fee=cheapest.fee if cheapest is not None else None,
            )
        )
    lines_total = quote.lines_total
    shipping_total = sum((s.option.fee for s in selected), ZERO)
    discount_total = min(max(round_cent(Decimal(discount or 0)), ZERO), lines_total)
    return Selection(
        zone=quote.zone,
        vendors=tuple(selected),
        lines_total=lines_total,
        shipping_total=shipping_total,
        discount_total=discount_total,
        total=lines_total + shipping_total - discount_total,
    )
