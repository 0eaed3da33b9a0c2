"""Whole-page cache for anonymous visitors: the one page cache of the site.

Most traffic is anonymous browsing of the same few thousand pages; serving their HTML from
the cache (Redis in production, the database otherwise) costs no query beyond the cache read.
Only a visitor without any session cookie gets or fills the cache, so nothing personal can
leak: a logged-in customer, or anyone with pending messages, always gets a fresh page.
Entries expire after `settings.PAGE_CACHE_SECONDS` (0 disables the cache).

Freshness, two ways:
- a page's entries can be dropped by key (`page_cache_key`, the very formula the decorator
  stores under): the reviews drop the product and vendor pages a review shows on;
- a `namespace` (a function giving a short string, read at each request) puts a family of
  pages under one changing prefix: the help centre changes its generation at every edit,
  which makes all its older entries unreachable at once.
Other catalogue changes show to anonymous visitors within PAGE_CACHE_SECONDS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

CACHE_HEADER = "X-Page-Cache"


def page_cache_key(*, language: str, host: str, full_path: str, namespace: str = "") -> str:
    """The key a page is stored under: its language, host and path with query string."""
    raw = f"{language}|{host}|{full_path}"
    prefix = f"page:v1:{namespace}:" if namespace else "page:v1:"
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
                return view(request, *args, **kwargs)
            key = page_cache_key(
                language=get_language(),
                host=request.get_host(),
                full_path=request.get_full_path(),
                namespace=namespace() if namespace else "",
            )
            hit = cache.get(key)
            if hit is not None:
                content, content_type = hit
                response = HttpResponse(content, content_type=content_type)
                response[CACHE_HEADER] = "hit"
                return response
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if _cacheable_response(request, response):
                cache.set(key, (response.content, response["Content-Type"]), seconds)
                response[CACHE_HEADER] = "miss"
            return response

        return wrapper

    return decorate(view) if view is not None else decorate
