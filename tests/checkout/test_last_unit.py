"""Two customers can never buy the same last unit (CHK-8), on SQLite and PostgreSQL."""

import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, connection

from allies.cart.models import Cart, CartLine
from allies.catalog.models import Offer
from allies.checkout.services import CheckoutChoices, CheckoutError, order_place
from allies.orders.models import Order, OrderLine
from allies.shipping.demo import demo_rates_for_vendor
from allies.shipping.models import ShippingRate
from tests.factories import AddressFactory, OfferFactory, UserFactory, VendorFactory

BUYERS = 12
UNITS = 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_buyers_take_exactly_the_units_in_stock():
    # covers: CHK-8
    vendor = VendorFactory()
    ShippingRate.objects.bulk_create(demo_rates_for_vendor(vendor, 0))
    offer = OfferFactory(vendor=vendor, price=Decimal("120.00"), stock=UNITS)
    buyers = []
    for _ in range(BUYERS):
        customer = UserFactory()
        address = AddressFactory(user=customer, is_default=True)
        cart = Cart.objects.create(customer=customer)
        CartLine.objects.create(cart=cart, offer=offer, quantity=1, price_when_added=offer.price)
        buyers.append((customer, cart, address))

    start = threading.Barrier(BUYERS)
    outcomes: list[str] = []

    def buy(customer, cart, address):
        try:
            start.wait()
            for _attempt in range(50):
                try:
                    order_place(
                        customer=customer,
                        cart=cart,
                        choices=CheckoutChoices(
                            delivery_address_id=address.pk, modes={vendor.pk: "home"}
                        ),
                    )
                    outcomes.append("bought")
                    return
                except CheckoutError:
                    outcomes.append("sold out")
                    return
                except OperationalError:  # SQLite: the database was busy, try again
                    continue
            outcomes.append("gave up")
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=b) for b in buyers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert sorted(outcomes) == sorted(["bought"] * UNITS + ["sold out"] * (BUYERS - UNITS))
    assert Offer.objects.get(pk=offer.pk).stock == 0
    assert Order.objects.count() == UNITS
    assert sum(OrderLine.objects.values_list("quantity", flat=True)) == UNITS
