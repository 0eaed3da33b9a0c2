"""Relay points: the provider interface, the deterministic local directory, validation."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from allies.shipping.relay import (
    LocalRelayDirectory,
    RelayPoint,
    RelayPointProvider,
    relay_point_validate,
    relay_provider,
)

directory = LocalRelayDirectory()


class FixedProvider:
    """A stand-in for a real integration, chosen through the setting."""

    point = RelayPoint(
        id="X1",
        carrier="mondial_relay",
        network="Point Relais",
        name="Chez Paul",
        street="1 rue Haute",
        postcode="75011",
        city="Paris",
        country="FR",
        distance_km=Decimal("0.3"),
        opening_hours=((),) * 7,
    )

    def search(self, *, country, postcode, city="", carrier=None, limit=10):
        return [self.point]

    def get(self, point_id):
        return self.point if point_id == "X1" else None


def test_the_same_search_gives_the_same_points_nearest_first():
    # covers: CHK-3
    first = directory.search(country="FR", postcode="75011", city="Paris")
    again = directory.search(country="FR", postcode="75 011", city=" Paris ")
    assert first == again and len(first) == 10
    assert [p.distance_km for p in first] == sorted(p.distance_km for p in first)
    assert all(p.postcode == "75011" and p.city == "Paris" and p.country == "FR" for p in first)
    assert first != directory.search(country="FR", postcode="69002", city="Lyon")


def test_points_look_like_shops_with_an_address_and_opening_hours():
    # covers: CHK-3
    point = directory.search(country="FR", postcode="33000", city="Bordeaux", limit=1)[0]
    assert point.name and point.street[0].isdigit()
    assert len(point.opening_hours) == 7
    lines = point.opening_hours_lines()
    assert len(lines) == 7 and lines[0].startswith("Lundi : ")
    assert any(line.endswith("fermé") for line in lines) or all("–" in line for line in lines)


def test_every_point_can_be_found_again_by_its_id():
    # covers: CHK-3
    for city in ("Paris", "Saint-Étienne", "Le Havre", ""):
        points = directory.search(country="FR", postcode="42000", city=city, limit=50)
        assert points, city
        for point in points:
            assert directory.get(point.id) == point


def test_a_carrier_filter_returns_only_its_network():
    # covers: CHK-3
    points = directory.search(
        country="FR", postcode="75011", city="Paris", carrier="mondial_relay", limit=50
    )
    assert points and {p.carrier for p in points} == {"mondial_relay"}
    assert directory.search(country="FR", postcode="75011", carrier="dhl") == []
    assert directory.search(country="FR", postcode="75011", carrier="bpost") == []


def test_belgian_points_write_the_number_after_the_street():
    # covers: CHK-3
    points = directory.search(country="BE", postcode="1000", city="", carrier="bpost")
    assert points and points[0].city == "Bruxelles" and points[0].country == "BE"
    assert points[0].street.split()[-1].isdigit()


def test_undelivered_addresses_are_refused_like_everywhere_else():
    # covers: CHK-4
    with pytest.raises(ValidationError) as caught:
        directory.search(country="FR", postcode="97400", city="Saint-Denis")
    assert caught.value.code == "zone_not_delivered"
    with pytest.raises(ValidationError):
        directory.search(country="FR", postcode="7501", city="Paris")


@pytest.mark.parametrize(
    "point_id",
    [
        "",
        "garbage",
        "LRD-mondial_relay-97400-1",
        "LRD-mondial_relay-75011-0",
        "LRD-mondial_relay-75011-99",
        "LRD-dhl-75011-1",
        "LRD--75011-1",
        "LRD-bpost-75011-1",
        "LRD-mondial_relay-75011-1-Paris%20",
        "LRD-pigeon-75011-1",
    ],
)
def test_unknown_ids_find_nothing(point_id):
    # covers: CHK-3
    assert directory.get(point_id) is None


def test_a_chosen_point_must_exist_belong_to_the_vendors_carrier_and_zone():
    # covers: CHK-3
    point = directory.search(country="FR", postcode="75011", carrier="mondial_relay")[0]
    assert relay_point_validate(point_id=point.id, carrier="mondial_relay", zone="FR") == point
    with pytest.raises(ValidationError) as caught:
        relay_point_validate(point_id=point.id, carrier="chronopost")
    assert caught.value.code == "relay_wrong_carrier"
    with pytest.raises(ValidationError) as caught:
        relay_point_validate(point_id=point.id, carrier="mondial_relay", zone="BE")
    assert caught.value.code == "relay_wrong_zone"
    with pytest.raises(ValidationError) as caught:
        relay_point_validate(point_id="LRD-x", carrier="mondial_relay")
    assert caught.value.code == "relay_unknown"
    assert set(point.as_order_data()) >= {"id", "name", "street", "postcode", "city"}


def test_the_provider_is_chosen_by_setting(settings):
    # covers: CHK-3
    assert isinstance(relay_provider(), LocalRelayDirectory)
    assert isinstance(relay_provider(), RelayPointProvider)
    settings.RELAY_POINT_PROVIDER = "tests.shipping.test_relay.FixedProvider"
    provider = relay_provider()
    assert isinstance(provider, FixedProvider) and isinstance(provider, RelayPointProvider)
    assert relay_point_validate(point_id="X1", carrier="mondial_relay").name == "Chez Paul"
