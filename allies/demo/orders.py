"""A few paid orders of the demo customer, so a demo vendor's portal has work in it.

They go through the real services (cart, `order_place`, the sandbox bank, the vendor's
decisions and shipments): the same rows, events, ledger entries and emails as a real
purchase. Made only with the sandbox gateway, whose test card needs no network.

Each pair of demo vendors (the first four vendors, in turn) gets one order in each state a
vendor meets: waiting for acceptance, accepted (to ship), shipped in two parcels, delivered.
"""

from __future__ import annotations

import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def _offers_for(vendor, count: int):
    from allies.catalog.models import Offer

    return list(
        Offer.objects.filter(vendor=vendor, is_active=True, stock__gte=5)
        .select_related("variant__product")
        .order_by("variant__product__created_at", "id")[:count]
    )


def _buy(*, customer, address, items):
    from allies.cart.models import Cart
    from allies.cart.services import cart_add
    from allies.checkout.services import CheckoutChoices, order_place
    from allies.payments.gateways.sandbox import sandbox_card_submit
    from allies.payments.models import SandboxCheckout
    from allies.payments.services import (
        payment_return_handle,
        payment_return_urls,
        payment_start,
    )
    from allies.shipping.models import ShippingRate

    cart, _created = Cart.objects.get_or_create(customer=customer)
    cart.lines.all().delete()
    modes = {}
    for offer, quantity in items:
        cart_add(cart=cart, offer_id=offer.pk, quantity=quantity)
        rate = (
            ShippingRate.objects.filter(vendor_id=offer.vendor_id, zone="FR", is_active=True)
            .order_by("base_fee")
            .exclude(mode="relay")
            .first()
        )
        modes[offer.vendor_id] = rate.mode if rate else "home"
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
    return order


def demo_orders_create(*, vendors) -> int:
    """Four orders across the first vendors; returns how many were made (0 if not sandbox)."""
    from allies.accounts.models import Address, User
    from allies.demo import identities
    from allies.orders.acceptance import vendor_order_lines_decide
    from allies.orders.models import Order, VendorOrder
    from allies.orders.shipments import vendor_order_mark_delivered, vendor_order_ship

    if settings.PAYMENT_GATEWAY != "sandbox":
        return 0
    customer = User.objects.get(email=identities.CUSTOMER_EMAIL)
    address = Address.objects.filter(user=customer).order_by("id").first()
    if address is None or Order.objects.filter(customer=customer).exists():
        return 0
    first, second = vendors[0], vendors[1]
    made = 0
    for step in ("waiting", "to_ship", "shipped", "delivered"):
        a_offers, b_offers = _offers_for(first, 8), _offers_for(second, 8)
        if len(a_offers) < 8 or len(b_offers) < 8:
            break
        index = made * 2
        items = [(a_offers[index], 1), (a_offers[index + 1], 2), (b_offers[index], 1)]
        order = _buy(customer=customer, address=address, items=items)
        if order.status != Order.Status.VALIDATED:
            logger.warning("demo order %s was not validated", order.reference)
            break
        made += 1
        if step == "waiting":
            continue
        for vendor in (first, second):
            vendor_order = VendorOrder.objects.get(order=order, vendor=vendor)
            vendor_order_lines_decide(
                vendor_order=vendor_order,
                vendor=vendor,
                decisions={line.pk: "accept" for line in vendor_order.lines.all()},
            )
            if step == "to_ship":
                continue
            carrier = vendor_order.carrier or "colissimo"
            count = 2 if vendor == first else 1  # the first vendor ships in two parcels
            if carrier == "dpd":
                parcels = [f"{vendor_order.pk:013d}{i}" for i in range(1, count + 1)]
            else:
                carrier = carrier if carrier in ("colissimo", "chronopost") else "colissimo"
                parcels = [f"6A1{vendor_order.pk:08d}{i}" for i in range(1, count + 1)]
            vendor_order_ship(vendor_order=vendor_order, vendor=vendor, carrier=carrier,
                              parcels=parcels)  # fmt: skip
            if step == "delivered":
                vendor_order_mark_delivered(vendor_order=vendor_order, vendor=vendor)
    return made
