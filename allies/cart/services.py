"""Writes on the cart: add, change quantity, remove, merge at login, discount code."""

from typing import Literal, overload

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.accounts.models import User
from allies.cart.discounts import DiscountLine, DiscountRefused, discount_evaluate
from allies.cart.models import Cart, CartLine
from allies.cart.selectors import held_units, units_for_sale
from allies.catalog.models import Offer
from allies.core.errors import AlliesError


class CartError(AlliesError):
    """A cart change that cannot be made; `str(exc)` is the customer-facing reason."""

    code = "cart_refused"


@overload
def cart_for_request(request: HttpRequest, *, create: Literal[True]) -> Cart: ...


@overload
def cart_for_request(request: HttpRequest, *, create: bool = False) -> Cart | None: ...


def cart_for_request(request: HttpRequest, *, create: bool = False) -> Cart | None:
    """The customer's cart, or the guest's cart kept in the session (created if `create`)."""
    if request.user.is_authenticated:
        if create:
            return Cart.objects.get_or_create(customer=request.user)[0]
        return Cart.objects.filter(customer=request.user).first()
    key = request.session.session_key
    if key is None:
        if not create:
            return None
        request.session.save()
        key = request.session.session_key
    if create:
        return Cart.objects.get_or_create(session_key=key)[0]
    return Cart.objects.filter(session_key=key).first()


def cart_owner(request: HttpRequest) -> dict:
    """Who a new cart of this request belongs to, as `Cart` fields: the customer, or the
    guest's session (saved now if it has no key yet)."""
    if request.user.is_authenticated:
        return {"customer": request.user}
    if request.session.session_key is None:
        request.session.save()
    return {"session_key": request.session.session_key}


def cart_add(
    *, cart: Cart | None, offer_id: int, quantity: int = 1, owner: dict | None = None
) -> tuple[CartLine, bool]:
    """Add units of an offer; returns the line and whether the quantity had to be limited.

    Without a `cart`, one is created for `owner` (`cart_owner`) in the same transaction as
    its first line: an offer that cannot be added leaves no empty cart behind. If another
    request created that owner's cart meanwhile, the units go to that cart."""
    try:
        with transaction.atomic():
            return _cart_add(cart, owner, offer_id, quantity)
    except IntegrityError:
        if cart is not None or owner is None:
            raise
        # The owner's cart appeared between our read and our insert (a double click).
        with transaction.atomic():
            return _cart_add(Cart.objects.get(**owner), None, offer_id, quantity)


def _cart_add(
    cart: Cart | None, owner: dict | None, offer_id: int, quantity: int
) -> tuple[CartLine, bool]:
    if quantity < 1:
        raise CartError(_("La quantité doit être d'au moins 1."))
    offer = Offer.objects.select_related("vendor").filter(pk=offer_id).first()
    if offer is None:
        raise CartError(_("Cet article n'est plus disponible chez ce vendeur."))
    created = cart is None
    if cart is None:
        if owner is None:
            raise ValueError("cart_add needs a cart or its owner")
        cart = Cart.objects.create(**owner)
        line = None  # a new cart has no lines
    else:
        line = CartLine.objects.filter(cart=cart, offer=offer).first()
    held = held_units(cart, line) if line else 0
    available = units_for_sale(offer, held=held)
    if available == 0:
        raise CartError(_("Cet article n'est plus disponible chez ce vendeur."))
    wanted = quantity + (line.quantity if line else 0)
    limited = wanted > available
    wanted = min(wanted, available)
    if line is None:
        line = CartLine.objects.create(
            cart=cart, offer=offer, quantity=wanted, price_when_added=offer.price
        )
    else:
        line.quantity = wanted
        line.save(update_fields=["quantity"])
    if not created:  # a new cart's updated_at is its creation's
        Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return line, limited


@transaction.atomic
def cart_line_set_quantity(*, cart: Cart, line_id: int, quantity: int) -> bool:
    """Set a line's quantity (0 removes it); returns whether it had to be limited by stock."""
    line = CartLine.objects.select_related("offer__vendor").filter(cart=cart, pk=line_id).first()
    if line is None:
        raise CartError(_("Cet article n'est plus dans votre panier."))
    if quantity <= 0:
        line.delete()
        return False
    available = units_for_sale(line.offer, held=held_units(cart, line))
    limited = quantity > available
    line.quantity = max(1, min(quantity, available)) if available else quantity
    line.save(update_fields=["quantity"])
    return limited


def cart_line_remove(*, cart: Cart, line_id: int) -> None:
    CartLine.objects.filter(cart=cart, pk=line_id).delete()


@transaction.atomic
def cart_prices_accept(*, cart: Cart) -> None:
    """The customer saw the new prices: they become the cart's prices."""
    for line in CartLine.objects.filter(cart=cart).select_related("offer"):
        if line.price_when_added != line.offer.price:
            line.price_when_added = line.offer.price
            line.save(update_fields=["price_when_added"])


@transaction.atomic
def cart_merge(*, guest_session_key: str | None, customer: User) -> Cart | None:
    """At login, the guest's lines join the customer's cart (quantities capped by stock)."""
    if not guest_session_key:
        return None
    guest = Cart.objects.filter(session_key=guest_session_key).first()
    if guest is None:
        return None
    cart = Cart.objects.get_or_create(customer=customer)[0]
    for line in guest.lines.select_related("offer__vendor"):
        mine = CartLine.objects.filter(cart=cart, offer=line.offer).first()
        limit = max(units_for_sale(line.offer), 1)
        if mine is None:
            line.cart = cart
            line.quantity = min(line.quantity, limit)
            line.save(update_fields=["cart", "quantity"])
        else:
            mine.quantity = min(mine.quantity + line.quantity, limit)
            mine.save(update_fields=["quantity"])
    if guest.discount_code_id and not cart.discount_code_id:
        cart.discount_code_id = guest.discount_code_id
        cart.save(update_fields=["discount_code"])
    guest.delete()
    return cart


def cart_discount_lines(cart: Cart) -> list[DiscountLine]:
    lines = CartLine.objects.filter(cart=cart).select_related("offer__variant__product")
    return [
        DiscountLine(
            vendor_id=ln.offer.vendor_id,
            category_id=ln.offer.variant.product.category_id,
            amount=ln.offer.price * ln.quantity,
        )
        for ln in lines
    ]


@transaction.atomic
def cart_discount_apply(*, cart: Cart, code: str, customer: User | None = None) -> None:
    """Check the code against the cart now; raises DiscountRefused with the reason."""
    result = discount_evaluate(
        code=code, lines=cart_discount_lines(cart), customer=customer, now=timezone.now()
    )
    cart.discount_code = result.code
    cart.save(update_fields=["discount_code"])


def cart_discount_remove(*, cart: Cart) -> None:
    cart.discount_code = None
    cart.save(update_fields=["discount_code"])


__all__ = [
    "CartError",
    "DiscountRefused",
    "cart_add",
    "cart_discount_apply",
    "cart_discount_remove",
    "cart_for_request",
    "cart_line_remove",
    "cart_line_set_quantity",
    "cart_merge",
    "cart_prices_accept",
]
