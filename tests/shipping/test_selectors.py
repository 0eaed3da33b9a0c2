"""Rules are read in one query whatever the number of vendors; the product page block."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from allies.shipping.engine import QuoteItem
from allies.shipping.models import ShippingRate
from allies.shipping.selectors import (
    cart_shipping_quote,
    offer_shipping_table,
    rate_rules_for_vendors,
    shipping_tables_for_offers,
)
from tests.factories import OfferFactory, ProductFactory, VariantFactory, VendorFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 26)
D = Decimal


def _rates(vendor, *, free_from=None):
    rows = [
        ("home", "FR", "colissimo", "4.90", 2, 4),
        ("home", "CORSE", "colissimo", "14.90", 4, 7),
        ("home", "BE", "colissimo", "9.90", 3, 5),
        ("express", "FR", "chronopost", "12.90", 1, 2),
        ("relay", "FR", "mondial_relay", "3.90", 3, 5),
    ]
    return ShippingRate.objects.bulk_create(
        ShippingRate(
            vendor=vendor,
            mode=m,
            zone=z,
            carrier=c,
            base_fee=D(f),
            min_days=a,
            max_days=b,
            free_shipping_threshold=free_from,
        )
        for m, z, c, f, a, b in rows
    )


def test_rules_of_any_number_of_vendors_come_in_one_query(django_assert_num_queries):
    # covers: CHK-2, CHK-4
    vendors = VendorFactory.create_batch(12)
    for vendor in vendors:
        _rates(vendor)
    with django_assert_num_queries(1):
        one = rate_rules_for_vendors([vendors[0].id])
    with django_assert_num_queries(1):
        many = rate_rules_for_vendors(v.id for v in vendors)
    assert len(one[vendors[0].id]) == 5
    assert set(many) == {v.id for v in vendors} and all(len(r) == 5 for r in many.values())
    with django_assert_num_queries(0):
        assert rate_rules_for_vendors([]) == {}


def test_inactive_rates_and_inactive_vendors_deliver_nothing():
    # covers: CHK-4
    vendor, closed = VendorFactory(), VendorFactory(is_active=False)
    _rates(vendor)
    _rates(closed)
    ShippingRate.objects.filter(vendor=vendor, mode="express").update(is_active=False)
    rules = rate_rules_for_vendors([vendor.id, closed.id])
    assert {r.mode for r in rules[vendor.id]} == {"home", "relay"}
    assert rules[closed.id] == []


def test_product_page_block_lists_destinations_modes_fees_and_delays(django_assert_num_queries):
    # covers: CAT-3
    vendor = VendorFactory()
    _rates(vendor)
    product = ProductFactory(weight_grams=800)
    with django_assert_num_queries(1):
        rows = offer_shipping_table(vendor_id=vendor.id, product=product, today=TODAY)
    assert [(str(r.zone_label), str(r.mode_label)) for r in rows] == [
        ("France métropolitaine", "Domicile"),
        ("France métropolitaine", "Express"),
        ("France métropolitaine", "Point relais"),
        ("Corse", "Domicile"),
        ("Belgique", "Domicile"),
    ]
    home = rows[0]
    assert home.fee == D("4.90") and home.carrier_name == "Colissimo"
    assert home.delay_text == "2 à 4 jours ouvrés"
    assert rows[3].fee == D("14.90")


def test_blocks_of_every_offer_of_a_page_come_in_one_query(django_assert_num_queries):
    # covers: CAT-3
    variant = VariantFactory(product=ProductFactory(weight_grams=500))
    offers = []
    for index in range(10):
        vendor = VendorFactory()
        _rates(vendor, free_from=D("60") if index % 2 else None)
        offers.append(OfferFactory(vendor=vendor, variant=variant, price=D("65.00")))
    with django_assert_num_queries(1):
        tables = shipping_tables_for_offers(offers, variant.product, TODAY)
    assert set(tables) == {o.id for o in offers}
    for index, offer in enumerate(offers):
        assert tables[offer.id][0].free is bool(index % 2)
    # Given the rules, the block needs no query at all.
    rules = rate_rules_for_vendors([offers[0].vendor_id])[offers[0].vendor_id]
    with django_assert_num_queries(0):
        offer_shipping_table(
            vendor_id=offers[0].vendor_id, product=variant.product, today=TODAY, rules=rules
        )


def test_a_cart_quote_is_one_query_and_refuses_before_querying(django_assert_num_queries):
    # covers: CHK-2, CHK-4
    vendors = VendorFactory.create_batch(6)
    for vendor in vendors:
        _rates(vendor)
    pairs = [(v.id, QuoteItem(i, 1, D("20.00"), 500, 1)) for i, v in enumerate(vendors * 5)]
    with django_assert_num_queries(1):
        quote = cart_shipping_quote(vendor_items=pairs, country="FR", postcode="20200", today=TODAY)
    assert len(quote.vendors) == 6 and all(len(v.options) == 1 for v in quote.vendors)
    assert quote.vendors[0].option("home").fee == D("14.90")
    with django_assert_num_queries(0), pytest.raises(ValidationError):
        cart_shipping_quote(vendor_items=pairs, country="CH", postcode="1200", today=TODAY)
