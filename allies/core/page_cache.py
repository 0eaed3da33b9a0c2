"""Whole-page cache of the pages every visitor sees alike: the one page cache of the site.

Most traffic is browsing of the same few thousand pages; serving their HTML from the cache
(Redis in production, the database otherwise) costs no query beyond the cache read. Entries
expire after `settings.PAGE_CACHE_SECONDS` (0 disables the cache).

What is stored is always the page of an anonymous visitor, so nothing personal can leak:
- a visitor without any session cookie gets the stored page, or renders and stores it;
- a visitor with a session (a signed-in customer, or anyone with a cart) gets the same stored
  page with its one personal part, the header's account link and cart count (base.html,
  between `PERSONAL_START` and `PERSONAL_END`), rendered for them: a few queries (session,
  user, cart count) instead of the whole page. On a miss, the page is rendered for an
  anonymous copy of their request (no user, no session, no cookies), stored, and given
  their header;
- anyone with pending messages gets a fresh page, neither stored nor read from the cache,
  as does a page that needs a CSRF token or sets a cookie.
A decorated view must therefore show the same thing to every visitor outside that header,
and never write to the session on a GET (the anonymous copy's session is thrown away); what
a customer sees of their own belongs on pages that are not decorated.

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

import copy
import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from functools import cache as cache_function
from functools import wraps
from importlib import import_module
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage import default_storage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.template.loader import get_template
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import get_language

CACHE_HEADER = "X-Page-Cache"
GENERATION_KEY = "page:generation:v1"
# The personal part of every page (base.html), and the template that renders it alone with
# what `settings.PAGE_CACHE_PERSONAL_CONTEXT(request)` gives it (no other context processor).
PERSONAL_START = b"<!--personal-->"
PERSONAL_END = b"<!--/personal-->"
PERSONAL_TEMPLATE = "_personal_nav.html"
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


def _cache_use(request: HttpRequest) -> str | None:
    """How this request may use the cache: "anonymous" (gets or fills it as it is),
    "personal" (gets the stored page with its own header) or None (a fresh page)."""
    if request.method not in ("GET", "HEAD") or getattr(request, "htmx", False):
        return None
    # Cookie-stored messages ("messages") would be shown by the page being rendered (an
    # emptied cookie is one the browser has been told to delete).
    if request.COOKIES.get("messages"):
        return None
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return "anonymous"
    # Messages kept in the session: counting them does not mark them shown.
    storage = getattr(request, "_messages", None)
    if storage is not None and len(storage):
        return None
    return "personal"


async def _anonymous_user() -> AnonymousUser:
    return AnonymousUser()


def _anonymous_copy(request: HttpRequest) -> HttpRequest:
    """The same request as a visitor without any cookie would make it: what its page shows
    is what every visitor may be shown."""
    engine = import_module(settings.SESSION_ENGINE)
    anonymous = copy.copy(request)
    anonymous.COOKIES = {}
    anonymous.META = {
        k: v for k, v in request.META.items() if k not in ("HTTP_COOKIE", "CSRF_COOKIE")
    }
    anonymous.session = engine.SessionStore()
    anonymous.user = AnonymousUser()
    anonymous.auser = _anonymous_user
    anonymous._messages = default_storage(anonymous)  # type: ignore[attr-defined]
    return anonymous


@cache_function
def _personal_context(path: str) -> Callable[[HttpRequest], dict[str, Any]]:
    """The setting's function, imported once per process (per path: tests may change it)."""
    return import_string(path)


def _personalised(request: HttpRequest, content: bytes) -> bytes:
    """`content` (an anonymous visitor's page) with this visitor's own header."""
    start = content.find(PERSONAL_START)
    end = content.find(PERSONAL_END, start)
    if start < 0 or end < 0:
        return content
    context = _personal_context(settings.PAGE_CACHE_PERSONAL_CONTEXT)(request)
    own = get_template(PERSONAL_TEMPLATE).render(context).encode()
    return content[: start + len(PERSONAL_START)] + own + content[end:]


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


def _fresh(
    view: Callable[..., Any],
    request: HttpRequest,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    generation: str | None,
) -> Any:
    """The view's response (rendered), every memo of it dated by `generation`."""
    token = _request_generation.set(generation or _generation_new())
    try:
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        return response
    finally:
        _request_generation.reset(token)


def anonymous_page_cache(
    view: Callable[..., Any] | None = None, *, namespace: Callable[[], str] | None = None
) -> Any:
    """Serve the cached HTML of this page, with each visitor's own header (see the module
    docstring).
    Use bare (`@anonymous_page_cache`) or with a namespace (`@anonymous_page_cache(namespace=f)`).
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            seconds = settings.PAGE_CACHE_SECONDS
            use = _cache_use(request) if seconds > 0 else None
            if use is None:
                return _fresh(view, request, args, kwargs, cache.get(GENERATION_KEY))
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
                if use == "personal":
                    content = _personalised(request, content)
                response = HttpResponse(content, content_type=content_type)
                response[CACHE_HEADER] = "hit"
                return response
            shared = request if use == "anonymous" else _anonymous_copy(request)
            response = _fresh(view, shared, args, kwargs, generation)
            if not _cacheable_response(shared, response):
                # Not a page for everyone (an error, a redirect, a form): the visitor's own.
                return (
                    response
                    if use == "anonymous"
                    else _fresh(view, request, args, kwargs, generation)
                )
            cache.set(key, (generation, response.content, response["Content-Type"]), seconds)
            if use == "personal":
                response = HttpResponse(
                    _personalised(request, response.content),
                    content_type=response["Content-Type"],
                )
            response[CACHE_HEADER] = "miss"
            return response

        return wrapper

    return decorate(view) if view is not None else decorate
