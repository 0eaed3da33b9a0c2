"""A search with many matches stops at its page (CAT-1, issue 14 goal 2): the page is the
one the whole sort gives, and past the cap the count says "more than".

`SEARCH_COUNT_CAP` and the walk's sizes are lowered so that a few dozen products take every
path: the whole sort (few matches), the newest-first walk that stops at the page, its wider
second read, the title index's tier when the top score is rare among the newest, and the
fall back to the whole sort."""

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
    """The page's ids and the number of matches, from the whole sorted listing."""
    listing = selectors.product_listing(filters=filters)
    return list(listing.values_list("pk", flat=True)[start:stop]), listing.count()


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


def check_page_against_whole_sort(specs, terms, sort, page) -> None:
    """Products made from `specs`, then page `page` (3 a page) of the search for `terms`
    equals the whole sort's, and its count is exact or a true "more than"."""
    from django.db import transaction

    # Each example is another catalogue (rolled back after it): its listings are new, as a
    # committed write's `listings_changed` makes them for what is kept under their token
    # (the search's probe count).
    cache.clear()
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
        if not expected:
            pass  # a page past the last: the view answers 404 whatever the count
        elif found.exact:
            assert found.total == expected_total
        else:
            # "More than": past the cap, a true lower bound — the count itself (the walk read
            # the whole catalogue) or this page and one more, a next page that exists.
            assert selectors.SEARCH_COUNT_CAP < found.total <= expected_total
            assert found.total == expected_total or expected_total > stop
        transaction.set_rollback(True)


PROPERTY = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(
    specs=product_specs,
    terms=st.lists(st.sampled_from(WORDS), min_size=1, max_size=2, unique=True),
    sort=st.sampled_from([Sort.RELEVANCE, Sort.NEWEST, Sort.PRICE_ASC]),
    page=st.integers(min_value=1, max_value=5),
)
def test_a_search_page_is_the_page_of_the_whole_sort(db, small_cap, specs, terms, sort, page):
    # covers: CAT-1
    check_page_against_whole_sort(specs, terms, sort, page)


# "chemise bleu" in a catalogue of shirts where "bleu" is mostly the brand: the top score
# (both words in the title) is rare among the newest, and the title index gives that tier.
rare_top_specs = st.lists(
    st.fixed_dictionaries(
        {
            "title": st.lists(
                st.sampled_from(["chemise"] * 6 + ["bleu", "lin"]), min_size=1, max_size=2
            ),
            "brand": st.sampled_from(["bleu", "bleu", "", "lin"]),
            "minutes": st.integers(min_value=0, max_value=30),
            "active": st.sampled_from([True, True, True, False]),
            "offers": st.sampled_from([0, 1, 1, 1]),
        }
    ),
    min_size=14,
    max_size=40,
)


def test_a_rare_top_score_is_read_from_the_title_index(db, small_cap, monkeypatch):
    # covers: CAT-1
    calls = []
    title_tier = selectors._title_tier

    def counted(filters):
        tier = title_tier(filters)
        calls.append(tier is not None)
        return tier

    monkeypatch.setattr(selectors, "_title_tier", counted)

    @PROPERTY
    @given(specs=rare_top_specs, page=st.integers(min_value=1, max_value=4))
    def rare_top(specs, page):
        check_page_against_whole_sort(specs, ["chemise", "bleu"], Sort.RELEVANCE, page)

    rare_top()
    assert any(calls), "the property reached the title tier"


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
    client, small_cap, monkeypatch, django_assert_max_num_queries
):
    # covers: CAT-1 (speed rule of ARCHITECTURE.md)
    # One read of the 25 newest: page 1 is found in it (by its top score, or from the title
    # tier for "chemise bleu"); page 2 needs more than the walk reads and is sorted whole.
    monkeypatch.setattr(selectors, "_WALK_ROWS", (1,))
    monkeypatch.setattr(selectors, "_WALK_ROWS_MAX", 25)
    tier = []
    title_tier = selectors._title_tier
    monkeypatch.setattr(selectors, "_title_tier", lambda f: tier.append(f) or title_tier(f))
    vendor = VendorFactory()
    for i in range(30):
        # "bleu" mostly outside the titles: the top score (both in the title) is rare.
        title = f"Chemise {i}" + (" bleu" if i % 10 == 9 else "")
        add_product(title=title, brand="Bleu", age_days=i, offers=[{"vendor": vendor}])
    for params in ({"q": "chemise"}, {"q": "chemise bleu"}, {"q": "chemise", "page": "2"}):
        cache.clear()
        client.get("/recherche/", params)  # the process's memos (categories, vendors)
        with django_assert_max_num_queries(9):
            response = client.get("/recherche/", params)
        assert response.status_code == 200
        titles = [p.title for p in response.context["products"]]
        if params["q"] == "chemise bleu":
            both = ["Chemise 9 bleu", "Chemise 19 bleu", "Chemise 29 bleu"]
            assert titles[:3] == both
            assert titles[3:] == [f"Chemise {i}" for i in range(24) if i % 10 != 9][:21]
    assert len(tier) == 2  # "chemise bleu" read its top tier from the title index
    assert Product.objects.count() == 30


def _probed(queries) -> int:
    """How many of `queries` count a search's matches (the probe: "are there many?")."""
    return sum(q["sql"].startswith("SELECT COUNT(*)") for q in queries)


def _dated(queries) -> bool:
    """Whether one of `queries` reads the date the walk starts from."""
    return any(q["sql"].startswith('SELECT "catalog_product"."created_at"') for q in queries)


def test_a_search_counts_its_matches_once_for_every_sort_and_page_until_the_listings_change(
    client, small_cap, monkeypatch, django_capture_on_commit_callbacks
):
    # covers: CAT-1 (the count says what the database has: "plus de 3" only while more
    # than 3 are listed, read again after any change of the listings)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from allies.catalog.offers import offers_upsert
    from allies.storefront import views

    # Two a page: the walk then finds a page and one more among few products, and would say
    # "more than 3" of them if the count it relies on were one from before the change.
    monkeypatch.setattr(views.paginate_search, "__kwdefaults__", {"per_page": 2})
    vendor = VendorFactory()
    shirts = [
        add_product(title=f"Chemise lin {i}", age_days=i, offers=[{"vendor": vendor}])
        for i in range(5)
    ]
    with CaptureQueriesContext(connection) as first:
        body = client.get("/recherche/", {"q": "chemise"}).content.decode()
    assert "Plus de 3 produits" in body and _probed(first.captured_queries) == 1
    with CaptureQueriesContext(connection) as other_sort_and_page:
        page = client.get("/recherche/", {"q": "chemise", "tri": "nouveautes", "page": "2"})
    assert [p.title for p in page.context["products"]] == ["Chemise lin 2", "Chemise lin 3"]
    assert _probed(other_sort_and_page.captured_queries) == 0
    # Another search is counted for itself; the walk starts from the same date (the newest
    # products' dates are the same for every search), not read again.
    with CaptureQueriesContext(connection) as another_search:
        body = client.get("/recherche/", {"q": "lin"}).content.decode()
    assert "Plus de 3 produits" in body
    assert _probed(another_search.captured_queries) == 1
    assert not _dated(another_search.captured_queries)
    assert _dated(first.captured_queries)

    # The vendor withdraws two of them (as its import or the API commits): three are left,
    # counted exactly on the next request, not "more than 3" from the count before.
    with django_capture_on_commit_callbacks(execute=True):
        offers_upsert(
            vendor=vendor,
            items=[{"sku": p.variants.get().sku, "active": "0"} for p in shirts[:2]],
        )
    with CaptureQueriesContext(connection) as after_change:
        response = client.get("/recherche/", {"q": "chemise"})
    body = response.content.decode()
    assert "3 produits" in body and "Plus de" not in body, body
    assert [p.title for p in response.context["products"]] == ["Chemise lin 2", "Chemise lin 3"]
    assert _probed(after_change.captured_queries) == 1
