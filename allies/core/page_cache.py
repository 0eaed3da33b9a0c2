"""Whole-page cache for anonymous visitors: the one page cache of the site.

Most traffic is anonymous browsing of the same few thousand pages; serving their HTML from
the cache (Redis in production, the database otherwise) costs no query beyond the cache read.
Only a visitor without any session cookie gets or fills the cache, so nothing personal can
leak: a logged-in customer, or anyone with pending messages, always gets a fresh page.
Entries expire after `settings.PAGE_CACHE_SECONDS` (0 disables the cache).

Freshness: a cached page is served only while nothing it may show has changed.
- Every entry carries the pages' *generation* it was rendered in, read with it in one cache
  round trip; `pages_changed()` starts a new generation once the transaction commits, so
  the very next request renders afresh. The catalogue calls it whenever offers change
  (`catalog.services.product_summaries_refresh` and the offers' bulk writes), and the
  storefront for every saved or deleted product, variant, category, vendor and shipping
  rate (storefront/apps.py): a price, a stock label, a product's text or a vendor's shipping
  policy shows on the next request. A generation is a random token, never a counter: if the
  cache loses it, the next one cannot match an older entry.
- a page's entries can also be dropped by key (`page_cache_key`, the very formula the
  decorator stores under): the reviews drop the product and vendor pages a review shows on;
- a `namespace` (a function giving a short string, read at each request) puts a family of
  pages under one changing prefix: the help centre changes its generation at every edit,
  which makes all its older entries unreachable at once.
- the key holds the day: what a page computes from the date (delivery estimates) changes
  at midnight. Anything finer that changes with time alone shows within PAGE_CACHE_SECONDS.

The generation also dates what a process keeps in memory for every page (`generation_memo`:
the categories, the active vendors, the listings' filter options): kept while the generation
is the same, read again after it changes. A request of a decorated view reads the generation
once (with the page, when the page cache is on) and every memo of that request uses it; the
generation changes with every write even when the page cache is off.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language

CACHE_HEADER = "X-Page-Cache"
GENERATION_KEY = "page:generation:v1"
T = TypeVar("T")
K = TypeVar("K")

# The generation read by the current request's decorated view (None outside one).
_request_generation: ContextVar[str | None] = ContextVar("page_generation", default=None)
# name → (generation, value): what `generation_memo` keeps in this process.
_memo: dict[str, tuple[str, Any]] = {}


def _generation_new() -> str:
    token = secrets.token_hex(8)
    cache.set(GENERATION_KEY, token, None)
    return token


def pages_changed(*, using: str | None = None) -> None:
    """Something pages may show has changed: once the current transaction commits (at once
    outside one), no page cached before is served again, and no value kept by
    `generation_memo` before is used again."""
    transaction.on_commit(_generation_new, using=using)


def pages_generation() -> str:
    """The current generation: the one the current request read, else read now."""
    return _request_generation.get() or cache.get(GENERATION_KEY) or _generation_new()


def generation_memo(name: str, compute: Callable[[], T]) -> T:
    """`compute()`, kept in this process until the generation changes. For small values every
    page needs (their computing reads the database; keeping them costs no cache round trip).
    The value is shared by every request of the process: never mutate it."""
    generation = pages_generation()
    entry = _memo.get(name)
    if entry is not None and entry[0] == generation:
        return entry[1]
    value = compute()
    _memo[name] = (generation, value)
    return value


def generation_memo_many(
    prefix: str, keys: Iterable[K], compute: Callable[[list[K]], Mapping[K, T]]
) -> dict[K, T]:
    """`generation_memo` for a family of values (one per vendor…): the values of `keys`,
    those not kept for the current generation computed together by `compute(missing)`, which
    must answer every key it is given."""
    generation = pages_generation()
    found: dict[K, T] = {}
    missing: list[K] = []
    for key in keys:
        entry = _memo.get(f"{prefix}:{key}")
        if entry is not None and entry[0] == generation:
            found[key] = entry[1]
        else:
            missing.append(key)
    if missing:
        computed = compute(missing)
        for key in missing:
            found[key] = computed[key]
            _memo[f"{prefix}:{key}"] = (generation, computed[key])
    return found


def page_cache_key(*, language: str, host: str, full_path: str, namespace: str = "") -> str:
    """The key a page is stored under: its language, host and path with query string, and
    the day (Paris): what a page computes from the date (delivery estimates, "new" products)
    is never served from the day before."""
    raw = f"{language}|{host}|{full_path}|{timezone.localdate().isoformat()}"
    prefix = f"page:v2:{namespace}:" if namespace else "page:v2:"
    return prefix + hashlib.sha256(raw.encode()).hexdigest()


def _cacheable_request(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        # Cookie-stored messages ("messages") would be shown by the page being rendered.
        and "messages" not in request.COOKIES
        and not getattr(request, "htmx", False)
    )


def _cacheable_response(request: HttpRequest, response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if response.has_header("Set-Cookie") or response.has_header("Vary"):
        return False
    # A page that rendered a CSRF token or queued a message is personal.
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    storage = getattr(request, "_messages", None)
    if storage is not None and len(get_messages(request)):
        return False
    return True


def anonymous_page_cache(
    view: Callable[..., Any] | None = None, *, namespace: Callable[[], str] | None = None
) -> Any:
    """Serve the cached HTML of this page to anonymous visitors (see the module docstring).
    Use bare (`@anonymous_page_cache`) or with a namespace (`@anonymous_page_cache(namespace=f)`).
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            seconds = settings.PAGE_CACHE_SECONDS
            if seconds <= 0 or not _cacheable_request(request):
                generation = cache.get(GENERATION_KEY) or _generation_new()
                token = _request_generation.set(generation)
                try:
                    return view(request, *args, **kwargs)
                finally:
                    _request_generation.reset(token)
            key = page_cache_key(
                language=get_language(),
                host=request.get_host(),
                full_path=request.get_full_path(),
                namespace=namespace() if namespace else "",
            )
            found = cache.get_many([key, GENERATION_KEY])
            generation = found.get(GENERATION_KEY) or _generation_new()
            hit = found.get(key)
            if hit is not None and len(hit) == 3 and hit[0] == generation:
                _generation, content, content_type = hit
                response = HttpResponse(content, content_type=content_type)
                response[CACHE_HEADER] = "hit"
                return response
            token = _request_generation.set(generation)
            try:
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and callable(response.render):
                    response = response.render()
            finally:
                _request_generation.reset(token)
            if _cacheable_response(request, response):
                entry = (generation, response.content, response["Content-Type"])
                cache.set(key, entry, seconds)
                response[CACHE_HEADER] = "miss"
            return response

        return wrapper

    return decorate(view) if view is not None else decorate
