"""Keep the pages showing reviews fresh.

Two caches show reviews:
- the review block of a product or vendor page (`review_block_key`), filled by
  `selectors.product_review_block` / `vendor_rating_get` so a warm product page reads no
  review row at all;
- the whole-page cache of anonymous visitors (`allies.core.page_cache`).

When a review is published or hidden (or answered), after the commit the block is dropped and
the cached pages that show it are renewed: its product's page (`product_pages_changed`) and the
listings, where the vendor's page shows the vendor's rating (`listings_changed`); other product
pages stay cached. The next request, anonymous or not, sees it.
"""

from django.core.cache import cache

from allies.catalog.models import Product
from allies.core.page_cache import listings_changed, product_pages_changed


def review_block_key(*, kind: str, pk: int) -> str:
    return f"reviews:block:v1:{kind}:{pk}"


def review_pages_refresh(*, review) -> None:  # review: reviews.Review
    """Drop every cached page that shows `review` (after its transaction committed)."""
    keys = [review_block_key(kind="vendor", pk=review.vendor_id)]
    if review.product_id:
        keys.append(review_block_key(kind="product", pk=review.product_id))
    cache.delete_many(keys)
    if review.product_id:
        product_pages_changed(
            Product.objects.filter(pk=review.product_id).values_list("slug", flat=True)
        )
    listings_changed()
