"""Who is calling: `Authorization: Bearer alk_…`, a key created in the vendor portal.

The key resolves to one vendor (`vendors.services.api_key_authenticate`, one query); every
route then acts for that vendor only (`request.auth.vendor`). A missing, unknown or revoked
key, or one of a deactivated vendor, is a 401 `invalid_api_key`. Each authenticated call is
then counted against the key's rate limit (429 `rate_limited`) and the key's "last used" time
is refreshed (at most one UPDATE a minute).

The result is kept on the request: the idempotency wrapper authenticates before ninja does,
and the second pass costs nothing (no query, no second count).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from allies.vendor_api.errors import activate_request_language
from allies.vendor_api.ratelimit import rate_limit_hit
from allies.vendors.models import VendorApiKey
from allies.vendors.services import api_key_authenticate, api_key_touch

_UNSET = object()


class VendorKeyAuth(HttpBearer):
    """Bearer API key of a vendor; `request.auth` is the `VendorApiKey` (with `.vendor`)."""

    def __call__(self, request: HttpRequest) -> VendorApiKey | None:
        cached = getattr(request, "_vendor_api_key", _UNSET)
        if isinstance(cached, Exception):
            raise cached
        if cached is None or isinstance(cached, VendorApiKey):
            return cached
        activate_request_language(request)
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.strip().partition(" ")
        if not header:
            request._vendor_api_auth_failure = "missing"  # type: ignore[attr-defined]
            request._vendor_api_key = None  # type: ignore[attr-defined]
            return None
        if scheme.lower() != "bearer":
            request._vendor_api_key = None  # type: ignore[attr-defined]
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> VendorApiKey | None:
        key = api_key_authenticate(token)
        if key is None:
            request._vendor_api_key = None  # type: ignore[attr-defined]
            return None
        try:
            rate_limit_hit(key_id=key.pk)
        except Exception as exc:
            request._vendor_api_key = exc  # type: ignore[attr-defined]
            raise
        api_key_touch(key=key)
        request._vendor_api_key = key  # type: ignore[attr-defined]
        return key


vendor_key_auth = VendorKeyAuth()


def request_api_key(request: HttpRequest) -> VendorApiKey | None:
    """The caller's key, authenticating now if ninja has not yet (None if it fails)."""
    try:
        return vendor_key_auth(request)
    except Exception:
        return None
