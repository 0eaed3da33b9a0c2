"""How the shop loads a signed-in customer: Django's model backend (inactive accounts
recognised at login, so the login form can say the account is deactivated), the user's row
read together with the units in their cart.

The header of every page shows that count (context_processors.personal); a page served from
the page cache renders nothing else for its visitor, so this read is most of such a request
(issue 14 goal 5): one query instead of two, its SQL written once (building it with the ORM
costs more than running it). Django still checks the session against the row (its session
hash), as with its own backend.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import AllowAllUsersModelBackend

from allies.cart.models import Cart, CartLine


@cache
def _user_with_cart_units_sql() -> str:
    user = get_user_model()._meta
    line, cart = CartLine._meta, Cart._meta
    return (
        f'SELECT u.*, COALESCE((SELECT SUM(l."{line.get_field("quantity").column}")'
        f' FROM "{line.db_table}" l INNER JOIN "{cart.db_table}" c'
        f' ON c."{cart.pk.column}" = l."{line.get_field("cart").column}"'
        f' WHERE c."{cart.get_field("customer").column}" = u."{user.pk.column}"), 0)'
        f' AS cart_units_when_loaded FROM "{user.db_table}" u WHERE u."{user.pk.column}" = %s'
    )


class CustomerBackend(AllowAllUsersModelBackend):
    def get_user(self, user_id: Any) -> Any:
        users = list(get_user_model()._default_manager.raw(_user_with_cart_units_sql(), [user_id]))
        if not users:
            return None
        return users[0] if self.user_can_authenticate(users[0]) else None
