"""Keep the pages showing reviews fresh.

Two caches show reviews:
- the review block of a product or vendor page (`review_block_key`), filled by
  `selectors.product_review_block` / `vendor_rating_get` so a warm product page reads no
  review row at all;
- the whole-page cache of anonymous visitors (`allies.core.page_cache`), keyed by
  language, host and full path (`page_cache_key`).

When a review is published or hidden (or answered), both are dropped after the commit, so the
next request, anonymous or not, sees it. The page-cache keys are built with the page cache's
own `page_cache_key`, for every language, every known host (SITE_URL and ALLOWED_HOSTS) and
the URLs a visitor reaches from the site: the page itself, each `?variante=` of a product,
the first pages of a vendor's listing. A URL with other query parameters (tracking tags)
keeps its entry until PAGE_CACHE_SECONDS pass.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from allies.core.page_cache import page_cache_key

VENDOR_PAGES_REFRESHED = 20


def review_block_key(*, kind: str, pk: int) -> str:
    return f"reviews:block:v1:{kind}:{pk}"


def _hosts() -> list[str]:
    hosts = {urlsplit(settings.SITE_URL).netloc}
    for host in settings.ALLOWED_HOSTS:
        if host and "*" not in host:
            hosts.add(host.lstrip("."))
    return sorted(h for h in hosts if h)


def _page_keys(paths_by_language: dict[str, list[str]]) -> list[str]:
    keys = []
    for language, paths in paths_by_language.items():
        for host in _hosts():
            keys += [page_cache_key(language=language, host=host, full_path=p) for p in paths]
    return keys


def product_pages_refresh(*, product_id: int, slug: str) -> None:
    from allies.catalog.models import Variant

    variant_ids = list(Variant.objects.filter(product_id=product_id).values_list("pk", flat=True))
    paths: dict[str, list[str]] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            base = reverse("storefront:product", kwargs={"slug": slug})
        paths[language] = [base] + [f"{base}?variante={pk}" for pk in variant_ids]
    cache.delete(review_block_key(kind="product", pk=product_id))
    cache.delete_many(_page_keys(paths))


def vendor_pages_refresh(*, vendor_id: int, slug: str) -> None:
    paths: dict[str, list[str]] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            base = reverse("storefront:vendor", kwargs={"slug": slug})
        pages = [f"{base}?page={n}" for n in range(2, VENDOR_PAGES_REFRESHED + 1)]
        paths[language] = [base, *pages]
    cache.delete(review_block_key(kind="vendor", pk=vendor_id))
    cache.delete_many(_page_keys(paths))


def review_pages_refresh(*, review) -> None:  # review: reviews.Review
    """Drop every cached page that shows `review` (after its transaction committed)."""
    from allies.catalog.models import Product
    from allies.vendors.models import Vendor

    if review.product_id:
        slug = Product.objects.filter(pk=review.product_id).values_list("slug", flat=True).first()
        if slug:
            product_pages_refresh(product_id=review.product_id, slug=slug)
    slug = Vendor.objects.filter(pk=review.vendor_id).values_list("slug", flat=True).first()
    if slug:
        vendor_pages_refresh(vendor_id=review.vendor_id, slug=slug)
