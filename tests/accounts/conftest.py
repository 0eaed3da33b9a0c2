"""Helpers for the account tests: a signed-in client and a way to read links in emails."""

import html
import re

import pytest
from django.conf import settings

from tests.factories import PASSWORD, UserFactory

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 takes a good part of a second per hash by design; the tests hash hundreds of
    # times. test_passwords_are_stored_with_argon2 checks the real setting.
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def user(db):
    return UserFactory(email="jean@example.test")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def link_in(message, *, prefix: str) -> str:
    """The first link of an email (text part) starting with SITE_URL + prefix, as a path."""
    match = re.search(re.escape(settings.SITE_URL + prefix) + r"\S+", message.body)
    assert match, f"no {prefix} link in: {message.body}"
    return match.group(0)[len(settings.SITE_URL) :]


def login(client, email, password=PASSWORD, **extra):
    return client.post("/compte/connexion/", {"username": email, "password": password}, **extra)


def text(response) -> str:
    """The page's HTML with entities decoded, to look for French text with apostrophes."""
    return html.unescape(response.content.decode())


def is_checked(page_html: str, name: str) -> bool:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page_html)
    assert tag, f"no input {name}"
    return " checked" in tag.group(0)
