"""How the shop loads a signed-in customer: Django's model backend (inactive accounts
recognised at login, so the login form can say the account is deactivated), the user's row
read together with the units in their cart, and with the session itself when it can.

The header of every page shows that count (context_processors.personal); a page served from
the page cache renders nothing else for its visitor, so this read is most of such a request
(issue 14 goal 5). The session engine (storefront.sessions) reads the session's row, its user
and the count in one query and keeps the user on the session; the middleware here hands that
session to the backend while Django's `auth.get_user` runs, and the backend takes the user
from it instead of reading it again. Django still checks the session against the row (its
session hash), as with its own backend. Without such a user (a session read asynchronously,
by Channels), the backend reads the user and the count in one query, its SQL written once
(building it with the ORM costs more than running it).
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from typing import Any

from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import AllowAllUsersModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthentication
from django.db.models import Field
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from allies.cart.models import Cart, CartLine

# The session of the request whose user Django's `auth.get_user` is loading.
_session_being_read: ContextVar[Any] = ContextVar("allies_session_being_read", default=None)


@cache
def cart_units_sql(owner_column: str, value: str) -> str:
    """SQL of the units in the cart whose `owner_column` ("customer" or "session_key") is the
    SQL expression `value`."""
    line, cart = CartLine._meta, Cart._meta
    owner = cart.get_field(owner_column)
    assert isinstance(owner, Field)
    return (
        f'COALESCE((SELECT SUM(l."{line.get_field("quantity").column}")'
        f' FROM "{line.db_table}" l INNER JOIN "{cart.db_table}" c'
        f' ON c."{cart.pk.column}" = l."{line.get_field("cart").column}"'
        f' WHERE c."{owner.column}" = {value}), 0)'
    )


@cache
def _user_with_cart_units_sql() -> str:
    user = get_user_model()._meta
    return (
        f"""SELECT u.*, {cart_units_sql("customer", f'u."{user.pk.column}"')}"""
        " AS cart_units_when_loaded"
        f' FROM "{user.db_table}" u WHERE u."{user.pk.column}" = %s'
    )


def _user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        token = _session_being_read.set(request.session)
        try:
            request._cached_user = auth.get_user(request)  # type: ignore[attr-defined]
        finally:
            _session_being_read.reset(token)
    return request._cached_user  # type: ignore[attr-defined]


class AuthenticationMiddleware(DjangoAuthentication):
    """Django's, whose lazy `request.user` lets the backend see the request's session."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _user(request))  # type: ignore[assignment]


class CustomerBackend(AllowAllUsersModelBackend):
    def get_user(self, user_id: Any) -> Any:
        user = getattr(_session_being_read.get(), "user_when_loaded", None)
        if user is None or str(user.pk) != str(user_id):
            users = list(
                get_user_model()._default_manager.raw(_user_with_cart_units_sql(), [user_id])
            )
            if not users:
                return None
            user = users[0]
        return user if self.user_can_authenticate(user) else None
