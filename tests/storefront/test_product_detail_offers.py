"""The product page's offers (CAT-2): read as plain rows and built as offers only for the
chosen variant, they come in the order and with the availability the Offer model itself gives,
whatever the stocks, restock delays, prices and vendor names (hypothesis), and in three queries."""

# covers: CAT-2

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allies.catalog.models import Offer
from allies.catalog.selectors import offer_sort_key, product_detail
from tests.factories import CategoryFactory, VendorFactory
from tests.storefront.conftest import add_product

pytestmark = pytest.mark.django_db

NAMES = ["Atelier Borel", "atelier borel", "Maison Lenoir", "Zèbre & Fils", "cuirs Fauvel"]

offer_specs = st.lists(
    st.fixed_dictionaries(
        {
            "vendor": st.integers(min_value=0, max_value=len(NAMES) - 1),
            "variant": st.integers(min_value=0, max_value=2),
            "price": st.sampled_from(["9.90", "39.90", "39.90", "120.00"]),
            "stock": st.sampled_from([0, 0, 1, 7]),
            "restock_weeks": st.sampled_from([None, 0, 1, 3]),
        }
    ),
    min_size=0,
    max_size=12,
    unique_by=lambda spec: (spec["vendor"], spec["variant"]),  # one offer a vendor a variant
)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=offer_specs, asked=st.sampled_from([None, 0, 1, 2]))
def test_the_chosen_variants_offers_are_the_models_order_and_labels(db, specs, asked):
    # covers: CAT-2
    with transaction.atomic():
        vendors = [VendorFactory(name=name) for name in NAMES]
        product = add_product(
            category=CategoryFactory(),
            variants=(("S", "Bleu"), ("M", "Bleu"), ("L", "Bleu")),
            offers=[{**spec, "vendor": vendors[spec["vendor"]]} for spec in specs],
        )
        variants = list(product.variants.order_by("position"))
        detail = product_detail(
            slug=product.slug, variant_id=None if asked is None else variants[asked].pk
        )
        assert detail is not None
        if detail.variant is None:
            assert detail.offers == []
        else:
            expected = sorted(
                Offer.objects.filter(variant=detail.variant).select_related("vendor"),
                key=offer_sort_key,
            )
            assert [o.pk for o in detail.offers] == [o.pk for o in expected]
            for shown, model in zip(detail.offers, expected, strict=True):
                assert shown.availability == model.availability
                assert (shown.price, shown.stock, shown.restock_weeks) == (
                    model.price,
                    model.stock,
                    model.restock_weeks,
                )
                assert (shown.vendor.name, shown.vendor.slug) == (
                    model.vendor.name,
                    model.vendor.slug,
                )
        transaction.set_rollback(True)


def test_a_shown_offer_reads_its_other_fields_when_asked(shirts):
    # covers: CAT-2
    vendor = VendorFactory(name="Maison Lenoir")
    product = add_product(category=shirts, offers=[{"vendor": vendor, "price": "39.90"}])
    expected = Offer.objects.get(variant__product=product)
    with CaptureQueriesContext(connection) as reads:
        detail = product_detail(slug=product.slug)
    assert len(reads) == 3  # the product, its variants, its offers
    (offer,) = detail.offers
    assert offer.price == Decimal("39.90")
    # A field the page does not read is deferred, loaded from the database on demand.
    assert offer.vendor_sku == expected.vendor_sku
    assert offer.vendor.email == vendor.email
