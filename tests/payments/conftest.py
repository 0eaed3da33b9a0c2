"""Payment test setup: orders built with the ORM, the test URL map, the fake LemonWay API."""

import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from allies.orders.models import Order, OrderEvent, OrderLine, VendorOrder
from allies.payments.gateways import lemonway as lemonway_module
from tests.factories import OfferFactory, UserFactory, VendorFactory
from tests.payments.fake_lemonway import API_KEY, FakeLemonWay

_references = itertools.count(1)

ADDRESS = {
    "recipient": "Jean Martin",
    "company": "",
    "street": "12 rue de la Paix",
    "street_extra": "",
    "postcode": "75002",
    "city": "Paris",
    "country": "FR",
    "phone": "0601020304",
    "instructions": "",
}


def make_order(*, customer=None, total=Decimal("129.90"), shipping=Decimal("4.90")) -> Order:
    customer = customer or UserFactory()
    order = Order.objects.create(
        reference=f"AL-2026-{next(_references):06d}",
        customer=customer,
        delivery_address=ADDRESS,
        billing_address=ADDRESS,
        lines_total=total - shipping,
        shipping_total=shipping,
        total=total,
    )
    vendor = VendorFactory()
    vendor_order = VendorOrder.objects.create(
        order=order,
        vendor=vendor,
        shipping_mode=VendorOrder.ShippingMode.HOME,
        shipping_fee=shipping,
        lines_total=total - shipping,
        delivery_min_date=date(2026, 12, 1),
        delivery_max_date=date(2026, 12, 4),
    )
    # One line whose unit is held by the order (the offer's stock already counts it out).
    offer = OfferFactory(vendor=vendor, price=total - shipping, stock=0)
    OrderLine.objects.create(
        vendor_order=vendor_order,
        vendor=vendor,
        offer=offer,
        product_title=offer.variant.product.title,
        sku=offer.variant.sku,
        unit_price=total - shipping,
        vat_rate=Decimal("0.200"),
        quantity=1,
    )
    return order


def sell_the_last_unit(order) -> None:
    """Someone else bought the unit the order released: a late payment cannot take it back."""
    from allies.catalog.models import Offer

    Offer.objects.filter(
        id__in=OrderLine.objects.filter(vendor_order__order=order).values("offer_id")
    ).update(stock=0)


def return_urls() -> dict:
    return {
        "return_url": reverse("payments:return"),
        "error_url": reverse("payments:error"),
        "cancel_url": reverse("payments:cancel"),
    }


def events(order, kind) -> int:
    return OrderEvent.objects.filter(order=order, kind=kind).count()


@pytest.fixture(autouse=True)
def _payment_urls(settings):
    settings.ROOT_URLCONF = "tests.payments.urls"
    settings.PAYMENT_GATEWAY = "sandbox"


@pytest.fixture
def customer(db):
    return UserFactory()


@pytest.fixture
def order(customer):
    return make_order(customer=customer)


@pytest.fixture
def customer_client(client, customer):
    client.force_login(customer)
    return client


@pytest.fixture
def lemonway(settings):
    fake = FakeLemonWay().start()
    lemonway_module._token_cache.clear()
    settings.PAYMENT_GATEWAY = "lemonway"
    settings.LEMONWAY_API_URL = fake.api_url
    settings.LEMONWAY_OAUTH_URL = fake.oauth_url
    settings.LEMONWAY_API_KEY = API_KEY
    settings.LEMONWAY_ACCESS_TOKEN = ""
    settings.LEMONWAY_WEBKIT_URL = "https://sandbox-webkit.lemonway.fr/allies/dev/"
    settings.LEMONWAY_WALLET_ID = "ALLIES-SC"
    settings.LEMONWAY_TIMEOUT = 0.5
    settings.LEMONWAY_PSU_IP = "203.0.113.7"
    yield fake
    fake.close()
    lemonway_module._token_cache.clear()


@pytest.fixture(autouse=True)
def _sandbox_faults_cleared():
    from allies.payments.gateways.sandbox import sandbox_faults

    sandbox_faults.clear()
    yield
    sandbox_faults.clear()
