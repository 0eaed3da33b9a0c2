"""Reading the cart: lines grouped by vendor, with what changed since each item was added."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from allies.cart.models import Cart, CartLine
from allies.catalog.models import Offer, Product, Variant
from allies.vendors.models import Vendor

ZERO = Decimal("0.00")


def units_for_sale(offer: Offer, *, held: int = 0) -> int:
    """How many units of `offer` one customer may put in the cart and order now.

    In stock: the stock, plus the `held` units the customer's own unpaid order took from it.
    Out of stock but being restocked ("En cours de réapprovisionnement - Livré sous X
    semaines", CAT-2): sold on restock, without taking stock, delivered later. Either way at
    most CHECKOUT_MAX_UNITS_PER_OFFER, so one customer's unpaid order cannot hold a vendor's
    whole stock (issue 9 §6). Needs `offer.vendor` loaded.
    """
    if not (offer.is_active and offer.vendor.is_active):
        return 0
    cap = settings.CHECKOUT_MAX_UNITS_PER_OFFER
    if offer.stock + held > 0:
        return min(offer.stock + held, cap)
    return cap if offer.restock_weeks else 0


def restock_weeks_of(offer: Offer, *, held: int = 0) -> int:
    """Weeks before a restocking offer ships (0 when it is in stock or not restocking)."""
    return (offer.restock_weeks or 0) if offer.stock + held == 0 else 0


def held_units(cart: Cart, line: CartLine) -> int:
    """Units of `line` the customer's unpaid order holds, while its hold lasts."""
    if cart.held_until is None or cart.held_until <= timezone.now():
        return 0
    return line.held_quantity


@dataclass
class CartLineView:
    line: CartLine
    unit_price: Decimal
    quantity: int
    available: int
    price_changed: bool
    old_price: Decimal
    held: int = 0  # units held for this customer by their unpaid order

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def stock_short(self) -> bool:
        return self.quantity > self.available

    @property
    def product(self) -> Product:
        return self.line.offer.variant.product

    @property
    def variant(self) -> Variant:
        return self.line.offer.variant

    @property
    def offer(self) -> Offer:
        return self.line.offer

    @property
    def restock_weeks(self) -> int:
        """Sold on restock: "Livré sous X semaines" (0 when in stock)."""
        return restock_weeks_of(self.line.offer, held=self.held)


@dataclass
class VendorGroup:
    vendor: Vendor
    lines: list[CartLineView] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((ln.total for ln in self.lines), ZERO)

    @property
    def item_count(self) -> int:
        return sum(ln.quantity for ln in self.lines)


@dataclass
class CartView:
    cart: Cart | None
    groups: list[VendorGroup]

    @property
    def lines_total(self) -> Decimal:
        return sum((g.subtotal for g in self.groups), ZERO)

    @property
    def item_count(self) -> int:
        return sum(g.item_count for g in self.groups)

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def has_changes(self) -> bool:
        return any(ln.price_changed or ln.stock_short for g in self.groups for ln in g.lines)

    @property
    def lines(self) -> list[CartLineView]:
        return [ln for g in self.groups for ln in g.lines]


def cart_view(cart: Cart | None) -> CartView:
    """The cart grouped by vendor (in the order vendors were first added); one query."""
    if cart is None:
        return CartView(cart=None, groups=[])
    rows = (
        CartLine.objects.filter(cart=cart)
        .select_related("offer__vendor", "offer__variant__product__category")
        .order_by("id")
    )
    return _grouped(cart, rows)


def customer_cart_view(customer) -> CartView:
    """A signed-in customer's cart, as `cart_view`, in one query: the lines with their cart
    (what the checkout pages read on every step). An empty cart has `cart` None."""
    rows = list(
        CartLine.objects.filter(cart__customer=customer)
        .select_related("cart", "offer__vendor", "offer__variant__product__category")
        .order_by("id")
    )
    if not rows:
        return CartView(cart=None, groups=[])
    cart = rows[0].cart
    for line in rows:
        line.cart = cart  # one instance for all the lines
    return _grouped(cart, rows)


def _grouped(cart: Cart, rows: Iterable[CartLine]) -> CartView:
    groups: dict[int, VendorGroup] = {}
    for line in rows:
        offer = line.offer
        held = held_units(cart, line)
        view = CartLineView(
            line=line,
            unit_price=offer.price,
            quantity=line.quantity,
            available=units_for_sale(offer, held=held),
            price_changed=line.price_when_added != offer.price,
            old_price=line.price_when_added,
            held=held,
        )
        groups.setdefault(offer.vendor_id, VendorGroup(vendor=offer.vendor)).lines.append(view)
    return CartView(cart=cart, groups=list(groups.values()))
