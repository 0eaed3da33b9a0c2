"""Console: vendor payouts (PAY-1), for the operator's staff with the payouts permissions.

The list shows the last runs, the payouts (vendor, amount, stage, masked IBAN, provider
references, failures) and the vendors a run would not pay (a negative balance, or no
validated payment account). "Lancer les virements" (POST, `payouts.add_payoutrun`) runs
`payouts.services.payout_run` at once; a refused money-out is retried from its page
(POST, `payouts.change_payout`). Viewing needs `payouts.view_payout`; visitors go to the
login page, anyone else gets the 403 page.
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
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from allies.backoffice.views import _render
from allies.payouts import selectors
from allies.payouts.models import PayoutRun
from allies.payouts.services import PayoutError, payout_retry, payout_run
from allies.payouts.states import PAYOUT_STAGES, PayoutStatus

if TYPE_CHECKING:
    from allies.accounts.models import User

VIEW_PERMISSION = "payouts.view_payout"
RUN_PERMISSION = "payouts.add_payoutrun"
RETRY_PERMISSION = "payouts.change_payout"
MAX_PAGE = 100_000


def may(user: Any, permission: str) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(permission))


def payouts_staff_required(
    permission: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @login_required
        @never_cache
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not (may(request.user, VIEW_PERMISSION) and may(request.user, permission)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _page_number(raw: str | None) -> int:
    text = (raw or "1").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 6 or not 1 <= int(text) <= MAX_PAGE:
        raise Http404("page")
    return int(text)


@payouts_staff_required(VIEW_PERMISSION)
@require_GET
def payout_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("etat") or ""
    if status and status not in PayoutStatus.values:
        raise Http404("status")
    page = selectors.payouts_page(number=_page_number(request.GET.get("page")), status=status)
    counts = selectors.payout_counts()
    return _render(
        request,
        "payouts/list.html",
        {
            "runs": selectors.recent_runs(),
            "page": page,
            "status": status,
            "statuses": [(value, label, counts[value]) for value, label in PayoutStatus.choices],
            "open_count": counts["open"],
            "blocked": selectors.vendors_blocked(),
            "minimum": selectors.payout_min_amount(),
            "may_run": may(request.user, RUN_PERMISSION),
        },
        section="payouts",
    )


@payouts_staff_required(RUN_PERMISSION)
@require_POST
def payout_run_view(request: HttpRequest) -> HttpResponse:
    run = payout_run(trigger=PayoutRun.Trigger.STAFF, by=cast("User", request.user))
    if run.errors:
        messages.warning(
            request,
            _("Virements lancés : %(made)s effectué(s), %(errors)s en erreur.")
            % {"made": run.payouts_made, "errors": run.errors},
        )
    else:
        messages.success(
            request, _("Virements lancés : %(made)s effectué(s).") % {"made": run.payouts_made}
        )
    return redirect("backoffice:payouts")


@payouts_staff_required(VIEW_PERMISSION)
@require_GET
def payout_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payout = selectors.payout_for_staff(pk=pk)
    return _render(
        request,
        "payouts/detail.html",
        {
            "payout": payout,
            "stage": PAYOUT_STAGES[PayoutStatus(payout.status)],
            "lines": selectors.payout_lines(payout=payout),
            "events": list(payout.events.select_related("actor").order_by("created_at", "id")),
            "may_retry": payout.status == PayoutStatus.MONEY_OUT_FAILED
            and may(request.user, RETRY_PERMISSION),
        },
        section="payouts",
    )


@payouts_staff_required(RETRY_PERMISSION)
@require_POST
def payout_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    payout = selectors.payout_for_staff(pk=pk)
    try:
        payout = payout_retry(payout=payout, by=cast("User", request.user))
    except PayoutError as exc:
        messages.error(request, exc.message)
        return redirect("backoffice:payout", pk=pk)
    if payout.status == PayoutStatus.PAID:
        messages.success(request, _("Le virement bancaire est effectué."))
    else:
        messages.warning(request, _("Le virement bancaire n'est pas encore confirmé."))
    return redirect("backoffice:payout", pk=pk)
