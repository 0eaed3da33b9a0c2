"""The header's three promises are on every page (SITE-1), seen in a real browser."""

from tests.browser.conftest import axe_serious_violations


def test_header_promises_visible(page):
    # covers: SITE-1
    page.goto(page.base_url + "/")
    promises = [text.split("\n")[0] for text in page.locator(".promises li").all_inner_texts()]
    assert promises == [
        "Livraison gratuite & Retours gratuits",
        "Paiement sécurisé",
        "Satisfait ou remboursé sous 14 jours",
    ]
    # Each one leads to its exact conditions.
    links = page.locator(".promises li a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == [
        "/livraison-et-retours/",
        "/conditions-generales-de-vente/#paiement",
        "/conditions-generales-de-vente/#retractation",
    ]
    assert axe_serious_violations(page) == []
