"""The vendor portal's "Retours" (VEN-2, RET-1…6): the list of the vendor's returns by stage,
one return with its items, window, parcel and deadlines, and the vendor's actions: accept,
refuse a late request, mark the parcel received, refund (whole or with deductions, with a
preview) or declare it not compliant.

Views only parse, call one selector or service of `allies.aftersales`, and render. Every read
goes through `allies.aftersales.selectors` for the acting vendor (`request.vendor`, set by
`vendor_member_required`): another vendor's return is "not found" (404), exactly like one
that does not exist. Every action posts, then redirects with a message; a refusal of the
service re-renders the return with its message (422) and changes nothing. The customer is
named by their first name only, as in "Messages".
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from allies.aftersales import returns as services
from allies.aftersales.errors import ReturnError, ReturnForbidden
from allies.aftersales.models import (
    DeductionReason,
    RejectionReason,
    ReturnMethod,
    ReturnRequest,
)
from allies.aftersales.return_states import (
    ReturnAction,
    ReturnStatus,
    ReturnTransitionNotAllowed,
    return_statuses_allowing,
)
from allies.aftersales.selectors import (
    ReturnFilter,
    return_for_vendor,
    returns_for_vendor,
    returns_mark_late,
    vendor_return_counts,
)
from allies.orders.events import Actor
from allies.shipping.carriers import carrier_get, tracking_url
from allies.vendor_portal.access import vendor_member_required
from allies.vendor_portal.views import _eur, _page, _query_without_page, _render
from allies.vendors.models import Vendor

RETURNS_PER_PAGE = 20
# The tabs, by their slug in the URL (`?filtre=`), in the order they show.
FILTERS: dict[str, tuple[ReturnFilter, Any]] = {
    "a-accepter": (ReturnFilter.TO_ACCEPT, gettext_lazy("À accepter")),
    "en-attente": (ReturnFilter.WAITING, gettext_lazy("En attente du colis")),
    "a-controler": (ReturnFilter.TO_INSPECT, gettext_lazy("À contrôler")),
    "termines": (ReturnFilter.CLOSED, gettext_lazy("Terminés")),
    "tous": (ReturnFilter.ALL, gettext_lazy("Tous")),
}
DEFAULT_FILTER = "a-accepter"
S = ReturnStatus
# The portal's status colours (checkout.css / portal.css): to act, waiting, done, closed.
STATUS_CLASSES = {
    S.REQUESTED: "status-preparing",
    S.ACCEPTED: "status-shipped",
    S.SENT: "status-shipped",
    S.RECEIVED: "status-preparing",
    S.REFUNDED: "status-delivered",
    S.REFUSED: "status-cancelled",
    S.REJECTED: "status-cancelled",
    S.CANCELLED: "status-cancelled",
    S.EXPIRED: "status-cancelled",
}
AMOUNT_FIELD = "retenue-"
REASON_FIELD = "motif-"


def _vendor(request: HttpRequest) -> Vendor:
    """The acting vendor `vendor_member_required` set."""
    return request.vendor  # type: ignore[attr-defined]


def _first_name(found: ReturnRequest) -> str:
    """The customer as the vendor reads them: the first name only, never the address."""
    words = str(found.customer.first_name or "").split()
    return words[0] if words else str(_("Client"))


def _mark_rows(rows: list[ReturnRequest], now: Any) -> None:
    returns_mark_late(rows, now=now)
    for row in rows:
        row.customer_first_name = _first_name(row)  # type: ignore[attr-defined]
        row.status_class = STATUS_CLASSES.get(S(row.status), "")  # type: ignore[attr-defined]


@vendor_member_required
def return_list(request: HttpRequest) -> HttpResponse:
    slug = request.GET.get("filtre") or DEFAULT_FILTER
    if slug not in FILTERS:
        slug = DEFAULT_FILTER
    now = timezone.now()
    vendor = _vendor(request)
    counts = vendor_return_counts(vendor=vendor, now=now)
    page = _page(
        request, returns_for_vendor(vendor=vendor, filter=FILTERS[slug][0], now=now),
        RETURNS_PER_PAGE,
    )  # fmt: skip
    _mark_rows(page.object_list, now)
    tab_counts = {"a-accepter": counts.to_accept, "en-attente": counts.waiting,
                  "a-controler": counts.to_inspect}  # fmt: skip
    tab_late = {"a-accepter": counts.late_answer, "a-controler": counts.late_refund}
    tabs = [
        (key, label, tab_counts.get(key), bool(tab_late.get(key)))
        for key, (_filter, label) in FILTERS.items()
    ]
    return _render(
        request,
        "returns.html",
        {"page": page, "filter": slug, "tabs": tabs, "return_counts": counts,
         "query": _query_without_page(request)},
        section="returns",
    )  # fmt: skip


# --- one return ------------------------------------------------------------------------------


def _return_or_404(request: HttpRequest, return_id: int) -> ReturnRequest:
    try:
        return return_for_vendor(vendor=_vendor(request), return_id=return_id)
    except ReturnForbidden:
        raise Http404 from None


def _preview(found: ReturnRequest, deductions: dict[int, services.Deduction]) -> dict[str, Any]:
    """The refund as `return_refund` would make it now, one row per item (its title, and the
    split's parts of its line)."""
    computed = services.return_refund_preview(request=found, deductions=deductions)
    split = computed["split"]
    parts = {part.line_id: part for part in split.lines}
    rows = [{"item": item, "part": parts.get(item.order_line_id)} for item in computed["items"]]
    return {"split": split, "rows": rows}


def _detail_context(
    request: HttpRequest,
    found: ReturnRequest,
    *,
    error: str = "",
    posted: Any = None,
    deductions: dict[int, services.Deduction] | None = None,
) -> dict[str, Any]:
    now = timezone.now()
    items = list(found.items.select_related("order_line").order_by("id"))
    status = S(found.status)
    can_refund = status in return_statuses_allowing(ReturnAction.REFUND)
    preview = None
    if can_refund:
        try:
            preview = _preview(found, deductions or {})
        except ReturnError as exc:  # a deduction too large: the message, and the full refund
            error = error or exc.message
            preview = _preview(found, {})
    rows = [found]
    returns_mark_late(rows, now=now)
    carrier = carrier_get(found.carrier) if found.carrier else None
    address = found.vendor_order.ship_to or {}
    track = ""
    if carrier is not None and found.tracking_number:
        postcode = str((found.return_address or {}).get("postcode") or "")
        track = tracking_url(carrier.code, found.tracking_number, postcode=postcode)
    posted_amounts = {}
    posted_reasons = {}
    if posted is not None:
        for item in items:
            posted_amounts[item.pk] = posted.get(f"{AMOUNT_FIELD}{item.pk}", "")
            posted_reasons[item.pk] = posted.get(f"{REASON_FIELD}{item.pk}", "")
    for item in items:
        item.posted_amount = posted_amounts.get(item.pk, "")  # type: ignore[attr-defined]
        item.posted_reason = posted_reasons.get(item.pk, "")  # type: ignore[attr-defined]
        item.line_total = item.order_line.unit_price * item.quantity  # type: ignore[attr-defined]
    return {
        "found": found,
        "Status": ReturnStatus,
        "Method": ReturnMethod,
        "items": items,
        "units": sum(item.quantity for item in items),
        "customer_name": _first_name(found),
        "status_class": STATUS_CLASSES.get(status, ""),
        "carrier_name": carrier.name if carrier is not None else found.carrier,
        "tracking_link": track,
        "delivery_country": str(address.get("country") or "FR"),
        "label_offered": services.label_offered(found),
        "can_accept": status in return_statuses_allowing(ReturnAction.ACCEPT),
        "can_refuse": status in return_statuses_allowing(ReturnAction.REFUSE) and not found.legal,
        "can_receive": status in return_statuses_allowing(ReturnAction.RECEIVE),
        "can_refund": can_refund,
        "can_reject": status in return_statuses_allowing(ReturnAction.REJECT),
        "preview": preview,
        "deduction_reasons": DeductionReason.choices,
        "rejection_reasons": RejectionReason.choices,
        "posted": posted or {},
        "error": error,
        "now": now,
    }


def _render_detail(request: HttpRequest, found: ReturnRequest, *, status: int = 200,
                   **extra: Any) -> HttpResponse:  # fmt: skip
    found = _return_or_404(request, found.pk)  # as it is now: a refused action changed nothing
    return _render(request, "return_detail.html", _detail_context(request, found, **extra),
                   section="returns", status=status)  # fmt: skip


@vendor_member_required
def return_detail(request: HttpRequest, return_id: int) -> HttpResponse:
    found = _return_or_404(request, return_id)
    return _render(request, "return_detail.html", _detail_context(request, found),
                   section="returns")  # fmt: skip


def _refused(
    request: HttpRequest, found: ReturnRequest, message: str, **extra: Any
) -> HttpResponse:
    return _render_detail(request, found, status=422, error=message, **extra)


def _stale() -> str:
    return _("Ce retour a changé entre-temps : voici son état actuel.")


def _actor(request: HttpRequest) -> Actor:
    return Actor.vendor_user(request.user)


def _perform(
    request: HttpRequest, found: ReturnRequest, action: Callable[[], Any], **on_refusal: Any
) -> tuple[Any, HttpResponse | None]:
    """Run one service action of the vendor: (its result, None), or (None, the return
    re-rendered with the service's refusal and `on_refusal`). Another vendor's return is a
    404; a return moved meanwhile shows its current state."""
    try:
        return action(), None
    except ReturnForbidden:
        raise Http404 from None
    except ReturnError as exc:
        return None, _refused(request, found, exc.message, **on_refusal)
    except ReturnTransitionNotAllowed:
        return None, _refused(request, found, _stale())


@vendor_member_required
@require_POST
def return_accept_view(request: HttpRequest, return_id: int) -> HttpResponse:
    found = _return_or_404(request, return_id)
    _done, refused = _perform(
        request,
        found,
        lambda: services.return_accept(
            request=found, actor=_actor(request), vendor=_vendor(request)
        ),
    )
    if refused:
        return refused
    messages.success(
        request,
        _("Retour accepté : le client reçoit par e-mail l'adresse de retour et la date limite "
          "d'envoi."),
    )  # fmt: skip
    return redirect("vendor_portal:return", return_id=found.pk)


@vendor_member_required
@require_POST
def return_refuse_view(request: HttpRequest, return_id: int) -> HttpResponse:
    found = _return_or_404(request, return_id)
    reason = request.POST.get("reason") or ""
    _done, refused = _perform(
        request,
        found,
        lambda: services.return_refuse(
            request=found, actor=_actor(request), vendor=_vendor(request), reason=reason
        ),
        posted=request.POST,
    )
    if refused:
        return refused
    messages.success(request, _("Demande de retour refusée : le client est prévenu par e-mail."))
    return redirect("vendor_portal:return", return_id=found.pk)


@vendor_member_required
@require_POST
def return_received_view(request: HttpRequest, return_id: int) -> HttpResponse:
    found = _return_or_404(request, return_id)
    _done, refused = _perform(
        request,
        found,
        lambda: services.return_mark_received(
            request=found, actor=_actor(request), vendor=_vendor(request)
        ),
    )
    if refused:
        return refused
    messages.success(
        request,
        _("Colis marqué reçu. Contrôlez les articles, puis remboursez le client avant le "
          "%(date)s.") % {"date": _date(found.refund_due_by)},
    )  # fmt: skip
    return redirect("vendor_portal:return", return_id=found.pk)


def _date(day: Any) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _deductions(found: ReturnRequest, data: Any) -> dict[int, services.Deduction]:
    """The deductions typed per item (`retenue-<item>`, `motif-<item>`); ReturnError naming
    the item when one is not an amount in euros or has no reason."""
    chosen: dict[int, services.Deduction] = {}
    for item in found.items.select_related("order_line").order_by("id"):
        amount = data.get(f"{AMOUNT_FIELD}{item.pk}")
        reason = data.get(f"{REASON_FIELD}{item.pk}")
        try:
            deduction = services.parse_deduction(amount, reason)
        except ReturnError as exc:
            raise ReturnError(
                _("« %(title)s » : %(error)s")
                % {"title": item.order_line.product_title, "error": exc.message},
                code=exc.code,
            ) from None
        if deduction.amount > Decimal("0"):
            chosen[item.pk] = deduction
    return chosen


@vendor_member_required
@require_POST
def return_refund_view(request: HttpRequest, return_id: int) -> HttpResponse:
    """The form's "Rembourser", or its "Recalculer" (`apercu`): the same form, the preview
    re-renders the return with the refund the deductions give, and writes nothing."""
    found = _return_or_404(request, return_id)
    try:
        deductions = _deductions(found, request.POST)
    except ReturnError as exc:
        return _refused(request, found, exc.message, posted=request.POST)
    if request.POST.get("apercu"):
        if S(found.status) not in return_statuses_allowing(ReturnAction.REFUND):
            return _refused(request, found, _stale())
        try:
            services.return_refund_preview(request=found, deductions=deductions)
        except ReturnError as exc:
            return _refused(request, found, exc.message, posted=request.POST)
        return _render_detail(request, found, posted=request.POST, deductions=deductions)
    done, refused = _perform(
        request,
        found,
        lambda: services.return_refund(
            request=found,
            actor=_actor(request),
            vendor=_vendor(request),
            deductions=deductions,
            note=request.POST.get("note") or "",
        ),  # fmt: skip
        posted=request.POST,
        deductions=deductions,
    )
    if refused:
        return refused
    messages.success(
        request,
        _("Remboursement de %(amount)s déclenché : le client est prévenu par e-mail.")
        % {"amount": _eur(done.refunded_amount)},
    )
    return redirect("vendor_portal:return", return_id=found.pk)


@vendor_member_required
@require_POST
def return_reject_view(request: HttpRequest, return_id: int) -> HttpResponse:
    found = _return_or_404(request, return_id)
    _done, refused = _perform(
        request,
        found,
        lambda: services.return_reject(
            request=found,
            actor=_actor(request),
            vendor=_vendor(request),
            reason=request.POST.get("rejection_reason") or "",
            note=request.POST.get("rejection_note") or "",
        ),  # fmt: skip
        posted=request.POST,
    )
    if refused:
        return refused
    messages.success(
        request,
        _("Retour déclaré non conforme : le client est prévenu par e-mail et l'article lui est "
          "renvoyé."),
    )  # fmt: skip
    return redirect("vendor_portal:return", return_id=found.pk)
