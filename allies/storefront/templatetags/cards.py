"""What a product card shows, as the key of its memo (core.templatetags.fragments).

`{% memo "card" product|card_key %}` keeps one card; `{% memo "cards" products|card_keys %}`
keeps a whole grid of them (a listing page's 24 cards: one lookup instead of 24 includes and
24 keys built by the template engine, ~1 ms of a category page). Both keys are made here
from one list of fields, which must be everything `storefront/_product_card.html` shows."""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter
from typing import Any

from django import template

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
def card_key(product: Any) -> tuple:
    return _card_values(product)


@register.filter
def card_keys(products: Iterable[Any]) -> tuple:
    return tuple(map(_card_values, products))
