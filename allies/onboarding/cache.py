"""Drop the catalogue's option lists that name a vendor when staff suspend or reinstate it.

The catalogue hides the offers of an inactive vendor as soon as the row changes, and the
anonymous page cache renders afresh (the vendor's save and the refresh of its products'
summaries start a new generation: `allies.core.page_cache`). Only the catalogue's filter
options shared through the cache (`catalog:vendor-options:*`) would keep naming the vendor
until they expire: dropped here, after the commit, then a new generation is started so that
no process keeps a list it read between the first generation change and the drop.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache

from allies.catalog.models import Product
from allies.core.page_cache import pages_changed


def vendor_options_drop(*, product_ids: Iterable[int]) -> int:
    """Drop the option lists of the vendor's categories; returns how many keys. One query."""
    category_ids = sorted(
        set(
            Product.objects.filter(pk__in=sorted(set(product_ids))).values_list(
                "category_id", flat=True
            )
        )
    )
    keys = [
        "catalog:vendor-options:v2:all",
        *(f"catalog:vendor-options:v2:{pk}" for pk in category_ids),
    ]
    cache.delete_many(keys)
    pages_changed()
    return len(keys)
