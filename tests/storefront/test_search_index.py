"""Search through the full-text index (CAT-1, catalog.search_index): the same products as the
word-start scan it replaced, kept current by every write, in a fixed number of queries."""

import random
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from allies.catalog import selectors
from allies.catalog.models import Offer, Product
from allies.catalog.search_index import search_index_drop, search_index_ensure
from allies.catalog.services import product_summaries_refresh
from allies.core.text import search_terms
from tests.factories import CategoryFactory, VendorFactory
from tests.storefront.conftest import add_product, install_old_search_index

pytestmark = pytest.mark.django_db

WORDS = [
    "Chemise", "chemises", "CHEMISIER", "Étui", "étuis", "Œillet", "chapeau", "Chapeaux",
    "travaux", "journal", "Pull", "pulls", "marin", "lin", "Lin", "liner", "bleu", "bleus",
    "Bleue", "38", "38mm", "2e10x", "1e5", "x", "Crêpe", "crepes", "cœur", "Noël", "noel",
]  # fmt: skip
QUERIES = [
    "chemise", "CHEMISES", "Chémise", "chem", "c", "ch", "etui", "Étuis", "oeil", "œillets",
    "chapeaux", "chapeau", "travaux", "journaux", "pull lin", "lin", "bleus", "bleue marin",
    "38", "3", "2e10", "2e10x", "1e", "x", "crêpes", "coeur", "noël", "zzz", "hemise",
]  # fmt: skip


def found(query: str) -> set[int]:
    terms = selectors.search_terms_of(query)
    return set(selectors.search_match(Product.objects.all(), terms).values_list("pk", flat=True))


def found_in_titles(query: str) -> set[int]:
    terms = selectors.search_terms_of(query)
    titled = selectors.search_match(Product.objects.all(), terms, title=True)
    return set(titled.values_list("pk", flat=True))


def scanned(query: str, column: str = "search_text") -> set[int]:
    """What the LIKE scan found: every term starts a word of `search_text` (or `column`)."""
    terms = selectors.search_terms_of(query)
    return {
        pk
        for pk, text in Product.objects.values_list("pk", column)
        if all(f" {term}" in text for term in terms)
    }


@pytest.fixture
def vendor():
    return VendorFactory()


def test_the_index_finds_what_the_word_start_scan_found(vendor):
    # covers: CAT-1 (accents, case and plurals ignored; every term starts a word)
    rng = random.Random(14)
    category = CategoryFactory(name="Prêt-à-porter", name_en="Ready to wear")
    for _ in range(60):
        title = " ".join(rng.sample(WORDS, rng.randint(1, 4)))
        add_product(title=title, brand=rng.choice(["", "Maison Noël"]), category=category)
    for query in QUERIES:
        assert found(query) == scanned(query), query
        # Relevance's top tier: every term in the title (the brand "Noël" is not).
        assert found_in_titles(query) == scanned(query, "title_search"), query
    assert found("chemise"), "the corpus exercises matches"
    assert found("zzz") == set()
    assert found("noel") - found_in_titles("noel"), "brand-only matches exist"


def test_search_match_refuses_terms_that_are_not_normalised():
    # covers: CAT-1
    with pytest.raises(ValueError):
        selectors.search_match(Product.objects.all(), ["Chemise"])
    with pytest.raises(ValueError):
        selectors.search_match(Product.objects.all(), ['"x" OR y'])


def listed(query: str) -> list[str]:
    filters = selectors.ListingFilters(terms=selectors.search_terms_of(query))
    return [p.title for p in selectors.product_listing(filters=filters)]


def test_a_changed_title_is_found_by_the_next_search(vendor):
    # covers: CAT-1
    product = add_product(title="Chemise Oxford", offers=[{"vendor": vendor}])
    assert listed("pull") == []
    product.title = "Pull marin"
    product.save(update_fields=["title"])
    product_summaries_refresh(product_ids=[product.pk])
    assert listed("pulls") == ["Pull marin"]
    assert listed("oxford") == []
    assert found_in_titles("pull marin") == {product.pk}
    assert found_in_titles("oxford") == set()


def test_a_summary_refresh_that_keeps_the_text_keeps_the_product_found(vendor):
    # covers: CAT-1 (the index is rewritten only when the words change)
    product = add_product(title="Chemise Oxford", offers=[{"vendor": vendor}])
    Offer.objects.filter(variant__product=product).update(price="12.00")
    product_summaries_refresh(product_ids=[product.pk])
    assert listed("oxford") == ["Chemise Oxford"]


def test_deleted_hidden_or_unsold_products_are_not_found(vendor):
    # covers: CAT-1, CAT-2
    deleted = add_product(title="Chemise supprimée", offers=[{"vendor": vendor}])
    hidden = add_product(title="Chemise cachée", offers=[{"vendor": vendor}])
    unsold = add_product(title="Chemise retirée", offers=[{"vendor": vendor}])
    add_product(title="Chemise visible", offers=[{"vendor": vendor}])
    assert len(listed("chemise")) == 4
    deleted.delete()
    Product.objects.filter(pk=hidden.pk).update(is_active=False)
    Offer.objects.filter(variant__product=unsold).update(is_active=False)
    product_summaries_refresh(product_ids=[unsold.pk])
    assert listed("chemise") == ["Chemise visible"]
    assert found("supprimee") == set()  # not even a stale row left in the index


def test_the_index_is_rebuilt_when_a_part_of_it_is_missing(vendor):
    # covers: CAT-1 (Django's SQLite table rebuilds drop triggers; migrate reinstalls them)
    add_product(title="Chemise Oxford", offers=[{"vendor": vendor}])
    assert search_index_ensure(connection) is False  # installed by the migration
    # PostgreSQL refuses to alter a table while this transaction's deferred FK checks are
    # pending: check them now, as the end of a migration's data step would.
    connection.check_constraints()
    search_index_drop(connection)
    add_product(title="Chemise en lin", offers=[{"vendor": vendor}])  # written meanwhile
    connection.check_constraints()
    assert search_index_ensure(connection) is True
    assert sorted(listed("chemise")) == ["Chemise Oxford", "Chemise en lin"]
    add_product(title="Chemise rayée", offers=[{"vendor": vendor}])  # triggers back
    assert len(listed("chemise")) == 3
    assert len(found_in_titles("chemise")) == 3


def test_an_index_without_the_titles_is_built_again(vendor):
    # covers: CAT-1 (a database migrated before the title index: migration 0008)
    add_product(title="Chemise Oxford", brand="Lin", offers=[{"vendor": vendor}])
    connection.check_constraints()
    search_index_drop(connection)
    install_old_search_index(("search_words", "search_text"))  # as migration 0007 built it
    assert search_index_ensure(connection) is True
    assert search_index_ensure(connection) is False
    assert listed("oxford lin") == ["Chemise Oxford"]
    assert found_in_titles("oxford") == found("oxford") and found_in_titles("lin") == set()


def search_queries(client, params: dict) -> list[str]:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/recherche/", params)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize(
    "params",
    [{"q": "chemise"}, {"q": "chemises bleu", "tri": "prix-croissant"}, {"q": "chem", "page": 2}],
)
def test_search_reads_the_index_in_a_fixed_number_of_queries(client, vendor, params):
    # covers: CAT-1 (speed rule of ARCHITECTURE.md)
    category = CategoryFactory(slug="chemises")
    for i in range(30):
        add_product(title=f"Chemise bleue {i}", category=category, offers=[{"vendor": vendor}])
    big = search_queries(client, params)
    Product.objects.filter(pk__in=list(Product.objects.values_list("pk", flat=True)[25:])).delete()
    small = search_queries(client, {**params, "page": 1})
    assert len(big) == len(small) <= 6, (big, small)
    # The products are found through the index, never by scanning their text.
    assert not any(re.search(r'search_text"(::text)? LIKE', sql) for sql in big + small), big


def test_search_page_shows_the_total_and_the_page_of_cards(client, vendor):
    # covers: CAT-1
    for i in range(30):
        add_product(title=f"Chemise {i}", age_days=i, offers=[{"vendor": vendor}])
    add_product(title="Pull", offers=[{"vendor": vendor}])
    second = client.get("/recherche/", {"q": "chemises", "tri": "nouveautes", "page": 2})
    assert second.context["page"].paginator.count == 30
    assert [p.title for p in second.context["products"]] == [f"Chemise {i}" for i in range(24, 30)]
    assert search_terms("Chemises") == ["chemise"]
