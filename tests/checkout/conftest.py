"""A small marketplace to buy from: two vendors with their shipping rates, a customer."""

from decimal import Decimal

import pytest

from allies.shipping.demo import demo_rates_for_vendor
from allies.shipping.models import ShippingRate
from tests.factories import (
    AddressFactory,
    OfferFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    VendorFactory,
)


@pytest.fixture
def shop(db):
    vendors = [VendorFactory(name="Maison Verlaine"), VendorFactory(name="Atelier Brun")]
    for index, vendor in enumerate(vendors):
        ShippingRate.objects.bulk_create(demo_rates_for_vendor(vendor, 1 - index))
    shirt = ProductFactory(title="Chemise Oxford bleue", weight_grams=400)
    wallet = ProductFactory(title="Portefeuille en cuir", weight_grams=200)
    offers = {
        "shirt": OfferFactory(
            vendor=vendors[0],
            variant=VariantFactory(product=shirt),
            price=Decimal("59.90"),
            stock=5,
        ),
        "wallet": OfferFactory(
            vendor=vendors[1],
            variant=VariantFactory(product=wallet),
            price=Decimal("45.00"),
            stock=1,
        ),
    }
    customer = UserFactory(email="luc@example.test", first_name="Luc")
    address = AddressFactory(
        user=customer, recipient="Luc Santoni", street="3 cours Napoléon", postcode="20000",
        city="Ajaccio", is_default=True,
    )  # fmt: skip
    return {"vendors": vendors, "offers": offers, "customer": customer, "address": address}
