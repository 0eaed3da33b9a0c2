"""The storefront in a real browser: home → category → product, accessibility, phone layout."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_serious_violations
from tests.factories import CategoryFactory, VendorFactory
from tests.storefront.conftest import add_product


@pytest.fixture
def catalogue(transactional_db):
    shirts = CategoryFactory(name="Chemises", name_en="Shirts", slug="chemises", size_scale="S,M,L")
    CategoryFactory(name="Montres", name_en="Watches", slug="montres", size_scale="")
    lenoir = VendorFactory(name="Maison Lenoir", slug="maison-lenoir")
    borel = VendorFactory(name="Atelier Borel", slug="atelier-borel")
    fauvel = VendorFactory(name="Cuirs Fauvel", slug="cuirs-fauvel")
    oxford = add_product(
        category=shirts,
        title="Chemise Oxford",
        brand="Atelier Sauveur",
        variants=[("S", "Bleu"), ("M", "Bleu"), ("L", "Bleu")],
        offers=[
            {"vendor": lenoir, "price": "49.90", "stock": 4},
            {"vendor": borel, "price": "44.90", "stock": 0, "restock_weeks": 3},
            {"vendor": fauvel, "price": "39.90", "stock": 0},
        ],
    )
    for i in range(5):
        add_product(
            category=shirts,
            title=f"Chemise en lin {i}",
            age_days=i + 1,
            offers=[{"vendor": lenoir, "price": 30 + i}],
        )
    return oxford


def test_home_to_category_to_product(page, catalogue):
    # covers: CAT-1, CAT-2
    page.goto(page.base_url + "/")
    assert axe_serious_violations(page) == []
    page.locator(".category-tile", has_text="Chemises").click()
    page.wait_for_url("**/c/chemises/")
    assert page.locator("h1").inner_text() == "Chemises"
    assert page.locator(".product-grid > li").count() == 6
    assert axe_serious_violations(page) == []

    page.get_by_role("link", name="Prix croissant").click()
    page.wait_for_url("**tri=prix-croissant")
    assert page.locator(".product-card .title").first.inner_text() == "Chemise en lin 0"

    page.get_by_role("link", name="Chemise Oxford").click()
    page.wait_for_url(f"**/p/{catalogue.slug}/")
    assert page.locator("h1").inner_text() == "Chemise Oxford"
    offers = page.locator(".offer").all_inner_texts()
    assert "Maison Lenoir" in offers[0] and "En stock" in offers[0]
    assert "En cours de réapprovisionnement - Livré sous 3 semaines" in offers[1]
    assert "En rupture de stock" in offers[2]
    assert axe_serious_violations(page) == []

    page.locator(".variant-choice", has_text="L").click()
    page.wait_for_url("**?variante=*")
    assert page.locator(".variant-choice[aria-current]").inner_text() == "L"

    page.locator(".offer-best").get_by_role("link", name="Maison Lenoir", exact=True).click()
    page.wait_for_url("**/vendeurs/maison-lenoir/")
    assert page.locator("h1").inner_text() == "Maison Lenoir"


def test_filters_apply_from_the_form(page, catalogue):
    # covers: CAT-1
    page.goto(page.base_url + "/c/chemises/")
    page.get_by_label("Vendeur").select_option("atelier-borel")
    page.get_by_role("button", name="Appliquer les filtres").click()
    page.wait_for_url("**vendeur=atelier-borel**")
    assert page.locator(".product-card .title").all_inner_texts() == ["Chemise Oxford"]
    page.locator(".active-filters a").click()
    page.wait_for_url(lambda url: "vendeur=" not in url)
    expect(page.locator(".product-grid > li")).to_have_count(6)


def test_search_from_the_header(page, catalogue):
    # covers: CAT-1
    page.goto(page.base_url + "/")
    page.get_by_label("Rechercher un produit").fill("CHEMISES oxford")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**/recherche/**")
    assert page.locator(".product-card .title").all_inner_texts() == ["Chemise Oxford"]
    assert axe_serious_violations(page) == []


def test_phone_filters_are_collapsed_and_page_fits(phone_page, catalogue):
    # covers: CAT-1
    phone_page.goto(phone_page.base_url + "/c/chemises/")
    filters = phone_page.locator("details.filters")
    assert filters.get_attribute("open") is None
    assert not phone_page.get_by_role("button", name="Appliquer les filtres").is_visible()
    phone_page.locator("details.filters summary").click()
    assert phone_page.get_by_role("button", name="Appliquer les filtres").is_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    phone_page.goto(phone_page.base_url + f"/p/{catalogue.slug}/")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_serious_violations(phone_page) == []
