"""The checkout's choice of a mode per vendor and the totals the order will carry."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from allies.orders.models import VendorOrder
from allies.shipping.engine import quote_cart, select_modes

from .helpers import item, rule

TODAY = date(2026, 11, 26)
D = Decimal


def _cart():
    rules = {
        1: [
            rule("home", vendor_id=1, base="4.90"),
            rule("express", vendor_id=1, base="12.90", days=(1, 2)),
        ],
        2: [rule("relay", vendor_id=2, base="3.90", carrier="mondial_relay")],
    }
    items = {1: [item("19.90", quantity=2)], 2: [item("45.00")]}
    return quote_cart(items, rules, "FR", "33000", TODAY)


def test_totals_are_lines_plus_each_chosen_fee_minus_discount():
    # covers: CHK-3, CHK-5
    selection = select_modes(_cart(), {1: "express", 2: "relay"}, discount=D("10"))
    assert selection.lines_total == D("84.80")
    assert selection.shipping_total == D("16.80")
    assert selection.discount_total == D("10.00")
    assert selection.total == D("91.60")
    assert selection.for_vendor(1).fee == D("12.90")


def test_the_cheapest_preselection_gives_the_simulation_total():
    # covers: CHK-2, CHK-3
    cart = _cart()
    selection = select_modes(cart, cart.cheapest_modes())
    assert selection.shipping_total == cart.cheapest_shipping_total
    assert selection.total == cart.cheapest_total


def test_the_discount_is_rounded_and_never_exceeds_the_articles():
    # covers: CHK-5
    cart = _cart()
    assert select_modes(cart, {1: "home", 2: "relay"}, discount=D("3.335")).discount_total == D(
        "3.34"
    )
    capped = select_modes(cart, {1: "home", 2: "relay"}, discount=D("500"))
    assert capped.discount_total == cart.lines_total
    assert capped.total == capped.shipping_total
    assert select_modes(cart, {1: "home", 2: "relay"}, discount=D("-5")).discount_total == 0


def test_choices_posted_by_a_form_use_text_vendor_ids():
    # covers: CHK-3
    selection = select_modes(_cart(), {"1": "home", "2": "relay"})
    assert selection.shipping_total == D("8.80")


def test_every_vendor_needs_a_chosen_mode():
    # covers: CHK-3
    with pytest.raises(ValidationError) as caught:
        select_modes(_cart(), {1: "home"})
    assert caught.value.code == "mode_missing"
    assert "chaque vendeur" in caught.value.messages[0]


def test_a_selection_maps_onto_the_vendor_order_fields():
    # covers: CHK-3, ORD-1
    selection = select_modes(_cart(), {1: "express", 2: "relay"})
    fields = selection.for_vendor(1).order_fields()
    model_fields = {f.name for f in VendorOrder._meta.get_fields()}
    assert set(fields) <= model_fields
    assert fields["shipping_mode"] == "express" and fields["carrier"] == "chronopost"
    assert fields["shipping_fee"] == D("12.90") and fields["lines_total"] == D("39.80")
    assert fields["delivery_min_date"] == date(2026, 11, 27)
    assert fields["delivery_max_date"] == date(2026, 11, 30)
