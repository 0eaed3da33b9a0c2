"""Fees of the engine: base, extra articles, bulky parcels, weight, free threshold, modes."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from allies.shipping.engine import (
    RateRule,
    WeightBracket,
    quote_cart,
    quote_vendor,
    select_modes,
)

from .helpers import item, rule

TODAY = date(2026, 11, 26)  # a Thursday
D = Decimal

BRACKETS = [
    {"up_to_kg": "2", "fee": "0"},
    {"up_to_kg": "5", "fee": "1.50"},
    {"up_to_kg": "10", "fee": "4.00"},
]


def fee(items, rate, zone="FR"):
    option = quote_vendor(items, [rate], zone, TODAY).option(rate.mode)
    return None if option is None else option.fee


def test_one_article_pays_the_base_fee():
    # covers: CHK-4
    assert fee([item()], rule(base="4.90")) == D("4.90")


def test_each_extra_article_adds_its_fee_across_lines():
    # covers: CHK-4
    rate = rule(base="4.90", extra="1.20")
    assert fee([item(quantity=3)], rate) == D("7.30")
    assert fee([item(quantity=2), item(offer_id=2)], rate) == D("7.30")


def test_bulky_articles_pay_for_each_extra_parcel():
    # covers: CHK-4, CAT-5
    rate = rule(base="9.90", extra="3.00", extra_parcel="4.00")
    # One armchair in 3 parcels: 2 extra parcels.
    assert fee([item(parcels=3)], rate) == D("17.90")
    # Two of them: one extra article, 4 extra parcels.
    assert fee([item(quantity=2, parcels=3)], rate) == D("28.90")
    quote = quote_vendor([item(quantity=2, parcels=3)], [rate], "FR", TODAY)
    assert (quote.articles, quote.parcels) == (2, 6)


@pytest.mark.parametrize(
    "grams,expected",
    [
        (0, "4.90"),
        (2000, "4.90"),  # a bracket includes its upper bound
        (2001, "6.40"),
        (5000, "6.40"),
        (10000, "8.90"),
        (10001, "9.70"),  # 1 kg started beyond the last bracket
        (12000, "10.50"),
        (12001, "11.30"),
    ],
)
def test_weight_brackets_then_every_kilogram_started(grams, expected):
    # covers: CHK-4
    rate = rule(base="4.90", brackets=BRACKETS, per_kg="0.80")
    assert fee([item(grams=grams)], rate) == D(expected)


def test_weight_is_the_whole_shipment_of_the_vendor():
    # covers: CHK-4
    rate = rule(base="4.90", brackets=BRACKETS)
    assert fee([item(grams=1500)], rate) == D("4.90")
    assert fee([item(grams=1500, quantity=2)], rate) == D("6.40")


def test_per_kg_fee_without_brackets_counts_from_the_first_gram():
    # covers: CHK-4
    rate = rule(base="3.00", per_kg="1.00")
    assert fee([item(grams=1)], rate) == D("4.00")
    assert fee([item(grams=2500)], rate) == D("6.00")


def test_free_shipping_from_the_threshold_on_the_vendor_subtotal():
    # covers: CHK-4
    rate = rule(base="5.90", extra="1.00", free_from="60")
    below = quote_vendor([item("59.99")], [rate], "FR", TODAY).option("home")
    assert below.fee == D("5.90") and not below.free
    assert below.missing_for_free == D("0.01")
    at = quote_vendor([item("30.00", quantity=2)], [rate], "FR", TODAY).option("home")
    assert at.fee == D("0") and at.free and at.missing_for_free is None


def test_a_rate_of_zero_is_free_shipping():
    # covers: CHK-4
    option = quote_vendor([item(quantity=4)], [rule(base="0")], "FR", TODAY).option("home")
    assert option.free and option.fee == 0


def test_zone_changes_the_fee_and_rules_of_other_zones_are_ignored():
    # covers: CHK-4
    rates = [
        rule(zone="FR", base="4.90"),
        rule(zone="CORSE", base="14.90"),
        rule(zone="BE", base="9.90"),
    ]
    assert quote_vendor([item()], rates, "FR", TODAY).option("home").fee == D("4.90")
    assert quote_vendor([item()], rates, "CORSE", TODAY).option("home").fee == D("14.90")
    assert quote_vendor([item()], rates, "BE", TODAY).option("home").fee == D("9.90")


def test_a_mode_without_rate_is_not_offered():
    # covers: CHK-3, CHK-4
    quote = quote_vendor([item()], [rule("home"), rule("relay", base="3.90")], "FR", TODAY)
    assert [o.mode for o in quote.options] == ["home", "relay"]
    assert quote.option("express") is None
    cart = quote_cart({1: [item()]}, {1: [rule("home")]}, "FR", "75011", TODAY)
    with pytest.raises(ValidationError) as caught:
        select_modes(cart, {1: "express"})
    assert caught.value.code == "mode_not_offered"


def test_options_come_in_the_help_page_order_with_french_labels():
    # covers: CHK-3
    rates = [rule("relay"), rule("express"), rule("home")]
    options = quote_vendor([item()], rates, "FR", TODAY).options
    assert [str(o.label) for o in options] == ["Domicile", "Express", "Point relais"]


def test_a_vendor_without_rate_for_the_zone_cannot_deliver_it():
    # covers: CHK-4
    cart = quote_cart(
        {1: [item()], 2: [item()]},
        {1: [rule(zone="FR", vendor_id=1)], 2: [rule(zone="CORSE", vendor_id=2)]},
        "FR",
        "20000",
        TODAY,
    )
    assert not cart.deliverable
    assert cart.undeliverable_vendor_ids == [1]
    with pytest.raises(ValidationError) as caught:
        select_modes(cart, {1: "home", 2: "home"})
    assert caught.value.code == "vendor_not_delivering"


def test_a_parcel_heavier_than_the_mode_allows_removes_that_mode():
    # covers: CHK-4
    rates = [rule("home"), rule("relay", max_kg="30")]
    light = quote_vendor([item(grams=25000)], rates, "FR", TODAY)
    assert light.option("relay") is not None
    armchair = quote_vendor([item(grams=35000)], rates, "FR", TODAY)
    assert armchair.option("relay") is None and armchair.option("home") is not None
    # The same 35 kg split into two parcels of 17.5 kg fits.
    split = quote_vendor([item(grams=35000, parcels=2)], rates, "FR", TODAY)
    assert split.option("relay") is not None


def test_fees_are_rounded_half_up_to_the_cent_and_never_negative():
    # covers: CHK-4
    assert fee([item()], rule(base="4.995")) == D("5.00")
    assert fee([item(quantity=4)], rule(base="1", extra="0.335")) == D("2.01")  # 2.005
    negative = RateRule(
        vendor_id=1,
        mode="home",
        zone="FR",
        carrier="colissimo",
        base_fee=D("-3"),
        min_days=1,
        max_days=2,
    )
    assert fee([item()], negative) == D("0")


def test_brackets_given_out_of_order_or_cheaper_when_heavier_never_lower_the_fee():
    # covers: CHK-4
    weird = rule(
        base="1",
        brackets=[{"up_to_kg": "10", "fee": "2"}, {"up_to_kg": "2", "fee": "5"}],
    )
    assert weird.brackets == (WeightBracket(2000, D("5")), WeightBracket(10000, D("5")))
    assert fee([item(grams=1000)], weird) <= fee([item(grams=9000)], weird)


def test_lines_without_quantity_are_ignored_and_empty_vendors_left_out():
    # covers: CHK-2
    cart = quote_cart(
        {1: [item(quantity=0)], 2: [item()]}, {1: [rule()], 2: [rule()]}, "FR", "75011", TODAY
    )
    assert [v.vendor_id for v in cart.vendors] == [2]


def test_several_vendors_each_charge_their_own_fee():
    # covers: CHK-1, CHK-3, CHK-4
    cart = quote_cart(
        {7: [item("10.00")], 3: [item("25.00", quantity=2)]},
        {7: [rule(vendor_id=7, base="4.90")], 3: [rule(vendor_id=3, base="6.00", extra="1")]},
        "FR",
        "69002",
        TODAY,
    )
    assert [v.vendor_id for v in cart.vendors] == [7, 3]  # the cart's order
    assert cart.lines_total == D("60.00")
    assert cart.cheapest_shipping_total == D("11.90")
    assert cart.cheapest_total == D("71.90")


def test_cheapest_mode_prefers_the_lowest_fee_then_the_earliest_delivery():
    # covers: CHK-3
    rates = [
        rule("home", base="4.90", days=(3, 5)),
        rule("relay", base="4.90", days=(2, 4)),
        rule("express", base="12.90", days=(1, 1)),
    ]
    quote = quote_vendor([item()], rates, "FR", TODAY)
    assert quote.cheapest.mode == "relay"
