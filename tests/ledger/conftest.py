"""Ledger test setup: paid orders made by the real services (checkout → sandbox payment →
settlement, which writes the sale entries), refunds by `payment_refund` + the ledger."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from allies.cart.models import Cart, CartLine, DiscountCode
from allies.checkout.services import CheckoutChoices, order_place
from allies.ledger.services import ledger_record_refund, ledger_refund_split
from allies.orders.models import Order, VendorOrder
from allies.payments.gateways.sandbox import sandbox_card_submit
from allies.payments.models import Payment, SandboxCheckout
from allies.payments.services import payment_refresh, payment_refund, payment_start
from allies.shipping.models import ShippingRate
from tests.factories import (
    AddressFactory,
    CategoryFactory,
    OfferFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    VendorFactory,
)

ZERO = Decimal("0.00")


def vendor_with_rates(*, fee: Decimal = Decimal("4.90"), **kwargs):
    """A vendor delivering "Domicile" in mainland France for a flat `fee`."""
    vendor = VendorFactory(**kwargs)
    ShippingRate.objects.create(
        vendor=vendor, mode="home", zone="FR", carrier="colissimo", base_fee=fee,
        min_days=2, max_days=4,
    )  # fmt: skip
    return vendor


def offer_of(vendor, *, price: str, category=None, stock: int = 100):
    product = ProductFactory(category=category or CategoryFactory(), weight_grams=300)
    return OfferFactory(
        vendor=vendor, variant=VariantFactory(product=product), price=Decimal(price), stock=stock
    )


def discount_code(*, funded_by: str, kind: str = "percent", value: str = "10", **kwargs):
    return DiscountCode.objects.create(
        code=kwargs.pop("code", f"CODE{DiscountCode.objects.count() + 1}"),
        kind=kind, value=Decimal(value), funded_by=funded_by,
        valid_from=timezone.now() - timedelta(days=1), max_uses_per_customer=None,
        **kwargs,
    )  # fmt: skip


def pay(order: Order) -> Payment:
    """Pay through the sandbox provider and settle as a notification would."""
    started = payment_start(order=order, return_url="/r/", error_url="/e/", cancel_url="/c/")
    checkout = SandboxCheckout.objects.get(reference=started.payment.reference)
    sandbox_card_submit(checkout=checkout, number="4111111111111111", brand="Visa")
    payment, _ = payment_refresh(payment=started.payment)
    assert payment.status == Payment.Status.SUCCEEDED
    return payment


def buy(items, *, customer=None, code: DiscountCode | None = None) -> Order:
    """Place and pay an order for [(offer, quantity), …] through the real checkout."""
    order = place(items, customer=customer, code=code)
    pay(order)
    order.refresh_from_db()
    assert order.status == Order.Status.VALIDATED
    return order


def place(items, *, customer=None, code: DiscountCode | None = None) -> Order:
    """Place (not pay) an order for [(offer, quantity), …] through the real checkout."""
    customer = customer or UserFactory()
    address = AddressFactory(user=customer, is_default=True)
    cart, _ = Cart.objects.get_or_create(customer=customer)
    for offer, quantity in items:
        CartLine.objects.create(
            cart=cart, offer=offer, quantity=quantity, price_when_added=offer.price
        )
    if code is not None:
        cart.discount_code = code
        cart.save(update_fields=["discount_code"])
    return order_place(
        customer=customer,
        cart=cart,
        choices=CheckoutChoices(
            delivery_address_id=address.pk, modes={o.vendor_id: "home" for o, _q in items}
        ),
    )


def refund(vendor_order: VendorOrder, *, lines=None, lines_amount=None, shipping=ZERO, key=None):
    """Refund the card what the ledger's split says, then record it; (refund, entries)."""
    split = ledger_refund_split(
        vendor_order=vendor_order, lines=lines, lines_amount=lines_amount, shipping_amount=shipping
    )
    payment = Payment.objects.get(order_id=vendor_order.order_id, status="succeeded")
    row = payment_refund(payment=payment, amount=split.total, reason="Article refusé",
                         idempotency_key=key)  # fmt: skip
    return row, ledger_record_refund(refund=row, vendor_order=vendor_order, split=split)


@pytest.fixture
def two_vendors(db):
    """Two vendors (15 % and 10 % by default), the first with a 20 % rate on watches."""
    from allies.ledger.models import CommissionRate

    watches, shirts = CategoryFactory(name="Montres"), CategoryFactory(name="Chemises")
    verlaine = vendor_with_rates(name="Maison Verlaine", fee=Decimal("4.90"),
                                 commission_rate=Decimal("0.15"))  # fmt: skip
    brun = vendor_with_rates(name="Atelier Brun", fee=Decimal("6.00"),
                             commission_rate=Decimal("0.10"))  # fmt: skip
    CommissionRate.objects.create(vendor=verlaine, category=watches, rate=Decimal("0.20"))
    return {
        "verlaine": verlaine,
        "brun": brun,
        "watch": offer_of(verlaine, price="120.00", category=watches),
        "shirt": offer_of(verlaine, price="59.90", category=shirts),
        "wallet": offer_of(brun, price="45.00", category=shirts),
        "watches": watches,
        "shirts": shirts,
    }
