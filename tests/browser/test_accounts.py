"""The customer account in a real browser: the journeys of ACC-1…ACC-9, plus axe checks."""

import re

import pytest
from django.core import mail

from allies.accounts import services
from allies.accounts.models import Newsletter, User
from tests.browser.conftest import axe_serious_violations
from tests.factories import PASSWORD, AddressFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is slow by design; tests/accounts checks that it is the configured hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def log_in(page, email, password=PASSWORD):
    page.goto(page.base_url + "/compte/connexion/")
    page.get_by_label("Adresse email").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()


def link_from_last_email(prefix: str) -> str:
    body = mail.outbox[-1].body
    return re.search(r"https?://\S+" + re.escape(prefix) + r"\S+", body).group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_sign_up(page):
    # covers: ACC-1
    page.goto(page.base_url + "/compte/inscription/")
    assert axe_serious_violations(page) == []
    page.get_by_label("Adresse email").fill("Nouveau.Client@Example.test")
    page.get_by_label("Mot de passe", exact=True).fill("court")
    page.get_by_label("Confirmez le mot de passe").fill("court")
    page.get_by_role("button", name="Créer mon compte").click()
    assert (
        page.locator("#id_password_error").inner_text().startswith("Ce mot de passe est trop court")
    )
    assert axe_serious_violations(page) == []  # the page with errors too
    page.get_by_label("Mot de passe", exact=True).fill("Flanelle-grise-19!")
    page.get_by_label("Confirmez le mot de passe").fill("Flanelle-grise-19!")
    page.get_by_label("Je souhaite recevoir avant tout le monde les offres").check()
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_url(page.base_url + "/compte/")
    assert "Votre compte est créé" in page.locator(".messages").inner_text()
    assert User.objects.get().email == "nouveau.client@example.test"
    assert axe_serious_violations(page) == []


def test_log_in_and_out(page):
    # covers: ACC-2
    UserFactory(email="marc@example.test", first_name="Marc")
    log_in(page, "MARC@example.test")
    page.wait_for_url(page.base_url + "/compte/")
    assert page.locator(".account-hello-name").inner_text() == "Bonjour Marc"
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(page.base_url + "/")
    page.goto(page.base_url + "/compte/")
    assert page.url.startswith(page.base_url + "/compte/connexion/?next=")


def test_forgotten_password_with_the_emailed_link(page):
    # covers: ACC-3
    user = UserFactory(email="oubli@example.test")
    page.goto(page.base_url + "/compte/connexion/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.get_by_label("Adresse email").fill(user.email)
    page.get_by_role("button", name="Recevoir le lien").click()
    page.wait_for_url("**/mot-de-passe-oublie/envoye/")
    assert "courriers indésirables" in page.content()
    assert axe_serious_violations(page) == []
    page.goto(page.base_url + path_of(link_from_last_email("/compte/mot-de-passe/")))
    page.get_by_label("Nouveau mot de passe", exact=True).fill("Serge-de-Nimes-55!")
    page.get_by_label("Confirmez le nouveau mot de passe").fill("Serge-de-Nimes-55!")
    page.get_by_role("button", name="Enregistrer mon nouveau mot de passe").click()
    page.wait_for_url("**/mot-de-passe/modifie/")
    log_in(page, user.email, "Serge-de-Nimes-55!")
    page.wait_for_url(page.base_url + "/compte/")


def test_change_email(page):
    # covers: ACC-5
    UserFactory(email="ancien@example.test")
    log_in(page, "ancien@example.test")
    page.wait_for_url(page.base_url + "/compte/")
    page.get_by_role("link", name="Paramètres de compte").click()
    assert axe_serious_violations(page) == []
    page.get_by_label("Votre email").fill("nouveau@example.test")
    page.get_by_label("Saisissez votre mot de passe actuel").fill(PASSWORD)
    page.get_by_role("button", name="Valider").click()
    assert (
        "vous vous connectez désormais avec nouveau@example.test"
        in page.locator(".messages").inner_text()
    )
    assert [m.to for m in mail.outbox] == [["ancien@example.test"], ["nouveau@example.test"]]


def test_unsubscribe_from_the_newsletter_link_while_logged_out(page):
    # covers: ACC-6
    user = UserFactory(email="abonne@example.test", newsletter_opt_in=True)
    services.newsletter_send(newsletter=Newsletter.objects.create(subject="Soldes", body="-30 %"))
    page.goto(page.base_url + path_of(link_from_last_email("/compte/newsletter/desinscription/")))
    assert axe_serious_violations(page) == []
    page.get_by_role("button", name="Me désinscrire").click()
    assert page.get_by_role("heading", name="Vous êtes désinscrit").is_visible()
    user.refresh_from_db()
    assert user.newsletter_opt_in is False


def test_deactivate_then_fail_to_log_in(page, settings):
    # covers: ACC-7
    UserFactory(email="depart@example.test")
    log_in(page, "depart@example.test")
    page.wait_for_url(page.base_url + "/compte/")
    page.get_by_role("link", name="Désactiver mon compte").click()
    page.wait_for_url("**/compte/desactiver/")
    assert axe_serious_violations(page) == []
    page.get_by_label("Saisissez votre mot de passe actuel").fill(PASSWORD)
    page.get_by_role("button", name="Désactiver mon compte").click()
    page.wait_for_url("**/compte/desactive/")
    log_in(page, "depart@example.test")
    alert = page.get_by_role("alert").inner_text()
    assert "Ce compte a été désactivé" in alert
    assert settings.CUSTOMER_SERVICE_EMAIL in alert


def test_account_pages_are_accessible(page):
    # covers: ACC-8, ACC-9
    user = UserFactory(email="a11y@example.test")
    AddressFactory(user=user, is_default=True, postcode="20000", city="Ajaccio")
    log_in(page, user.email)
    page.wait_for_url(page.base_url + "/compte/")
    assert axe_serious_violations(page) == []
    for path in [
        "/compte/achats/",
        "/compte/abonnements/",
        "/compte/adresses/",
        "/compte/adresses/ajouter/livraison/",
    ]:
        page.goto(page.base_url + path)
        assert axe_serious_violations(page) == [], path
    page.goto(page.base_url + "/compte/adresses/")
    assert "Corse" in page.locator(".address-card").inner_text()
