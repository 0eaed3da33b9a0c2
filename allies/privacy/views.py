"""Pages of "Mes données personnelles": see what we hold, download it, erase it.

Thin views: each parses, calls one selector or service, renders. Every page is about the
signed-in customer only; no identifier travels in the URL.
"""

from __future__ import annotations

import tempfile

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from allies.privacy import forms, selectors, services
from allies.privacy.registry import ACCOUNTING_RETENTION_YEARS

# An export larger than this spills from memory to a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024


def _context(request, **extra):
    return {
        "section": "privacy",
        "retention_years": ACCOUNTING_RETENTION_YEARS,
        "export_url": reverse("privacy:export"),
        **extra,
    }


@never_cache
@login_required
@require_GET
def home(request):
    return render(
        request,
        "privacy/home.html",
        _context(
            request,
            summary=selectors.personal_data_summary(user=request.user),
            blockers=services.erasure_blockers(user=request.user),
        ),
    )


@never_cache
@login_required
@require_GET
def export(request):
    """The ZIP of every personal data we hold about the signed-in customer."""
    data = services.personal_data_export(user=request.user)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (FileResponse closes it)
    services.personal_data_archive_write(export=data, out=out, language=get_language() or "fr")
    out.seek(0)
    name = f"les-allies-mes-donnees-{timezone.localdate():%Y-%m-%d}.zip"
    response = FileResponse(out, as_attachment=True, filename=name, content_type="application/zip")
    response["Cache-Control"] = "no-store, private"
    return response


@sensitive_post_parameters("password")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def erase(request):
    blockers = services.erasure_blockers(user=request.user)
    form = forms.ErasureForm(
        request.user, request.POST if request.method == "POST" else None, request=request
    )
    status = 200
    if request.method == "POST":
        if blockers:
            status = 409  # nothing changed; the page says why
        elif form.is_valid():
            try:
                services.personal_data_erase(user=request.user)
            except services.ErasureRefused as refused:  # something opened meanwhile
                blockers, status = refused.reasons, 409
            else:
                logout(request)
                return redirect("privacy:erased")
    return render(
        request,
        "privacy/erase.html",
        _context(request, form=form, blockers=blockers),
        status=status,
    )


@require_GET
def erased(request):
    if request.user.is_authenticated:
        return redirect("privacy:home")
    return render(request, "privacy/erased.html")
