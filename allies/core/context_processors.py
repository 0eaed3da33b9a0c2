"""What every page needs from the site itself: the other language's URL of this page and the
operator's contact. The shop's header (menu, cart count) is `allies.storefront.context_processors`.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils.encoding import iri_to_uri
from django.utils.translation import get_language

from allies.core.languages import page_path_in


def site(request: HttpRequest) -> dict[str, object]:
    lang = get_language() or settings.LANGUAGE_CODE
    other = "en" if lang == "fr" else "fr"
    return {
        "other_language": other,
        "other_language_url": page_path_in(request, other) + _query(request),
        "customer_service_email": settings.CUSTOMER_SERVICE_EMAIL,
        "site_url": settings.SITE_URL,
    }


def _query(request: HttpRequest) -> str:
    query = request.META.get("QUERY_STRING", "")
    return f"?{iri_to_uri(query)}" if query else ""
