"""A search with many matches stops at its page (CAT-1, issue 14 goal 2): the page is the
one the whole sort gives, and past the cap the count says "more than".

`SEARCH_COUNT_CAP` and the walk's sizes are lowered so that a few dozen products take every
path: the whole sort (few matches), the newest-first walk that stops at the page, its wider
second read, and the fall back to the whole sort when the top score is rare."""

# covers: CAT-1

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allies.catalog import selectors
from allies.catalog.models import Product
from allies.catalog.selectors import ListingFilters, Sort
from allies.core.text import search_document
from tests.factories import CategoryFactory, ProductFactory, VendorFactory
from tests.storefront.conftest import add_product

WORDS = ["chemise", "lin", "bleu", "pull"]
pytestmark = pytest.mark.django_db


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 3)
    monkeypatch.setattr(selectors, "_WALK_ROWS", (1, 2))
    monkeypatch.setattr(selectors, "_WALK_ROWS_MAX", 12)


def whole_sort(filters: ListingFilters, start: int, stop: int) -> tuple[list[int], int]:
    listing = selectors.product_listing(filters=filters)
    rows, total = selectors.listing_slice(listing, start=start, stop=stop)
    return [p.pk for p in rows], total


product_specs = st.lists(
    st.fixed_dictionaries(
        {
            "title": st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
            "brand": st.sampled_from(["", *WORDS]),
            "minutes": st.integers(min_value=0, max_value=30),  # ties on the date happen
            "active": st.booleans(),
            "offers": st.sampled_from([0, 1, 1, 1]),
        }
    ),
    min_size=0,
    max_size=40,
)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=product_specs,
    terms=st.lists(st.sampled_from(WORDS), min_size=1, max_size=2, unique=True),
    sort=st.sampled_from([Sort.RELEVANCE, Sort.NEWEST, Sort.PRICE_ASC]),
    page=st.integers(min_value=1, max_value=5),
)
def test_a_search_page_is_the_page_of_the_whole_sort(db, small_cap, specs, terms, sort, page):
    # covers: CAT-1
    from django.db import transaction

    with transaction.atomic():
        category = CategoryFactory(name="Rayon")
        now = timezone.now()
        for i, spec in enumerate(specs):
            title = " ".join(spec["title"]) + f" {i}"
            ProductFactory(
                category=category,
                title=title,
                brand=spec["brand"],
                slug=f"p-{i}",
                is_active=spec["active"],
                offer_count=spec["offers"],
                price_from=10 + i % 7,
                created_at=now - timedelta(minutes=spec["minutes"]),
                search_text=search_document(title, spec["brand"], category.name),
                title_search=search_document(title),
            )
        filters = ListingFilters(terms=tuple(terms), sort=sort)
        per_page = 3
        start, stop = (page - 1) * per_page, page * per_page
        expected, expected_total = whole_sort(filters, start, stop)
        found = selectors.search_slice(filters=filters, start=start, stop=stop)
        assert [p.pk for p in found.rows] == expected
        if found.exact:
            assert found.total == expected_total
        else:
            # "More than": a true lower bound, past the cap, and a next page exists.
            assert selectors.SEARCH_COUNT_CAP < found.total <= expected_total
            assert expected_total > stop
        transaction.set_rollback(True)


def test_many_matches_say_more_than_the_cap_and_page_on(client, small_cap, monkeypatch):
    # covers: CAT-1
    monkeypatch.setattr(selectors, "_WALK_ROWS_MAX", 200)
    vendor = VendorFactory()
    for i in range(40):
        add_product(title=f"Chemise lin {i:02d}", age_days=i, offers=[{"vendor": vendor}])
    add_product(title="Pull marin", offers=[{"vendor": vendor}])
    response = client.get("/recherche/", {"q": "chemise"})
    body = response.content.decode()
    assert "Plus de 3 produits" in body
    titles = [p.title for p in response.context["products"]]
    assert titles == [f"Chemise lin {i:02d}" for i in range(24)]
    assert 'rel="next"' in body
    # Page 2 is read whole (41 products): the count is known, the page says the same.
    second = client.get("/recherche/", {"q": "chemise", "page": "2"})
    assert [p.title for p in second.context["products"]] == [
        f"Chemise lin {i:02d}" for i in range(24, 40)
    ]
    assert "Plus de 3 produits" in second.content.decode()
    assert client.get("/recherche/", {"q": "chemise", "page": "3"}).status_code == 404
    # The English page says it too; a search with few matches still counts them.
    english = client.get("/en/recherche/", {"q": "chemise"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "More than 3 products" in english.content.decode()
    few = client.get("/recherche/", {"q": "marin"}).content.decode()
    assert "1 produit" in few and "Plus de" not in few


def test_the_walk_and_its_fall_back_run_a_bounded_number_of_queries(
    client, small_cap, django_assert_max_num_queries
):
    # covers: CAT-1 (speed rule of ARCHITECTURE.md)
    vendor = VendorFactory()
    for i in range(30):
        # "bleu" only outside the titles: the top score (both in the title) is never reached.
        add_product(title=f"Chemise {i}", brand="Bleu", age_days=i, offers=[{"vendor": vendor}])
    for params in ({"q": "chemise"}, {"q": "chemise bleu"}, {"q": "chemise", "page": "2"}):
        cache.clear()
        client.get("/recherche/", params)  # the process's memos (categories, vendors)
        with django_assert_max_num_queries(9):
            response = client.get("/recherche/", params)
        assert response.status_code == 200
    assert Product.objects.count() == 30
