"""Discount codes ("code de réduction", CHK-5): who may use a code, and how much it takes off.

A code applies to the lines of the cart (never to shipping), optionally only to one vendor's
or one category's lines. Its amount is split between the vendor orders in proportion to their
eligible lines, so each vendor's account knows its share and who funds it.
Usage limits count the orders that carry the code and are paid or awaiting payment.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from allies.cart.models import DiscountCode
from allies.core.money import format_eur, to_cents

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class DiscountLine:
    vendor_id: int
    category_id: int
    amount: Decimal  # line total TTC


@dataclass(frozen=True)
class DiscountResult:
    code: DiscountCode
    amount: Decimal
    by_vendor: dict[int, Decimal] = field(default_factory=dict)


class DiscountRefused(Exception):
    """The code cannot be used; `str(exc)` is the customer-facing reason."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


def normalize_code(code: str) -> str:
    return "".join((code or "").split()).upper()


def _uses(code: DiscountCode, customer=None) -> int:
    from allies.orders.models import Order

    live = Q(status__in=[Order.Status.AWAITING_PAYMENT, Order.Status.VALIDATED])
    qs = Order.objects.filter(live, discount_code=code)
    if customer is not None:
        qs = qs.filter(customer=customer)
    return qs.count()


def split_proportionally(total: Decimal, weights: dict[int, Decimal]) -> dict[int, Decimal]:
    """Split `total` by weights, to the cent, the shares adding up exactly to `total`."""
    base = sum(weights.values(), ZERO)
    if not weights or base <= 0:
        return {}
    shares = {k: to_cents(total * w / base) for k, w in weights.items()}
    remainder = to_cents(total) - sum(shares.values(), ZERO)
    if remainder:
        biggest = max(weights, key=lambda k: (weights[k], -k))
        shares[biggest] += remainder
    return shares


def discount_evaluate(
    *, code: str, lines: list[DiscountLine], customer, now: datetime
) -> DiscountResult:
    """What `code` takes off these lines for this customer now, or DiscountRefused."""
    normalized = normalize_code(code)
    obj = DiscountCode.objects.filter(code=normalized, is_active=True).first()
    if not normalized or obj is None:
        raise DiscountRefused(_("Ce code de réduction n'existe pas."), code="unknown")
    if now < obj.valid_from:
        raise DiscountRefused(
            _("Ce code de réduction n'est pas encore valable."), code="not_started"
        )
    if obj.valid_until and now > obj.valid_until:
        raise DiscountRefused(_("Ce code de réduction a expiré."), code="expired")
    eligible = [
        ln
        for ln in lines
        if (obj.vendor_id is None or ln.vendor_id == obj.vendor_id)
        and (obj.category_id is None or ln.category_id == obj.category_id)
    ]
    if not eligible:
        raise DiscountRefused(
            _("Ce code de réduction ne s'applique à aucun article de votre panier."),
            code="not_applicable",
        )
    subtotal = sum((ln.amount for ln in eligible), ZERO)
    if subtotal < obj.minimum_amount:
        raise DiscountRefused(
            _("Ce code de réduction s'applique dès %(amount)s d'achats.")
            % {"amount": format_eur(obj.minimum_amount, language=get_language() or "fr")},
            code="minimum_not_reached",
        )
    if obj.max_uses is not None and _uses(obj) >= obj.max_uses:
        raise DiscountRefused(_("Ce code de réduction n'est plus disponible."), code="exhausted")
    if (
        customer is not None
        and obj.max_uses_per_customer is not None
        and _uses(obj, customer) >= obj.max_uses_per_customer
    ):
        raise DiscountRefused(
            _("Vous avez déjà utilisé ce code de réduction."), code="already_used"
        )
    if obj.kind == DiscountCode.Kind.PERCENT:
        amount = to_cents(subtotal * obj.value / Decimal(100))
    else:
        amount = to_cents(obj.value)
    amount = min(amount, subtotal)
    weights: dict[int, Decimal] = {}
    for ln in eligible:
        weights[ln.vendor_id] = weights.get(ln.vendor_id, ZERO) + ln.amount
    return DiscountResult(code=obj, amount=amount, by_vendor=split_proportionally(amount, weights))
