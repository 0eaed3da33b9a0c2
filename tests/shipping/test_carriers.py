"""Carriers: the list, their tracking links and tracking-number formats, the modes they serve."""

import pytest

from allies.shipping.carriers import (
    CARRIERS,
    carrier_get,
    carrier_name,
    carriers_for,
    tracking_number_error,
    tracking_number_valid,
    tracking_url,
)


def test_the_french_and_belgian_carriers_are_all_there():
    # covers: ORD-3
    names = {c.name for c in CARRIERS}
    assert {
        "Colissimo",
        "Chronopost",
        "DPD",
        "GLS",
        "Mondial Relay",
        "Colis Privé",
        "UPS",
        "DHL",
        "bpost",
    } <= names
    assert len({c.code for c in CARRIERS}) == len(CARRIERS)
    assert all(len(c.code) <= 30 for c in CARRIERS)  # VendorOrder.carrier
    assert all("{number}" in c.tracking_url_pattern for c in CARRIERS)
    assert all(c.tracking_url_pattern.startswith("https://") for c in CARRIERS)


@pytest.mark.parametrize(
    "code,number,expected",
    [
        (
            "colissimo",
            "6A15602676300",
            "https://www.laposte.fr/outils/suivre-vos-envois?code=6A15602676300",
        ),
        (
            "chronopost",
            "XW123456789FR",
            "https://www.chronopost.fr/tracking-no-cms/suivi-page?listeNumerosLT=XW123456789FR",
        ),
        ("dpd", "25012345678901", "https://trace.dpd.fr/fr/trace/25012345678901"),
        (
            "ups",
            "1z999aa10123456784",
            "https://www.ups.com/track?loc=fr_FR&tracknum=1Z999AA10123456784",
        ),
        (
            "mondial_relay",
            "00435394",
            "https://www.mondialrelay.fr/suivi-de-colis/?numeroExpedition=00435394",
        ),
    ],
)
def test_tracking_links_carry_the_normalised_number(code, number, expected):
    # covers: ORD-3
    assert tracking_url(code, number) == expected


def test_tracking_links_take_the_postcode_where_the_carrier_asks_for_it():
    # covers: ORD-3
    assert tracking_url("mondial_relay", "00435394", postcode="76930").endswith(
        "numeroExpedition=00435394&codePostal=76930"
    )
    assert "postalCode=1000" in tracking_url("bpost", "323200000000000000000001", postcode="1000")


def test_tracking_links_are_url_safe_and_empty_when_unknown():
    # covers: ORD-3
    assert "&x" not in tracking_url("dpd", "123&x=1")
    assert tracking_url("pigeon", "123456789") == ""
    assert tracking_url("dpd", "  ") == ""


@pytest.mark.parametrize(
    "code,number",
    [
        ("colissimo", "6A15602676300"),
        ("colissimo", "6a 1560 2676 300"),
        ("colissimo", "CB662173705US"),
        ("laposte_lettre_suivie", "1K12345678901"),
        ("chronopost", "XW123456789FR"),
        ("dpd", "25012345678901"),
        ("dpd", "2501 2345 6789 01"),
        ("gls", "12345678901"),
        ("gls", "ZB12CD34"),
        ("mondial_relay", "00435394"),
        ("ups", "1Z999AA10123456784"),
        ("dhl", "1234567890"),
        ("dhl", "JJD000390007880707795"),
        ("bpost", "323200000000000000000001"),
        ("colis_prive", "123456789012"),
    ],
)
def test_real_tracking_number_formats_are_accepted(code, number):
    # covers: ORD-3, ORD-8
    assert tracking_number_valid(code, number)
    assert tracking_number_error(code, number) is None


@pytest.mark.parametrize(
    "code,number",
    [
        ("colissimo", "12345"),
        ("colissimo", "6A1560267630012345"),
        ("colissimo", "6A156026763!0"),
        ("dpd", "1234567"),
        ("mondial_relay", "ABCDEFGH"),
        ("ups", "123456789012345678"),
        ("gls", "1234"),
        ("colis_prive", "12"),
        ("colissimo", ""),
    ],
)
def test_impossible_tracking_numbers_are_refused_with_a_message(code, number):
    # covers: ORD-3, ORD-8
    assert not tracking_number_valid(code, number)
    assert carrier_name(code) in tracking_number_error(code, number)


def test_carriers_serve_their_modes_and_zones():
    # covers: CHK-3
    relay = {c.code for c in carriers_for("relay", "FR")}
    assert {"mondial_relay", "chronopost", "dpd", "colissimo"} <= relay
    assert "bpost" not in relay and "bpost" in {c.code for c in carriers_for("relay", "BE")}
    assert "chronopost" in {c.code for c in carriers_for("express")}
    assert not carrier_get("dhl").serves("relay")
    assert carrier_get(" Mondial_Relay ").relay_network
    assert carrier_get("pigeon") is None and carrier_name("pigeon") == "pigeon"
