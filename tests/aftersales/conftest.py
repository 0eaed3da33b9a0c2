"""Returns test setup: orders bought, paid, accepted, shipped and delivered through the real
services (tests/orders/conftest.py's market: Maison Verlaine ships home with Colissimo for
7,00 €, Atelier Brun ships free with DPD; Luc lives in Paris).

`delivered(market, items, at=…)` gives Verlaine's (or the offers' vendor's) delivered vendor
order; `returned(…)` opens a return through `return_request_open`.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from allies.aftersales.returns import return_request_open
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.models import VendorOrder
from allies.orders.shipments import vendor_order_mark_delivered, vendor_order_ship
from tests.orders.conftest import buy, market, vendor_order_of  # noqa: F401 (fixture)

PARIS = ZoneInfo("Europe/Paris")
# Delivered on Tuesday 1 December 2026 at 10:00, Paris: the legal window ends on the 15th.
DELIVERED_AT = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
_tracking = iter(range(10_000, 99_999))


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


def delivered(shop, items=None, *, at=DELIVERED_AT, customer=None) -> VendorOrder:
    """A vendor order of `items` [(offer, quantity)] (default: a shirt and two belts from
    Verlaine), accepted, shipped the day before `at`, delivered at `at`."""
    items = items or [(shop["shirt"], 1), (shop["belt"], 2)]
    vendor = items[0][0].vendor
    with time_machine.travel(at - timedelta(days=3), tick=False):
        order = buy(shop, items, customer=customer)
        vendor_order = vendor_order_of(order, vendor)
        vendor_order_lines_decide(
            vendor_order=vendor_order,
            vendor=vendor,
            decisions={line.pk: "accept" for line in vendor_order.lines.all()},
        )
    with time_machine.travel(at - timedelta(days=1), tick=False):
        vendor_order_ship(
            vendor_order=vendor_order,
            vendor=vendor,
            carrier="colissimo",
            parcels=[f"6A123456{next(_tracking)}"],
        )
    with time_machine.travel(at, tick=False):
        vendor_order_mark_delivered(vendor_order=vendor_order, vendor=vendor)
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.DELIVERED
    return vendor_order


def line_of(vendor_order, title: str):
    return next(line for line in vendor_order.lines.all() if line.product_title == title)


def returned(vendor_order, quantities, *, at, customer=None, comment=""):
    """A return of `quantities` {title: units} asked at `at`."""
    with time_machine.travel(at, tick=False):
        return return_request_open(
            customer=customer or vendor_order.order.customer,
            vendor_order=vendor_order,
            quantities={line_of(vendor_order, t).pk: n for t, n in quantities.items()},
            comment=comment,
        )


def sent(template: str) -> list:
    """The emails of `template` as sent (mail.outbox), oldest first."""
    from django.core import mail

    from allies.notifications.models import OutgoingEmail

    subjects = {e.subject for e in OutgoingEmail.objects.filter(template=template)}
    return [m for m in mail.outbox if m.subject in subjects]


def photo(name: str = "photo.jpg", color=(180, 40, 40)):
    """A small real JPEG upload, as a browser sends one."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def claimed(vendor_order, items, *, at, problem="damaged", remedy="refund", customer=None):
    """A claim about `items` {title: units} (each described, with one photo) made at `at`."""
    from allies.aftersales.claims import ItemInput, claim_open

    with time_machine.travel(at, tick=False):
        return claim_open(
            customer=customer or vendor_order.order.customer,
            vendor_order=vendor_order,
            problem=problem,
            remedy=remedy,
            items={
                line_of(vendor_order, title).pk: ItemInput(
                    quantity=str(units), description=f"{title} : couture ouverte", photos=[photo()]
                )
                for title, units in items.items()
            },
        )
