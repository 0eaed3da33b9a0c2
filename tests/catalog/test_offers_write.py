"""catalog.offers: the vendors' offer writes shared by the portal, the API and the CSV import."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from allies.catalog.models import Availability, Offer, Product, Variant
from allies.catalog.offers import (
    LOW_STOCK,
    OfferError,
    offer_update,
    offers_upsert,
    vendor_offers,
)
from allies.catalog.services import product_summaries_refresh
from tests.factories import OfferFactory, ProductFactory, VariantFactory, VendorFactory

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - timedelta(days=30)


@pytest.fixture
def vendor():
    return VendorFactory()


def offer_of(vendor, variant) -> Offer:
    return Offer.objects.get(vendor=vendor, variant=variant)


def aged(offer: Offer) -> Offer:
    """Push updated_at into the past, so any write to the offer shows."""
    Offer.objects.filter(pk=offer.pk).update(updated_at=LONG_AGO)
    offer.refresh_from_db()
    return offer


# --- offers_upsert ---------------------------------------------------------------------------


def test_new_offer_is_created_with_its_defaults_and_shows_on_the_product(vendor):
    # covers: CAT-2
    variant = VariantFactory()
    result = offers_upsert(vendor=vendor, items=[{"sku": variant.sku, "price": "49,90"}])
    assert (result.created, result.updated, result.unchanged, result.rejected) == (1, 0, 0, 0)
    offer = offer_of(vendor, variant)
    assert (offer.price, offer.stock, offer.restock_weeks, offer.is_active) == (
        Decimal("49.90"),
        0,
        None,
        True,
    )
    product = variant.product
    product.refresh_from_db()
    assert (product.price_from, product.offer_count, product.availability) == (
        Decimal("49.90"),
        1,
        Availability.OUT_OF_STOCK,
    )


def test_update_changes_only_the_fields_given(vendor):
    # covers: CAT-2
    offer = OfferFactory(vendor=vendor, price=Decimal("49.90"), stock=10, vendor_sku="OXF-M")
    result = offers_upsert(
        vendor=vendor, items=[{"sku": offer.variant.sku, "stock": 0, "restock_weeks": "3"}]
    )
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    offer.refresh_from_db()
    assert (offer.price, offer.stock, offer.restock_weeks, offer.vendor_sku) == (
        Decimal("49.90"),
        0,
        3,
        "OXF-M",
    )
    product = offer.variant.product
    product.refresh_from_db()
    assert product.availability == Availability.RESTOCKING


def test_items_that_change_nothing_are_not_written(vendor):
    # covers: CAT-2
    offer = aged(
        OfferFactory(
            vendor=vendor, price=Decimal("49.90"), stock=4, restock_weeks=2, vendor_sku="A"
        )
    )
    same = {
        "sku": offer.variant.sku,
        "price": "49,9",
        "stock": "4",
        "restock_weeks": 2,
        "active": "oui",
        "vendor_sku": " A ",
    }
    with CaptureQueriesContext(connection) as queries:
        result = offers_upsert(vendor=vendor, items=[same])
    assert (result.created, result.updated, result.unchanged, result.rejected) == (0, 0, 1, 0)
    assert not [q for q in queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]
    offer.refresh_from_db()
    assert offer.updated_at == LONG_AGO


def test_an_update_moves_updated_at(vendor):
    # covers: CAT-2
    offer = aged(OfferFactory(vendor=vendor, price=Decimal("49.90")))
    offers_upsert(vendor=vendor, items=[{"sku": offer.variant.sku, "price": "45"}])
    offer.refresh_from_db()
    assert offer.price == Decimal("45.00")
    assert offer.updated_at > LONG_AGO + timedelta(days=29)


@pytest.mark.parametrize(
    ("item", "code"),
    [
        ({"sku": "", "price": "10"}, "missing_sku"),
        ({"price": "10"}, "missing_sku"),
        ({"sku": "NOPE-404", "price": "10"}, "unknown_sku"),
        ({"sku": "{new}", "stock": 3}, "missing_price"),
        ({"sku": "{new}", "price": ""}, "missing_price"),
        ({"sku": "{new}", "price": "abc"}, "invalid_price"),
        ({"sku": "{new}", "price": "0"}, "invalid_price"),
        ({"sku": "{new}", "price": "-5,00"}, "invalid_price"),
        ({"sku": "{new}", "price": "12,345"}, "invalid_price"),
        ({"sku": "{new}", "price": "100000,01"}, "invalid_price"),
        ({"sku": "{new}", "price": "1.299,90"}, "invalid_price"),
        ({"sku": "{new}", "price": True}, "invalid_price"),
        ({"sku": "{mine}", "stock": -1}, "invalid_stock"),
        ({"sku": "{mine}", "stock": "2,5"}, "invalid_stock"),
        ({"sku": "{mine}", "stock": "beaucoup"}, "invalid_stock"),
        ({"sku": "{mine}", "restock_weeks": 99}, "invalid_restock"),
        ({"sku": "{mine}", "restock_weeks": "-1"}, "invalid_restock"),
        ({"sku": "{mine}", "restock_weeks": "bientôt"}, "invalid_restock"),
        ({"sku": "{mine}", "active": "peut-être"}, "invalid_active"),
        ({"sku": "{mine}", "active": 2}, "invalid_active"),
        ({"sku": "{mine}", "vendor_sku": "X" * 65}, "too_long"),
    ],
)
def test_each_bad_item_gets_its_code_and_a_french_message(vendor, item, code):
    # covers: CAT-2
    mine = OfferFactory(vendor=vendor, price=Decimal("20.00"), stock=5)
    new = VariantFactory()
    skus = {"{mine}": mine.variant.sku, "{new}": new.sku}
    item = {k: skus.get(v, v) if k == "sku" else v for k, v in item.items()}
    aged(mine)
    result = offers_upsert(vendor=vendor, items=[item])
    assert [(e.index, e.code) for e in result.errors] == [(0, code)]
    assert result.errors[0].message and result.errors[0].sku == item.get("sku", "")
    assert (result.created, result.updated) == (0, 0)
    mine.refresh_from_db()
    assert (mine.price, mine.stock, mine.updated_at) == (Decimal("20.00"), 5, LONG_AGO)
    assert not Offer.objects.filter(variant=new).exists()


def test_messages_follow_the_language(vendor):
    # covers: CAT-2, SITE-4
    variant = VariantFactory()
    french = offers_upsert(vendor=vendor, items=[{"sku": variant.sku, "price": "abc"}])
    with translation.override("en"):
        english = offers_upsert(vendor=vendor, items=[{"sku": variant.sku, "price": "abc"}])
    assert "Prix invalide" in french.errors[0].message
    assert "Invalid price" in english.errors[0].message


def test_a_bad_item_never_blocks_the_good_ones(vendor):
    # covers: CAT-2
    existing = OfferFactory(vendor=vendor, price=Decimal("30.00"), stock=1)
    new, other_new = VariantFactory(), VariantFactory()
    result = offers_upsert(
        vendor=vendor,
        items=[
            {"sku": new.sku, "price": "19,90", "stock": 2},
            {"sku": other_new.sku, "price": "abc"},
            {"sku": existing.variant.sku, "stock": 7},
            {"sku": "INCONNU-1", "price": "10"},
        ],
    )
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert [(e.index, e.code) for e in result.errors] == [(1, "invalid_price"), (3, "unknown_sku")]
    assert offer_of(vendor, new).price == Decimal("19.90")
    existing.refresh_from_db()
    assert existing.stock == 7
    assert not Offer.objects.filter(variant=other_new).exists()


def test_a_repeated_sku_is_applied_once_and_the_later_item_rejected(vendor):
    # covers: CAT-2
    variant = VariantFactory()
    result = offers_upsert(
        vendor=vendor,
        items=[{"sku": variant.sku, "price": "10"}, {"sku": f" {variant.sku} ", "price": "20"}],
    )
    assert result.created == 1
    assert [(e.index, e.code, e.sku) for e in result.errors] == [(1, "duplicate", variant.sku)]
    assert offer_of(vendor, variant).price == Decimal("10.00")


def test_values_in_the_forms_vendors_type_them(vendor):
    # covers: CAT-2
    variants = [VariantFactory() for _ in range(5)]
    result = offers_upsert(
        vendor=vendor,
        items=[
            {"sku": variants[0].sku, "price": "1 299,90 €", "active": "non"},
            {"sku": variants[1].sku, "price": 49.9, "active": "yes", "stock": "12"},
            {"sku": variants[2].sku, "price": Decimal("15"), "active": "0", "restock_weeks": ""},
            {"sku": variants[3].sku, "price": 8, "active": False, "restock_weeks": "0"},
            {"sku": variants[4].sku, "price": "8.5", "active": "TRUE", "vendor_sku": "  R-1 "},
        ],
    )
    assert result.created == 5 and not result.errors
    got = [
        (o.price, o.is_active, o.stock, o.restock_weeks, o.vendor_sku)
        for o in (offer_of(vendor, v) for v in variants)
    ]
    assert got == [
        (Decimal("1299.90"), False, 0, None, ""),
        (Decimal("49.90"), True, 12, None, ""),
        (Decimal("15.00"), False, 0, None, ""),
        (Decimal("8.00"), False, 0, None, ""),
        (Decimal("8.50"), True, 0, None, "R-1"),
    ]


def test_an_empty_restock_delay_removes_it_and_empty_price_keeps_the_price(vendor):
    # covers: CAT-2
    offer = OfferFactory(vendor=vendor, price=Decimal("30.00"), stock=0, restock_weeks=4)
    result = offers_upsert(
        vendor=vendor, items=[{"sku": offer.variant.sku, "price": "", "restock_weeks": ""}]
    )
    assert result.updated == 1
    offer.refresh_from_db()
    assert (offer.price, offer.restock_weeks) == (Decimal("30.00"), None)
    product = offer.variant.product
    product.refresh_from_db()
    assert product.availability == Availability.OUT_OF_STOCK


def test_stock_only_reads_the_stock_alone_and_needs_an_existing_offer(vendor):
    # covers: CAT-2
    offer = OfferFactory(vendor=vendor, price=Decimal("30.00"), stock=1)
    no_offer = VariantFactory()
    result = offers_upsert(
        vendor=vendor,
        stock_only=True,
        items=[
            {"sku": offer.variant.sku, "stock": 9, "price": "1", "active": "non"},
            {"sku": no_offer.sku, "stock": 3, "price": "10"},
            {"sku": offer.variant.sku + "-X", "stock": 3},
            {"sku": offer.variant.sku, "stock": 4},
        ],
    )
    assert result.updated == 1
    assert [(e.index, e.code) for e in result.errors] == [
        (1, "unknown_offer"),
        (2, "unknown_sku"),
        (3, "duplicate"),
    ]
    offer.refresh_from_db()
    assert (offer.stock, offer.price, offer.is_active) == (9, Decimal("30.00"), True)
    assert not Offer.objects.filter(variant=no_offer).exists()


def test_stock_only_without_a_stock_is_rejected(vendor):
    # covers: CAT-2
    offer = OfferFactory(vendor=vendor)
    result = offers_upsert(vendor=vendor, stock_only=True, items=[{"sku": offer.variant.sku}])
    assert [e.code for e in result.errors] == ["missing_stock"]


def test_another_vendors_offer_is_never_touched(vendor):
    # covers: CAT-2
    theirs = aged(OfferFactory(price=Decimal("40.00"), stock=3))
    result = offers_upsert(
        vendor=vendor, items=[{"sku": theirs.variant.sku, "price": "35", "stock": 1}]
    )
    assert result.created == 1  # our own offer on the same variant, next to theirs
    theirs.refresh_from_db()
    assert (theirs.price, theirs.stock, theirs.updated_at) == (Decimal("40.00"), 3, LONG_AGO)
    stock_only = offers_upsert(
        vendor=VendorFactory(), stock_only=True, items=[{"sku": theirs.variant.sku, "stock": 0}]
    )
    assert [e.code for e in stock_only.errors] == ["unknown_offer"]
    theirs.refresh_from_db()
    assert theirs.stock == 3


def test_the_product_summary_follows_the_offers(vendor):
    # covers: CAT-2
    variant = VariantFactory()
    OfferFactory(variant=variant, price=Decimal("60.00"), stock=2)
    product_summaries_refresh(product_ids=[variant.product_id])
    product = variant.product

    offers_upsert(vendor=vendor, items=[{"sku": variant.sku, "price": "50", "stock": 1}])
    product.refresh_from_db()
    assert (product.price_from, product.offer_count, product.vendor_count) == (
        Decimal("50.00"),
        2,
        2,
    )

    offers_upsert(vendor=vendor, items=[{"sku": variant.sku, "stock": 0}])
    product.refresh_from_db()  # an in-stock offer beats a cheaper one out of stock
    assert (product.price_from, product.availability) == (Decimal("60.00"), Availability.IN_STOCK)

    offers_upsert(vendor=vendor, items=[{"sku": variant.sku, "stock": 5, "active": "non"}])
    product.refresh_from_db()
    assert (product.price_from, product.offer_count) == (Decimal("60.00"), 1)


QUERY_BUDGET = 25


def _catalogue(n: int) -> list[Variant]:
    """n variants, one product each: the worst case for product summaries."""
    return [VariantFactory(product=ProductFactory()) for _ in range(n)]


def test_queries_do_not_grow_with_the_number_of_items(vendor, django_assert_max_num_queries):
    # covers: CAT-2
    # Half the items update an existing offer, half create one; one product per item.
    variants = _catalogue(550)
    Offer.objects.bulk_create(
        Offer(vendor=vendor, variant=v, price=Decimal("10"), stock=1)
        for v in variants[:25] + variants[50:300]
    )
    small = [{"sku": v.sku, "price": "12,50", "stock": 3} for v in variants[:50]]
    large = [{"sku": v.sku, "price": "12,50", "stock": 3} for v in variants[50:]]
    with django_assert_max_num_queries(QUERY_BUDGET) as small_queries:
        small_result = offers_upsert(vendor=vendor, items=small)
    with django_assert_max_num_queries(QUERY_BUDGET) as large_queries:
        large_result = offers_upsert(vendor=vendor, items=large)
    assert (small_result.created, small_result.updated) == (25, 25)
    assert (large_result.created, large_result.updated) == (250, 250)
    # Ten times the items: a few more batches at most, never a query per item.
    assert len(large_queries) <= len(small_queries) + 12
    assert Offer.objects.filter(vendor=vendor, price=Decimal("12.50"), stock=3).count() == 550


# --- offer_update (the portal's form) -------------------------------------------------------


def test_offer_update_changes_the_fields_passed(vendor):
    # covers: CAT-2
    offer = OfferFactory(vendor=vendor, price=Decimal("49.90"), stock=10)
    updated = offer_update(vendor=vendor, offer_id=offer.pk, stock=0, restock_weeks=2)
    assert (updated.price, updated.stock, updated.restock_weeks) == (Decimal("49.90"), 0, 2)
    offer.refresh_from_db()
    assert (offer.stock, offer.restock_weeks, offer.is_active) == (0, 2, True)
    product = offer.variant.product
    product.refresh_from_db()
    assert product.availability == Availability.RESTOCKING


def test_offer_update_refuses_bad_values_field_by_field_and_writes_nothing(vendor):
    # covers: CAT-2
    offer = aged(OfferFactory(vendor=vendor, price=Decimal("49.90"), stock=10))
    with pytest.raises(OfferError) as refused:
        offer_update(
            vendor=vendor, offer_id=offer.pk, price="0", stock=-3, restock_weeks=60, is_active=True
        )
    assert set(refused.value.errors) == {"price", "stock", "restock_weeks"}
    assert refused.value.code == "invalid_price"
    assert "supérieur à 0" in refused.value.errors["price"]
    offer.refresh_from_db()
    assert (offer.price, offer.stock, offer.updated_at) == (Decimal("49.90"), 10, LONG_AGO)


def test_offer_update_of_another_vendors_offer_does_not_exist(vendor):
    # covers: CAT-2
    theirs = OfferFactory(stock=3)
    with pytest.raises(Offer.DoesNotExist):
        offer_update(vendor=vendor, offer_id=theirs.pk, stock=0)
    theirs.refresh_from_db()
    assert theirs.stock == 3


def test_offer_update_without_change_keeps_updated_at(vendor):
    # covers: CAT-2
    offer = aged(OfferFactory(vendor=vendor, price=Decimal("49.90"), is_active=True))
    offer_update(vendor=vendor, offer_id=offer.pk, price=Decimal("49.9"), is_active=True)
    offer.refresh_from_db()
    assert offer.updated_at == LONG_AGO


def test_deactivating_an_offer_takes_it_off_the_product(vendor):
    # covers: CAT-2
    offer = OfferFactory(vendor=vendor, price=Decimal("49.90"))
    product_summaries_refresh(product_ids=[offer.variant.product_id])
    offer_update(vendor=vendor, offer_id=offer.pk, is_active=False)
    product = offer.variant.product
    product.refresh_from_db()
    assert (product.offer_count, product.price_from) == (0, None)


# --- vendor_offers (the portal's list) ------------------------------------------------------


def test_vendor_offers_lists_own_offers_by_title_with_filters(vendor):
    # covers: CAT-2
    def offer(title, **kwargs):
        variant = VariantFactory(product=ProductFactory(title=title))
        return OfferFactory(vendor=vendor, variant=variant, **kwargs)

    zip_jacket = offer("Veste zippée", stock=0, vendor_sku="VZ-1")
    belt = offer("Ceinture cuir", stock=LOW_STOCK)
    shirt = offer("Chemise lin", stock=20)
    hidden = offer("Bonnet laine", stock=2, is_active=False)
    OfferFactory(variant=VariantFactory(product=ProductFactory(title="Chemise d'un autre")))

    assert list(vendor_offers(vendor=vendor)) == [hidden, belt, shirt, zip_jacket]
    assert list(vendor_offers(vendor=vendor, q="chemise")) == [shirt]
    assert list(vendor_offers(vendor=vendor, q="vz-")) == [zip_jacket]
    assert list(vendor_offers(vendor=vendor, q=belt.variant.sku.lower())) == [belt]
    assert list(vendor_offers(vendor=vendor, status="active")) == [belt, shirt, zip_jacket]
    assert list(vendor_offers(vendor=vendor, status="inactive")) == [hidden]
    assert list(vendor_offers(vendor=vendor, status="out_of_stock")) == [zip_jacket]
    assert list(vendor_offers(vendor=vendor, status="low_stock")) == [belt]
    assert list(vendor_offers(vendor=vendor, status="n'importe")) == [
        hidden,
        belt,
        shirt,
        zip_jacket,
    ]


def test_summaries_written_by_upsert_are_those_of_the_catalogue_rule(vendor):
    # covers: CAT-2
    # offers_upsert refreshes summaries its own fast way: the result must be exactly what
    # services.product_summaries_refresh computes, on a catalogue with every kind of offer.
    sleeping = VendorFactory(is_active=False)
    products = [ProductFactory() for _ in range(4)]
    variants = [
        VariantFactory(product=p, size=size) for p in products for size in ("S", "M", "42 1/2", "")
    ]
    for i, variant in enumerate(variants):
        OfferFactory(variant=variant, price=Decimal(20 + i), stock=i % 3, restock_weeks=i % 4)
        if i % 3 == 0:
            OfferFactory(variant=variant, vendor=sleeping, price=Decimal("5.00"))
        if i % 5 == 0:
            OfferFactory(variant=variant, price=Decimal("7.00"), is_active=False)
    product_summaries_refresh(product_ids=[p.pk for p in products])
    items = [
        {
            "sku": v.sku,
            "price": f"{15 + i},50",
            "stock": (i * 7) % 4,
            "restock_weeks": i % 3,
            "active": i % 6 != 1,
        }  # fmt: skip
        for i, v in enumerate(variants)
    ]
    result = offers_upsert(vendor=vendor, items=items)
    assert result.created == len(variants)
    fields = ["availability", "price_from", "offer_count", "vendor_count", "facets"]
    written = list(Product.objects.filter(pk__in=[p.pk for p in products]).values(*fields))
    product_summaries_refresh(product_ids=[p.pk for p in products])
    assert list(Product.objects.filter(pk__in=[p.pk for p in products]).values(*fields)) == written
    assert written and all(row["offer_count"] > 0 for row in written)
