"""The vendor API's test setup: the orders tests' market (real checkout and sandbox payment),
API keys, and a fast builder of many paid vendor orders for the query-count tests."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from allies.orders.models import Order, OrderLine, Parcel, Shipment, ShipmentLine, VendorOrder
from allies.vendors.services import api_key_create
from tests.factories import OfferFactory, UserFactory
from tests.orders.conftest import (  # noqa: F401  (fixtures used by the tests)
    TRACKING_1,
    TRACKING_2,
    buy,
    lines_by_title,
    market,
    vendor_order_of,
)

API = "/api/v1/vendor"


def api_client(raw_key: str | None, **headers) -> Client:
    if raw_key is not None:
        headers.setdefault("Authorization", f"Bearer {raw_key}")
    return Client(headers=headers)


@pytest.fixture
def keys(market):  # noqa: F811  (the orders tests' fixture, imported above)
    """A key for each vendor of the market: {"verlaine": raw, "brun": raw}."""
    return {
        name: api_key_create(vendor=market[name], name="ERP")[1] for name in ("verlaine", "brun")
    }


@pytest.fixture
def verlaine_api(keys):
    return api_client(keys["verlaine"])


@pytest.fixture
def brun_api(keys):
    return api_client(keys["brun"])


_references = itertools.count(1)


def paid_vendor_orders_make(vendor, count: int, *, lines: int = 2, shipped: bool = False):
    """`count` paid vendor orders of `vendor`, written in bulk (no checkout, no payment):
    for reads only. Each has `lines` lines; `shipped` adds a shipment of two parcels."""
    customer = UserFactory()
    offers = [OfferFactory(vendor=vendor) for _ in range(lines)]
    now = timezone.now()
    address = {
        "recipient": "Luc Martin", "company": "", "street": "3 rue des Lilas",
        "street_extra": "", "postcode": "75011", "city": "Paris", "country": "FR",
        "phone": "0601020304", "instructions": "",
    }  # fmt: skip
    orders = Order.objects.bulk_create(
        Order(
            reference=f"AL-2099-{next(_references):06d}",
            customer=customer,
            status=Order.Status.VALIDATED,
            delivery_address=address,
            billing_address=address,
            lines_total=Decimal("20.00") * lines,
            shipping_total=Decimal("5.00"),
            total=Decimal("20.00") * lines + Decimal("5.00"),
            validated_at=now,
        )
        for _ in range(count)
    )
    vendor_orders = VendorOrder.objects.bulk_create(
        VendorOrder(
            order=order,
            vendor=vendor,
            status=VendorOrder.Status.SHIPPED if shipped else VendorOrder.Status.WAITING_ACCEPTANCE,
            shipping_mode="home",
            carrier="colissimo",
            shipping_fee=Decimal("5.00"),
            lines_total=Decimal("20.00") * lines,
            delivery_min_date=now.date() + timedelta(days=2),
            delivery_max_date=now.date() + timedelta(days=4),
            acceptance_deadline=now + timedelta(days=2),
            accepted_at=now if shipped else None,
            shipped_at=now if shipped else None,
        )
        for order in orders
    )
    order_lines = OrderLine.objects.bulk_create(
        OrderLine(
            vendor_order=vo,
            vendor=vendor,
            offer=offer,
            product_title=f"Article {i}",
            sku=offer.variant.sku,
            unit_price=Decimal("10.00"),
            vat_rate=Decimal("0.200"),
            quantity=2,
            status=OrderLine.Status.ACCEPTED if shipped else OrderLine.Status.PENDING,
        )
        for vo in vendor_orders
        for i, offer in enumerate(offers)
    )
    if shipped:
        shipments = Shipment.objects.bulk_create(
            Shipment(vendor_order=vo, vendor=vendor, carrier="colissimo", parcel_count=2,
                     shipped_at=now)
            for vo in vendor_orders
        )  # fmt: skip
        Parcel.objects.bulk_create(
            Parcel(shipment=s, vendor=vendor, index=i, tracking_number=f"6A{s.pk:09d}{i:02d}")
            for s in shipments
            for i in (1, 2)
        )
        shipment_of = {s.vendor_order_id: s for s in shipments}
        ShipmentLine.objects.bulk_create(
            ShipmentLine(shipment=shipment_of[line.vendor_order_id], order_line=line,
                         vendor=vendor, quantity=line.quantity)
            for line in order_lines
        )  # fmt: skip
    return vendor_orders
