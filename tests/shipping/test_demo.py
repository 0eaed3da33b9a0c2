"""The demo vendors' shipping policies differ as the help page says fees can differ."""

from datetime import date
from decimal import Decimal

import pytest

from allies.shipping.demo import demo_rate_profiles, demo_rates_for_vendor
from allies.shipping.engine import QuoteItem, quote_vendor
from allies.shipping.models import ShippingRate
from allies.shipping.selectors import rate_rules_for_vendors
from allies.shipping.services import shipping_rate_errors
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 26)
D = Decimal


def test_every_demo_rate_is_valid():
    # covers: CHK-4
    profiles = demo_rate_profiles()
    assert profiles
    for profile in profiles:
        assert profile.rates
        for spec in profile.rates:
            assert shipping_rate_errors(**spec) == {}, (profile.key, spec)
        assert len({(r["mode"], r["zone"]) for r in profile.rates}) == len(profile.rates)


def test_demo_vendors_get_different_policies():
    # covers: CHK-4
    profiles = demo_rate_profiles()
    vendors = VendorFactory.create_batch(len(profiles))
    for index, vendor in enumerate(vendors):
        ShippingRate.objects.bulk_create(demo_rates_for_vendor(vendor, index))
    rules = rate_rules_for_vendors(v.id for v in vendors)
    shirt = [QuoteItem(1, 1, D("39.90"), 400, 1)]

    def quote(index, zone, items=shirt):
        return quote_vendor(items, rules[vendors[index].id], zone, TODAY)

    by_key = {p.key: i for i, p in enumerate(profiles)}
    free = by_key["free_everywhere"]
    for zone in ("FR", "CORSE", "BE"):
        options = quote(free, zone).options
        assert options and all(o.free for o in options), zone
    corse = by_key["corse_expensive"]
    assert quote(corse, "CORSE").option("home").fee > 2 * quote(corse, "FR").option("home").fee
    no_express = by_key["no_express"]
    assert all(quote(no_express, z).option("express") is None for z in ("FR", "CORSE", "BE"))
    sixty = by_key["free_from_60"]
    assert not quote(sixty, "FR").option("home").free
    two_shirts = [QuoteItem(1, 2, D("39.90"), 400, 1)]
    assert quote(sixty, "FR", two_shirts).option("home").free
    no_relay = by_key["no_relay"]
    assert all(quote(no_relay, z).option("relay") is None for z in ("FR", "CORSE", "BE"))
    belgium = by_key["belgium_expensive"]
    assert quote(belgium, "BE").option("home").fee > 2 * quote(belgium, "FR").option("home").fee
    # Profiles wrap around for more vendors than profiles.
    assert len(demo_rates_for_vendor(vendors[0], len(profiles))) == len(profiles[0].rates)
