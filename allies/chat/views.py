"""The chat's one HTTP page: it makes sure a visitor has a session before their socket opens.

The socket cannot set a cookie, and anonymous storefront pages are cached whole (they set
none), so a visitor who starts a chat first asks this URL for their session cookie, then
reconnects: their conversation belongs to that session. CSRF-exempt on purpose: it writes
nothing but an empty session, and a page that may be cached has no token to send.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@never_cache
@require_POST
def session_ensure(request: HttpRequest) -> HttpResponse:
    if request.session.session_key is None:
        request.session["chat"] = True
        request.session.save()
    return HttpResponse(status=204)
