"""Writes to the catalogue. Every change to offers ends with `product_summaries_refresh`.

The rules of a product's listing summary live in two pure functions, `product_summary` and
`product_search_fields`, so that bulk loaders (the demo data) compute exactly what
`product_summaries_refresh` computes without a second pass over the database.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from allies.catalog.facets import facets_document
from allies.catalog.models import Availability, Offer, Product, Variant
from allies.core.page_cache import listings_changed, product_pages_changed
from allies.core.text import search_document

SUMMARY_FIELDS = [
    "availability",
    "price_from",
    "offer_count",
    "vendor_count",
    "facets",
    "search_text",
    "title_search",
]


@dataclass(frozen=True, slots=True)
class OfferFacts:
    """What the summary needs of one active offer (of an active vendor)."""

    vendor_id: int
    size: str
    price: Decimal
    stock: int
    restock_weeks: int | None = None

    @property
    def availability(self) -> Availability:
        if self.stock > 0:
            return Availability.IN_STOCK
        if self.restock_weeks:
            return Availability.RESTOCKING
        return Availability.OUT_OF_STOCK


def product_summary(*, offers: Iterable[OfferFacts]) -> dict:
    """Listing summary of a product from its active offers (those of active vendors).

    The product's availability is the best of its offers; `price_from` is the lowest price
    among the offers with that availability (an in-stock offer beats a cheaper one that is
    out of stock), matching the order of offers on the product page."""
    offers = list(offers)
    if not offers:
        return {
            "availability": Availability.OUT_OF_STOCK,
            "price_from": None,
            "offer_count": 0,
            "vendor_count": 0,
            "facets": "",
        }
    best = min(o.availability for o in offers)
    return {
        "availability": best,
        "price_from": min(o.price for o in offers if o.availability == best),
        "offer_count": len(offers),
        "vendor_count": len({o.vendor_id for o in offers}),
        "facets": facets_document((o.vendor_id, o.size) for o in offers),
    }


def product_search_fields(
    *, title: str, brand: str, category_names: Iterable[str], colours: Iterable[str] = ()
) -> dict:
    """`search_text` and `title_search` of a product, as `catalog.selectors` searches them:
    the whole document (title, brand, category in both languages, colours) and the title
    alone, which ranks first."""
    return {
        "search_text": search_document(title, brand, *category_names, *colours),
        "title_search": search_document(title),
    }


@transaction.atomic
def product_summaries_refresh(*, product_ids: Iterable[int]) -> int:
    """Recompute the listing summary and search terms of the given products (see
    `product_summary` and `product_search_fields`). Four queries per 500 products, whatever
    their number of offers."""
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    updated = []
    listings = False  # whether a listing shows any of them differently
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        offers: dict[int, list[OfferFacts]] = defaultdict(list)
        for pid, vendor_id, size, price, stock, weeks in Offer.objects.filter(
            variant__product_id__in=chunk, is_active=True, vendor__is_active=True
        ).values_list(
            "variant__product_id", "vendor_id", "variant__size", "price", "stock", "restock_weeks"
        ):
            offers[pid].append(OfferFacts(vendor_id, size, price, stock, weeks))
        colours: dict[int, list[str]] = defaultdict(list)
        for pid, colour in (
            Variant.objects.filter(product_id__in=chunk)
            .exclude(colour="")
            .order_by("product_id", "position", "id")
            .values_list("product_id", "colour")
        ):
            if colour not in colours[pid]:
                colours[pid].append(colour)
        products = (
            Product.objects.filter(id__in=chunk)
            .select_related("category")
            .only(
                "id", "slug", "title", "brand", "category__name", "category__name_en",
                *SUMMARY_FIELDS,
            )
        )  # fmt: skip
        for product in products:
            fields = product_summary(offers=offers[product.id]) | product_search_fields(
                title=product.title,
                brand=product.brand,
                category_names=(product.category.name, product.category.name_en),
                colours=colours[product.id],
            )
            for name, value in fields.items():
                listings = listings or getattr(product, name) != value
                setattr(product, name, value)
            updated.append(product)
    Product.objects.bulk_update(updated, SUMMARY_FIELDS, batch_size=500)
    # Their offers changed: their pages render afresh after the commit, and the listings
    # too if a summary changed (a sale that leaves a product in stock changes none).
    product_pages_changed([product.slug for product in updated])
    if listings:
        listings_changed()
    return len(updated)
