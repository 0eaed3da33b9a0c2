"""Console test setup: a paid order bought through the real checkout (tests.orders), a
request about it escalated to the operator, and the customer-service staff (agent,
supervisor) next to plain staff, customers and vendors."""

import pytest
from django.contrib.auth.models import Group, Permission

from allies.orders.events import Actor
from allies.support.models import Motif
from allies.support.services import thread_escalate, thread_open
from tests.factories import UserFactory
from tests.orders.conftest import buy, market, vendor_order_of  # noqa: F401


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _support_storage_in_tmp(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "support": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "support")},
        },
    }


def staff_user(*perms: str, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    for codename in perms:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="support", codename=codename)
        )
    return type(user).objects.get(pk=user.pk)  # a fresh instance: no permission cache


def in_group(name: str, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=name))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def people(market):  # noqa: F811
    return {
        "agent": in_group("Agents du service client", email="agent@allies.test",
                          first_name="Inès", last_name="Agent"),
        "agent2": staff_user("handle_thread", email="agent2@allies.test", first_name="Karim"),
        "supervisor": in_group("Superviseurs du service client", email="chef@allies.test",
                               first_name="Chloé", last_name="Chef"),
        "plain_staff": UserFactory(is_staff=True, email="compta@allies.test"),
        "customer": market["customer"],
        "vendor": market["verlaine_user"],
    }  # fmt: skip


def open_request(market, *, items=None, motif=Motif.DELIVERY, escalate=True, staff=None):  # noqa: F811
    """Luc buys (the shirt and the belt of Verlaine, the wallet of Brun by default), asks
    Verlaine about the order, and the request is handed to the operator."""
    order = buy(market, items or [(market["shirt"], 1), (market["belt"], 1), (market["wallet"], 1)])
    vendor_order = vendor_order_of(order, market["verlaine"])
    thread = thread_open(
        actor=Actor.customer(market["customer"]),
        vendor_order=vendor_order,
        motif=motif,
        body="Ma chemise est arrivée déchirée.",
    )
    if escalate:
        thread_escalate(thread=thread, actor=Actor.staff(staff))
    thread.refresh_from_db()
    return thread
