"""Reads for shipping: vendors' rules in one query, the product page block, cart quotes.

Every function here does a bounded number of queries whatever the number of vendors, offers or
lines (one, or none when there is nothing to look up): the rules of all vendors concerned are
loaded together, then `shipping.engine` computes in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.utils.translation import get_language

from allies.core.page_cache import generation_memo_many
from allies.shipping.engine import (
    CartQuote,
    QuoteItem,
    RateRule,
    delay_text,
    quote_cart,
    quote_vendor,
)
from allies.shipping.models import ShippingRate
from allies.shipping.zones import ZONE_LABELS, ZONE_ORDER, Zone, zone_for

_RULE_FIELDS = (
    "vendor_id",
    "mode",
    "zone",
    "carrier",
    "base_fee",
    "min_days",
    "max_days",
    "per_extra_item_fee",
    "per_extra_parcel_fee",
    "weight_brackets",
    "per_kg_beyond",
    "max_parcel_weight_kg",
    "free_shipping_threshold",
)


def rate_rules_for_vendors(vendor_ids: Iterable[int]) -> dict[int, list[RateRule]]:
    """The active rules of each vendor, in ONE query (none for no vendor).

    Every asked vendor is a key, with an empty list when it has no active rule or is itself
    inactive: such a vendor delivers nowhere.
    """
    ids = {int(v) for v in vendor_ids if v is not None}
    result: dict[int, list[RateRule]] = {vendor_id: [] for vendor_id in ids}
    if not ids:
        return result
    rows = (
        ShippingRate.objects.filter(vendor_id__in=ids, is_active=True, vendor__is_active=True)
        .order_by("vendor_id", "zone", "mode")
        .values_list(*_RULE_FIELDS)
    )
    for row in rows:
        values = dict(zip(_RULE_FIELDS, row, strict=True))
        result[values["vendor_id"]].append(RateRule.from_values(**values))
    return result


def rate_rules_shown(vendor_ids: Iterable[int]) -> dict[int, list[RateRule]]:
    """`rate_rules_for_vendors` for the pages that only show fees (the product page): each
    vendor's rules kept by the process while the pages' generation is the same (a saved or
    deleted rate starts a new one, storefront/apps.py), so a product page usually reads none.
    The cart and the checkout read the rules afresh."""
    ids = {int(v) for v in vendor_ids if v is not None}
    return generation_memo_many("shipping:rules", sorted(ids), rate_rules_for_vendors)


# ---------------------------------------------------------------------------------------------
# Product page block "Modes de livraison disponibles" (CAT-3)


@dataclass(frozen=True, slots=True)
class ShippingTableRow:
    """One line of the block: a destination, a mode, its carrier, fee and delay for one article."""

    zone: Zone
    # In the active language ("France métropolitaine", "Corse", "Belgique"): plain texts, so a
    # page's memo keys (core/templatetags/fragments.py) hash them without translating each time.
    zone_label: str
    mode: str
    mode_label: str  # "Domicile", "Express", "Point relais"
    carrier: str
    carrier_name: str
    fee: Decimal
    free: bool
    free_shipping_threshold: Decimal | None
    min_days: int
    max_days: int
    earliest: date
    latest: date

    @property
    def delay_text(self) -> str:
        return delay_text(self.min_days, self.max_days)


def _article(product: Any, unit_price: Decimal | None, offer_id: int = 0) -> QuoteItem:
    return QuoteItem(
        offer_id=offer_id,
        quantity=1,
        unit_price=unit_price if unit_price is not None else Decimal("0"),
        weight_grams=getattr(product, "weight_grams", 0) or 0,
        parcel_count=getattr(product, "parcel_count", 1) or 1,
    )


def shipping_table(
    *, rules: Sequence[RateRule], item: QuoteItem, today: date
) -> list[ShippingTableRow]:
    """Rows for one article under one vendor's rules: destinations in order, then modes."""
    rows = []
    for zone in ZONE_ORDER:
        quote = quote_vendor([item], rules, zone, today)
        for option in quote.options:
            rows.append(
                ShippingTableRow(
                    zone=zone,
                    zone_label=str(ZONE_LABELS[zone]),
                    mode=option.mode,
                    mode_label=str(option.label),
                    carrier=option.carrier,
                    carrier_name=option.carrier_name,
                    fee=option.fee,
                    free=option.free,
                    free_shipping_threshold=option.free_shipping_threshold,
                    min_days=option.min_days,
                    max_days=option.max_days,
                    earliest=option.earliest,
                    latest=option.latest,
                )
            )
    return rows


def offer_shipping_table(
    *,
    vendor_id: int,
    product: Any,
    today: date,
    unit_price: Decimal | None = None,
    rules: Sequence[RateRule] | None = None,
) -> list[ShippingTableRow]:
    """The block for one vendor's offer on a product: one query, none if `rules` are given.

    `unit_price` (the offer's price) lets a free-shipping threshold apply to one article;
    without it the standard fee is shown (each row still carries the threshold).
    """
    if rules is None:
        rules = rate_rules_for_vendors([vendor_id])[vendor_id]
    return shipping_table(rules=rules, item=_article(product, unit_price), today=today)


def shipping_tables_for_offers(
    offers: Iterable[Any], product: Any, today: date
) -> dict[int, list[ShippingTableRow]]:
    """The block for every offer of a product page, keyed by offer id, in at most ONE query
    (none when the process keeps the vendors' rules: `rate_rules_shown`).

        Offers need `id`, `vendor_id` and `price`; offers of one vendor at one price share a table.
    """
    offers = list(offers)
    rules_by_vendor = rate_rules_shown(o.vendor_id for o in offers)
    article = _article(product, None)
    language = get_language()
    return {
        offer.id: list(
            _shown_table(
                tuple(rules_by_vendor.get(offer.vendor_id, ())),
                article.weight_grams,
                article.parcel_count,
                offer.price,
                today,
                language,
            )
        )
        for offer in offers
    }


@lru_cache(maxsize=4096)
def _shown_table(
    rules: tuple[RateRule, ...],
    weight_grams: int,
    parcel_count: int,
    unit_price: Decimal,
    today: date,
    language: str | None,
) -> tuple[ShippingTableRow, ...]:
    """One offer's table, kept by the process under everything it is computed from: the
    vendor's rules (frozen: changed rules are another key), the article, the day and the
    language of its labels. Offers of one vendor at one price share it."""
    item = QuoteItem(
        offer_id=0,
        quantity=1,
        unit_price=unit_price,
        weight_grams=weight_grams,
        parcel_count=parcel_count,
    )
    return tuple(shipping_table(rules=rules, item=item, today=today))


# ---------------------------------------------------------------------------------------------
# Cart and checkout


def group_items_by_vendor(
    vendor_items: Iterable[tuple[int, QuoteItem]],
) -> dict[int, list[QuoteItem]]:
    """(vendor_id, item) pairs grouped by vendor, vendors in order of first appearance."""
    grouped: dict[int, list[QuoteItem]] = {}
    for vendor_id, item in vendor_items:
        grouped.setdefault(vendor_id, []).append(item)
    return grouped


def cart_shipping_quote(
    *,
    vendor_items: Iterable[tuple[int, QuoteItem]] | Mapping[int, Sequence[QuoteItem]],
    country: str,
    postcode: str,
    today: date,
) -> CartQuote:
    """The simulation and checkout quote of a cart (CHK-2, CHK-3) in ONE query.

    Raises ValidationError for a destination that is not delivered (see `engine.quote_cart`);
    the destination is checked before any query.
    """
    zone_for(country, postcode)
    if isinstance(vendor_items, Mapping):
        items_by_vendor = {k: list(v) for k, v in vendor_items.items()}
    else:
        items_by_vendor = group_items_by_vendor(vendor_items)
    rules = rate_rules_for_vendors(items_by_vendor.keys())
    return quote_cart(items_by_vendor, rules, country, postcode, today)
