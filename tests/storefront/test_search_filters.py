"""Search page filters and sorting (CAT-1): category filter and relevance are search-only."""

import pytest

from tests.factories import CategoryFactory, VendorFactory
from tests.storefront.conftest import add_product, text

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [p.title for p in response.context["products"]]


def test_category_filter_on_search(client, shirts):
    # covers: CAT-1
    vendor = VendorFactory()
    knit = CategoryFactory(name="Pulls", slug="pulls", size_scale="")
    add_product(category=shirts, title="Chemise bleue", offers=[{"vendor": vendor}])
    add_product(category=knit, title="Pull bleu", offers=[{"vendor": vendor}])
    assert sorted(titles(client.get("/recherche/", {"q": "bleu"}))) == [
        "Chemise bleue",
        "Pull bleu",
    ]
    response = client.get("/recherche/", {"q": "bleu", "categorie": "pulls"})
    assert titles(response) == ["Pull bleu"]
    assert '<option value="pulls" selected>Pulls</option>' in text(response)
    # unknown category value: ignored
    assert len(titles(client.get("/recherche/", {"q": "bleu", "categorie": "zzz"}))) == 2


def test_size_filter_appears_on_search_once_a_category_is_chosen(client, shirts):
    # covers: CAT-1
    vendor = VendorFactory()
    add_product(
        category=shirts, title="Chemise M", variants=[("M", "Bleu")], offers=[{"vendor": vendor}]
    )
    add_product(
        category=shirts, title="Chemise L", variants=[("L", "Bleu")], offers=[{"vendor": vendor}]
    )
    assert 'name="taille"' not in text(client.get("/recherche/", {"q": "chemise"}))
    response = client.get("/recherche/", {"q": "chemise", "categorie": "chemises", "taille": "L"})
    assert 'name="taille" value="L" checked' in text(response)
    assert titles(response) == ["Chemise L"]


def test_search_sorting_each(client, shirts):
    # covers: CAT-1
    vendor = VendorFactory()
    add_product(
        category=shirts,
        title="Chemise chère",
        age_days=3,
        offers=[{"vendor": vendor, "price": "99"}],
    )
    add_product(
        category=shirts,
        title="Polo",
        brand="Chemiserie Niel",
        age_days=0,
        offers=[{"vendor": vendor, "price": "59"}],
    )
    add_product(
        category=shirts,
        title="Chemise douce",
        age_days=1,
        offers=[{"vendor": vendor, "price": "29"}],
    )
    q = {"q": "chemise"}
    assert titles(client.get("/recherche/", q)) == ["Chemise douce", "Chemise chère", "Polo"]
    assert titles(client.get("/recherche/", {**q, "tri": "pertinence"})) == [
        "Chemise douce",
        "Chemise chère",
        "Polo",
    ]
    assert titles(client.get("/recherche/", {**q, "tri": "prix-croissant"})) == [
        "Chemise douce",
        "Polo",
        "Chemise chère",
    ]
    assert titles(client.get("/recherche/", {**q, "tri": "prix-decroissant"})) == [
        "Chemise chère",
        "Polo",
        "Chemise douce",
    ]
    assert titles(client.get("/recherche/", {**q, "tri": "nouveautes"})) == [
        "Polo",
        "Chemise douce",
        "Chemise chère",
    ]


def test_search_vendor_price_and_availability_filters(client, shirts):
    # covers: CAT-1
    a, b = VendorFactory(slug="a"), VendorFactory(slug="b")
    add_product(
        category=shirts,
        title="Chemise A",
        offers=[{"vendor": a, "price": "30", "stock": 0, "restock_weeks": 2}],
    )
    add_product(category=shirts, title="Chemise B", offers=[{"vendor": b, "price": "80"}])
    assert titles(client.get("/recherche/", {"q": "chemise", "vendeur": "a"})) == ["Chemise A"]
    assert titles(client.get("/recherche/", {"q": "chemise", "prix_min": "50"})) == ["Chemise B"]
    assert titles(client.get("/recherche/", {"q": "chemise", "dispo": "reappro"})) == ["Chemise A"]


def test_search_pages_are_not_indexed_and_bad_page_is_404(client, shirts):
    # covers: CAT-1
    assert '<meta name="robots" content="noindex, follow">' in text(
        client.get("/recherche/", {"q": "x"})
    )
    assert client.get("/recherche/", {"q": "x", "page": "2"}).status_code == 404
    assert client.get("/recherche/", {"q": "x", "page": "abc"}).status_code == 404
    assert client.get("/recherche/", {"q": "x", "page": "9" * 30}).status_code == 404


def test_search_pagination_counts_and_pages(client, shirts):
    # covers: CAT-1 (search reads rows and total in one query)
    vendor = VendorFactory()
    for i in range(27):
        add_product(
            category=shirts, title=f"Chemise {i:02d}", age_days=i, offers=[{"vendor": vendor}]
        )
    first = client.get("/recherche/", {"q": "chemise"})
    second = client.get("/recherche/", {"q": "chemise", "page": 2})
    assert "27 produits" in text(first) and "27 produits" in text(second)
    assert len(titles(first)) == 24
    assert titles(second) == ["Chemise 24", "Chemise 25", "Chemise 26"]
    assert client.get("/recherche/", {"q": "chemise", "page": 3}).status_code == 404
