"""Discount limits hold when "Payer" is pressed at the same moment (issue 9 §5), on SQLite
and PostgreSQL: the checkout locks the customer's cart and the code's row before counting."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from allies.cart.models import Cart, CartLine, DiscountCode
from allies.checkout.services import CheckoutChoices, CheckoutError, order_place
from allies.orders.models import Order
from allies.shipping.demo import demo_rates_for_vendor
from allies.shipping.models import ShippingRate
from tests.factories import AddressFactory, OfferFactory, UserFactory, VendorFactory


def _code(**kw) -> DiscountCode:
    return DiscountCode.objects.create(
        code=kw.pop("code", "BIENVENUE10"),
        kind=DiscountCode.Kind.PERCENT,
        value=Decimal("10"),
        valid_from=timezone.now() - timedelta(days=1),
        **kw,
    )


def _buyer(offer, code):
    customer = UserFactory()
    address = AddressFactory(user=customer, is_default=True)
    cart = Cart.objects.create(customer=customer, discount_code=code)
    CartLine.objects.create(cart=cart, offer=offer, quantity=1, price_when_added=offer.price)
    return customer, cart, address


def _press_pay_together(presses, vendor) -> list:
    """Run order_place for each (customer, cart, address) at the same instant, in threads."""
    start = threading.Barrier(len(presses))
    outcomes: list = []

    def press(customer, cart, address):
        try:
            start.wait()
            for _attempt in range(50):
                try:
                    order = order_place(
                        customer=customer,
                        cart=cart,
                        choices=CheckoutChoices(
                            delivery_address_id=address.pk, modes={vendor.pk: "home"}
                        ),
                    )
                    outcomes.append(order.pk)
                    return
                except CheckoutError as exc:
                    outcomes.append(str(exc))
                    return
                except OperationalError:  # SQLite: the database was busy, try again
                    continue
            outcomes.append("gave up")
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=p) for p in presses]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_one_customer_pressing_pay_twice_at_once_gets_one_order_with_the_code():
    # covers: CHK-5, issue 9 §5
    vendor = VendorFactory()
    ShippingRate.objects.bulk_create(demo_rates_for_vendor(vendor, 0))
    offer = OfferFactory(vendor=vendor, price=Decimal("120.00"), stock=5)
    once = _code(max_uses_per_customer=1)
    buyer = _buyer(offer, once)

    outcomes = _press_pay_together([buyer, buyer], vendor)

    # Both presses lead to the same order: the second resumes the first.
    assert len(outcomes) == 2 and outcomes[0] == outcomes[1], outcomes
    assert Order.objects.filter(discount_code=once).count() == 1
    assert Order.objects.get().discount_total == Decimal("12.00")


@pytest.mark.django_db(transaction=True)
def test_the_last_use_of_a_code_goes_to_one_of_two_simultaneous_customers():
    # covers: CHK-5, issue 9 §5
    vendor = VendorFactory()
    ShippingRate.objects.bulk_create(demo_rates_for_vendor(vendor, 0))
    offer = OfferFactory(vendor=vendor, price=Decimal("120.00"), stock=5)
    last_one = _code(code="DERNIER", max_uses=1, max_uses_per_customer=None)

    outcomes = _press_pay_together([_buyer(offer, last_one), _buyer(offer, last_one)], vendor)

    assert Order.objects.filter(discount_code=last_one).count() == 1
    refusals = [o for o in outcomes if isinstance(o, str)]
    assert refusals == ["Ce code de réduction n'est plus disponible."], outcomes
