"""Speed: catalogue pages run the same number of queries whatever the catalogue's size.

Each page is measured on a tiny catalogue and on one ten times larger with more variants and
offers per product; the counts must be equal, and small. Caches are emptied before each
measure (the worst case); with warm caches the counts only go down.
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CategoryFactory, VendorFactory
from tests.storefront.conftest import add_product

pytestmark = pytest.mark.django_db

# Upper bounds, cold caches (see the report in each test's failure message).
MAX_QUERIES = {"home": 3, "category": 6, "search": 6, "product": 5, "vendor": 5}


def build(n_products: int, n_variants: int, vendors: list, category):
    products = []
    sizes = ["S", "M", "L", "XL"]
    for i in range(n_products):
        products.append(
            add_product(
                category=category,
                title=f"Chemise {i}",
                variants=[(sizes[j % 4], "Bleu" if j < 4 else "Blanc") for j in range(n_variants)],
                offers=[
                    {"vendor": v, "price": 20 + i + k, "stock": (i + k) % 3, "restock_weeks": 2}
                    for k, v in enumerate(vendors)
                ],
            )
        )
    return products


def count(client, url, params=None) -> tuple[int, list[str]]:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(ctx), [q["sql"] for q in ctx.captured_queries]


@pytest.fixture
def catalogues(db):
    small_cat = CategoryFactory(slug="petite", size_scale="S,M,L,XL")
    big_cat = CategoryFactory(slug="grande", size_scale="S,M,L,XL")
    few = [VendorFactory(slug="v0")]
    many = few + [VendorFactory(slug=f"v{i}") for i in range(1, 4)]
    small = build(2, 2, few, small_cat)
    big = build(30, 8, many, big_cat)
    return small, big


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"tri": "prix-croissant"},
        {"vendeur": "v0", "taille": "M", "dispo": "en-stock", "prix_min": "10", "prix_max": "500"},
        {"page": "1"},
    ],
)
def test_category_page_query_count_is_constant(
    client, catalogues, params, django_assert_max_num_queries
):
    # covers: CAT-1 (speed rule of ARCHITECTURE.md)
    small_n, small_sql = count(client, "/c/petite/", params)
    big_n, big_sql = count(client, "/c/grande/", params)
    assert small_n == big_n, (small_sql, big_sql)
    with django_assert_max_num_queries(MAX_QUERIES["category"]):
        cache.clear()
        client.get("/c/grande/", params)


def test_search_page_query_count_is_constant(client, catalogues, django_assert_max_num_queries):
    # covers: CAT-1
    small_n, _ = count(client, "/recherche/", {"q": "chemise 1", "categorie": "petite"})
    big_n, _ = count(
        client, "/recherche/", {"q": "chemise 1", "categorie": "grande", "taille": "M"}
    )
    assert small_n == big_n
    with django_assert_max_num_queries(MAX_QUERIES["search"]):
        cache.clear()
        client.get("/recherche/", {"q": "chemise", "vendeur": "v1", "tri": "prix-decroissant"})


def test_product_page_query_count_is_constant(client, catalogues, django_assert_num_queries):
    # covers: CAT-2
    small, big = catalogues
    small_n, _ = count(client, f"/p/{small[0].slug}/")
    big_n, big_sql = count(client, f"/p/{big[0].slug}/")  # 8 variants x 4 vendors
    assert small_n == big_n, big_sql
    # the product, its variants, their offers (+ when cold: the vendors' shipping rates and
    # the categories, kept by the process for the pages' generation, and the reviews block)
    last_variant = big[-1].variants.last().pk
    with django_assert_num_queries(6):
        cache.clear()
        client.get(f"/p/{big[-1].slug}/", {"variante": last_variant})
    with django_assert_num_queries(3):
        client.get(f"/p/{big[-1].slug}/")


def test_home_and_vendor_pages_query_count_is_constant(
    client, catalogues, django_assert_max_num_queries
):
    # covers: CAT-1
    home_n, _ = count(client, "/")
    with django_assert_max_num_queries(MAX_QUERIES["home"]):
        cache.clear()
        client.get("/")
    small_vendor, _ = count(client, "/vendeurs/v0/")  # sells every product, both sizes
    big_vendor, _ = count(client, "/vendeurs/v3/")
    assert small_vendor == big_vendor <= MAX_QUERIES["vendor"]
    assert home_n <= MAX_QUERIES["home"]


def test_templates_do_not_query_per_product(client, catalogues):
    # covers: CAT-1 — the listing reads only the product rows: no per-card query
    _, cold = count(client, "/c/grande/")
    assert not [q for q in cold if 'FROM "catalog_offer"' in q or 'FROM "catalog_variant"' in q]
    with CaptureQueriesContext(connection) as ctx:
        client.get("/c/grande/", {"taille": "M"})  # filter choices now cached
    sql = [q["sql"] for q in ctx.captured_queries]
    product_queries = [q for q in sql if 'FROM "catalog_product"' in q]
    assert len(product_queries) == 2, product_queries  # COUNT + the page's rows


def test_warm_category_page_reads_only_the_products(client, catalogues, django_assert_num_queries):
    # covers: CAT-1 — filter choices and the menu come from the cache: COUNT + rows
    client.get("/c/grande/")
    with django_assert_num_queries(2):
        client.get("/c/grande/", {"taille": "M", "vendeur": "v1"})
