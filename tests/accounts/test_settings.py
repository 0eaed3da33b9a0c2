"""Account settings: password change (ACC-4), email change (ACC-5), personal info (ACC-8)."""

import pytest
from django.test import Client

from allies.accounts.models import User
from tests.accounts.conftest import login, text
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Tweed-vert-2031#"


def change_password(client, old=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/compte/parametres/",
        {
            "action": "password",
            "password-old_password": old,
            "password-new_password1": new,
            "password-new_password2": confirm or new,
        },
    )


def change_email(client, email, password=PASSWORD):
    return client.post(
        "/compte/parametres/",
        {"action": "email", "email-email": email, "email-password": password},
    )


def test_settings_page_has_the_help_page_labels(signed_in):
    # covers: ACC-5
    html = text(signed_in.get("/compte/parametres/"))
    assert "Paramètres de compte" in html
    assert "Modifier mon email" in html
    assert ">Votre email<" in html
    assert ">Saisissez votre mot de passe actuel<" in html
    assert ">Valider<" in html
    assert 'autocomplete="current-password"' in html
    assert 'autocomplete="new-password"' in html


def test_change_password_keeps_this_session_and_ends_the_others(signed_in, user, mailoutbox):
    # covers: ACC-4
    other_device = Client()
    other_device.force_login(user)
    response = change_password(signed_in)
    assert response.status_code == 302
    assert signed_in.get("/compte/").status_code == 200  # still signed in here
    assert other_device.get("/compte/").status_code == 302  # signed out elsewhere
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert [m.subject for m in mailoutbox] == ["Votre mot de passe a été modifié"]
    fresh = Client()
    assert login(fresh, user.email, NEW_PASSWORD).status_code == 302


def test_change_password_needs_the_current_one(signed_in, user):
    # covers: ACC-4
    response = change_password(signed_in, old="pas-le-bon")
    assert response.status_code == 200
    assert "Ce mot de passe n'est pas le bon." in text(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_change_password_refuses_a_short_one(signed_in, user):
    # covers: ACC-1, ACC-4
    response = change_password(signed_in, new="Ab1!xyz")
    assert "8 caractères" in text(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_change_email_tells_the_old_address_and_confirms_the_new(signed_in, user, mailoutbox):
    # covers: ACC-5
    response = change_email(signed_in, "Jean.Nouveau@Example.test")
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "jean.nouveau@example.test"
    old, new = mailoutbox
    assert old.to == ["jean@example.test"]
    assert old.subject == "L'adresse email de votre compte a changé"
    assert "jean.nouveau@example.test" in old.body
    assert new.to == ["jean.nouveau@example.test"]
    assert new.subject == "Votre nouvelle adresse email est enregistrée"
    # The customer now logs in with the new address only.
    signed_in.post("/compte/deconnexion/")
    assert login(signed_in, "jean@example.test").status_code == 200
    assert login(signed_in, "jean.nouveau@example.test").status_code == 302


def test_change_email_refuses_an_address_used_by_another_account_in_any_case(
    signed_in, user, mailoutbox
):
    # covers: ACC-5, ACC-1
    UserFactory(email="pris@example.test")
    response = change_email(signed_in, "PRIS@example.test")
    assert "Un compte existe déjà avec cette adresse email" in text(response)
    user.refresh_from_db()
    assert user.email == "jean@example.test"
    assert mailoutbox == []


def test_change_email_needs_the_current_password(signed_in, user, mailoutbox):
    # covers: ACC-5
    response = change_email(signed_in, "autre@example.test", password="faux")
    assert "Ce mot de passe n'est pas le bon." in text(response)
    user.refresh_from_db()
    assert user.email == "jean@example.test"
    assert mailoutbox == []


def test_change_email_refuses_an_invalid_address(signed_in, user):
    # covers: ACC-5
    response = change_email(signed_in, "pas-une-adresse")
    assert "Saisissez une adresse email valide" in text(response)
    user.refresh_from_db()
    assert user.email == "jean@example.test"


def test_personal_information_and_email_language(signed_in, user):
    # covers: ACC-8
    response = signed_in.post(
        "/compte/",
        {"first_name": "Jean", "last_name": "Valjean", "phone": "06 12 34 56 78", "language": "en"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.last_name, user.phone, user.language) == ("Valjean", "06 12 34 56 78", "en")


def test_personal_information_refuses_a_bad_phone_or_language(signed_in, user):
    # covers: ACC-8
    response = signed_in.post(
        "/compte/", {"first_name": "J", "last_name": "V", "phone": "appelle-moi", "language": "de"}
    )
    html = text(response)
    assert "Saisissez un numéro de téléphone valide" in html
    assert User.objects.get(pk=user.pk).language == "fr"
