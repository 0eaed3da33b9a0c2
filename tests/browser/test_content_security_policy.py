"""No page breaks under the Content-Security-Policy (issue 9 §11): Chromium reports every
script, style or image it refuses in the console; none may appear, on the storefront (with
the listing's folding filters on a phone), the account, the vendor portal (htmx) and the API
docs (Swagger UI)."""

import pytest

from tests.factories import PASSWORD, CategoryFactory, VendorFactory, VendorMembershipFactory
from tests.storefront.conftest import add_product


@pytest.fixture
def shop(transactional_db):
    shirts = CategoryFactory(name="Chemises", name_en="Shirts", slug="chemises", size_scale="S,M")
    lenoir = VendorFactory(name="Maison Lenoir", slug="maison-lenoir")
    product = add_product(
        category=shirts, title="Chemise Oxford", offers=[{"vendor": lenoir, "price": "49.90"}]
    )
    return {"product": product, "member": VendorMembershipFactory(vendor=lenoir).user}


def test_pages_run_under_the_policy_without_a_single_violation(page, phone_page, shop):
    # covers: issue 9 §11
    refused = []
    for tab in (page, phone_page):
        tab.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
    phone_page.goto(phone_page.base_url + "/c/chemises/")
    # listing.js, a static file now, still folds the filters on a phone (not on a desktop).
    assert phone_page.locator("details#filtres").get_attribute("open") is None
    page.goto(page.base_url + "/c/chemises/")
    assert page.locator("details#filtres").get_attribute("open") is not None
    for path in ("/", f"/p/{shop['product'].slug}/", "/compte/connexion/", "/panier/"):
        page.goto(page.base_url + path)
        page.wait_for_load_state("networkidle")
    page.goto(page.base_url + "/api/v1/docs")
    page.locator(".swagger-ui .info").wait_for()  # Swagger UI ran
    page.goto(page.base_url + "/compte/connexion/")
    page.get_by_label("Adresse email").fill(shop["member"].email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/compte/")
    for path in ("/vendeur/", "/vendeur/releve/", "/vendeur/offres/import/", "/vendeur/livraison/"):
        page.goto(page.base_url + path)
        page.wait_for_load_state("networkidle")
    assert refused == []
