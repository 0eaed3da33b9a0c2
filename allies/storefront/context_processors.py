"""What every page's header shows from the shop: the category menu and the cart's count.

Here rather than in core: core sits below the catalog and the cart (ARCHITECTURE.md layers).
"""

from django.db.models import Sum
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from allies.cart.models import CartLine
from allies.catalog.selectors import categories_all
from allies.orders.closing import WITHDRAWAL_DAYS


def _menu_categories() -> list[dict[str, str]]:
    """The menu's rows, from the categories the process keeps (catalog.selectors)."""
    return [{"slug": c.slug, "name": c.name, "name_en": c.name_en} for c in categories_all()]


def _cart_count(request: HttpRequest, *, as_loaded: bool = False) -> int:
    """Units in the visitor's cart; no query for a visitor without a session. `as_loaded`:
    the count as read with the customer's row or the visitor's session (storefront.sessions),
    for a request that has not changed the cart since."""
    if request.user.is_authenticated:
        loaded = getattr(request.user, "cart_units_when_loaded", None)
        lines = CartLine.objects.filter(cart__customer=request.user)
    elif request.session.session_key:
        loaded = getattr(request.session, "cart_units_when_loaded", None)
        lines = CartLine.objects.filter(cart__session_key=request.session.session_key)
    else:
        return 0
    if as_loaded and loaded is not None:
        return int(loaded)
    return lines.aggregate(n=Sum("quantity"))["n"] or 0


def personal(request: HttpRequest) -> dict[str, object]:
    """What the header's personal part (templates/_personal_nav.html) shows: all that a page
    served from the page cache renders for its visitor (core.page_cache), on a GET of a page
    that does not change the cart: the count read with the customer's row is current."""
    return {"user": request.user, "cart_count": _cart_count(request, as_loaded=True)}


def shop(request: HttpRequest) -> dict[str, object]:
    lang = get_language()
    return {
        "menu_categories": [
            {"slug": r["slug"], "label": r["name_en"] if lang == "en" else r["name"]}
            for r in _menu_categories()
        ],
        # A GET changes no cart (the cart's changes are POSTs, and the bank's return that
        # empties it answers with a redirect): the count read with the customer is current.
        "cart_count": SimpleLazyObject(
            lambda: _cart_count(request, as_loaded=request.method in ("GET", "HEAD"))
        ),
        # The header's "Satisfait ou remboursé sous N jours" (SITE-1): the withdrawal window.
        "site_withdrawal_days": WITHDRAWAL_DAYS,
    }
