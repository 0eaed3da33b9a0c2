"""What every page needs: the category menu and the other language's URL of this page."""

from django.conf import settings
from django.core.cache import cache
from django.urls import translate_url
from django.utils.translation import get_language


def _menu_categories() -> list:
    from allies.catalog.models import Category

    key = "menu-categories:v1"
    rows = cache.get(key)
    if rows is None:
        rows = list(Category.objects.values("slug", "name", "name_en"))
        cache.set(key, rows, 300)
    return rows


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
        "customer_service_email": settings.CUSTOMER_SERVICE_EMAIL,
        "site_url": settings.SITE_URL,
    }
