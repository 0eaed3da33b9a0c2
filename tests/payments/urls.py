"""The site's URLs, plus a stand-in for checkout's result page (`checkout:payment_result`)
when the site does not provide one yet, so payment tests do not depend on checkout."""

from django.http import HttpResponse
from django.urls import URLResolver, include, path

from allies.urls import urlpatterns as site_urlpatterns


def _namespaces(patterns) -> set:
    found = set()
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace:
                found.add(entry.namespace)
            found |= _namespaces(entry.url_patterns)
    return found


def payment_result(request, reference):
    return HttpResponse(f"checkout result page for {reference}")


urlpatterns = list(site_urlpatterns)
if "checkout" not in _namespaces(site_urlpatterns):
    checkout_patterns = (
        [path("<str:reference>/", payment_result, name="payment_result")],
        "checkout",
    )
    urlpatterns.append(path("test-checkout/resultat/", include(checkout_patterns)))
