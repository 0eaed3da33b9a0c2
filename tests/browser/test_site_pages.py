"""The site's own pages in Chromium (SITE-1, SITE-4): the footer leads to each of them, the
header promises to their conditions; the customer downloads their data from the account;
desktop and phone screenshots; no serious accessibility violation (axe-core)."""

import json
import os
import zipfile
from pathlib import Path

import pytest

from tests.browser.conftest import axe_serious_violations
from tests.factories import PASSWORD, AddressFactory, UserFactory

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/site-pages-shots"))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


FOOTER = [
    (
        "Conditions générales de vente",
        "/conditions-generales-de-vente/",
        "Conditions générales de vente",
    ),
    ("Mentions légales", "/mentions-legales/", "Mentions légales"),
    ("Politique de confidentialité", "/confidentialite/", "Politique de confidentialité"),
    ("À propos", "/a-propos/", "À propos des Alliés"),
    (
        "Livraison et retours",
        "/livraison-et-retours/",
        "Livraison gratuite & Retours gratuits : les conditions",
    ),
]


def test_footer_leads_to_each_site_page(page):
    # covers: SITE-1, SITE-4
    for label, path, title in FOOTER:
        page.goto(page.base_url + "/")
        page.locator("footer").get_by_role("link", name=label, exact=True).first.click()
        page.wait_for_url(page.base_url + path)
        assert page.locator("h1").inner_text() == title
        assert axe_serious_violations(page) == [], path
        shot(page, "desktop-" + path.strip("/").replace("/", "-"))


def test_header_promise_opens_the_withdrawal_conditions(page):
    # covers: SITE-1, RET-1
    page.goto(page.base_url + "/")
    page.get_by_role("link", name="Satisfait ou remboursé sous 14 jours").click()
    page.wait_for_url(page.base_url + "/conditions-generales-de-vente/#retractation")
    assert page.locator("#retractation").is_visible()
    page.get_by_role("link", name="Paiement sécurisé").first.click()
    page.wait_for_url(page.base_url + "/conditions-generales-de-vente/#paiement")
    assert "3-D Secure" in page.locator("#paiement").inner_text()


def test_site_pages_on_a_phone(phone_page):
    # covers: SITE-4
    for _label, path, title in FOOTER:
        phone_page.goto(phone_page.base_url + path)
        assert phone_page.locator("h1").inner_text() == title
        # Nothing wider than the screen.
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, path
        shot(phone_page, "phone-" + path.strip("/").replace("/", "-"))
    assert axe_serious_violations(phone_page) == []


def test_customer_downloads_their_data_from_the_account(page, tmp_path):
    # covers: ACC-8 (GDPR access right)
    customer = UserFactory(email="paul@example.test", first_name="Paul", phone="0612345678")
    AddressFactory(user=customer, street="4 rue des Lilas", is_default=True)
    page.goto(page.base_url + "/compte/connexion/")
    page.locator("#id_username").fill(customer.email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(page.base_url + "/compte/")
    page.get_by_role("link", name="Mes données personnelles").last.click()
    page.wait_for_url(page.base_url + "/compte/donnees/")
    assert axe_serious_violations(page) == []
    shot(page, "desktop-mes-donnees")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger mes données").click()
    download = download_info.value
    assert download.suggested_filename.startswith("les-allies-mes-donnees-")
    target = tmp_path / "export.zip"
    download.save_as(target)
    with zipfile.ZipFile(target) as archive:
        data = json.loads(archive.read("mes-donnees.json"))
    assert data["account"]["email"] == "paul@example.test"
    assert data["addresses"][0]["street"] == "4 rue des Lilas"
    page.get_by_role("link", name="Demander l'effacement de mes données").click()
    page.wait_for_url(page.base_url + "/compte/donnees/effacer/")
    assert axe_serious_violations(page) == []
    shot(page, "desktop-effacer")
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(page.base_url + "/compte/donnees/")
    shot(page, "phone-mes-donnees")
