"""Shipping policies for the demo vendors: each profile is a different, realistic policy.

The demo-data command gives vendor number i the profile `i % len(profiles)` and saves
`demo_rates_for_vendor(vendor, i)` (unsaved rows, e.g. with bulk_create), so a demo cart with
several vendors shows what the help page announces: fees by mode, quantity, weight and zone,
Corse and Belgique dearer, free shipping for some, not every mode everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from allies.shipping.models import ShippingRate

# Surcharges by total weight of a shipment (added to the base fee), then per kg started.
_LIGHT = [
    {"up_to_kg": "2", "fee": "0.00"},
    {"up_to_kg": "5", "fee": "1.50"},
    {"up_to_kg": "10", "fee": "4.00"},
    {"up_to_kg": "30", "fee": "9.00"},
]
_HEAVY = [
    {"up_to_kg": "5", "fee": "0.00"},
    {"up_to_kg": "20", "fee": "8.00"},
    {"up_to_kg": "40", "fee": "19.00"},
]


def _rate(
    mode: str,
    zone: str,
    carrier: str,
    base: str,
    days: tuple[int, int],
    *,
    extra: str = "0",
    extra_parcel: str = "0",
    brackets: list[dict[str, str]] | None = None,
    per_kg: str = "0",
    max_kg: str | None = None,
    free_from: str | None = None,
) -> dict[str, Any]:
    return {
        "mode": mode,
        "zone": zone,
        "carrier": carrier,
        "base_fee": Decimal(base),
        "per_extra_item_fee": Decimal(extra),
        "per_extra_parcel_fee": Decimal(extra_parcel),
        "weight_brackets": list(brackets or []),
        "per_kg_beyond": Decimal(per_kg),
        "max_parcel_weight_kg": Decimal(max_kg) if max_kg else None,
        "free_shipping_threshold": Decimal(free_from) if free_from else None,
        "min_days": days[0],
        "max_days": days[1],
    }


@dataclass(frozen=True)
class DemoRateProfile:
    key: str
    description: str  # for the people running the demo, not shown to customers
    rates: tuple[dict[str, Any], ...]


def demo_rate_profiles() -> list[DemoRateProfile]:
    return [
        DemoRateProfile(
            "free_everywhere",
            "Domicile and relay free everywhere (France, Corse, Belgique); no Express.",
            (
                _rate("home", "FR", "colissimo", "0", (3, 5)),
                _rate("home", "CORSE", "colissimo", "0", (4, 7)),
                _rate("home", "BE", "colissimo", "0", (4, 6)),
                _rate("relay", "FR", "mondial_relay", "0", (3, 6), max_kg="30"),
                _rate("relay", "CORSE", "mondial_relay", "0", (5, 8), max_kg="30"),
                _rate("relay", "BE", "mondial_relay", "0", (4, 7), max_kg="30"),
            ),
        ),
        DemoRateProfile(
            "corse_expensive",
            "All three modes; Corse costs three times France; weight brackets.",
            (
                _rate(
                    "home",
                    "FR",
                    "colissimo",
                    "4.90",
                    (2, 4),
                    extra="1.00",
                    brackets=_LIGHT,
                    per_kg="0.80",
                ),
                _rate(
                    "home",
                    "CORSE",
                    "colissimo",
                    "14.90",
                    (4, 7),
                    extra="2.50",
                    brackets=_LIGHT,
                    per_kg="1.50",
                ),
                _rate(
                    "home",
                    "BE",
                    "colissimo",
                    "9.90",
                    (3, 5),
                    extra="1.50",
                    brackets=_LIGHT,
                    per_kg="1.00",
                ),
                _rate(
                    "express",
                    "FR",
                    "chronopost",
                    "12.90",
                    (1, 2),
                    extra="2.00",
                    brackets=_LIGHT,
                    per_kg="1.20",
                ),
                _rate(
                    "express",
                    "CORSE",
                    "chronopost",
                    "29.90",
                    (2, 3),
                    extra="4.00",
                    brackets=_LIGHT,
                    per_kg="2.00",
                ),
                _rate("relay", "FR", "mondial_relay", "3.90", (3, 5), extra="0.50", max_kg="30"),
                _rate("relay", "CORSE", "mondial_relay", "7.90", (5, 8), extra="1.00", max_kg="30"),
                _rate("relay", "BE", "mondial_relay", "4.90", (4, 6), extra="0.50", max_kg="30"),
            ),
        ),
        DemoRateProfile(
            "no_express",
            "Domicile and relay with DPD, no Express anywhere.",
            (
                _rate(
                    "home",
                    "FR",
                    "dpd",
                    "5.90",
                    (2, 3),
                    extra="1.00",
                    brackets=_LIGHT,
                    per_kg="0.70",
                ),
                _rate(
                    "home",
                    "CORSE",
                    "dpd",
                    "11.90",
                    (4, 6),
                    extra="2.00",
                    brackets=_LIGHT,
                    per_kg="1.20",
                ),
                _rate(
                    "home",
                    "BE",
                    "dpd",
                    "8.90",
                    (3, 4),
                    extra="1.50",
                    brackets=_LIGHT,
                    per_kg="0.90",
                ),
                _rate("relay", "FR", "dpd", "4.20", (2, 4), extra="0.80", max_kg="20"),
                _rate("relay", "CORSE", "dpd", "8.50", (4, 7), extra="1.50", max_kg="20"),
                _rate("relay", "BE", "dpd", "5.50", (3, 5), extra="1.00", max_kg="20"),
            ),
        ),
        DemoRateProfile(
            "free_from_60",
            "Domicile and relay free from 60 € of this vendor's articles; Express always paid.",
            (
                _rate("home", "FR", "gls", "5.90", (2, 4), extra="1.00", free_from="60"),
                _rate("home", "CORSE", "gls", "12.90", (4, 7), extra="2.00", free_from="120"),
                _rate("home", "BE", "gls", "9.90", (3, 5), extra="1.50", free_from="60"),
                _rate("express", "FR", "ups", "14.90", (1, 2), extra="2.50"),
                _rate("express", "BE", "ups", "19.90", (1, 3), extra="3.00"),
                _rate(
                    "relay", "FR", "gls", "3.90", (3, 5), extra="0.50", max_kg="20", free_from="60"
                ),
                _rate(
                    "relay", "BE", "gls", "4.90", (3, 6), extra="0.50", max_kg="20", free_from="60"
                ),
            ),
        ),
        DemoRateProfile(
            "no_relay",
            "Bulky goods: Domicile and Express only, by parcel and by weight; no relay points.",
            (
                _rate(
                    "home",
                    "FR",
                    "dpd",
                    "9.90",
                    (4, 8),
                    extra="3.00",
                    extra_parcel="4.00",
                    brackets=_HEAVY,
                    per_kg="0.60",
                ),
                _rate(
                    "home",
                    "CORSE",
                    "dpd",
                    "24.90",
                    (6, 12),
                    extra="6.00",
                    extra_parcel="8.00",
                    brackets=_HEAVY,
                    per_kg="1.20",
                ),
                _rate(
                    "home",
                    "BE",
                    "dpd",
                    "19.90",
                    (5, 10),
                    extra="4.00",
                    extra_parcel="6.00",
                    brackets=_HEAVY,
                    per_kg="0.90",
                ),
                _rate(
                    "express",
                    "FR",
                    "dhl",
                    "24.90",
                    (2, 3),
                    extra="5.00",
                    extra_parcel="6.00",
                    brackets=_HEAVY,
                    per_kg="1.00",
                ),
            ),
        ),
        DemoRateProfile(
            "belgium_expensive",
            "Cheap in France, Belgium costs dear (bpost relay points there).",
            (
                _rate(
                    "home",
                    "FR",
                    "colissimo",
                    "5.50",
                    (2, 4),
                    extra="1.00",
                    brackets=_LIGHT,
                    per_kg="0.80",
                ),
                _rate(
                    "home",
                    "CORSE",
                    "colissimo",
                    "9.90",
                    (4, 6),
                    extra="1.50",
                    brackets=_LIGHT,
                    per_kg="1.00",
                ),
                _rate(
                    "home",
                    "BE",
                    "colissimo",
                    "16.90",
                    (4, 7),
                    extra="3.00",
                    brackets=_LIGHT,
                    per_kg="1.50",
                ),
                _rate("express", "FR", "chronopost", "13.90", (1, 2), extra="2.00"),
                _rate("express", "BE", "chronopost", "24.90", (2, 3), extra="4.00"),
                _rate("relay", "FR", "mondial_relay", "3.90", (3, 5), extra="0.50", max_kg="30"),
                _rate("relay", "BE", "bpost", "11.90", (3, 5), extra="2.00", max_kg="30"),
            ),
        ),
    ]


def demo_rates_for_vendor(vendor, profile_index: int) -> list[ShippingRate]:
    """Unsaved rates of profile `profile_index` (wrapping around) for `vendor`."""
    profiles = demo_rate_profiles()
    profile = profiles[profile_index % len(profiles)]
    return [ShippingRate(vendor=vendor, **spec) for spec in profile.rates]
