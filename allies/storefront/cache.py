"""Whole-page cache for anonymous visitors of the catalogue pages.

Most traffic is anonymous browsing of the same few thousand pages; serving their HTML from
the cache (Redis in production, the database otherwise) costs no query beyond the cache read.
Only a visitor without any session cookie gets or fills the cache, so nothing personal can
leak: a logged-in customer, or anyone with pending messages, always gets a fresh page.
Entries expire after `settings.PAGE_CACHE_SECONDS` (0 disables the cache); a catalogue
change is therefore visible to anonymous visitors within that delay.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

CACHE_HEADER = "X-Page-Cache"


def _cacheable_request(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        # Cookie-stored messages ("messages") would be shown by the page being rendered.
        and "messages" not in request.COOKIES
        and not getattr(request, "htmx", False)
    )


def _cache_key(request: HttpRequest) -> str:
    raw = f"{get_language()}|{request.get_host()}|{request.get_full_path()}"
    return "page:v1:" + hashlib.sha256(raw.encode()).hexdigest()


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


def anonymous_page_cache(view):
    """Serve the cached HTML of this page to anonymous visitors (see module docstring)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        seconds = settings.PAGE_CACHE_SECONDS
        if seconds <= 0 or not _cacheable_request(request):
            return view(request, *args, **kwargs)
        key = _cache_key(request)
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
