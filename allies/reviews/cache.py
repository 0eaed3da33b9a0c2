"""Keep the pages showing reviews fresh.

Two caches show reviews:
- the review block of a product or vendor page (`review_block_key`), filled by
  `selectors.product_review_block` / `vendor_rating_get` so a warm product page reads no
  review row at all;
- the whole-page cache of anonymous visitors (`allies.core.page_cache`).

When a review is published or hidden (or answered), after the commit the block is dropped and
the page cache starts a new generation (`pages_changed`), so the next request, anonymous or
not, sees it.
"""

from django.core.cache import cache

from allies.core.page_cache import pages_changed


def review_block_key(*, kind: str, pk: int) -> str:
    return f"reviews:block:v1:{kind}:{pk}"


def review_pages_refresh(*, review) -> None:  # review: reviews.Review
    """Drop every cached page that shows `review` (after its transaction committed)."""
    keys = [review_block_key(kind="vendor", pk=review.vendor_id)]
    if review.product_id:
        keys.append(review_block_key(kind="product", pk=review.product_id))
    cache.delete_many(keys)
    pages_changed()
