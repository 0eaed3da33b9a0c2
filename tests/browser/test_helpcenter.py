"""The help centre in Chromium (SITE-2): search from /aide/, open an answer, unfold a topic's
question, on a desktop and a phone, with no serious accessibility violation (axe-core)."""

import os
from pathlib import Path

import pytest

from allies.helpcenter.services import helpcenter_defaults_load
from tests.browser.conftest import axe_serious_violations

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/helpcenter-shots"))


@pytest.fixture
def helpcenter(transactional_db):
    # Browser tests run on a flushed database: the data migration's rows are loaded again.
    helpcenter_defaults_load()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_search_from_the_help_centre_and_read_an_answer(page, helpcenter):
    # covers: SITE-2, RET-1
    page.goto(page.base_url + "/aide/")
    assert page.locator("h1").inner_text() == "Comment pouvons-nous vous aider ?"
    assert page.locator(".hc-topic-card").count() == 6
    # Without an agent online, the chat's button stays hidden and the contact form is offered.
    assert page.get_by_role("link", name="Contacter le service client").first.is_visible()
    assert not page.locator(".hc-contact button[data-chat-open]").is_visible()
    assert axe_serious_violations(page) == []
    shot(page, "aide-desktop")

    page.get_by_label("Rechercher dans l'aide").fill("retractation")
    page.get_by_role("button", name="Rechercher").last.click()
    page.wait_for_url("**/aide/recherche/?q=retractation")
    assert page.locator(".hc-result mark").first.inner_text().lower() == "rétractation"
    assert axe_serious_violations(page) == []
    shot(page, "recherche-desktop")

    page.locator(".hc-result h2 a", has_text="J'ai changé d'avis").click()
    page.wait_for_url("**/aide/retours-et-remboursements/retractation/")
    assert page.locator("h1").inner_text() == "J'ai changé d'avis : comment retourner un article ?"
    assert "14\u00a0jours calendaires" in page.locator(".hc-answer").inner_text()
    assert axe_serious_violations(page) == []
    shot(page, "reponse-desktop")

    page.get_by_role("link", name="Retours et remboursements").last.click()
    page.wait_for_url("**/aide/retours-et-remboursements/")
    item = page.locator("details.hc-item").first
    assert not item.locator(".hc-answer").is_visible()
    item.locator("summary").click()
    assert item.locator(".hc-answer").is_visible()
    assert axe_serious_violations(page) == []


def test_the_help_centre_on_a_phone(phone_page, helpcenter):
    # covers: SITE-2
    page = phone_page
    page.goto(page.base_url + "/aide/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways ({width}px)"
    shot(page, "aide-phone")
    page.goto(page.base_url + "/aide/recherche/?q=colis")
    assert page.locator(".hc-result").count() >= 1
    shot(page, "recherche-phone")
    page.goto(page.base_url + "/aide/livraison/modifier-adresse-de-livraison/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_serious_violations(page) == []
    shot(page, "reponse-phone")
    page.goto(page.base_url + "/en/aide/recherche/?q=zzzz")
    assert page.locator(".hc-empty").is_visible()
    shot(page, "sans-resultat-phone-en")
