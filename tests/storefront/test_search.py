"""Search (CAT-1): accent-, case- and plural-insensitive French search, ranked title first."""

import pytest

from tests.factories import CategoryFactory, VendorFactory
from tests.storefront.conftest import add_product, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor():
    return VendorFactory(name="Maison Lenoir")


def titles(response) -> list[str]:
    return [p.title for p in response.context["products"]]


def test_accents_are_ignored_etui_finds_etui_with_accent(client, vendor):
    # covers: CAT-1
    add_product(title="Étui à cartes en cuir", offers=[{"vendor": vendor}])
    add_product(title="Ceinture en cuir", offers=[{"vendor": vendor}])
    response = client.get("/recherche/", {"q": "etui"})
    assert response.status_code == 200
    assert titles(response) == ["Étui à cartes en cuir"]
    assert "Étui à cartes en cuir" in text(response)


def test_plural_and_case_are_ignored(client, vendor):
    # covers: CAT-1
    add_product(title="Chemise Oxford", offers=[{"vendor": vendor}])
    add_product(title="Pantalon chino", offers=[{"vendor": vendor}])
    for query in ("chemises", "CHEMISE", "Chémise", "chem"):
        assert titles(client.get("/recherche/", {"q": query})) == ["Chemise Oxford"], query


def test_every_term_must_match_a_word_start(client, vendor):
    # covers: CAT-1
    add_product(title="Chemise en lin bleue", offers=[{"vendor": vendor}])
    add_product(title="Chemise Oxford", offers=[{"vendor": vendor}])
    assert titles(client.get("/recherche/", {"q": "chemise lin"})) == ["Chemise en lin bleue"]
    # "hemise" is inside a word, not at its start: no match.
    assert titles(client.get("/recherche/", {"q": "hemise"})) == []


def test_brand_and_category_are_searched(client, vendor):
    # covers: CAT-1
    watches = CategoryFactory(name="Montres", name_en="Watches")
    add_product(
        title="Automatique 38 mm",
        brand="Horlogère Vidal",
        category=watches,
        offers=[{"vendor": vendor}],
    )
    assert titles(client.get("/recherche/", {"q": "horlogere"})) == ["Automatique 38 mm"]
    assert titles(client.get("/recherche/", {"q": "montres"})) == ["Automatique 38 mm"]
    assert titles(client.get("/recherche/", {"q": "watch"})) == ["Automatique 38 mm"]


def test_title_matches_rank_above_other_matches_then_newest(client, vendor):
    # covers: CAT-1
    cuir = CategoryFactory(name="Cuir")
    add_product(title="Ceinture tressée", category=cuir, age_days=0, offers=[{"vendor": vendor}])
    add_product(title="Portefeuille en cuir", age_days=5, offers=[{"vendor": vendor}])
    add_product(title="Étui en cuir", age_days=2, offers=[{"vendor": vendor}])
    assert titles(client.get("/recherche/", {"q": "cuir"})) == [
        "Étui en cuir",  # title match, newer
        "Portefeuille en cuir",  # title match, older
        "Ceinture tressée",  # category match only, although newest
    ]


def test_search_without_a_match_shows_the_empty_state_with_suggestions(client, vendor):
    # covers: CAT-1
    add_product(
        title="Chemise Oxford",
        category=CategoryFactory(name="Chemises"),
        offers=[{"vendor": vendor}],
    )
    response = client.get("/recherche/", {"q": "parapluie"})
    body = text(response)
    assert response.status_code == 200
    assert "Aucun produit ne correspond à « parapluie »" in body
    assert "Vérifiez l'orthographe" in body or "Vérifiez l&#x27;orthographe" in body
    assert ">Chemises</a>" in body  # categories are suggested


def test_stop_words_only_or_empty_query_lists_everything(client, vendor):
    # covers: CAT-1
    add_product(title="Chemise Oxford", offers=[{"vendor": vendor}])
    add_product(title="Pull marin", offers=[{"vendor": vendor}])
    assert len(titles(client.get("/recherche/", {"q": ""}))) == 2
    assert len(titles(client.get("/recherche/", {"q": "le la des"}))) == 2


def test_products_nobody_sells_or_inactive_are_not_found(client, vendor):
    # covers: CAT-1, CAT-2
    add_product(title="Chemise sans vendeur")
    add_product(title="Chemise retirée", is_active=False, offers=[{"vendor": vendor}])
    add_product(title="Chemise vendue", offers=[{"vendor": vendor}])
    assert titles(client.get("/recherche/", {"q": "chemise"})) == ["Chemise vendue"]


def test_the_query_is_escaped_and_kept_in_the_search_box(client, vendor):
    # covers: CAT-1
    response = client.get("/recherche/", {"q": "<script>alert(1)</script>"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in body
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in body
