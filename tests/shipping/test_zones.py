"""Delivery zones: France mainland, Corse, Belgique; everything else refused with a reason."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from allies.shipping.engine import quote_cart
from allies.shipping.zones import ZONE_ORDER, Zone, zone_for

from .helpers import item, rule


def _refusal(country, postcode) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        zone_for(country, postcode)
    return caught.value


@pytest.mark.parametrize("postcode", ["75011", "01000", "13001", "59800", "95880", " 75 011 "])
def test_mainland_postcodes_are_france(postcode):
    # covers: CHK-4
    assert zone_for("FR", postcode) is Zone.FRANCE
    assert zone_for(" fr ", postcode) is Zone.FRANCE


@pytest.mark.parametrize("postcode", ["20000", "20090", "20200", "20600", "20620"])
def test_corsica_is_20000_to_20620(postcode):
    # covers: CHK-4
    assert zone_for("FR", postcode) is Zone.CORSE


@pytest.mark.parametrize("postcode", ["20621", "20999"])
def test_postcodes_beyond_corsica_range_do_not_exist(postcode):
    # covers: CHK-4
    assert _refusal("FR", postcode).code == "postcode_format"


@pytest.mark.parametrize("postcode", ["1000", "4000", "9999", "2000"])
def test_belgian_postcodes_have_four_digits(postcode):
    # covers: CHK-4
    assert zone_for("BE", postcode) is Zone.BELGIQUE


@pytest.mark.parametrize("country,postcode", [("BE", "0999"), ("BE", "10000"), ("BE", "B-1000")])
def test_malformed_belgian_postcodes_are_refused(country, postcode):
    # covers: CHK-4
    error = _refusal(country, postcode)
    assert error.code == "postcode_format"
    assert "4 chiffres" in error.messages[0]


@pytest.mark.parametrize("postcode", ["7501", "750111", "ABCDE", "", "00100"])
def test_malformed_french_postcodes_are_refused(postcode):
    # covers: CHK-4
    assert _refusal("FR", postcode).code == "postcode_format"


@pytest.mark.parametrize("postcode", ["97100", "97400", "97600", "98800", "98714"])
def test_overseas_france_is_not_delivered(postcode):
    # covers: CHK-4
    error = _refusal("FR", postcode)
    assert error.code == "zone_not_delivered"
    assert "DOM-TOM" in error.messages[0]


def test_monaco_is_not_delivered_whether_written_as_france_or_monaco():
    # covers: CHK-4
    assert "Monaco" in _refusal("FR", "98000").messages[0]
    assert _refusal("MC", "98000").code == "country_not_delivered"


@pytest.mark.parametrize("country", ["DE", "CH", "LU", "ES", "GB", "", "FRA"])
def test_other_countries_are_refused_with_the_list_of_delivered_ones(country):
    # covers: CHK-4
    error = _refusal(country, "75011")
    assert error.code == "country_not_delivered"
    assert "France" in error.messages[0] and "Belgique" in error.messages[0]


def test_quote_cart_refuses_an_undelivered_destination_with_the_zone_message():
    # covers: CHK-2, CHK-4
    with pytest.raises(ValidationError) as caught:
        quote_cart({1: [item()]}, {1: [rule()]}, "FR", "97400", date(2026, 11, 26))
    assert caught.value.code == "zone_not_delivered"


def test_zones_have_french_labels_and_a_country():
    # covers: CAT-3
    assert [z.label for z in ZONE_ORDER] == ["France métropolitaine", "Corse", "Belgique"]
    assert [z.country for z in ZONE_ORDER] == ["FR", "FR", "BE"]
