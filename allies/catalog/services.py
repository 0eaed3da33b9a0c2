"""Writes to the catalogue. Every change to offers ends with `product_summaries_refresh`."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Min

from allies.catalog.models import Availability, Offer, Product


@transaction.atomic
def product_summaries_refresh(*, product_ids: Iterable[int]) -> int:
    """Recompute lowest price, best availability and offer count of the given products.

    The lowest price is that of the best-available offers (an in-stock offer beats a cheaper
    one that is out of stock), matching the order of offers on the product page.
    """
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    updated = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        active = Offer.objects.filter(variant__product_id__in=chunk, is_active=True)
        counts = dict(
            active.values_list("variant__product_id").annotate(n=Count("id")).order_by()
        )
        in_stock = dict(
            active.filter(stock__gt=0)
            .values_list("variant__product_id")
            .annotate(p=Min("price"))
            .order_by()
        )
        restocking = dict(
            active.filter(stock=0, restock_weeks__gt=0)
            .values_list("variant__product_id")
            .annotate(p=Min("price"))
            .order_by()
        )
        lowest = dict(
            active.values_list("variant__product_id").annotate(p=Min("price")).order_by()
        )
        for product in Product.objects.filter(id__in=chunk).only("id"):
            pid = product.id
            if pid in in_stock:
                product.availability, product.price_from = Availability.IN_STOCK, in_stock[pid]
            elif pid in restocking:
                product.availability = Availability.RESTOCKING
                product.price_from = restocking[pid]
            else:
                product.availability = Availability.OUT_OF_STOCK
                product.price_from = lowest.get(pid)
            product.offer_count = counts.get(pid, 0)
            updated.append(product)
    Product.objects.bulk_update(
        updated, ["availability", "price_from", "offer_count"], batch_size=500
    )
    return len(updated)


