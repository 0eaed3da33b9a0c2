"""The session engine (settings.SESSION_ENGINE): Django's database sessions, whose row is read
together with its signed-in customer and the units in their cart, in one query.

Every request of a signed-in customer reads its session, then its user (Django's
`auth.get_user`), then the header shows the cart's count: three reads, or two with the count
read with the user (storefront.auth). Here they are one: the session's row names its user in a
column (accounts.Session.user, written whenever the session is saved), the query joins it,
and the user it found waits on the store (`user_when_loaded`) for the authentication backend,
which still checks it against the session's data as Django does (storefront.auth).

The session's data, its expiry and its key's validation stay Django's; only the read is ours.
Async reads (Channels' chat) use Django's own, without the join.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from allies.accounts.models import Session
from allies.storefront.auth import cart_units_sql

# The column the session's data is read into, beside the user's own columns.
_DATA = "session_data_when_loaded"


@cache
def _session_with_user_sql() -> str:
    user, session = get_user_model()._meta, Session._meta
    # A customer's cart is theirs; a visitor's is their session's.
    units = (
        f'CASE WHEN u."{user.pk.column}" IS NULL'
        f""" THEN {cart_units_sql("session_key", f's."{session.pk.column}"')}"""
        f""" ELSE {cart_units_sql("customer", f'u."{user.pk.column}"')} END"""
    )
    return (
        f'SELECT u.*, s."{session.get_field("session_data").column}" AS {_DATA},'
        f" {units} AS cart_units_when_loaded"
        f' FROM "{session.db_table}" s LEFT JOIN "{user.db_table}" u'
        f' ON u."{user.pk.column}" = s."{session.get_field("user").column}"'
        f' WHERE s."{session.pk.column}" = %s'
        f' AND s."{session.get_field("expire_date").column}" > %s'
    )


def _user_id(value: Any) -> int | None:
    """The signed-in user's id as the session's data holds it (a string), for its column."""
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class SessionStore(db.SessionStore):
    # The user the last read found beside the session (None: anonymous, or not read by us).
    user_when_loaded: Any = None
    # A visitor's (not signed in) cart units as the last read found them (None: not read).
    cart_units_when_loaded: int | None = None

    @classmethod
    def get_model_class(cls) -> type[Session]:
        return Session

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        session = cast(Session, super().create_model_instance(data))
        session.user_id = _user_id(data.get(SESSION_KEY))
        return session

    async def acreate_model_instance(self, data: dict[str, Any]) -> Session:
        session = cast(Session, await super().acreate_model_instance(data))
        session.user_id = _user_id(data.get(SESSION_KEY))
        return session

    def _get_session_from_db(self) -> Session | None:
        self.user_when_loaded = self.cart_units_when_loaded = None
        if self.session_key is None:  # no cookie, or an invalid key: nothing to read
            return None
        using = router.db_for_read(Session)
        now = connections[using].ops.adapt_datetimefield_value(timezone.now())
        rows = list(
            get_user_model()
            ._default_manager.db_manager(using)
            .raw(_session_with_user_sql(), [self.session_key, now])
        )
        if not rows:
            self._session_key = None
            return None
        row = rows[0]
        data = row.__dict__.pop(_DATA)
        if row.pk is not None:
            self.user_when_loaded = row
        else:
            self.cart_units_when_loaded = int(row.cart_units_when_loaded)
        return Session(session_key=self.session_key, session_data=data)
