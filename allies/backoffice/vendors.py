"""Console: vendor applications ("Devenir vendeur") and vendor suspension, staff only.

- Applications, by stage (the waiting ones first, oldest first); one application shows its
  data, the checks (SIRET / company number, VAT, IBAN, BIC) and its timeline, with the
  decisions: approve, ask for changes (a note emailed with an edit link), reject (a note).
  Needs `onboarding.change_vendorapplication`.
- Vendors, with suspend (a reason emailed to the vendor) and reinstate. Needs
  `vendors.change_vendor`.

A visitor goes to the login page; anyone logged in without staff status and the permission
gets the 403 page. Decisions are POSTs that redirect (POST-redirect-GET) or show the page
again with the refusal and nothing changed; each calls one `onboarding.services` function.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from allies.backoffice.views import _render
from allies.onboarding import selectors
from allies.onboarding.checks import application_checks
from allies.onboarding.models import ApplicationStage
from allies.onboarding.services import (
    REVIEW_PERMISSION,
    SUSPEND_PERMISSION,
    ApplicationError,
    VendorStatusError,
    vendor_application_approve,
    vendor_application_reject,
    vendor_application_request_changes,
    vendor_reinstate,
    vendor_suspend,
)
from allies.onboarding.states import ApplicationTransitionNotAllowed
from allies.vendors.models import Vendor

if TYPE_CHECKING:
    from allies.accounts.models import User

MAX_ID = 2**63 - 1
# Tabs of the applications list: URL slug → (stage or None for "to review", label).
STAGE_TABS: dict[str, tuple[str | None, Any]] = {
    "a-examiner": (None, gettext_lazy("À examiner")),
    "modifications": (ApplicationStage.CHANGES_REQUESTED, gettext_lazy("Modifications demandées")),
    "acceptees": (ApplicationStage.APPROVED, gettext_lazy("Acceptées")),
    "refusees": (ApplicationStage.REJECTED, gettext_lazy("Refusées")),
}
VENDOR_TABS = {
    "tous": gettext_lazy("Tous"),
    "actifs": gettext_lazy("Actifs"),
    "suspendus": gettext_lazy("Suspendus"),
}
ACTIONS = ("approve", "changes", "reject")


def staff_permission_required(
    permission: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Logged in (else the login page), staff and holding `permission` (else 403)."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @login_required
        @never_cache
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not (user.is_active and user.is_staff and user.has_perm(permission)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _pk(value: int) -> int:
    if not 0 < value <= MAX_ID:
        raise Http404("id")
    return value


# --- applications ---------------------------------------------------------------------------


@staff_permission_required(REVIEW_PERMISSION)
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    which = request.GET.get("etape") or "a-examiner"
    if which not in STAGE_TABS:
        raise Http404("stage")
    stage = STAGE_TABS[which][0]
    try:
        page = selectors.page_of(
            selectors.applications_for_staff(stage=stage), number=request.GET.get("page")
        )
    except selectors.OnboardingQueryError:
        raise Http404("page") from None
    counts = selectors.application_counts()
    tabs = [
        (slug, label, counts[ApplicationStage.SUBMITTED] + counts[ApplicationStage.RESUBMITTED]
         if tab_stage is None else counts[tab_stage])
        for slug, (tab_stage, label) in STAGE_TABS.items()
    ]  # fmt: skip
    return _render(
        request,
        "vendors/applications.html",
        {"page": page, "filter": which, "tabs": tabs},
        section="vendor_applications",
    )


def _application_page(
    request: HttpRequest, pk: int, *, error: str = "", status: int = 200
) -> HttpResponse:
    application = selectors.application_for_staff(pk=_pk(pk))
    if application is None:
        raise Http404("application")
    return _render(
        request,
        "vendors/application.html",
        {
            "application": application,
            "checks": application_checks(application),
            "error": error,
            "note": request.POST.get("note", "") if request.method == "POST" else "",
            "stage": ApplicationStage,
        },
        section="vendor_applications",
        status=status,
    )


@staff_permission_required(REVIEW_PERMISSION)
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _application_page(request, pk)


@staff_permission_required(REVIEW_PERMISSION)
@require_POST
def application_decide(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_for_staff(pk=_pk(pk))
    if application is None:
        raise Http404("application")
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return _application_page(request, pk, error=_("Action inconnue."), status=422)
    staff = cast("User", request.user)
    note = request.POST.get("note", "")
    try:
        if action == "approve":
            vendor = vendor_application_approve(application=application, by=staff)
            messages.success(
                request,
                _("Candidature acceptée : le vendeur %(name)s est créé et son contact a reçu "
                  "le lien pour choisir son mot de passe.") % {"name": vendor.name},
            )  # fmt: skip
        elif action == "changes":
            vendor_application_request_changes(application=application, by=staff, note=note)
            messages.success(request, _("La demande de modification est envoyée à l'entreprise."))
        else:
            vendor_application_reject(application=application, by=staff, note=note)
            messages.success(request, _("La candidature est refusée ; l'entreprise est prévenue."))
    except (ApplicationError, ApplicationTransitionNotAllowed) as exc:
        return _application_page(request, pk, error=exc.message, status=422)
    return redirect("backoffice:vendor_application", pk=application.pk)


# --- vendors and suspension -----------------------------------------------------------------


@staff_permission_required(SUSPEND_PERMISSION)
@require_GET
def vendor_list(request: HttpRequest) -> HttpResponse:
    which = request.GET.get("filtre") or "tous"
    if which not in VENDOR_TABS:
        raise Http404("filter")
    query = request.GET.get("q", "")
    try:
        page = selectors.page_of(
            selectors.vendors_for_staff(status=None if which == "tous" else which, query=query),
            number=request.GET.get("page"),
        )
    except selectors.OnboardingQueryError:
        raise Http404("page") from None
    vendors = list(page.object_list)
    events = selectors.vendor_last_events(
        vendor_ids=[v.pk for v in vendors if v.suspended_at is not None]
    )
    return _render(
        request,
        "vendors/vendors.html",
        {
            "page": page,
            "rows": [(v, events.get(v.pk)) for v in vendors],
            "filter": which,
            "tabs": VENDOR_TABS.items(),
            "query": " ".join(query.split())[: selectors.SEARCH_MAX],
        },
        section="vendors",
    )


def _vendor(pk: int) -> Vendor:
    vendor = Vendor.objects.filter(pk=_pk(pk)).first()
    if vendor is None:
        raise Http404("vendor")
    return vendor


@staff_permission_required(SUSPEND_PERMISSION)
@require_POST
def vendor_suspend_view(request: HttpRequest, pk: int) -> HttpResponse:
    vendor = _vendor(pk)
    try:
        vendor_suspend(
            vendor=vendor, by=cast("User", request.user), reason=request.POST.get("reason", "")
        )
    except VendorStatusError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "%(name)s est suspendu : ses offres ne sont plus visibles ; il est prévenu par "
                "email."
            )
            % {"name": vendor.name},
        )
    return redirect("backoffice:vendors")


@staff_permission_required(SUSPEND_PERMISSION)
@require_POST
def vendor_reinstate_view(request: HttpRequest, pk: int) -> HttpResponse:
    vendor = _vendor(pk)
    try:
        vendor_reinstate(vendor=vendor, by=cast("User", request.user))
    except VendorStatusError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s est rétabli : ses offres actives sont de nouveau visibles.")
            % {"name": vendor.name},
        )
    return redirect("backoffice:vendors")
