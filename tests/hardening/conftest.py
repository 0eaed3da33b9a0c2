"""The world the fuzz tests walk: the demo data (vendors, a customer with orders in every
state, staff, demo API keys), loaded once per module in a transaction rolled back at the end.
Each test runs in its own nested transaction on top of it."""

from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from allies.accounts.models import User
from allies.demo import identities
from allies.vendor_api.demo import demo_api_key_for

DEMO_VENDOR = identities.VENDORS[0].slug  # maison-verlaine: one order in each state


@dataclass
class World:
    customer: User
    other_customer: User
    vendor_user: User
    staff: User
    vendor_key: str
    media_root: str


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    # The demo's invoice PDFs are written there; tests point MEDIA_ROOT at it (`media`).
    media_root = str(tmp_path_factory.mktemp("media"))
    loading = override_settings(MEDIA_ROOT=media_root)
    with django_db_blocker.unblock(), transaction.atomic(), loading:
        call_command("demo_data", "--products", "120", stdout=StringIO())
        other = User.objects.create_user(
            email="autre.client@example.test", password="Motdepasse-solide-42"
        )
        yield World(
            customer=User.objects.get(email=identities.CUSTOMER_EMAIL),
            other_customer=other,
            vendor_user=User.objects.get(email=identities.VENDORS[0].user_email),
            staff=User.objects.get(email=identities.STAFF_EMAIL),
            vendor_key=demo_api_key_for(DEMO_VENDOR),
            media_root=media_root,
        )
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _demo_media(request, settings):
    """The demo's files where the world fixture wrote them (for tests that use it)."""
    if "world" in request.fixturenames:
        settings.MEDIA_ROOT = request.getfixturevalue("world").media_root
