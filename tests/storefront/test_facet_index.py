"""Vendor and size filters through the index (CAT-1, catalog.search_index's facet tokens): the
same products as the LIKE test on each product's facets that they replace, on every kind of
listing, kept current by offer changes and by a product's move to another category."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allies.catalog import selectors
from allies.catalog.models import Offer, Product
from allies.catalog.search_index import search_index_drop, search_index_ensure
from allies.catalog.selectors import ListingFilters, Sort
from allies.catalog.services import product_summaries_refresh
from tests.factories import CategoryFactory, OfferFactory, VendorFactory
from tests.storefront.conftest import add_product, install_old_search_index

pytestmark = pytest.mark.django_db

SIZES = ["S", "M", "XL", "42 1/2", "42"]


def listed(filters: ListingFilters, *, per_row: bool) -> list[int]:
    listing = selectors.product_listing(filters=filters, per_row=per_row)
    return list(listing.values_list("pk", flat=True))


def expected(filters: ListingFilters) -> list[int]:
    """Newest first, the listed products (active, sold) that match, read from the offers."""
    found = []
    for product in Product.objects.order_by("-created_at", "-id"):
        if not product.is_active:
            continue
        offers = Offer.objects.filter(
            variant__product=product, is_active=True, vendor__is_active=True
        )
        pairs = {(o.vendor_id, o.variant.size) for o in offers.select_related("variant")}
        if not pairs:
            continue
        if filters.category_id and product.category_id != filters.category_id:
            continue
        if not any(
            (filters.vendor_id is None or vendor_id == filters.vendor_id)
            and (filters.size is None or size == filters.size)
            for vendor_id, size in pairs
        ):
            continue
        found.append(product.pk)
    return found


def every_filter(categories, vendors):
    for category_id in [None, *[c.pk for c in categories]]:
        for vendor_id in [None, *[v.pk for v in vendors]]:
            for size in [None, *SIZES]:
                if vendor_id or size:
                    yield ListingFilters(
                        category_id=category_id, vendor_id=vendor_id, size=size, sort=Sort.NEWEST
                    )


product_specs = st.lists(
    st.tuples(
        st.integers(0, 2),  # category
        st.lists(st.sampled_from(SIZES), min_size=1, max_size=3, unique=True),  # variants
        # (vendor, variant, active): one offer per vendor and variant
        st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.booleans()), max_size=4),
        st.booleans(),  # product active
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=product_specs, moved=st.integers(0, 7))
def test_filters_through_the_index_find_what_the_offers_say(specs, moved):
    # covers: CAT-1 (vendor and size filters), CAT-2 (only listed products)
    with transaction.atomic():  # each example starts from an empty catalogue
        check_filters(specs, moved)
        transaction.set_rollback(True)


def check_filters(specs, moved):
    categories = [CategoryFactory() for _ in range(3)]
    vendors = [VendorFactory() for _ in range(3)]
    for category_index, sizes, offers, active in specs:
        made = {(v, i % len(sizes)): on for v, i, on in offers}
        product = add_product(
            category=categories[category_index],
            variants=[(size, "Bleu") for size in sizes],
            offers=[
                {"vendor": vendors[v], "variant": i, "is_active": on} for (v, i), on in made.items()
            ],
        )
        if not active:
            Product.objects.filter(pk=product.pk).update(is_active=False)
    # A product moved to another category is found there, and no longer where it was.
    product = Product.objects.order_by("pk")[moved % len(specs)]
    product.category = categories[(categories.index(product.category) + 1) % 3]
    product.save(update_fields=["category"])
    for filters in every_filter(categories, vendors):
        want = expected(filters)
        assert listed(filters, per_row=False) == want, filters
        assert listed(filters, per_row=True) == want, filters


def test_offer_changes_move_a_product_in_and_out_of_a_filter():
    # covers: CAT-1
    shirts = CategoryFactory()
    maison, atelier = VendorFactory(), VendorFactory()
    product = add_product(category=shirts, variants=[("M", "Bleu"), ("L", "Bleu")],
                          offers=[{"vendor": maison, "variant": 0}])  # fmt: skip
    by_atelier = ListingFilters(category_id=shirts.pk, vendor_id=atelier.pk, sort=Sort.NEWEST)
    in_l = ListingFilters(category_id=shirts.pk, size="L", sort=Sort.NEWEST)
    assert listed(by_atelier, per_row=False) == [] and listed(in_l, per_row=False) == []
    OfferFactory(vendor=atelier, variant=product.variants.get(size="L"), stock=2)
    product_summaries_refresh(product_ids=[product.pk])
    assert listed(by_atelier, per_row=False) == [product.pk]
    assert listed(in_l, per_row=False) == [product.pk]
    Offer.objects.filter(vendor=atelier).update(is_active=False)
    product_summaries_refresh(product_ids=[product.pk])
    assert listed(by_atelier, per_row=False) == [] and listed(in_l, per_row=False) == []


def test_filtered_category_and_vendor_pages_read_the_index_not_each_product(client):
    # covers: CAT-1 (speed rule of ARCHITECTURE.md: no LIKE over every product of a listing)
    shirts = CategoryFactory(slug="chemises")
    vendor = VendorFactory(slug="maison-verlaine")
    for i in range(3):
        add_product(category=shirts, title=f"Chemise {i}", offers=[{"vendor": vendor}])
    for params in ({"vendeur": "maison-verlaine"}, {"taille": "M"}):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/c/chemises/", params)
        assert response.status_code == 200 and response.context["page"].paginator.count == 3
        assert not any(re.search(r'"facets"(::text)? LIKE', q["sql"]) for q in ctx), params
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/vendeurs/maison-verlaine/")
    assert response.status_code == 200 and len(response.context["products"]) == 3
    assert not any(re.search(r'"facets"(::text)? LIKE', q["sql"]) for q in ctx)


def test_an_index_without_the_facets_is_built_again():
    # covers: CAT-1 (a database migrated before the facet index: migration 0010)
    shirts = CategoryFactory()
    vendor = VendorFactory()
    product = add_product(category=shirts, offers=[{"vendor": vendor}])
    connection.check_constraints()
    search_index_drop(connection)
    # The index as migration 0008 left it.
    install_old_search_index(("search_words", "search_text"), ("title_words", "title_search"))
    assert search_index_ensure(connection) is True
    assert search_index_ensure(connection) is False
    filters = ListingFilters(category_id=shirts.pk, vendor_id=vendor.pk, sort=Sort.NEWEST)
    assert listed(filters, per_row=False) == [product.pk]
    assert selectors.search_match(Product.objects.all(), ("chemise",)).exists() == (
        "chemise" in product.search_text
    )


def test_the_vendor_filter_is_answered_by_the_index():
    # covers: CAT-1 (speed: at 200,000 products a category filtered by a vendor counted its
    # ~24,000 products with LIKE, 67 ms on SQLite and 32 ms on PostgreSQL; through the index
    # it reads the vendor's products of that category only)
    shirts, vendor = CategoryFactory(), VendorFactory()
    add_product(category=shirts, offers=[{"vendor": vendor}])
    filters = ListingFilters(category_id=shirts.pk, vendor_id=vendor.pk, sort=Sort.NEWEST)
    listing = selectors.product_listing(filters=filters)
    with CaptureQueriesContext(connection) as counted:
        assert selectors.listing_count(listing) == 1
    sql = counted.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan and "catalog_product_fts" in plan, plan
        else:
            # A table this small is read whole, or through its category, whatever the other
            # indexes: the token alone, with table and index scans ruled out, proves that the
            # query's vector is the expression of the index.
            alone = selectors.facet_match(Product.objects.all(), f"v{vendor.pk}")
            assert alone.count() == 1
            sql, params = alone.order_by().values("pk").query.sql_with_params()
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")  # nor a walk of another index
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "catalog_product_facet_words_gin" in plan, plan


def test_a_facet_index_on_the_plain_expression_is_built_again():
    # covers: CAT-1 (a PostgreSQL database migrated by the first release of migration 0010,
    # whose index the planner misjudged; SQLite's index is unchanged)
    shirts, vendor = CategoryFactory(), VendorFactory()
    product = add_product(category=shirts, offers=[{"vendor": vendor}])
    connection.check_constraints()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX catalog_product_facet_words_gin")
            cursor.execute(
                "CREATE INDEX catalog_product_facet_words_gin ON catalog_product USING gin"
                " ((array_to_tsvector(array_remove(string_to_array(facets || replace(facets,"
                " ' ', ' c' || category_id::text || '-'), ' '), ''))))"
            )
        assert search_index_ensure(connection) is True
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                ["catalog_product_facet_words_gin"],
            )
            assert "catalog_facet_words(" in cursor.fetchone()[0]
    assert search_index_ensure(connection) is False
    filters = ListingFilters(category_id=shirts.pk, vendor_id=vendor.pk, sort=Sort.NEWEST)
    assert listed(filters, per_row=False) == [product.pk]
