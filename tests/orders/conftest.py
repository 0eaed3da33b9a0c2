"""Validated orders built through the real checkout and payment services.

`buy()` fills the customer's cart, places the order (`checkout.services.order_place`), pays
it at the sandbox bank (`payments.services.payment_start`, the card submitted to the sandbox,
then the customer's return settles it): the order is "validée" by
`orders.services.order_payment_succeeded` with a succeeded `Payment` that refunds can use.

The market: Maison Verlaine ships home with Colissimo for 7,00 €; Atelier Brun ships free
with DPD. Paris delivery address.
"""

from decimal import Decimal

import pytest

from allies.cart.models import Cart
from allies.cart.services import cart_add, cart_discount_apply
from allies.checkout.services import CheckoutChoices, order_place
from allies.ledger.selectors import order_ledger_total, order_money_captured
from allies.orders.models import Order, OrderEvent, VendorOrder
from allies.payments.gateways.sandbox import sandbox_card_submit
from allies.payments.models import Payment, SandboxCheckout
from allies.payments.services import payment_return_handle, payment_return_urls, payment_start
from allies.shipping.models import ShippingRate
from tests.factories import (
    AddressFactory,
    OfferFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    VendorFactory,
    VendorMembershipFactory,
)

# Colissimo-shaped numbers (11 to 15 letters and digits).
TRACKING_1 = "6A12345678901"
TRACKING_2 = "6A12345678902"
TRACKING_3 = "6A12345678903"


def _offer(vendor, title, price, *, stock=10):
    product = ProductFactory(title=title, weight_grams=400)
    return OfferFactory(
        vendor=vendor, variant=VariantFactory(product=product), price=Decimal(price), stock=stock
    )


@pytest.fixture
def market(db):
    verlaine = VendorFactory(name="Maison Verlaine")
    brun = VendorFactory(name="Atelier Brun")
    ShippingRate.objects.create(
        vendor=verlaine, mode="home", zone="FR", carrier="colissimo",
        base_fee=Decimal("7.00"), min_days=2, max_days=4,
    )  # fmt: skip
    ShippingRate.objects.create(
        vendor=brun, mode="home", zone="FR", carrier="dpd", base_fee=Decimal("0"),
        min_days=3, max_days=5,
    )  # fmt: skip
    customer = UserFactory(email="luc@example.test", first_name="Luc")
    address = AddressFactory(user=customer, recipient="Luc Martin", is_default=True)
    return {
        "verlaine": verlaine,
        "brun": brun,
        "verlaine_user": VendorMembershipFactory(vendor=verlaine).user,
        "brun_user": VendorMembershipFactory(vendor=brun).user,
        "shirt": _offer(verlaine, "Chemise Oxford bleue", "59.90"),
        "belt": _offer(verlaine, "Ceinture en cuir", "35.00"),
        "wallet": _offer(brun, "Portefeuille en cuir", "45.00"),
        "customer": customer,
        "address": address,
    }


def buy(market, items, *, customer=None, address=None, code=None) -> Order:
    """Place and pay an order of `items` [(offer, quantity)], home delivery for each vendor."""
    customer = customer or market["customer"]
    address = address or market["address"]
    cart, _created = Cart.objects.get_or_create(customer=customer)
    for offer, quantity in items:
        cart_add(cart=cart, offer_id=offer.pk, quantity=quantity)
    if code:
        cart_discount_apply(cart=cart, code=code, customer=customer)
    modes = {offer.vendor_id: "home" for offer, _quantity in items}
    order = order_place(
        customer=customer,
        cart=cart,
        choices=CheckoutChoices(delivery_address_id=address.pk, modes=modes),
    )
    urls = payment_return_urls()
    started = payment_start(
        order=order,
        return_url=urls.return_url,
        error_url=urls.error_url,
        cancel_url=urls.cancel_url,
    )
    checkout = SandboxCheckout.objects.get(reference=started.payment.reference)
    sandbox_card_submit(checkout=checkout, number="4111111111111111", brand="Visa")
    payment_return_handle(token=started.payment.reference, outcome_hint="return")
    order.refresh_from_db()
    assert order.status == Order.Status.VALIDATED
    assert Payment.objects.get(order=order).status == Payment.Status.SUCCEEDED
    return order


def vendor_order_of(order, vendor) -> VendorOrder:
    return VendorOrder.objects.get(order=order, vendor=vendor)


def lines_by_title(vendor_order) -> dict:
    return {line.product_title: line for line in vendor_order.lines.all()}


def assert_ledger_balanced(order) -> None:
    """Every refund is reversed in the vendors' ledger (PAY-2): entries = captured − refunds."""
    assert order_ledger_total(order=order) == order_money_captured(order=order)
    assert not OrderEvent.objects.filter(order=order, kind__in=["ledger_failed", "refund_failed"])
