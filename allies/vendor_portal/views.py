"""The vendors' web UI (VEN-1…3): dashboard, orders, offers, import, rates, profile, API keys."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def dashboard(request):
    return HttpResponse("")
