"""Filter tokens stored on each product (`Product.facets`), for the listing filters.

"Sold by vendor 12", "exists in size M", "vendor 12 sells it in size M" are facts about a
product's offers; listings must not join offers (a catalogue has many more offers than
products, and a correlated subquery per product over them is slow on SQLite). So the product
carries them as space-padded tokens, written by `services.product_summaries_refresh`. The
search index holds them too, each also scoped to the product's category (`category_token`,
catalog.search_index), so a filtered listing reads its matching products from the index
(selectors.facet_match); `facets LIKE '% token %'` on the product row remains for queries
that walk the products one by one, and for databases without the index.
"""

import re
from collections.abc import Iterable

from allies.core.text import fold


def size_key(size: str) -> str:
    """'XL' -> 'xl', '42 1/2' -> '42-1-2', 'Taille unique' -> 'taille-unique'."""
    return re.sub(r"[^a-z0-9]+", "-", fold(size)).strip("-")


def vendor_token(vendor_id: int) -> str:
    return f"v{vendor_id}"


def size_token(size: str) -> str:
    return f"s-{size_key(size)}"


def vendor_size_token(vendor_id: int, size: str) -> str:
    return f"v{vendor_id}s-{size_key(size)}"


def category_token(category_id: int, token: str) -> str:
    """The token scoped to one category, as the search index stores it (catalog.search_index:
    every token of a product is indexed again with its category's prefix)."""
    return f"c{category_id}-{token}"


def facets_document(offers: Iterable[tuple[int, str]]) -> str:
    """The facets of a product from its active offers as (vendor_id, size) pairs."""
    tokens = set()
    for vendor_id, size in offers:
        tokens.add(vendor_token(vendor_id))
        if size_key(size or ""):
            tokens.add(size_token(size))
            tokens.add(vendor_size_token(vendor_id, size))
    return " " + " ".join(sorted(tokens)) + " " if tokens else ""


def facet_lookup(token: str) -> str:
    """The `facets__contains` value matching exactly this token."""
    return f" {token} "
