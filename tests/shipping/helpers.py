"""Builders shared by the shipping tests: rules and items without a database."""

from decimal import Decimal

from allies.shipping.engine import QuoteItem, RateRule


def rule(
    mode="home",
    zone="FR",
    *,
    vendor_id=1,
    carrier=None,
    base="4.90",
    days=(2, 4),
    extra="0",
    extra_parcel="0",
    brackets=None,
    per_kg="0",
    max_kg=None,
    free_from=None,
) -> RateRule:
    default_carrier = {"home": "colissimo", "express": "chronopost", "relay": "mondial_relay"}
    return RateRule.from_values(
        vendor_id=vendor_id,
        mode=mode,
        zone=zone,
        carrier=carrier or default_carrier[mode],
        base_fee=base,
        min_days=days[0],
        max_days=days[1],
        per_extra_item_fee=extra,
        per_extra_parcel_fee=extra_parcel,
        weight_brackets=brackets,
        per_kg_beyond=per_kg,
        max_parcel_weight_kg=max_kg,
        free_shipping_threshold=free_from,
    )


def item(price="20.00", quantity=1, *, grams=500, parcels=1, offer_id=1) -> QuoteItem:
    return QuoteItem(
        offer_id=offer_id,
        quantity=quantity,
        unit_price=Decimal(price),
        weight_grams=grams,
        parcel_count=parcels,
    )
