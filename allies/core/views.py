"""Error pages that Django would otherwise answer in bare English.

400 and 403 use Django's own handlers with our `400.html` and `403.html` (site layout, the
visitor's language). A refused CSRF token gets `403_csrf.html` through this view, rendered
with the request so the page has the site's layout and knows who is logged in. The vendor
API never gets here: its errors are JSON (vendor_api/errors.py).
"""

from django.contrib.auth.models import AnonymousUser
from django.shortcuts import render


def csrf_failure(request, reason: str = ""):
    return render(request, "403_csrf.html", status=403)


def bad_request(request, exception=None):
    # A request refused early (a bad Host header, say) has not been through the
    # authentication middleware: the layout still needs to know nobody is logged in.
    if not hasattr(request, "user"):
        request.user = AnonymousUser()
    return render(request, "400.html", status=400)
