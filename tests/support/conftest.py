"""Support test setup: two vendors with their users, two customers, agents, and helpers that
open threads through the real services.

Attachments go to a temporary "support" storage; vendor orders are rows made directly (the
checkout is tested elsewhere; here only who owns them matters), in the stages a customer can
write about.
"""

import io
import itertools
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from PIL import Image

from allies.orders.events import Actor, ActorKind
from allies.orders.models import Order, VendorOrder
from allies.support.actors import EmailIdentity
from allies.support.models import Motif
from allies.support.services import message_post, thread_open
from tests.factories import (
    OfferFactory,
    UserFactory,
    VendorFactory,
    VendorMembershipFactory,
)

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)  # a Tuesday
_references = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The fixtures make many accounts; their passwords are never what is tested here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _support_storage_in_tmp(settings, tmp_path):
    """Attachments go to a temporary folder, never var/private."""
    settings.STORAGES = {
        **settings.STORAGES,
        "support": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "support")},
        },
    }
    return tmp_path / "support"


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def staff_user(*perms: str, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    for codename in perms:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="support", codename=codename)
        )
    return type(user).objects.get(pk=user.pk)  # a fresh instance: no permission cache


@pytest.fixture
def shop(db):
    verlaine = VendorFactory(name="Maison Verlaine", email="contact@verlaine.test")
    brun = VendorFactory(name="Atelier Brun", email="contact@brun.test")
    luc = UserFactory(email="luc@example.test", first_name="Luc", last_name="Martin")
    anne = UserFactory(email="anne@example.test", first_name="Anne", last_name="Durand")
    return {
        "verlaine": verlaine,
        "brun": brun,
        "verlaine_user": VendorMembershipFactory(
            vendor=verlaine, user=UserFactory(email="paul@verlaine.test")
        ).user,
        "brun_user": VendorMembershipFactory(
            vendor=brun, user=UserFactory(email="marc@brun.test")
        ).user,
        "shirt": OfferFactory(vendor=verlaine, price=Decimal("59.90")),
        "wallet": OfferFactory(vendor=brun, price=Decimal("45.00")),
        "luc": luc,
        "anne": anne,
        "agent": staff_user("handle_thread", email="agent@allies.test", first_name="Inès"),
        "agent2": staff_user("handle_thread", email="agent2@allies.test"),
        "supervisor": staff_user("handle_thread", "supervise_thread", email="chef@allies.test"),
    }


def vendor_order_for(customer, vendor, *, status=VendorOrder.Status.TO_SHIP) -> VendorOrder:
    order = Order.objects.create(
        reference=f"AL-2026-{next(_references):06d}", customer=customer,
        status=Order.Status.VALIDATED, delivery_address={}, billing_address={},
        lines_total=Decimal("59.90"), shipping_total=Decimal("7.00"), total=Decimal("66.90"),
    )  # fmt: skip
    return VendorOrder.objects.create(
        order=order, vendor=vendor, status=status, shipping_mode="home",
        shipping_fee=Decimal("7.00"), lines_total=Decimal("59.90"),
        delivery_min_date=date(2026, 12, 5), delivery_max_date=date(2026, 12, 8),
    )  # fmt: skip


def question(shop, *, customer=None, offer=None, body="Taille M disponible ?", **kwargs):
    """A pre-sale question of `customer` (Luc) on `offer` (Verlaine's shirt)."""
    return thread_open(
        actor=Actor.customer(customer or shop["luc"]),
        offer=offer or shop["shirt"],
        motif=kwargs.pop("motif", Motif.SIZE),
        body=body,
        **kwargs,
    )


def order_request(shop, *, customer=None, vendor=None, motif=Motif.DELIVERY, **kwargs):
    customer = customer or shop["luc"]
    vendor_order = vendor_order_for(customer, vendor or shop["verlaine"])
    return thread_open(
        actor=Actor.customer(customer),
        vendor_order=vendor_order,
        motif=motif,
        body=kwargs.pop("body", "Où en est ma commande ?"),
        **kwargs,
    )


def contact(*, email="visiteur@example.test", name="Jeanne Visiteuse", **kwargs):
    return thread_open(
        actor=EmailIdentity(kind=ActorKind.CUSTOMER, email=email, name=name),
        motif=kwargs.pop("motif", Motif.OTHER),
        body=kwargs.pop("body", "Bonjour, une question sur le site."),
        **kwargs,
    )


def vendor_answer(shop, thread, body="Oui, en stock.", **kwargs):
    return message_post(
        thread=thread,
        actor=Actor.vendor_user(shop["verlaine_user"]),
        vendor=shop["verlaine"],
        body=body,
        **kwargs,
    )


def jpeg_bytes(size=(64, 48), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (120, 30, 20)).save(out, format="JPEG", **save)
    return out.getvalue()


def sent_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]
