"""The anonymous page cache of the help centre, emptied by every edit.

The site's page cache (`allies.core.page_cache`) lets a page grow stale for
`PAGE_CACHE_SECONDS`; the help centre cannot: an agent who corrects an answer must see the
correction at once. Its pages are therefore cached under a *generation* stored in the cache
(`services.helpcenter_cache_clear` writes a new one after each commit), which makes every
older entry unreachable at once. What may be cached is the page cache's rule: only a visitor
without any cookie of ours, only a plain 200 that set no cookie.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.utils import timezone

from allies.core.page_cache import anonymous_page_cache

GENERATION_KEY = "helpcenter:generation"


def generation() -> str:
    current = cache.get(GENERATION_KEY)
    if current is None:
        current = timezone.now().isoformat()
        cache.add(GENERATION_KEY, current, None)
        current = cache.get(GENERATION_KEY, current)
    return str(current)


def _namespace() -> str:
    return "aide:" + hashlib.sha256(generation().encode()).hexdigest()[:12]


# The site's one page cache (`allies.core.page_cache`), under the current generation.
helpcenter_page_cache = anonymous_page_cache(namespace=_namespace)
