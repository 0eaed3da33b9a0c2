"""What every page needs: the category menu and the other language's URL of this page."""

from django.conf import settings
from django.core.cache import cache
from django.urls import translate_url
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language


def _menu_categories() -> list:
    from allies.catalog.models import Category

    key = "menu-categories:v1"
    rows = cache.get(key)
    if rows is None:
        rows = list(Category.objects.values("slug", "name", "name_en"))
        cache.set(key, rows, 300)
    return rows


def _cart_count(request) -> int:
    """Units in the visitor's cart; no query for a visitor without a session."""
    from django.db.models import Sum

    from allies.cart.models import CartLine

    if request.user.is_authenticated:
        lines = CartLine.objects.filter(cart__customer=request.user)
    elif request.session.session_key:
        lines = CartLine.objects.filter(cart__session_key=request.session.session_key)
    else:
        return 0
    return lines.aggregate(n=Sum("quantity"))["n"] or 0


def site(request) -> dict:
    lang = get_language() or settings.LANGUAGE_CODE
    other = "en" if lang == "fr" else "fr"
    return {
        "menu_categories": [
            {"slug": r["slug"], "label": r["name_en"] if lang == "en" else r["name"]}
            for r in _menu_categories()
        ],
        "other_language": other,
        "other_language_url": translate_url(request.get_full_path(), other),
        "cart_count": SimpleLazyObject(lambda: _cart_count(request)),
        "customer_service_email": settings.CUSTOMER_SERVICE_EMAIL,
        "site_url": settings.SITE_URL,
    }
