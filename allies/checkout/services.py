"""Placing an order from the cart: the one write of the checkout.

`order_place` turns the customer's cart and choices into an `Order` "awaiting payment" with
one `VendorOrder` per vendor, copies the addresses onto it, and holds the stock for
`RESERVATION_MINUTES`. The shipping fees come from the same engine as the simulation and the
discount from the same rules as the cart, re-computed here under lock so what is paid is what
was shown. Stock is taken with a conditional UPDATE (`stock >= quantity`), which is atomic on
SQLite and PostgreSQL alike: two buyers can never take the same last unit (CHK-8).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.accounts.models import Address
from allies.cart.discounts import DiscountRefused, discount_evaluate
from allies.cart.models import Cart, CartLine
from allies.cart.services import cart_discount_lines
from allies.catalog.models import Offer
from allies.catalog.services import product_summaries_refresh
from allies.orders.models import Order, OrderLine, VendorOrder
from allies.orders.services import order_event_add, order_reference_next
from allies.shipping.engine import QuoteItem, quote_cart, select_modes
from allies.shipping.relay import relay_point_validate
from allies.shipping.selectors import rate_rules_for_vendors
from allies.shipping.zones import zone_for

RESERVATION_MINUTES = 15
ADDRESS_FIELDS = (
    "recipient", "company", "street", "street_extra", "postcode", "city", "country", "phone",
    "instructions",
)  # fmt: skip


class CheckoutError(Exception):
    """The order cannot be placed; `str(exc)` tells the customer why. Nothing was written."""


@dataclass
class CheckoutChoices:
    delivery_address_id: int
    billing_address_id: int | None = None  # None: bill to the delivery address
    modes: dict[int, str] = field(default_factory=dict)  # vendor id → home/express/relay
    relay_points: dict[int, str] = field(default_factory=dict)  # vendor id → relay point id


def address_snapshot(address: Address) -> dict:
    return {name: getattr(address, name) for name in ADDRESS_FIELDS}


def _address(customer, address_id: int | None, kind: str) -> Address:
    address = Address.objects.filter(user=customer, pk=address_id, kind=kind).first()
    if address is None:
        raise CheckoutError(_("Choisissez une adresse de votre carnet d'adresses."))
    return address


@transaction.atomic
def order_place(*, customer, cart: Cart, choices: CheckoutChoices, now: datetime | None = None):
    """Create the order awaiting payment and reserve its stock; CheckoutError otherwise."""
    now = now or timezone.now()
    delivery = _address(customer, choices.delivery_address_id, Address.Kind.DELIVERY)
    billing = (
        _address(customer, choices.billing_address_id, Address.Kind.BILLING)
        if choices.billing_address_id
        else delivery
    )
    try:
        zone_for(delivery.country, delivery.postcode)
    except ValidationError as exc:
        raise CheckoutError(exc.messages[0]) from exc

    lines = list(
        CartLine.objects.filter(cart=cart)
        .select_related("offer__vendor", "offer__variant__product")
        .order_by("offer__vendor_id", "id")
    )
    if not lines:
        raise CheckoutError(_("Votre panier est vide."))
    for line in lines:
        offer = line.offer
        if not (offer.is_active and offer.vendor.is_active) or offer.stock == 0:
            raise CheckoutError(
                _("« %(title)s » n'est plus disponible chez %(vendor)s.")
                % {"title": offer.variant.product.title, "vendor": offer.vendor.name}
            )
        if line.quantity > offer.stock:
            raise CheckoutError(
                _("Il ne reste que %(stock)s « %(title)s » chez %(vendor)s : modifiez la quantité.")
                % {
                    "stock": offer.stock,
                    "title": offer.variant.product.title,
                    "vendor": offer.vendor.name,
                }
            )
        if line.price_when_added != offer.price:
            raise CheckoutError(
                _("Le prix de « %(title)s » a changé : vérifiez votre panier.")
                % {"title": offer.variant.product.title}
            )

    items: dict[int, list[QuoteItem]] = {}
    for line in lines:
        product = line.offer.variant.product
        items.setdefault(line.offer.vendor_id, []).append(
            QuoteItem(
                offer_id=line.offer_id,
                quantity=line.quantity,
                unit_price=line.offer.price,
                weight_grams=product.weight_grams,
                parcel_count=product.parcel_count,
            )
        )
    quote = quote_cart(
        items, rate_rules_for_vendors(items.keys()), delivery.country, delivery.postcode,
        timezone.localdate(now),
    )  # fmt: skip

    discount = None
    if cart.discount_code_id:
        try:
            discount = discount_evaluate(
                code=cart.discount_code.code,
                lines=cart_discount_lines(cart),
                customer=customer,
                now=now,
            )
        except DiscountRefused as exc:
            raise CheckoutError(str(exc)) from exc
    try:
        selection = select_modes(
            quote, choices.modes, discount=discount.amount if discount else Decimal("0")
        )
    except ValidationError as exc:
        raise CheckoutError(exc.messages[0]) from exc

    relays: dict[int, dict] = {}
    for chosen in selection.vendors:
        if chosen.mode != VendorOrder.ShippingMode.RELAY:
            continue
        try:
            point = relay_point_validate(
                point_id=choices.relay_points.get(chosen.vendor_id, ""),
                carrier=chosen.option.carrier,
                zone=selection.zone,
            )
        except ValidationError as exc:
            raise CheckoutError(exc.messages[0]) from exc
        relays[chosen.vendor_id] = point.as_order_data()

    order = Order.objects.create(
        reference=order_reference_next(year=timezone.localdate(now).year),
        customer=customer,
        language=getattr(customer, "language", "fr") or "fr",
        delivery_address=address_snapshot(delivery),
        billing_address=address_snapshot(billing),
        lines_total=selection.lines_total,
        shipping_total=selection.shipping_total,
        discount_total=selection.discount_total,
        total=selection.total,
        discount_code=discount.code if discount else None,
        reserved_until=now + timedelta(minutes=RESERVATION_MINUTES),
    )
    shares = discount.by_vendor if discount else {}
    by_vendor_lines: dict[int, list[CartLine]] = {}
    for line in lines:
        by_vendor_lines.setdefault(line.offer.vendor_id, []).append(line)
    for chosen in selection.vendors:
        vendor_order = VendorOrder.objects.create(
            order=order,
            vendor_id=chosen.vendor_id,
            relay_point=relays.get(chosen.vendor_id),
            discount_share=shares.get(chosen.vendor_id, Decimal("0")),
            delivery_min_days=chosen.option.min_days,
            delivery_max_days=chosen.option.max_days,
            **chosen.order_fields(),
        )
        for line in by_vendor_lines[chosen.vendor_id]:
            offer, product = line.offer, line.offer.variant.product
            OrderLine.objects.create(
                vendor_order=vendor_order,
                vendor_id=offer.vendor_id,
                offer=offer,
                product_title=product.title,
                variant_label=offer.variant.label,
                sku=offer.vendor_sku or offer.variant.sku,
                unit_price=offer.price,
                vat_rate=product.vat_rate,
                quantity=line.quantity,
                parcel_count=product.parcel_count,
                weight_grams=product.weight_grams,
            )
            taken = Offer.objects.filter(pk=offer.pk, stock__gte=line.quantity).update(
                stock=F("stock") - line.quantity
            )
            if not taken:
                # Someone bought the last units since we read them: the atomic block undoes all.
                raise CheckoutError(
                    _("« %(title)s » vient d'être acheté par un autre client chez %(vendor)s.")
                    % {"title": product.title, "vendor": offer.vendor.name}
                )
    product_summaries_refresh(product_ids={ln.offer.variant.product_id for ln in lines})
    order_event_add(order=order, kind="created", actor=customer, total=str(order.total))
    return order
