"""The site's URLs plus `/__bench__/ok`, a view that does nothing but answer "ok"."""

from django.http import HttpResponse
from django.urls import path

from allies.urls import handler404, handler500  # noqa: F401  (same error pages)
from allies.urls import urlpatterns as site_urlpatterns


def ok(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("__bench__/ok", ok), *site_urlpatterns]
