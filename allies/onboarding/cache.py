"""Drop the cached pages that show a vendor's offers when staff suspend or reinstate it.

The catalogue hides the offers of an inactive vendor as soon as the row changes, but two
caches would keep showing them to some visitors until they expire:
- the catalogue's option lists (`catalog:vendors-active`, `catalog:vendor-options:*`);
- the anonymous whole-page cache (`allies.core.page_cache`), keyed by language, host and
  full path. Dropped here: the home page, the vendor's page (and its next pages), each of its
  products' pages (and each `?variante=`), the first pages of those products' categories and
  the bare search page, in every language and for every known host (as `reviews.cache`
  does for a review; that module is in a layer this one may not import).

A search URL with terms (`/recherche/?q=…`) cannot be listed: such an entry keeps the
vendor's product card for at most `PAGE_CACHE_SECONDS`; the product page behind the card
no longer shows the offer.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from allies.catalog.models import Category, Product, Variant
from allies.core.page_cache import page_cache_key

LISTING_PAGES_DROPPED = 20


def _hosts() -> list[str]:
    hosts = {urlsplit(settings.SITE_URL).netloc}
    for host in settings.ALLOWED_HOSTS:
        if host and "*" not in host:
            hosts.add(host.lstrip("."))
    return sorted(h for h in hosts if h)


def _pages(base: str) -> list[str]:
    return [base, *(f"{base}?page={n}" for n in range(2, LISTING_PAGES_DROPPED + 1))]


def vendor_pages_drop(*, vendor_slug: str, product_ids: Iterable[int]) -> int:
    """Drop every listed cache entry that may show the vendor's offers; returns how many keys.

    Three queries whatever the number of products (slugs, variants, categories)."""
    ids = sorted(set(product_ids))
    products = list(Product.objects.filter(pk__in=ids).values_list("pk", "slug", "category_id"))
    variants: dict[int, list[int]] = {}
    for pk, product_id in Variant.objects.filter(product_id__in=ids).values_list(
        "pk", "product_id"
    ):
        variants.setdefault(product_id, []).append(pk)
    category_ids = sorted({category_id for _pk, _slug, category_id in products})
    category_slugs = list(
        Category.objects.filter(pk__in=category_ids).values_list("slug", flat=True)
    )
    keys = [
        "catalog:vendors-active:v1",
        "catalog:vendor-options:v2:all",
        *(f"catalog:vendor-options:v2:{pk}" for pk in category_ids),
    ]
    hosts = _hosts()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            paths = [reverse("storefront:home"), reverse("storefront:search")]
            paths += _pages(reverse("storefront:vendor", kwargs={"slug": vendor_slug}))
            for slug in category_slugs:
                paths += _pages(reverse("storefront:category", kwargs={"slug": slug}))
            for pk, slug, _category in products:
                base = reverse("storefront:product", kwargs={"slug": slug})
                paths += [base, *(f"{base}?variante={v}" for v in variants.get(pk, []))]
        keys += [
            page_cache_key(language=language, host=host, full_path=path)
            for host in hosts
            for path in paths
        ]
    for start in range(0, len(keys), 1000):
        cache.delete_many(keys[start : start + 1000])
    return len(keys)
