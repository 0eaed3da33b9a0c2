"""Placing an order from the cart: the one write of the checkout.

`order_place` turns the customer's cart and choices into an `Order` "awaiting payment" with
one `VendorOrder` per vendor, copies the addresses onto it, and holds the stock for
`RESERVATION_MINUTES`. The shipping fees come from the same engine as the simulation and the
discount from the same rules as the cart, re-computed here under lock so what is paid is what
was shown. Stock is taken with a conditional UPDATE (`stock >= quantity`), which is atomic on
SQLite and PostgreSQL alike: two buyers can never take the same last unit (CHK-8) — one
statement for all the order's offers.

`checkout_place` is "Payer": the same on the customer's cart, read once under its lock, and,
for a new order, its first payment attempt written in the same transaction (the provider's
page is opened after the commit, `payments.services.payment_open`). Placing an order costs a
fixed number of statements whatever its number of vendors and lines.

One unpaid order per customer (issue 9 §6). Every "Payer" goes through `order_place`, which
first locks the customer's cart row, so two presses of the same customer run one after the
other (PostgreSQL row lock; SQLite's IMMEDIATE transactions serialise every write anyway).
An order still awaiting payment is then either

- resumed, when it is exactly what the cart and choices would order now (same lines, prices,
  addresses, modes, code and total) and its hold has not lapsed: the customer pays the same
  order, with a new payment attempt if the last one failed (so "Mes achats" shows one order
  with its payment history, never one order per attempt), or
- replaced, otherwise: it is cancelled, its stock released, and the new one placed. Resuming
  something other than the cart would charge for what the customer no longer sees.

Each unpaid order holds at most `CHECKOUT_MAX_UNITS_PER_OFFER` units of one offer, and being
the customer's only unpaid order, that is what one customer can hold.

Discount limits ("once per customer", total uses) hold under concurrency: the code's row is
locked before its uses are counted, so the second of two simultaneous orders counts the
first (issue 9 §5).

An offer out of stock but being restocked ("En cours de réapprovisionnement - Livré sous X
semaines", CAT-2) is sold without taking stock; its vendor's delivery dates move by the
restock delay (`shipping.engine`), and the line keeps its weeks (`OrderLine.restock_weeks`)
so that releasing the order gives back no stock it never took.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.accounts.models import Address, User
from allies.cart.discounts import (
    DiscountLine,
    DiscountRefused,
    DiscountResult,
    discount_evaluate,
    discount_line_split,
)
from allies.cart.models import Cart, CartLine, DiscountCode
from allies.cart.selectors import held_units, restock_weeks_of, units_for_sale
from allies.cart.services import cart_discount_lines
from allies.catalog.models import Offer
from allies.catalog.services import product_summaries_refresh
from allies.core.errors import AlliesError
from allies.core.page_cache import product_pages_changed
from allies.orders.events import Actor, EventKind, order_event_add
from allies.orders.models import Order, OrderLine, VendorOrder
from allies.orders.services import order_cancel_unpaid, order_reference_next
from allies.payments.gateways.base import ReturnUrls
from allies.payments.models import Payment
from allies.payments.services import payment_prepare
from allies.shipping.engine import (
    QuoteItem,
    Selection,
    VendorQuote,
    VendorSelection,
    quote_cart,
    select_modes,
)
from allies.shipping.relay import relay_point_validate
from allies.shipping.selectors import rate_rules_for_vendors
from allies.shipping.zones import zone_for

RESERVATION_MINUTES = 15
# Failed card attempts on one order before "Payer" stops extending its hold: the customer
# may still cancel it, or wait for the hold to end and start again.
MAX_PAYMENT_ATTEMPTS = 5
ADDRESS_FIELDS = (
    "recipient", "company", "street", "street_extra", "postcode", "city", "country", "phone",
    "instructions",
)  # fmt: skip


class CheckoutError(AlliesError):
    """The order cannot be placed; `message` (also `str(exc)`) tells the customer why.
    Nothing was written.

    Codes: unknown_address, undeliverable, invalid_relay_point, empty_cart, unavailable,
    price_changed, too_many_units, out_of_stock, not_enough_stock, sold_out (taken by
    another customer meanwhile), too_many_payment_attempts, and discount_<DiscountRefused
    code> (discount_expired, discount_exhausted…)."""

    code = "checkout_refused"


@dataclass
class CheckoutChoices:
    delivery_address_id: int
    # None: the billing address of the customer's address book (ACC-9), if there is one,
    # else the delivery address. `bill_to_delivery`: the customer ticked "Identique à
    # l'adresse de livraison".
    billing_address_id: int | None = None
    modes: dict[int, str] = field(default_factory=dict)  # vendor id → home/express/relay
    relay_points: dict[int, str] = field(default_factory=dict)  # vendor id → relay point id
    bill_to_delivery: bool = False


def quoted_vendor_id(quoted: VendorQuote | VendorSelection) -> int:
    """The vendor of a cart's quote: `quote_cart` quotes vendors by their id, so it is never
    None here (only a quote made without any rate rule has no vendor)."""
    if quoted.vendor_id is None:
        raise ValueError("a cart's shipping quote always names its vendor")
    return quoted.vendor_id


def address_snapshot(address: Address) -> dict[str, Any]:
    return {name: getattr(address, name) for name in ADDRESS_FIELDS}


def _address(customer: User, address_id: int, kind: str) -> Address:
    address = Address.objects.filter(user=customer, pk=address_id, kind=kind).first()
    if address is None:
        raise CheckoutError(
            _("Choisissez une adresse de votre carnet d'adresses."), code="unknown_address"
        )
    return address


def billing_address_for(*, customer: User, choices: CheckoutChoices, delivery: Address) -> Address:
    """The address the order is billed to (CHK-6): the one chosen, else the address book's
    billing address, else the delivery address."""
    if choices.bill_to_delivery:
        return delivery
    if choices.billing_address_id:
        return _address(customer, choices.billing_address_id, Address.Kind.BILLING)
    saved = Address.objects.filter(user=customer, kind=Address.Kind.BILLING).first()
    return saved or delivery


@dataclass
class _Priced:
    selection: Selection
    discount: DiscountResult | None
    relays: dict[int, dict[str, Any]]


def _cart_lines(cart: Cart) -> list[CartLine]:
    return list(
        CartLine.objects.filter(cart=cart)
        .select_related("offer__vendor", "offer__variant__product")
        .order_by("offer__vendor_id", "id")
    )


def _price(
    *,
    customer: User,
    cart: Cart,
    lines: list[CartLine],
    delivery: Address,
    choices: CheckoutChoices,
    now: datetime,
) -> _Priced:
    """Fees, discount and totals of the cart for these choices, as the review page showed."""
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
                restock_weeks=restock_weeks_of(line.offer),
            )
        )
    quote = quote_cart(
        items, rate_rules_for_vendors(items.keys()), delivery.country, delivery.postcode,
        timezone.localdate(now),
    )  # fmt: skip

    discount = None
    if cart.discount_code_id:
        # Lock the code's row before counting its uses: a concurrent order with the same
        # code waits here until this one is committed, then counts it.
        code = DiscountCode.objects.select_for_update().filter(pk=cart.discount_code_id).first()
        try:
            discount = discount_evaluate(
                code=code.code if code is not None else "",  # gone: refused as unknown
                lines=cart_discount_lines(cart),
                customer=customer,
                now=now,
            )
        except DiscountRefused as exc:
            raise CheckoutError(exc.message, code=f"discount_{exc.code}") from exc
    try:
        selection = select_modes(
            quote, choices.modes, discount=discount.amount if discount else Decimal("0")
        )
    except ValidationError as exc:
        raise CheckoutError(exc.messages[0], code="undeliverable") from exc

    relays: dict[int, dict[str, Any]] = {}
    for chosen in selection.vendors:
        if chosen.mode != VendorOrder.ShippingMode.RELAY:
            continue
        vendor_id = quoted_vendor_id(chosen)
        try:
            point = relay_point_validate(
                point_id=choices.relay_points.get(vendor_id, ""),
                carrier=chosen.option.carrier,
                zone=selection.zone,
            )
        except ValidationError as exc:
            raise CheckoutError(exc.messages[0], code="invalid_relay_point") from exc
        relays[vendor_id] = point.as_order_data()
    return _Priced(selection=selection, discount=discount, relays=relays)


def _same_purchase(
    order: Order,
    *,
    lines: list[CartLine],
    delivery: dict[str, Any],
    billing: dict[str, Any],
    priced: _Priced,
) -> bool:
    """Whether the unpaid `order` is exactly what the cart and choices would order now."""
    ordered = sorted(
        (ln.offer_id, ln.quantity, ln.unit_price)
        for vo in order.vendor_orders.all()
        for ln in vo.lines.all()
    )
    wanted = sorted((ln.offer_id, ln.quantity, ln.offer.price) for ln in lines)
    modes = {
        vo.vendor_id: (vo.shipping_mode, (vo.relay_point or {}).get("id"))
        for vo in order.vendor_orders.all()
    }
    chosen = {
        quoted_vendor_id(s): (s.mode, priced.relays.get(quoted_vendor_id(s), {}).get("id"))
        for s in priced.selection.vendors
    }
    code_id = priced.discount.code.pk if priced.discount else None
    return (
        ordered == wanted
        and modes == chosen
        and order.delivery_address == delivery
        and order.billing_address == billing
        and order.discount_code_id == code_id
        and order.total == priced.selection.total
    )


def _resume(*, order: Order, cart: Cart, now: datetime) -> Order:
    """Pay `order` again: a new attempt gets a fresh hold, within MAX_PAYMENT_ATTEMPTS."""
    payments = list(Payment.objects.filter(order=order).values_list("status", flat=True))
    if Payment.Status.PENDING in payments or Payment.Status.SUCCEEDED in payments:
        return order  # the attempt under way goes on: payment_start gives its page again
    if len(payments) >= MAX_PAYMENT_ATTEMPTS:
        raise CheckoutError(
            _(
                "Trop de tentatives de paiement ont échoué pour la commande %(ref)s. "
                "Annulez-la depuis « Mes achats » ou réessayez dans %(minutes)s minutes."
            )
            % {"ref": order.reference, "minutes": RESERVATION_MINUTES},
            code="too_many_payment_attempts",
        )
    # Only the hold moves, never the status: the order is still awaiting payment.
    order.reserved_until = now + timedelta(minutes=RESERVATION_MINUTES)
    Order.objects.filter(pk=order.pk).update(reserved_until=order.reserved_until)
    Cart.objects.filter(pk=cart.pk).update(held_until=order.reserved_until)
    return order


def _cart_hold(*, cart: Cart, lines: list[CartLine], order: Order, restock: set[int]) -> None:
    """Tell the cart which of its units the new order holds, and until when, so the cart and
    checkout pages count them as this customer's, not as sold (`cart.selectors`)."""
    for line in lines:
        line.held_quantity = 0 if line.offer_id in restock else line.quantity
    CartLine.objects.bulk_update(lines, ["held_quantity"])
    Cart.objects.filter(pk=cart.pk).update(held_until=order.reserved_until)


def _check_stock(lines: list[CartLine]) -> None:
    cap = settings.CHECKOUT_MAX_UNITS_PER_OFFER
    for line in lines:
        offer = line.offer
        title, vendor = offer.variant.product.title, offer.vendor.name
        if line.quantity > cap:
            raise CheckoutError(
                _(
                    "Vous pouvez commander au plus %(max)s « %(title)s » à la fois : "
                    "modifiez la quantité."
                )
                % {"max": cap, "title": title},
                code="too_many_units",
            )
        if restock_weeks_of(offer):
            continue  # sold on restock: no stock to take (CAT-2)
        if offer.stock == 0:
            raise CheckoutError(
                _("« %(title)s » n'est plus disponible chez %(vendor)s.")
                % {"title": title, "vendor": vendor},
                code="out_of_stock",
            )
        if line.quantity > offer.stock:
            raise CheckoutError(
                _("Il ne reste que %(stock)s « %(title)s » chez %(vendor)s : modifiez la quantité.")
                % {"stock": offer.stock, "title": title, "vendor": vendor},
                code="not_enough_stock",
            )


@dataclass(frozen=True)
class Placed:
    """What "Payer" placed: the order awaiting payment, and its first payment attempt when
    the order is new and has something to pay (written with it; `payments.payment_open`
    opens the provider's page). A resumed order has none here: `payment_start` resumes or
    renews its attempt."""

    order: Order
    payment: Payment | None = None


def order_place(
    *, customer: User, cart: Cart, choices: CheckoutChoices, now: datetime | None = None
) -> Order:
    """The customer's order awaiting payment for this cart: resumed, or placed (replacing a
    different unpaid one), with its stock held; CheckoutError otherwise."""
    return _place(customer=customer, cart_id=cart.pk, choices=choices, now=now).order


def checkout_place(
    *,
    customer: User,
    choices: CheckoutChoices,
    payment_urls: ReturnUrls,
    now: datetime | None = None,
) -> Placed:
    """ "Payer": `order_place` on the customer's cart, read once, under its lock.

    A cart that changed since the customer last saw it (a price, or fewer units for sale than
    it holds, as the cart page shows them) is refused with the code `cart_changed`, and an
    empty one with `empty_cart`: the customer goes back to the cart. A new order with
    something to pay gets its first payment attempt in the same transaction (`Placed`)."""
    return _place(
        customer=customer,
        cart_id=None,
        choices=choices,
        now=now,
        payment_urls=payment_urls,
        refuse_changed_cart=True,
    )


def _cart_changed(cart: Cart, lines: list[CartLine]) -> bool:
    """What `cart.selectors.CartView.has_changes` says of these lines: a price changed, or
    more units than may be sold now (its own held units counted)."""
    for line in lines:
        held = held_units(cart, line)
        if line.price_when_added != line.offer.price:
            return True
        if line.quantity > units_for_sale(line.offer, held=held):
            return True
    return False


@transaction.atomic
def _place(
    *,
    customer: User,
    cart_id: int | None,
    choices: CheckoutChoices,
    now: datetime | None,
    payment_urls: ReturnUrls | None = None,
    refuse_changed_cart: bool = False,
) -> Placed:
    now = now or timezone.now()
    # One checkout at a time per customer: concurrent "Payer" wait here (see module doc).
    carts = Cart.objects.select_for_update()
    cart = (carts.filter(pk=cart_id) if cart_id else carts.filter(customer=customer)).first()
    lines = _cart_lines(cart) if cart is not None else []
    if cart is None or not lines:
        raise CheckoutError(_("Votre panier est vide."), code="empty_cart")
    if refuse_changed_cart and _cart_changed(cart, lines):
        raise CheckoutError(
            _("Des prix ou des stocks ont changé depuis l'ajout au panier : vérifiez-les."),
            code="cart_changed",
        )
    delivery = _address(customer, choices.delivery_address_id, Address.Kind.DELIVERY)
    billing = billing_address_for(customer=customer, choices=choices, delivery=delivery)
    try:
        zone_for(delivery.country, delivery.postcode)
    except ValidationError as exc:
        raise CheckoutError(exc.messages[0], code="undeliverable") from exc

    for line in lines:
        offer = line.offer
        if not (offer.is_active and offer.vendor.is_active):
            raise CheckoutError(
                _("« %(title)s » n'est plus disponible chez %(vendor)s.")
                % {"title": offer.variant.product.title, "vendor": offer.vendor.name},
                code="unavailable",
            )
        if line.price_when_added != offer.price:
            raise CheckoutError(
                _("Le prix de « %(title)s » a changé : vérifiez votre panier.")
                % {"title": offer.variant.product.title},
                code="price_changed",
            )

    priced = _price(
        customer=customer, cart=cart, lines=lines, delivery=delivery, choices=choices, now=now
    )
    delivery_copy, billing_copy = address_snapshot(delivery), address_snapshot(billing)
    pending = list(
        Order.objects.select_for_update()
        .filter(customer=customer, status=Order.Status.AWAITING_PAYMENT)
        .prefetch_related("vendor_orders__lines")
        .order_by("-created_at", "-id")
    )
    resumed, replaced = None, False
    for order in pending:
        if (
            resumed is None
            and order.reserved_until is not None
            and order.reserved_until > now
            and _same_purchase(
                order, lines=lines, delivery=delivery_copy, billing=billing_copy, priced=priced
            )
        ):
            resumed = order
            continue
        order_cancel_unpaid(order=order, actor=Actor.customer(customer), reason="replaced")
        replaced = True
    if resumed is not None:
        return Placed(order=_resume(order=resumed, cart=cart, now=now))
    if replaced:
        # The replaced orders gave their stock back: read it again, and what it implies.
        lines = _cart_lines(cart)
        priced = _price(
            customer=customer, cart=cart, lines=lines, delivery=delivery, choices=choices, now=now
        )
    _check_stock(lines)
    order = _order_create(
        customer=customer,
        lines=lines,
        priced=priced,
        delivery=delivery_copy,
        billing=billing_copy,
        now=now,
    )
    restock = {ln.offer_id for ln in lines if restock_weeks_of(ln.offer)}
    _cart_hold(cart=cart, lines=lines, order=order, restock=restock)
    payment = None
    if payment_urls is not None and order.total > 0:
        # The order's first attempt: nothing to look up, the order was just written.
        payment = payment_prepare(order=order, urls=payment_urls)
    return Placed(order=order, payment=payment)


def _order_create(
    *,
    customer: User,
    lines: list[CartLine],
    priced: _Priced,
    delivery: dict[str, Any],
    billing: dict[str, Any],
    now: datetime,
) -> Order:
    selection, discount, relays = priced.selection, priced.discount, priced.relays
    order = Order.objects.create(
        reference=order_reference_next(year=timezone.localdate(now).year),
        customer=customer,
        language=customer.language or "fr",
        delivery_address=delivery,
        billing_address=billing,
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
    vendor_orders = [
        VendorOrder(
            order=order,
            vendor_id=quoted_vendor_id(chosen),
            relay_point=relays.get(quoted_vendor_id(chosen)),
            discount_share=shares.get(quoted_vendor_id(chosen), Decimal("0")),
            # The restock wait is part of the delay: the dates given again when the order
            # is validated keep it (orders.services.order_payment_succeeded).
            delivery_min_days=chosen.option.min_days + chosen.option.restock_days,
            delivery_max_days=chosen.option.max_days + chosen.option.restock_days,
            **chosen.order_fields(),
        )
        for chosen in selection.vendors
    ]
    # One INSERT for the vendor orders (their ids come back), one for all the lines.
    VendorOrder.objects.bulk_create(vendor_orders)
    order_lines = []
    for vendor_order in vendor_orders:
        vendor_lines = by_vendor_lines[vendor_order.vendor_id]
        # Each line's part of the vendor's discount share, fixed now: a refund of the line
        # gives back exactly what was paid for it (allies.orders.refunds).
        line_discounts = (
            discount_line_split(
                code=discount.code,
                share=vendor_order.discount_share,
                lines=[
                    DiscountLine(
                        vendor_id=ln.offer.vendor_id,
                        category_id=ln.offer.variant.product.category_id,
                        amount=ln.offer.price * ln.quantity,
                    )
                    for ln in vendor_lines
                ],
            )
            if discount and vendor_order.discount_share
            else [Decimal("0")] * len(vendor_lines)
        )
        for line, line_discount in zip(vendor_lines, line_discounts, strict=True):
            offer, product = line.offer, line.offer.variant.product
            order_lines.append(
                OrderLine(
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
                    discount_amount=line_discount,
                    restock_weeks=restock_weeks_of(offer) or None,
                )
            )
    OrderLine.objects.bulk_create(order_lines)
    _stock_take(lines)
    order_event_add(
        order=order, kind=EventKind.CREATED, actor=Actor.customer(customer), total=str(order.total)
    )
    return order


def _stock_take(lines: list[CartLine]) -> None:
    """Take the ordered units from stock, all offers in ONE conditional UPDATE: an offer is
    taken only if it still has the units (`stock >= quantity`, atomic on SQLite and
    PostgreSQL alike, CHK-8); if one is missing, CheckoutError ("sold_out") and the caller's
    transaction undoes everything. Offers sold on restock take no stock (CAT-2).

    The listing summaries (`catalog.services.product_summaries_refresh`) depend on stock only
    through whether it is above zero (`catalog.services.OfferFacts.availability`): only the
    products whose offer came down to zero are refreshed; the pages of the products sold,
    which may show the stock, are renewed after the commit in any case (and only them: the
    listings change with a summary)."""
    wanted = {ln.offer_id: ln for ln in lines if not restock_weeks_of(ln.offer)}
    if not wanted:
        return
    connection = connections[router.db_for_write(Offer)]
    quote = connection.ops.quote_name
    table, pk, stock = quote(Offer._meta.db_table), quote("id"), quote("stock")
    case = f"CASE {pk} " + " ".join(["WHEN %s THEN %s"] * len(wanted)) + " END"
    quantities = [value for ln in wanted.values() for value in (ln.offer_id, ln.quantity)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {stock} = {stock} - {case}"
            f" WHERE {pk} IN ({', '.join(['%s'] * len(wanted))}) AND {stock} >= {case}"
            f" RETURNING {pk}, {stock}",
            [*quantities, *wanted, *quantities],
        )
        taken = dict(cursor.fetchall())
    for offer_id, line in wanted.items():
        if offer_id not in taken:
            # Someone bought the last units since we read them: the atomic block undoes all.
            raise CheckoutError(
                _("« %(title)s » vient d'être acheté par un autre client chez %(vendor)s.")
                % {"title": line.offer.variant.product.title, "vendor": line.offer.vendor.name},
                code="sold_out",
            )
    product_pages_changed(
        [wanted[offer_id].offer.variant.product.slug for offer_id in taken],
        using=connection.alias,
    )
    emptied = {
        wanted[offer_id].offer.variant.product_id for offer_id, left in taken.items() if left == 0
    }
    if emptied:
        product_summaries_refresh(product_ids=emptied)
