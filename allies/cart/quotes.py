"""The cart's shipping quote: cart lines turned into the shipping engine's items.

It only reads the cart and the shipping engine, so it lives with the cart (the cart page's
delivery simulation) and the checkout, above, uses it too.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

from allies.cart.selectors import CartView
from allies.shipping.engine import CartQuote, QuoteItem
from allies.shipping.selectors import cart_shipping_quote


def cart_items_by_vendor(view: CartView) -> dict[int, list[QuoteItem]]:
    items: dict[int, list[QuoteItem]] = {}
    for group in view.groups:
        for line in group.lines:
            product = line.product
            items.setdefault(group.vendor.id, []).append(
                QuoteItem(
                    offer_id=line.offer.id,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    weight_grams=product.weight_grams,
                    parcel_count=product.parcel_count,
                    restock_weeks=line.restock_weeks,
                )
            )
    return items


def cart_quote(
    view: CartView, *, postcode: str, city: str = "", country: str, today: date | None = None
) -> tuple[CartQuote | None, str | None]:
    """Every vendor's modes, fees and dates for this destination, or the refusal message."""
    try:
        quote = cart_shipping_quote(
            vendor_items=cart_items_by_vendor(view),
            country=country,
            postcode=postcode,
            today=today or timezone.localdate(),
        )
    except ValidationError as exc:
        return None, exc.messages[0]
    return quote, None
