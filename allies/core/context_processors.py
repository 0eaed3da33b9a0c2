"""What every page needs from the site itself: the other language's URL of this page and the
operator's contact. The shop's header (menu, cart count) is `allies.storefront.context_processors`.
"""

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language


def site(request: HttpRequest) -> dict[str, object]:
    lang = get_language() or settings.LANGUAGE_CODE
    other = "en" if lang == "fr" else "fr"
    return {
        "other_language": other,
        "other_language_url": translate_url(request.get_full_path(), other),
        "customer_service_email": settings.CUSTOMER_SERVICE_EMAIL,
        "site_url": settings.SITE_URL,
    }
