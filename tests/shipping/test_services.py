"""Saving a vendor's rates: validation by field, one row per (vendor, mode, zone)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from allies.shipping.models import ShippingRate
from allies.shipping.services import shipping_rate_deactivate, shipping_rate_save
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db
D = Decimal


def _save(vendor, **changes):
    values = dict(
        mode="home", zone="FR", carrier="colissimo", base_fee="4.90", min_days=2, max_days=4
    )
    values.update(changes)
    return shipping_rate_save(vendor=vendor, **values)


def test_saving_twice_updates_the_one_rate_of_a_mode_and_zone():
    # covers: CHK-4, VEN-1
    vendor = VendorFactory()
    first = _save(vendor, base_fee="4.90")
    second = _save(
        vendor,
        base_fee="5,50",
        per_extra_item_fee="1",
        weight_brackets=[{"up_to_kg": 2, "fee": "0"}, {"up_to_kg": "10.5", "fee": 3}],
        per_kg_beyond="0.80",
        free_shipping_threshold="60",
    )
    assert first.pk == second.pk and ShippingRate.objects.count() == 1
    second.refresh_from_db()
    assert second.base_fee == D("5.50") and second.free_shipping_threshold == D("60")
    assert second.weight_brackets == [
        {"up_to_kg": "2", "fee": "0"},
        {"up_to_kg": "10.5", "fee": "3"},
    ]
    assert second.as_rule().brackets[1].up_to_grams == 10500
    assert second.vendor_id == vendor.id


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"min_days": 5, "max_days": 2}, "max_days"),
        ({"min_days": 0}, "min_days"),
        ({"base_fee": "-1"}, "base_fee"),
        ({"base_fee": ""}, "base_fee"),
        ({"base_fee": "abc"}, "base_fee"),
        ({"base_fee": "4.999"}, "base_fee"),
        ({"per_extra_item_fee": "-0.50"}, "per_extra_item_fee"),
        ({"free_shipping_threshold": "-10"}, "free_shipping_threshold"),
        ({"carrier": "pigeon"}, "carrier"),
        ({"mode": "relay", "carrier": "dhl"}, "carrier"),
        ({"zone": "FR", "carrier": "bpost"}, "carrier"),
        ({"mode": "drone"}, "mode"),
        ({"zone": "DE"}, "zone"),
        ({"max_parcel_weight_kg": "0"}, "max_parcel_weight_kg"),
        (
            {"weight_brackets": [{"up_to_kg": "5", "fee": "2"}, {"up_to_kg": "2", "fee": "3"}]},
            "weight_brackets",
        ),
        (
            {"weight_brackets": [{"up_to_kg": "2", "fee": "3"}, {"up_to_kg": "5", "fee": "2"}]},
            "weight_brackets",
        ),
        ({"weight_brackets": [{"up_to_kg": "2"}]}, "weight_brackets"),
        ({"weight_brackets": "5kg"}, "weight_brackets"),
    ],
)
def test_bad_values_are_refused_by_field_and_nothing_is_written(changes, field):
    # covers: CHK-4, VEN-1
    vendor = VendorFactory()
    with pytest.raises(ValidationError) as caught:
        _save(vendor, **changes)
    assert field in caught.value.message_dict
    assert not ShippingRate.objects.exists()


def test_the_database_keeps_one_rate_per_vendor_mode_and_zone_and_ordered_delays():
    # covers: CHK-4
    vendor = VendorFactory()
    _save(vendor)
    with pytest.raises(IntegrityError), transaction.atomic():
        ShippingRate.objects.create(
            vendor=vendor,
            mode="home",
            zone="FR",
            carrier="dpd",
            base_fee=D("1"),
            min_days=1,
            max_days=2,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ShippingRate.objects.create(
            vendor=vendor,
            mode="relay",
            zone="FR",
            carrier="dpd",
            base_fee=D("1"),
            min_days=3,
            max_days=2,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ShippingRate.objects.create(
            vendor=vendor,
            mode="relay",
            zone="BE",
            carrier="dpd",
            base_fee=D("-1"),
            min_days=1,
            max_days=2,
        )


def test_the_admin_form_checks_what_the_service_checks():
    # covers: VEN-1
    rate = ShippingRate(
        vendor=VendorFactory(),
        mode="relay",
        zone="FR",
        carrier="dhl",
        base_fee=D("3.90"),
        min_days=4,
        max_days=2,
    )
    with pytest.raises(ValidationError) as caught:
        rate.full_clean()
    assert {"carrier", "max_days"} <= set(caught.value.message_dict)


def test_deactivating_a_rate_stops_the_mode_there():
    # covers: CHK-4
    vendor = VendorFactory()
    _save(vendor)
    assert shipping_rate_deactivate(vendor=vendor, mode="home", zone="FR")
    assert not shipping_rate_deactivate(vendor=vendor, mode="home", zone="FR")
    assert not ShippingRate.objects.get().is_active


def test_admin_lists_and_edits_rates(admin_client):
    # covers: VEN-1
    _save(VendorFactory(name="Maison Dupont"))
    page = admin_client.get("/admin/shipping/shippingrate/")
    assert page.status_code == 200 and "Maison Dupont" in page.content.decode()
    rate = ShippingRate.objects.get()
    assert admin_client.get(f"/admin/shipping/shippingrate/{rate.pk}/change/").status_code == 200
