"""Per-key rate limit of the vendor API: a fixed one-minute window counted in Django's cache.

The limit is VENDOR_API_RATE_LIMIT requests per minute and per key (settings.py: from the
environment, default 600). The cache is the project's: locmem in tests, the database cache by
default, Redis in production. Redis' INCR is atomic; the database cache's `incr` is a read
then a write, so two processes at the same instant may both count from the same value — the
limit can then be exceeded by a few requests, never enforced too early: acceptable for a
guard against runaway scripts. If the cache itself fails, calls go through (logged): the
limit protects the service, it must not be what takes it down.

A fixed window is the simplest thing that holds: one key per (api key, minute), one `incr`
per request (and one `add` for a window's first). Its known flaw (up to 2× the limit across a
window boundary) does not matter at this scale.
"""

from __future__ import annotations

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache

from allies.vendor_api.errors import RateLimited

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


def rate_limit() -> int:
    return int(settings.VENDOR_API_RATE_LIMIT)


def rate_limit_hit(*, key_id: int, now: float | None = None) -> int:
    """Count one request of api key `key_id`; RateLimited (429) past the limit.

    Returns the requests left in the current window. A limit of 0 or less turns it off.
    """
    limit = rate_limit()
    if limit <= 0:
        return 0
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    cache_key = f"vendor_api:rate:{key_id}:{window}"
    try:
        # Most requests find their window's counter: one incr. The first of a window adds it
        # (add() only writes when absent: of two first requests at once, one adds, the other
        # counts on it); the timeout outlives the window a little so a late incr never meets
        # an expired key mid-window.
        try:
            count = cache.incr(cache_key)
        except ValueError:  # no counter yet for this window
            if cache.add(cache_key, 1, timeout=WINDOW_SECONDS + 5):
                count = 1
            else:
                count = cache.incr(cache_key)
    except Exception:
        # A guard must not take the API down with it: with the cache unreachable (Redis
        # restarting, cache table missing) calls go through unlimited, and we say so.
        logger.warning("vendor API rate limit skipped: the cache failed", exc_info=True)
        return limit
    if count > limit:
        retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        raise RateLimited(limit=limit, retry_after=retry_after)
    return limit - count
