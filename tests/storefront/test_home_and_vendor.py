"""Home page (SITE-1) and vendor pages (CAT-2)."""

import pytest

from allies.catalog import selectors
from allies.catalog.selectors import PAGE_SIZE
from tests.factories import CategoryFactory, VendorFactory
from tests.storefront.conftest import add_product, text

pytestmark = pytest.mark.django_db


def test_home_shows_promise_every_category_new_products_and_how_it_works(client, shirts):
    # covers: SITE-1, CAT-1
    vendor = VendorFactory()
    empty = CategoryFactory(name="Mobilier", slug="mobilier")
    cover = add_product(category=shirts, title="Chemise en lin", offers=[{"vendor": vendor}])
    add_product(category=shirts, title="Chemise épuisée", offers=[{"vendor": vendor, "stock": 0}])
    response = client.get("/")
    body = text(response)
    assert response.status_code == 200
    assert "Le meilleur des vendeurs indépendants" in body
    # every category is a tile; one with products reuses a product's image
    assert 'href="/c/chemises/"' in body and 'href="/c/mobilier/"' in body
    assert f'src="/images/produits/{cover.pk}.svg"' in body
    assert empty.name in body
    # newest in-stock products only
    assert "Chemise en lin" in body and "Chemise épuisée" not in body
    for step in (
        "Des vendeurs indépendants",
        "Un colis par vendeur",
        "Un paiement unique et sécurisé",
    ):
        assert step in body
    # SITE-1 header promises
    for promise in (
        "Livraison gratuite & Retours gratuits",
        "Paiement sécurisé",
        "Satisfait ou remboursé sous 14 jours",
    ):
        assert promise in body


def test_home_mixes_categories(client, shirts):
    # covers: CAT-1
    vendor = VendorFactory()
    watches = CategoryFactory(name="Montres")
    for i in range(8):
        add_product(category=shirts, title=f"Chemise {i}", age_days=0, offers=[{"vendor": vendor}])
    add_product(category=watches, title="Montre", age_days=30, offers=[{"vendor": vendor}])
    products = client.get("/").context["products"]
    assert len(products) == 8
    assert "Montre" in [p.title for p in products]


def test_vendor_page_shows_identity_and_their_products_paginated(client, shirts):
    # covers: CAT-2
    vendor = VendorFactory(
        name="Maison Lenoir",
        slug="maison-lenoir",
        city="Lyon",
        description="Chemisier à Lyon depuis 1950.",
    )
    other = VendorFactory()
    for i in range(PAGE_SIZE + 1):
        add_product(
            category=shirts, title=f"Chemise {i:02d}", age_days=i, offers=[{"vendor": vendor}]
        )
    add_product(category=shirts, title="Pas chez Lenoir", offers=[{"vendor": other}])
    response = client.get("/vendeurs/maison-lenoir/")
    body = text(response)
    assert response.status_code == 200
    assert "<h1>Maison Lenoir</h1>" in body
    assert "Lyon, France" in body
    assert "Chemisier à Lyon depuis 1950." in body
    assert "25 produits en vente" in body
    assert len(response.context["products"]) == PAGE_SIZE
    assert "Pas chez Lenoir" not in body
    second = client.get("/vendeurs/maison-lenoir/", {"page": 2})
    assert [p.title for p in second.context["products"]] == ["Chemise 24"]
    assert client.get("/vendeurs/maison-lenoir/", {"page": 3}).status_code == 404


def test_a_vendor_selling_many_products_is_counted_up_to_a_cap(client, shirts, monkeypatch):
    # covers: CAT-2 (speed: at 200,000 products a vendor selling 53,765 of them took 179 ms on
    # SQLite to count them all; the page now counts as far as the cap, or its own page)
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 3)
    vendor = VendorFactory(name="Maison Lenoir", slug="maison-lenoir")
    for i in range(PAGE_SIZE + 2):
        add_product(
            category=shirts, title=f"Chemise {i:02d}", age_days=i, offers=[{"vendor": vendor}]
        )
    first = client.get("/vendeurs/maison-lenoir/")
    assert "Plus de 3 produits en vente" in text(first)
    assert [p.title for p in first.context["products"]] == [
        f"Chemise {i:02d}" for i in range(PAGE_SIZE)
    ]
    assert 'rel="next"' in first.content.decode()
    second = client.get("/vendeurs/maison-lenoir/", {"page": 2})
    assert [p.title for p in second.context["products"]] == ["Chemise 24", "Chemise 25"]
    assert "Plus de 3 produits en vente" in text(second)  # every page says the same
    assert 'rel="next"' not in second.content.decode()
    assert client.get("/vendeurs/maison-lenoir/", {"page": 3}).status_code == 404
    english = client.get("/en/vendeurs/maison-lenoir/", HTTP_ACCEPT_LANGUAGE="en")
    assert "More than 3 products for sale" in english.content.decode()
    # Under the cap, the page counts exactly.
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 1000)
    assert "26 produits en vente" in text(client.get("/vendeurs/maison-lenoir/"))


def test_inactive_vendor_page_is_404(client):
    # covers: CAT-2
    VendorFactory(slug="ferme", is_active=False)
    response = client.get("/vendeurs/ferme/")
    assert response.status_code == 404
    assert "Page introuvable" in text(response)
