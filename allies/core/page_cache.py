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
- Every entry carries the *tokens* it was rendered under, read with it in one cache round
  trip; a write changes the tokens of what it touched once the transaction commits, so the
  very next request renders afresh. Three kinds of token:
  - the pages' *generation*, which every page carries: `pages_changed()` renews it for every
    saved or deleted product, variant, category, vendor and shipping rate (storefront/apps.py,
    shipping.services): a product's text or a vendor's shipping policy;
  - the *listings* token, carried by the pages that list products (home, categories,
    search, a vendor's page: `scope="listings"`): `listings_changed()` renews it when a
    product's listing summary (price from, availability, counts, facets, search terms)
    changes (`catalog.services.product_summaries_refresh`, the offers' bulk writes);
  - one token per product, carried by its page (`scope="product"`, the view's `slug`):
    `product_pages_changed(slugs)` renews it whenever one of its offers changes (stock
    taken at checkout, a price, a stock or a delay from the vendor). A sale that leaves
    a product in stock changes its own page only: every other page stays cached.
  A token is a random string, never a counter: one the cache has lost is replaced by a new
  one (`_tokens`), which no older entry can match.
- a page's entries can also be dropped by key (`page_cache_key`, the very formula the
  decorator stores under): the reviews drop the product and vendor pages a review shows on;
- a `namespace` (a function giving a short string, read at each request) puts a family of
  pages under one changing prefix: the help centre changes its generation at every edit,
  which makes all its older entries unreachable at once.
- the key holds the day: what a page computes from the date (delivery estimates) changes
  at midnight. Anything finer that changes with time alone shows within PAGE_CACHE_SECONDS.

The same tokens date what a process keeps in memory for every page (`generation_memo`: the
categories, the active vendors, the shipping rules under the generation; the listings' vendor
filter and the home page's products under the listings token too): kept while its tokens are
the same, read again after they change. A request of a decorated view reads its tokens once
(with the page, when the page cache is on) and every memo of that request uses them; the
tokens change with every write even when the page cache is off.
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
LISTINGS_KEY = "page:listings:v1"
SCOPES = ("pages", "listings", "product")
# The personal part of every page (base.html), and the template that renders it alone with
# what `settings.PAGE_CACHE_PERSONAL_CONTEXT(request)` gives it (no other context processor).
PERSONAL_START = b"<!--personal-->"
PERSONAL_END = b"<!--/personal-->"
PERSONAL_TEMPLATE = "_personal_nav.html"
T = TypeVar("T")
K = TypeVar("K")

# The tokens read by the current request's decorated view, by key (None outside one).
_request_tokens: ContextVar[dict[str, str] | None] = ContextVar("page_tokens", default=None)
# name → (tokens, value): what `generation_memo` keeps in this process.
_memo: dict[str, tuple[str, Any]] = {}


def product_token_key(slug: str) -> str:
    """The cache key of a product page's token (any slug: hashed to a bounded key)."""
    return "page:product:v1:" + hashlib.sha256(slug.encode()).hexdigest()[:32]


def _tokens_new(keys: Iterable[str]) -> dict[str, str]:
    tokens = {key: secrets.token_hex(8) for key in keys}
    if tokens:
        cache.set_many(tokens, None)
    return tokens


def _tokens(keys: list[str], found: Mapping[str, Any]) -> tuple[str, ...]:
    """The tokens of `keys` as `found` in the cache, a new one for each it has lost (or never
    had): no entry stored before can match a token made now."""
    missing = [key for key in keys if not found.get(key)]
    made = _tokens_new(missing)
    return tuple(found.get(key) or made[key] for key in keys)


def pages_changed(*, using: str | None = None) -> None:
    """Something any page may show has changed: once the current transaction commits (at once
    outside one), no page cached before is served again, and no value kept by
    `generation_memo` before is used again."""
    transaction.on_commit(lambda: _tokens_new([GENERATION_KEY]), using=using)


def listings_changed(*, using: str | None = None) -> None:
    """What the product listings show has changed (a product's summary or search terms):
    after the commit, no listing page cached before is served again (nor the listings' memos
    used again); product pages are not concerned."""
    transaction.on_commit(lambda: _tokens_new([LISTINGS_KEY]), using=using)


def product_pages_changed(slugs: Iterable[str], *, using: str | None = None) -> None:
    """Offers of these products have changed: after the commit, their pages render afresh;
    other pages stay cached (a changed summary is `listings_changed`'s)."""
    keys = sorted({product_token_key(slug) for slug in slugs})
    if keys:
        transaction.on_commit(lambda: _tokens_new(keys), using=using)


def _request_token(key: str) -> str:
    """The token of `key`: the one the current request read, else read now (and kept for
    the rest of the request)."""
    tokens = _request_tokens.get()
    if tokens is not None and key in tokens:
        return tokens[key]
    (token,) = _tokens([key], {key: cache.get(key)})
    if tokens is not None:
        tokens[key] = token
    return token


def pages_generation() -> str:
    """The current generation: the one the current request read, else read now."""
    return _request_token(GENERATION_KEY)


def memo_stamp(*, listings: bool = False) -> str:
    """The tokens a value computed now depends on, as one string: the generation (and the
    listings token, with `listings=True`). Dates what `generation_memo` keeps, and keys the
    values shared through the cache: never read after what they were computed from changed."""
    generation = _request_token(GENERATION_KEY)
    return f"{generation}.{_request_token(LISTINGS_KEY)}" if listings else generation


def generation_memo(name: str, compute: Callable[[], T], *, listings: bool = False) -> T:
    """`compute()`, kept in this process until the generation changes (and the listings
    token, with `listings=True`: for what is read from the products' summaries). For small
    values every page needs (their computing reads the database; keeping them costs no cache
    round trip). The value is shared by every request of the process: never mutate it."""
    stamp = memo_stamp(listings=listings)
    entry = _memo.get(name)
    if entry is not None and entry[0] == stamp:
        return entry[1]
    value = compute()
    _memo[name] = (stamp, value)
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
    tokens: dict[str, str],
) -> Any:
    """The view's response (rendered), every memo of it dated by `tokens` (by key; a memo
    reads any other token it needs once for the request)."""
    token = _request_tokens.set(dict(tokens))
    try:
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        return response
    finally:
        _request_tokens.reset(token)


def _token_keys(scope: str, kwargs: dict[str, Any]) -> list[str]:
    """The tokens a page of this scope carries (see the module docstring)."""
    if scope == "listings":
        return [GENERATION_KEY, LISTINGS_KEY]
    if scope == "product":
        return [GENERATION_KEY, product_token_key(str(kwargs["slug"]))]
    return [GENERATION_KEY]


def anonymous_page_cache(
    view: Callable[..., Any] | None = None,
    *,
    namespace: Callable[[], str] | None = None,
    scope: str = "pages",
) -> Any:
    """Serve the cached HTML of this page, with each visitor's own header (see the module
    docstring). `scope`: what the page shows besides the site's own rows — "pages" (nothing
    more), "listings" (products' listing summaries) or "product" (the offers of the product
    whose slug is the view's `slug`).
    Use bare (`@anonymous_page_cache`) or with arguments (`@anonymous_page_cache(scope=…)`).
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown page cache scope {scope!r}")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            seconds = settings.PAGE_CACHE_SECONDS
            use = _cache_use(request) if seconds > 0 else None
            keys = _token_keys(scope, kwargs)
            if use is None:
                # Only the tokens the memos use (a product's token dates its cached page alone).
                memo_keys = [k for k in keys if k in (GENERATION_KEY, LISTINGS_KEY)]
                tokens = _tokens(memo_keys, cache.get_many(memo_keys))
                return _fresh(
                    view, request, args, kwargs, dict(zip(memo_keys, tokens, strict=True))
                )
            key = page_cache_key(
                language=get_language(),
                host=request.get_host(),
                full_path=request.get_full_path(),
                namespace=namespace() if namespace else "",
            )
            found = cache.get_many([key, *keys])
            tokens = _tokens(keys, found)
            hit = found.get(key)
            if hit is not None and len(hit) == 3 and hit[0] == tokens:
                _tokens_read, content, content_type = hit
                if use == "personal":
                    content = _personalised(request, content)
                response = HttpResponse(content, content_type=content_type)
                response[CACHE_HEADER] = "hit"
                return response
            shared = request if use == "anonymous" else _anonymous_copy(request)
            read = dict(zip(keys, tokens, strict=True))
            response = _fresh(view, shared, args, kwargs, read)
            if not _cacheable_response(shared, response):
                # Not a page for everyone (an error, a redirect, a form): the visitor's own.
                return response if use == "anonymous" else _fresh(view, request, args, kwargs, read)
            cache.set(key, (tokens, response.content, response["Content-Type"]), seconds)
            if use == "personal":
                response = HttpResponse(
                    _personalised(request, response.content),
                    content_type=response["Content-Type"],
                )
            response[CACHE_HEADER] = "miss"
            return response

        return wrapper

    return decorate(view) if view is not None else decorate
