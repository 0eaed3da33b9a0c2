"""The header's three promises are on every page (SITE-1), seen in a real browser."""

from tests.browser.conftest import axe_serious_violations


def test_header_promises_visible(page):
    # covers: SITE-1
    page.goto(page.base_url + "/")
    promises = page.locator(".promises li").all_inner_texts()
    assert promises == [
        "Livraison gratuite & Retours gratuits",
        "Paiement sécurisé",
        "Satisfait ou remboursé sous 14 jours",
    ]
    assert axe_serious_violations(page) == []
