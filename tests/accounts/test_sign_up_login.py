"""Sign-up, login and logout (ACC-1, ACC-2)."""

import pytest
from django.contrib.auth import SESSION_KEY

from allies.accounts import services
from allies.accounts.models import User
from tests.accounts.conftest import is_checked, login, text
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def sign_up(client, email, password="Velours-brun-2024!", confirm=None, **extra):
    return client.post(
        "/compte/inscription/",
        {"email": email, "password": password, "password_confirm": confirm or password, **extra},
    )


def test_sign_up_creates_account_logs_in_and_welcomes(client, mailoutbox):
    # covers: ACC-1
    response = sign_up(client, "  Paul.Durand@Example.TEST ", newsletter_opt_in="on")
    assert response.status_code == 302
    assert response["Location"] == "/compte/"
    user = User.objects.get()
    assert user.email == "paul.durand@example.test"  # stored lower-cased
    assert user.newsletter_opt_in is True
    assert client.session[SESSION_KEY] == str(user.pk)
    assert [m.to for m in mailoutbox] == [["paul.durand@example.test"]]
    assert mailoutbox[0].subject == "Bienvenue chez Les Alliés"
    page = client.get("/compte/")
    assert "Bienvenue chez Les Alliés ! Votre compte est créé." in text(page)


def test_sign_up_page_advises_strong_password_and_keeps_newsletter_unchecked(client):
    # covers: ACC-1
    html = text(client.get("/compte/inscription/"))
    assert "Au moins 8 caractères" in html
    assert "mélangez des lettres, des chiffres et des symboles" in html
    assert 'autocomplete="new-password"' in html
    assert 'autocomplete="email"' in html
    assert not is_checked(html, "newsletter_opt_in")  # consent is never pre-ticked


def test_sign_up_refuses_an_email_already_used_in_another_case(client):
    # covers: ACC-1
    UserFactory(email="paul@example.test")
    response = sign_up(client, "PAUL@Example.test")
    assert response.status_code == 200
    assert "Un compte existe déjà avec cette adresse email" in text(response)
    assert User.objects.count() == 1


def test_service_refuses_duplicate_email_whatever_its_case(db):
    # covers: ACC-1
    services.user_sign_up(email="Anne@Example.test", password="Velours-brun-2024!")
    with pytest.raises(services.ValidationError) as error:
        services.user_sign_up(email="anne@EXAMPLE.test", password="Velours-brun-2024!")
    assert "email" in error.value.message_dict


@pytest.mark.parametrize("password", ["court1!", "1234567890", "password123"])
def test_sign_up_refuses_short_numeric_or_common_passwords(client, password):
    # covers: ACC-1
    response = sign_up(client, "paul@example.test", password=password)
    assert response.status_code == 200
    assert User.objects.count() == 0
    assert 'aria-invalid="true"' in text(response)


def test_sign_up_says_when_seven_characters_are_too_short(client):
    # covers: ACC-1
    response = sign_up(client, "paul@example.test", password="Ab3$xyz")
    html = text(response)
    assert "8 caractères" in html
    assert User.objects.count() == 0


def test_sign_up_refuses_different_confirmation(client):
    # covers: ACC-1
    response = sign_up(client, "paul@example.test", confirm="Autre-chose-2024!")
    assert "Les deux mots de passe ne sont pas identiques." in text(response)
    assert User.objects.count() == 0


def test_login_by_email_whatever_its_case_then_logout(client):
    # covers: ACC-2
    user = UserFactory(email="marc@example.test")
    response = login(client, "MARC@example.TEST")
    assert response.status_code == 302
    assert response["Location"] == "/compte/"
    assert client.session[SESSION_KEY] == str(user.pk)
    response = client.post("/compte/deconnexion/")
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert client.get("/compte/").status_code == 302


def test_logout_needs_a_post(client, user):
    # covers: ACC-2
    client.force_login(user)
    assert client.get("/compte/deconnexion/").status_code == 405
    assert SESSION_KEY in client.session


def test_login_follows_next_but_not_to_another_site(client, user):
    # covers: ACC-2
    response = client.post(
        "/compte/connexion/?next=/compte/adresses/",
        {"username": user.email, "password": PASSWORD, "next": "/compte/adresses/"},
    )
    assert response["Location"] == "/compte/adresses/"
    client.post("/compte/deconnexion/")
    response = client.post(
        "/compte/connexion/",
        {"username": user.email, "password": PASSWORD, "next": "https://evil.test/"},
    )
    assert response["Location"] == "/compte/"


def test_wrong_password_gets_a_clear_error(client, user):
    # covers: ACC-2
    response = login(client, user.email, "pas-le-bon")
    assert response.status_code == 200
    assert "Email ou mot de passe incorrect." in text(response)
    assert SESSION_KEY not in client.session


def test_signed_in_customer_visiting_login_or_sign_up_goes_to_account(signed_in):
    # covers: ACC-2
    assert signed_in.get("/compte/connexion/")["Location"] == "/compte/"
    assert signed_in.get("/compte/inscription/")["Location"] == "/compte/"


def test_passwords_are_stored_with_argon2(client, settings):
    # covers: ACC-1
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    sign_up(client, "argon@example.test")
    assert User.objects.get().password.startswith("argon2$")
