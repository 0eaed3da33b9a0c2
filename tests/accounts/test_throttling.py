"""Repeated failed logins are slowed down, per account and per client address (ACC-2)."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY

from allies.accounts import throttling
from tests.accounts.conftest import login, text
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
THROTTLED = "Trop de tentatives de connexion ont échoué"


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.LOGIN_FAILURES_ALLOWED = 5
    settings.LOGIN_LOCKOUT_SECONDS = 60


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def fail(client, email, times, ip="10.0.0.1"):
    for _ in range(times):
        response = login(client, email, "mauvais-mot-de-passe", REMOTE_ADDR=ip)
    return response


def test_lockout_per_account_refuses_even_the_right_password_then_lifts(client, user, clock):
    # covers: ACC-2
    response = fail(client, user.email, 4)
    assert THROTTLED not in text(response)
    response = fail(client, user.email, 1)
    html = text(response)
    assert THROTTLED in html
    assert "patientez 1 minute" in html

    # From another address, with the right password: still refused while the wait runs.
    clock.shift(30)
    response = login(client, user.email, PASSWORD, REMOTE_ADDR="10.9.9.9")
    assert "patientez 30 secondes" in text(response)
    assert SESSION_KEY not in client.session

    clock.shift(31)
    response = login(client, user.email, PASSWORD, REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)


def test_lockout_applies_to_the_email_whatever_its_case_and_address(client, user, clock):
    # covers: ACC-2
    for n, ip in enumerate(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"]):
        email = user.email.upper() if n % 2 else user.email
        login(client, email, "mauvais", REMOTE_ADDR=ip)
    response = login(client, user.email, PASSWORD, REMOTE_ADDR="10.0.0.6")
    assert THROTTLED in text(response)


def test_lockout_per_client_address_across_accounts(client, user, clock):
    # covers: ACC-2
    for n in range(5):
        login(client, f"inconnu{n}@example.test", "mauvais", REMOTE_ADDR="10.1.1.1")
    response = login(client, user.email, PASSWORD, REMOTE_ADDR="10.1.1.1")
    assert THROTTLED in text(response)
    assert SESSION_KEY not in client.session
    # The account itself is not locked: from elsewhere it logs in.
    response = login(client, user.email, PASSWORD, REMOTE_ADDR="10.2.2.2")
    assert response.status_code == 302
    client.post("/compte/deconnexion/")
    clock.shift(61)
    response = login(client, user.email, PASSWORD, REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 302


def test_success_resets_the_account_counter(client, user, clock):
    # covers: ACC-2
    fail(client, user.email, 4)
    assert login(client, user.email, PASSWORD).status_code == 302
    client.post("/compte/deconnexion/")
    response = fail(client, user.email, 4, ip="10.0.0.2")
    assert THROTTLED not in text(response)


def test_failures_older_than_the_window_are_forgotten(client, user, clock):
    # covers: ACC-2
    fail(client, user.email, 4)
    clock.shift(throttling.FAILURE_WINDOW_SECONDS + 1)
    response = fail(client, user.email, 1, ip="10.0.0.2")
    assert THROTTLED not in text(response)


def test_repeated_lockouts_wait_longer_up_to_a_cap(client, user, clock):
    # covers: ACC-2
    waits = []
    for _round in range(7):
        fail(client, user.email, 5, ip=f"10.3.0.{_round}")
        lockout = throttling.login_lockout(email=user.email, ip=None)
        waits.append(lockout.wait_seconds)
        clock.shift(lockout.wait_seconds + 1)
    assert waits[:5] == [60, 120, 240, 480, 900]
    assert max(waits) == throttling.LOCKOUT_MAX_SECONDS


def test_throttled_attempts_do_not_check_the_password(client, user, clock, monkeypatch):
    # covers: ACC-2
    fail(client, user.email, 5)
    calls = []
    monkeypatch.setattr("allies.accounts.services.authenticate", lambda *a, **k: calls.append(1))
    login(client, user.email, PASSWORD)
    assert calls == []


SETTINGS_URL = "/compte/parametres/"


def _change_email(client, password, ip="10.0.0.1"):
    data = {"action": "email", "email-email": "nouveau@example.test", "email-password": password}
    return client.post(SETTINGS_URL, data, REMOTE_ADDR=ip)


def _change_password(client, password, ip="10.0.0.1"):
    new = "Nouveau-mdp-2026"
    data = {
        "action": "password",
        "password-old_password": password,
        "password-new_password1": new,
        "password-new_password2": new,
    }
    return client.post(SETTINGS_URL, data, REMOTE_ADDR=ip)


def test_the_current_password_of_the_settings_page_is_throttled_like_login(signed_in, user, clock):
    # covers: issue 9 §10, ACC-2, ACC-4, ACC-5
    for attempt in range(4):
        form = _change_email if attempt % 2 else _change_password
        assert THROTTLED not in text(form(signed_in, "mauvais-mot-de-passe"))
    response = _change_email(signed_in, "mauvais-mot-de-passe")
    assert THROTTLED in text(response) and "patientez 1 minute" in text(response)
    # Locked: even the right current password changes nothing, on either form…
    assert THROTTLED in text(_change_email(signed_in, PASSWORD, ip="10.9.9.9"))
    assert THROTTLED in text(_change_password(signed_in, PASSWORD, ip="10.9.9.9"))
    user.refresh_from_db()
    assert user.email == "jean@example.test" and user.check_password(PASSWORD)
    # …and the login page counts the same failures.
    signed_in.post("/compte/deconnexion/")
    assert THROTTLED in text(login(signed_in, user.email, PASSWORD, REMOTE_ADDR="10.9.9.9"))
    clock.shift(61)
    signed_in.force_login(user)
    assert _change_email(signed_in, PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.email == "nouveau@example.test"


def test_sign_up_login_and_reset_agree_on_whether_an_address_has_an_account(client, user, clock):
    # covers: issue 9 §13 (one decision for the three pages), ACC-1, ACC-2, ACC-3
    data = {"email": user.email, "password": "x", "password_confirm": "x"}
    sign_up = client.post("/compte/inscription/", data, REMOTE_ADDR="10.3.3.3")
    assert "Un compte existe déjà" in text(sign_up)
    unknown = "personne@example.test"
    assert "Aucun compte n'utilise cette adresse" in text(
        login(client, unknown, "x", REMOTE_ADDR="10.3.3.3")
    )
    reset = client.post("/compte/mot-de-passe-oublie/", {"email": unknown}, REMOTE_ADDR="10.3.3.3")
    assert "Aucun compte n'utilise cette adresse" in text(reset)
    # Each such answer counts against the address: after five, no more answers from there.
    for n in range(2):
        login(client, f"inconnu{n}@example.test", "x", REMOTE_ADDR="10.3.3.3")
    for page, data in (("/compte/inscription/", {"email": user.email}),
                       ("/compte/mot-de-passe-oublie/", {"email": unknown}),
                       ("/compte/connexion/", {"username": unknown, "password": "x"})):  # fmt: skip
        html = text(client.post(page, data, REMOTE_ADDR="10.3.3.3"))
        assert THROTTLED in html
        assert "Un compte existe déjà" not in html and "Aucun compte" not in html
    # Elsewhere, and after the wait, the pages answer again.
    assert "Aucun compte" in text(login(client, unknown, "x", REMOTE_ADDR="10.4.4.4"))
    clock.shift(61)
    assert "Aucun compte" in text(login(client, unknown, "x", REMOTE_ADDR="10.3.3.3"))
