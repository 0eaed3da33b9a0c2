"""A product card, written by Python, and what it shows, as the key of its grid's memo.

`{% product_cards products %}` writes a grid's cards (one `<li>` each). A card was a template
included once per product (`{% include %}` and some fifteen nodes, ~115 µs; ~2.8 ms for a
listing page's 24 cards on the first visit of a page, which most visits of a long tail are);
written here it costs ~10–20 µs, the same HTML to the byte, its texts through gettext as
the template's were. `{% memo "cards" products|card_keys %}` keeps a whole grid (one lookup);
its key is made from `CARD_FIELDS`, which must be everything `_Grid.card` shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from operator import attrgetter
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext

from allies.core.links import reverser
from allies.core.money import format_eur

register = template.Library()

CARD_FIELDS = (
    "pk",
    "slug",
    "title",
    "brand",
    "offer_count",
    "price_from",
    "availability",
    "vendor_count",
)
_card_values = attrgetter(*CARD_FIELDS)


@register.filter
def card_keys(products: Iterable[Any]) -> tuple:
    return tuple(map(_card_values, products))


_CARD = (
    "<li>\n"
    '  <article class="product-card">\n'
    '    <img src="{image}" alt="" width="400" height="400" loading="lazy" decoding="async">\n'
    '    <div class="body">\n'
    "      {brand}\n"
    '      <h3 class="title"><a href="{url}">{title}</a></h3>\n'
    '      <p class="price">{price_from}{price}</p>\n'
    '      <p class="availability availability-{availability}">{availability_label}</p>\n'
    "      {vendors}\n"
    "    </div>\n"
    "  </article>\n"
    "</li>\n"
).format


class _Grid:
    """What every card of one grid writes alike, looked up once for the grid: the language's
    texts and addresses. Our own texts are written as they are (as the template's
    {% translate %} wrote them); the product's values are escaped (as `escape` does)."""

    def __init__(self) -> None:
        self.language = get_language() or "fr"
        from_text = gettext("à partir de")
        self.price_from = f'<span class="from">{from_text}</span> '
        self.vendors: dict[int, str] = {}
        self.availability: dict[Any, str] = {}
        self.product_url = reverser("storefront:product", "slug")
        self.image_url = reverser("product_image", "pk")

    def vendors_text(self, count: int) -> str:
        text = self.vendors.get(count)
        if text is None:
            text = ngettext("%(counter)s vendeur", "%(counter)s vendeurs", count)
            text = self.vendors[count] = f'<p class="offers">{text % {"counter": count}}</p>'
        return text

    def card(self, product: Any) -> str:
        """One card: image, brand, title linked to the page, price (« à partir de » when
        several offers), availability and the number of vendors when several."""
        availability = product.availability
        label = self.availability.get(availability)
        if label is None:
            label = self.availability[availability] = escape(product.get_availability_display())
        return _CARD(
            image=escape(self.image_url(product.pk)),
            brand=f'<p class="brand">{escape(product.brand)}</p>' if product.brand else "",
            url=escape(self.product_url(product.slug)),
            title=escape(product.title),
            price_from=self.price_from if product.offer_count > 1 else "",
            price=escape(format_eur(product.price_from, language=self.language)),
            availability=escape(str(availability)),
            availability_label=label,
            vendors=self.vendors_text(product.vendor_count) if product.vendor_count > 1 else "",
        )


@register.simple_tag
def product_cards(products: Iterable[Any]) -> SafeString:
    """The cards of `products`, in order (a grid's `<li>`s)."""
    grid = _Grid()
    return mark_safe("".join(map(grid.card, products)))  # noqa: S308 (escaped above)
