"""catalog.services.product_summaries_refresh: the listing summary and search terms (CAT-2)."""

from decimal import Decimal

import pytest

from allies.catalog.models import Availability, Offer
from allies.catalog.services import product_summaries_refresh
from tests.factories import (
    CategoryFactory,
    OfferFactory,
    ProductFactory,
    VariantFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db


def refreshed(product):
    product_summaries_refresh(product_ids=[product.pk])
    product.refresh_from_db()
    return product


def test_in_stock_offer_beats_a_cheaper_one_out_of_stock(db):
    # covers: CAT-2
    variant = VariantFactory()
    OfferFactory(variant=variant, price=Decimal("30.00"), stock=0)
    OfferFactory(variant=variant, price=Decimal("35.00"), stock=0, restock_weeks=2)
    OfferFactory(variant=variant, price=Decimal("49.90"), stock=1)
    product = refreshed(variant.product)
    assert product.availability == Availability.IN_STOCK
    assert product.price_from == Decimal("49.90")
    assert (product.offer_count, product.vendor_count) == (3, 3)


def test_restocking_beats_out_of_stock(db):
    # covers: CAT-2
    variant = VariantFactory()
    OfferFactory(variant=variant, price=Decimal("30.00"), stock=0)
    OfferFactory(variant=variant, price=Decimal("35.00"), stock=0, restock_weeks=2)
    product = refreshed(variant.product)
    assert (product.availability, product.price_from) == (Availability.RESTOCKING, Decimal("35.00"))


def test_only_out_of_stock_gives_the_lowest_price(db):
    # covers: CAT-2
    variant = VariantFactory()
    OfferFactory(variant=variant, price=Decimal("30.00"), stock=0)
    OfferFactory(variant=variant, price=Decimal("25.00"), stock=0)
    product = refreshed(variant.product)
    assert (product.availability, product.price_from) == (
        Availability.OUT_OF_STOCK,
        Decimal("25.00"),
    )


def test_inactive_offers_and_vendors_do_not_count(db):
    # covers: CAT-2
    variant = VariantFactory()
    OfferFactory(variant=variant, price=Decimal("10.00"), is_active=False)
    OfferFactory(variant=variant, price=Decimal("11.00"), vendor=VendorFactory(is_active=False))
    product = refreshed(variant.product)
    assert (product.offer_count, product.vendor_count, product.price_from) == (0, 0, None)
    assert product.availability == Availability.OUT_OF_STOCK


def test_vendor_count_counts_vendors_not_sizes(db):
    # covers: CAT-2
    product = ProductFactory()
    vendor = VendorFactory()
    for size in ("S", "M", "L"):
        OfferFactory(variant=VariantFactory(product=product, size=size), vendor=vendor)
    product = refreshed(product)
    assert (product.offer_count, product.vendor_count) == (3, 1)


def test_search_terms_cover_title_brand_categories_and_colours(db):
    # covers: CAT-1
    category = CategoryFactory(name="Maroquinerie", name_en="Leather goods")
    product = ProductFactory(
        category=category, title="Étui à cartes", brand="Cuirs Fauvel", search_text=""
    )
    VariantFactory(product=product, colour="Bleu marine")
    product = refreshed(product)
    assert product.title_search == " etui a carte "
    for term in (
        "etui",
        "carte",
        "cuir",
        "fauvel",
        "maroquinerie",
        "leather",
        "good",
        "bleu",
        "marine",
    ):
        assert f" {term}" in product.search_text, term


def test_many_products_in_a_constant_number_of_queries(db, django_assert_num_queries):
    # covers: CAT-2 (refresh cost does not depend on the number of offers)
    products = [ProductFactory() for _ in range(12)]
    for product in products:
        for size in ("S", "M"):
            variant = VariantFactory(product=product, size=size)
            OfferFactory(variant=variant)
            OfferFactory(variant=variant)
    # offers + colours + products + one bulk update, inside a savepoint (+2)
    with django_assert_num_queries(6):
        assert product_summaries_refresh(product_ids=[p.pk for p in products]) == 12
    assert Offer.objects.count() == 48
    assert product_summaries_refresh(product_ids=[]) == 0


def test_facets_say_who_sells_which_size(db):
    # covers: CAT-1 (vendor and size filters read these tokens)
    product = ProductFactory()
    lenoir, borel = VendorFactory(), VendorFactory()
    OfferFactory(variant=VariantFactory(product=product, size="M"), vendor=lenoir)
    OfferFactory(variant=VariantFactory(product=product, size="42 1/2"), vendor=borel)
    OfferFactory(variant=VariantFactory(product=product, size="XL"), vendor=borel, is_active=False)
    product = refreshed(product)
    tokens = product.facets.split()
    assert product.facets.startswith(" ") and product.facets.endswith(" ")
    assert sorted(tokens) == sorted(
        [
            f"v{lenoir.pk}",
            f"v{borel.pk}",
            "s-m",
            "s-42-1-2",
            f"v{lenoir.pk}s-m",
            f"v{borel.pk}s-42-1-2",
        ]
    )


def test_product_summary_is_a_pure_function_bulk_loaders_can_use():
    # covers: CAT-2
    from allies.catalog.services import OfferFacts, product_summary

    summary = product_summary(
        offers=[
            OfferFacts(vendor_id=1, size="M", price=Decimal("20"), stock=0),
            OfferFacts(vendor_id=2, size="M", price=Decimal("30"), stock=0, restock_weeks=2),
            OfferFacts(vendor_id=2, size="L", price=Decimal("25"), stock=0, restock_weeks=4),
        ]
    )
    assert summary["availability"] == Availability.RESTOCKING
    assert summary["price_from"] == Decimal("25")
    assert (summary["offer_count"], summary["vendor_count"]) == (3, 2)
    assert product_summary(offers=[])["price_from"] is None
