"""Reading the cart: lines grouped by vendor, with what changed since each item was added."""

from dataclasses import dataclass, field
from decimal import Decimal

from allies.cart.models import Cart, CartLine

ZERO = Decimal("0.00")


@dataclass
class CartLineView:
    line: CartLine
    unit_price: Decimal
    quantity: int
    available: int
    price_changed: bool
    old_price: Decimal

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def stock_short(self) -> bool:
        return self.quantity > self.available

    @property
    def product(self):
        return self.line.offer.variant.product

    @property
    def variant(self):
        return self.line.offer.variant

    @property
    def offer(self):
        return self.line.offer


@dataclass
class VendorGroup:
    vendor: object
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
    groups: dict[int, VendorGroup] = {}
    for line in rows:
        offer = line.offer
        available = offer.stock if offer.is_active and offer.vendor.is_active else 0
        view = CartLineView(
            line=line,
            unit_price=offer.price,
            quantity=line.quantity,
            available=available,
            price_changed=line.price_when_added != offer.price,
            old_price=line.price_when_added,
        )
        groups.setdefault(offer.vendor_id, VendorGroup(vendor=offer.vendor)).lines.append(view)
    return CartView(cart=cart, groups=list(groups.values()))
