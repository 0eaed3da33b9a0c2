"""Forgotten password: same answer for everyone, single-use expiring link (ACC-3)."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY

from tests.accounts.conftest import link_in, login, text
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Cuir-fauve-1987?"


def ask_reset(client, email):
    return client.post("/compte/mot-de-passe-oublie/", {"email": email}, follow=True)


def set_new_password(client, link, password=NEW_PASSWORD):
    page = client.get(link, follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    return client.post(
        form_url, {"new_password1": password, "new_password2": password}, follow=True
    )


def test_the_reset_page_says_when_no_account_uses_the_address(client, user, mailoutbox):
    # covers: ACC-3, issue 9 §13 (sign-up already tells; the three pages agree)
    known = ask_reset(client, user.email.upper())
    assert known.redirect_chain == [("/compte/mot-de-passe-oublie/envoye/", 302)]
    assert "courriers indésirables" in text(known)
    unknown = ask_reset(client, "personne@example.test")
    assert unknown.redirect_chain == []
    assert "Aucun compte n'utilise cette adresse email" in text(unknown)
    assert [m.to for m in mailoutbox] == [[user.email]]


def test_reset_link_sets_a_new_password_and_works_once(client, user, mailoutbox):
    # covers: ACC-3
    ask_reset(client, user.email)
    (message,) = mailoutbox
    assert message.subject == "Choisissez un nouveau mot de passe"
    link = link_in(message, prefix="/compte/mot-de-passe/")
    assert link in message.alternatives[0][0]  # the HTML part has the same link

    done = set_new_password(client, link)
    assert done.redirect_chain[-1][0] == "/compte/mot-de-passe/modifie/"
    assert "Mot de passe modifié" in text(done)
    assert SESSION_KEY not in client.session  # the customer logs in themself

    assert login(client, user.email, PASSWORD).status_code == 200  # old one refused
    assert login(client, user.email, NEW_PASSWORD).status_code == 302
    client.post("/compte/deconnexion/")

    # Single use: the same link now says it is no longer valid.
    again = client.get(link, follow=True)
    assert "Ce lien n'est plus valable" in text(again)
    assert 'name="new_password1"' not in text(again)
    # The customer is told by email that the password changed.
    assert mailoutbox[-1].subject == "Votre mot de passe a été modifié"


def test_reset_link_expires(client, user, mailoutbox, settings):
    # covers: ACC-3
    settings.PASSWORD_RESET_TIMEOUT = 2 * 60 * 60
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        ask_reset(client, user.email)
        link = link_in(mailoutbox[0], prefix="/compte/mot-de-passe/")
        t.shift(2 * 60 * 60 + 60)
        page = client.get(link, follow=True)
    assert "Ce lien n'est plus valable" in text(page)
    assert "2 heures" in text(page)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_reset_link_still_valid_before_expiry(client, user, mailoutbox):
    # covers: ACC-3
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        ask_reset(client, user.email)
        link = link_in(mailoutbox[0], prefix="/compte/mot-de-passe/")
        t.shift(60 * 60)
        set_new_password(client, link)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_tampered_link_is_refused(client, user, mailoutbox):
    # covers: ACC-3
    ask_reset(client, user.email)
    link = link_in(mailoutbox[0], prefix="/compte/mot-de-passe/")
    page = client.get(link[:-3] + "xyz/", follow=True)
    assert "Ce lien n'est plus valable" in text(page)


def test_reset_refuses_a_weak_new_password(client, user, mailoutbox):
    # covers: ACC-3
    ask_reset(client, user.email)
    link = link_in(mailoutbox[0], prefix="/compte/mot-de-passe/")
    page = set_new_password(client, link, password="court")
    assert "8 caractères" in text(page)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_deactivated_account_gets_no_reset_email_but_the_same_page(client, mailoutbox):
    # covers: ACC-3, ACC-7
    UserFactory(email="ferme@example.test", is_active=False)
    page = ask_reset(client, "ferme@example.test")
    assert "courriers indésirables" in text(page)
    assert mailoutbox == []


def test_reset_email_in_the_customers_language(client, mailoutbox):
    # covers: ACC-3
    english = UserFactory(email="john@example.test", language="en")
    ask_reset(client, english.email)
    (message,) = mailoutbox
    # English translations arrive later; the link is already in the customer's language.
    assert "/en/compte/mot-de-passe/" in message.body


def test_reset_emails_are_capped_per_address(client, user, mailoutbox):
    # covers: ACC-3 — the form cannot be used to flood an inbox; the answer stays the same
    for _ in range(5):
        page = ask_reset(client, user.email)
    assert "courriers indésirables" in text(page)
    assert len(mailoutbox) == 3


def test_reset_lifts_a_login_lockout(client, user, mailoutbox, settings):
    # covers: ACC-2, ACC-3
    settings.LOGIN_FAILURES_ALLOWED = 3
    for _ in range(3):  # someone else, elsewhere, guessing
        login(client, user.email, "mauvais", REMOTE_ADDR="10.6.6.6")
    assert "Trop de tentatives" in text(login(client, user.email, PASSWORD))
    ask_reset(client, user.email)
    set_new_password(client, link_in(mailoutbox[0], prefix="/compte/mot-de-passe/"))
    assert login(client, user.email, NEW_PASSWORD).status_code == 302


def test_link_sent_before_deactivation_no_longer_works(client, user, mailoutbox):
    # covers: ACC-3, ACC-7
    from allies.accounts import services

    ask_reset(client, user.email)
    link = link_in(mailoutbox[0], prefix="/compte/mot-de-passe/")
    services.user_deactivate(user=user)
    page = client.get(link, follow=True)
    assert "Ce lien n'est plus valable" in text(page)
