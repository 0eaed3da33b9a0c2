"""The session engine (storefront.sessions): a signed-in request reads its session, its
customer and their cart's count in one query, and who is signed in is still decided by the
session's data and Django's checks, never by the column the join uses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from allies.accounts import services as accounts
from allies.accounts.models import Session
from tests.factories import PASSWORD, OfferFactory, UserFactory

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _name_in_header(client: Client) -> str:
    response = client.get("/compte/")
    if response.status_code != 200:
        return ""
    return response.context["user"].email


def test_the_session_row_names_its_customer_while_signed_in():
    # covers: ACC-2
    user = UserFactory()
    client = Client()
    response = client.post("/compte/connexion/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    key = client.cookies["sessionid"].value
    assert Session.objects.get(session_key=key).user_id == user.pk
    client.post("/compte/deconnexion/")
    assert not Session.objects.filter(session_key=key).exists()
    # A visitor's cart session has a row, with nobody in it.
    visitor = Client()
    visitor.post("/panier/ajouter/", {"offer": OfferFactory().pk, "quantity": 1})
    row = Session.objects.get(session_key=visitor.cookies["sessionid"].value)
    assert row.user_id is None


def test_a_signed_in_page_reads_session_customer_and_cart_count_in_one_query():
    # covers: ACC-8 (the header's name and cart count)
    user = UserFactory(first_name="Noé")
    client = _signed_in(user)
    client.post("/panier/ajouter/", {"offer": OfferFactory(stock=9).pk, "quantity": 2})
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/compte/")
    assert response.status_code == 200
    assert '<span class="cart-count">2' in response.content.decode()
    reads = [q["sql"] for q in queries if '"accounts_user"' in q["sql"]]
    assert len(reads) == 1 and '"accounts_session"' in reads[0], [q["sql"] for q in queries]


def test_who_is_signed_in_comes_from_the_session_data_not_the_joined_column():
    # covers: ACC-2 (a session is never someone else's)
    owner, other = UserFactory(), UserFactory()
    client = _signed_in(owner)
    key = client.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(user=other)  # the column lies
    assert _name_in_header(client) == owner.email


def test_a_deleted_account_takes_its_sessions_with_it():
    # covers: ACC-7
    user = UserFactory()
    client = _signed_in(user)
    assert _name_in_header(client) == user.email
    user.delete()
    assert not Session.objects.exists()
    assert client.get("/compte/").status_code == 302  # to the login page


def test_an_expired_session_signs_nobody_in():
    # covers: ACC-2
    user = UserFactory()
    client = _signed_in(user)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/compte/").status_code == 302


def test_the_joined_customer_is_still_checked_against_the_session():
    # covers: ACC-4, ACC-7 (a changed password or a deactivation ends the other sessions)
    user = UserFactory()
    phone = _signed_in(user)
    accounts.user_set_password(user=user, password="Nouveau-secret-77!")
    assert phone.get("/compte/").status_code == 302
    laptop = _signed_in(user)
    assert _name_in_header(laptop) == user.email
    accounts.user_deactivate(user=user)
    assert laptop.get("/compte/").status_code == 302


def test_a_forged_or_unknown_cookie_is_an_anonymous_visitor():
    # covers: ACC-2
    client = Client()
    for value in ["x" * 40, "../../etc", "é" * 10, ""]:
        client.cookies["sessionid"] = value
        response = client.get("/compte/")
        assert response.status_code == 302, value
    assert SESSION_KEY not in client.session


def test_the_sessions_kept_before_are_carried_over_signed_in_or_with_a_cart():
    # covers: ACC-2, CHK-1 (nobody signed out, no guest cart lost, by the change of table)
    from importlib import import_module

    from django.apps import apps
    from django.contrib.sessions.backends.db import SessionStore as DjangoStore
    from django.contrib.sessions.models import Session as DjangoSession

    migration = import_module("allies.accounts.migrations.0003_sessions")
    user, gone = UserFactory(), UserFactory()
    later = timezone.now() + timedelta(days=1)

    def old_session(key: str, data: dict, expire=later) -> None:
        DjangoSession.objects.create(
            session_key=key, session_data=DjangoStore().encode(data), expire_date=expire
        )

    signed_in = {
        SESSION_KEY: str(user.pk),
        "_auth_user_backend": "allies.storefront.auth.CustomerBackend",
        "_auth_user_hash": user.get_session_auth_hash(),
    }
    old_session("a" * 32, signed_in)
    old_session("b" * 32, {"chat": True})
    old_session("c" * 32, {SESSION_KEY: str(gone.pk)})
    old_session("d" * 32, {"chat": True}, expire=timezone.now() - timedelta(seconds=1))
    gone.delete()
    migration.carry_over(apps, None)

    carried = dict(Session.objects.values_list("session_key", "user_id"))
    assert carried == {"a" * 32: user.pk, "b" * 32: None, "c" * 32: None}
    client = Client()
    client.cookies["sessionid"] = "a" * 32
    assert _name_in_header(client) == user.email
