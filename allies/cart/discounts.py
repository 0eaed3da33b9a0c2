"""Discount codes ("code de réduction", CHK-5): who may use a code, and how much it takes off.

A code applies to the lines of the cart (never to shipping), optionally only to one vendor's
or one category's lines. Its amount is split between the vendor orders in proportion to their
eligible lines, so each vendor's account knows its share and who funds it, then each vendor's
share over its eligible lines (`discount_line_split`): every order line records what it was
charged less, and a refund gives back exactly what was paid for it.
Usage limits count the orders that carry the code and are paid or awaiting payment, except
the customer's own unpaid order: the checkout resumes or replaces it (one unpaid order per
customer, `checkout.services.order_place`), so paying it again is not a second use. The cart
sits below the apps that place orders and may not import them: it asks the hook
`discount_code_uses` (`allies.core.hooks`), answered by `checkout.discount_uses`. The
checkout re-evaluates the code while holding a lock on its row, so two orders placed at the
same moment cannot both take the last use (issue 9 §5).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from allies.accounts.models import User
from allies.cart.models import DiscountCode
from allies.core.errors import AlliesError
from allies.core.hooks import hook_call
from allies.core.money import format_eur, round_cent

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


class DiscountRefused(AlliesError):
    """The code cannot be used; `str(exc)` is the customer-facing reason, `code` why
    ("unknown", "expired", "exhausted", "already_used"…)."""

    code = "discount_refused"

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code)


def normalize_code(code: str) -> str:
    return "".join((code or "").split()).upper()


def _uses(code: DiscountCode, *, customer: User | None, by_customer_only: bool = False) -> int:
    """Orders that used `code` (paid or awaiting payment), not counting `customer`'s unpaid
    order; with `by_customer_only`, only `customer`'s orders. Asked of the app that places
    orders (hook `discount_code_uses`): a limit nobody can count is a configuration error,
    never a code used without limit."""
    answers = hook_call(
        "discount_code_uses", code=code, customer=customer, by_customer_only=by_customer_only
    )
    if len(answers) != 1:
        raise RuntimeError(f"discount_code_uses needs exactly one receiver, got {len(answers)}")
    return int(answers[0])


def split_proportionally(total: Decimal, weights: dict[int, Decimal]) -> dict[int, Decimal]:
    """Split `total` by weights, to the cent, the shares adding up exactly to `total`."""
    base = sum(weights.values(), ZERO)
    if not weights or base <= 0:
        return {}
    shares = {k: round_cent(total * w / base) for k, w in weights.items()}
    remainder = round_cent(total) - sum(shares.values(), ZERO)
    if remainder:
        biggest = max(weights, key=lambda k: (weights[k], -k))
        shares[biggest] += remainder
    return shares


def discount_applies(*, code: DiscountCode, line: DiscountLine) -> bool:
    """Whether `code` takes something off this line (its vendor and category scope)."""
    return (code.vendor_id is None or line.vendor_id == code.vendor_id) and (
        code.category_id is None or line.category_id == code.category_id
    )


def discount_line_split(
    *, code: DiscountCode, share: Decimal, lines: Sequence[DiscountLine]
) -> list[Decimal]:
    """One vendor's share of the code split over that vendor's lines, in their order.

    The lines the code applies to carry it, in proportion to their totals, to the cent; the
    parts add up exactly to `share`. This is what each line is charged less at placement
    (`OrderLine.discount_amount`), hence what a refund of the line keeps back: a line the
    code does not apply to carries nothing. (Should no line be in scope any more, every
    line carries it, so the share is never lost.)
    """
    eligible = {i: ln.amount for i, ln in enumerate(lines) if discount_applies(code=code, line=ln)}
    parts = split_proportionally(share, eligible or {i: ln.amount for i, ln in enumerate(lines)})
    return [parts.get(i, ZERO) for i in range(len(lines))]


def discount_evaluate(
    *,
    code: str,
    lines: list[DiscountLine],
    customer: User | None,
    now: datetime,
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
    eligible = [ln for ln in lines if discount_applies(code=obj, line=ln)]
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
    if obj.max_uses is not None and _uses(obj, customer=customer) >= obj.max_uses:
        raise DiscountRefused(_("Ce code de réduction n'est plus disponible."), code="exhausted")
    if (
        customer is not None
        and obj.max_uses_per_customer is not None
        and _uses(obj, customer=customer, by_customer_only=True) >= obj.max_uses_per_customer
    ):
        raise DiscountRefused(
            _("Vous avez déjà utilisé ce code de réduction."), code="already_used"
        )
    if obj.kind == DiscountCode.Kind.PERCENT:
        amount = round_cent(subtotal * obj.value / Decimal(100))
    else:
        amount = round_cent(obj.value)
    amount = min(amount, subtotal)
    weights: dict[int, Decimal] = {}
    for ln in eligible:
        weights[ln.vendor_id] = weights.get(ln.vendor_id, ZERO) + ln.amount
    return DiscountResult(code=obj, amount=amount, by_vendor=split_proportionally(amount, weights))
