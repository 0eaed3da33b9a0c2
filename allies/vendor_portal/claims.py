"""The vendor portal's "Réclamations" (VEN-2, SAV-1…4): the list of the vendor's after-sales
claims by stage, one claim with its items, descriptions and photos, the customer's wanted
remedy, the return of the item, and the vendor's actions for the stage: propose the return
(a prepaid label, or a home pickup on dates it offers), refuse with a reason, mark the item
received, settle (a refund, an exchange, a repair, missing parts, or a refund treated as a
withdrawal, with a preview of the amounts) or close without defect.

Views only parse, call one selector or service of `allies.aftersales`, and render. Every read
goes through `allies.aftersales.claim_selectors` for the acting vendor (`request.vendor`, set
by `vendor_member_required`): another vendor's claim, or its photo, is "not found" (404),
exactly like one that does not exist. Every action posts, then redirects to the claim with a
message: the service's refusal is flashed as an error and changes nothing. The customer is
named by their first name only, as in "Messages".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from allies.aftersales import claims as services
from allies.aftersales.claim_selectors import (
    ClaimFilter,
    claim_for_vendor,
    claim_photo_for_vendor,
    claims_for_vendor,
    claims_mark_late,
    vendor_claim_counts,
)
from allies.aftersales.claim_states import (
    ClaimAction,
    ClaimStatus,
    ClaimTransitionNotAllowed,
    claim_statuses_allowing,
)
from allies.aftersales.errors import ClaimError, ClaimForbidden
from allies.aftersales.models import Claim, ClaimRemedy, ClaimResolution, ClaimReturnMode
from allies.orders.events import Actor
from allies.shipping.carriers import CARRIERS, carrier_get, tracking_url
from allies.support.downloads import attachment_response
from allies.support.errors import ThreadNotFound
from allies.vendor_portal.access import vendor_member_required
from allies.vendor_portal.views import _eur, _page, _query_without_page, _render
from allies.vendors.models import Vendor

CLAIMS_PER_PAGE = 20
# The tabs, by their slug in the URL (`?filtre=`), in the order they show.
FILTERS: dict[str, tuple[ClaimFilter, Any]] = {
    "a-traiter": (ClaimFilter.TO_HANDLE, gettext_lazy("À traiter")),
    "en-attente": (ClaimFilter.WAITING, gettext_lazy("En attente du produit")),
    "a-expertiser": (ClaimFilter.TO_INSPECT, gettext_lazy("À expertiser")),
    "en-retard": (ClaimFilter.LATE, gettext_lazy("En retard")),
    "terminees": (ClaimFilter.CLOSED, gettext_lazy("Terminées")),
    "toutes": (ClaimFilter.ALL, gettext_lazy("Toutes")),
}
DEFAULT_FILTER = "a-traiter"
S = ClaimStatus
# The portal's status colours (checkout.css / portal.css): to act, waiting, done, closed.
STATUS_CLASSES = {
    S.REQUESTED: "status-preparing",
    S.AWAITING_RETURN: "status-shipped",
    S.RECEIVED: "status-preparing",
    S.REFUNDED: "status-delivered",
    S.RESHIPPED: "status-delivered",
    S.REFUSED: "status-cancelled",
    S.REJECTED: "status-cancelled",
    S.CANCELLED: "status-cancelled",
}
PICKUP_FIELDS = range(services.PICKUP_DATES_MAX)


def _vendor(request: HttpRequest) -> Vendor:
    """The acting vendor `vendor_member_required` set."""
    return request.vendor  # type: ignore[attr-defined]


def _first_name(found: Claim) -> str:
    """The customer as the vendor reads them: the first name only, never the address."""
    words = str(found.customer.first_name or "").split()
    return words[0] if words else str(_("Client"))


def _mark_rows(rows: list[Claim], now: Any) -> None:
    claims_mark_late(rows, now=now)
    for row in rows:
        row.customer_first_name = _first_name(row)  # type: ignore[attr-defined]
        row.status_class = STATUS_CLASSES.get(S(row.status), "")  # type: ignore[attr-defined]


@vendor_member_required
def claim_list(request: HttpRequest) -> HttpResponse:
    slug = request.GET.get("filtre") or DEFAULT_FILTER
    if slug not in FILTERS:
        slug = DEFAULT_FILTER
    now = timezone.now()
    vendor = _vendor(request)
    counts = vendor_claim_counts(vendor=vendor, now=now)
    page = _page(
        request, claims_for_vendor(vendor=vendor, filter=FILTERS[slug][0], now=now),
        CLAIMS_PER_PAGE,
    )  # fmt: skip
    _mark_rows(page.object_list, now)
    tab_counts = {"a-traiter": counts.to_handle, "en-attente": counts.waiting,
                  "a-expertiser": counts.to_inspect, "en-retard": counts.late}  # fmt: skip
    tab_late = {"a-traiter": counts.late, "en-retard": counts.late}
    tabs = [
        (key, label, tab_counts.get(key), bool(tab_late.get(key)))
        for key, (_filter, label) in FILTERS.items()
    ]
    return _render(
        request,
        "claims.html",
        {"page": page, "filter": slug, "tabs": tabs, "claim_counts": counts,
         "query": _query_without_page(request)},
        section="claims",
    )  # fmt: skip


# --- one claim -------------------------------------------------------------------------------


def _claim_or_404(request: HttpRequest, claim_id: int) -> Claim:
    try:
        return claim_for_vendor(vendor=_vendor(request), claim_id=claim_id)
    except ClaimForbidden:
        raise Http404 from None


def _resolutions(found: Claim) -> list[dict[str, Any]]:
    """The outcomes the claim's stage allows (SAV-4), each with whether it ships a new parcel
    and, for a refund, the amount `claim_settle` would give back now."""
    status = S(found.status)
    if status == S.REQUESTED:
        allowed = services.SETTLE_BEFORE_RETURN
    elif status == S.RECEIVED:
        allowed = services.SETTLE_AFTER_RETURN
    else:
        return []
    rows = []
    for value, label in ClaimResolution.choices:
        if value not in allowed:
            continue
        if value == ClaimResolution.WITHDRAWAL and found.remedy != ClaimRemedy.REFUND:
            continue  # a withdrawal only answers a refund asked (SAV-4)
        row: dict[str, Any] = {"value": value, "label": label,
                               "reships": value in services.RESHIPPING}  # fmt: skip
        if value in (ClaimResolution.REFUND, ClaimResolution.WITHDRAWAL):
            as_withdrawal = value == ClaimResolution.WITHDRAWAL
            plan = services.claim_refund_plan(claim=found, as_withdrawal=as_withdrawal)
            row["amount"] = plan.total
            row["deduction"] = sum(plan.deductions.values()) if as_withdrawal else None
        rows.append(row)
    return rows


def _detail_context(request: HttpRequest, found: Claim) -> dict[str, Any]:
    now = timezone.now()
    items = list(found.items.select_related("order_line").prefetch_related("photos").order_by("id"))
    status = S(found.status)
    claims_mark_late([found], now=now)
    for item in items:
        item.line_total = item.order_line.unit_price * item.quantity  # type: ignore[attr-defined]
    carrier = carrier_get(found.carrier) if found.carrier else None
    track = ""
    if carrier is not None and found.tracking_number:
        postcode = str((found.return_address or {}).get("postcode") or "")
        track = tracking_url(carrier.code, found.tracking_number, postcode=postcode)
    reship_carrier = carrier_get(found.reship_carrier) if found.reship_carrier else None
    reship_track = ""
    if reship_carrier is not None and found.reship_tracking_number:
        reship_track = tracking_url(
            reship_carrier.code,
            found.reship_tracking_number,
            postcode=str(found.vendor_order.delivery_postcode or ""),
        )
    can_settle = status in (S.REQUESTED, S.RECEIVED)
    return {
        "found": found,
        "Status": ClaimStatus,
        "Mode": ClaimReturnMode,
        "items": items,
        "customer_name": _first_name(found),
        "status_class": STATUS_CLASSES.get(status, ""),
        "carrier_name": carrier.name if carrier is not None else found.carrier,
        "tracking_link": track,
        "reship_carrier_name": (
            reship_carrier.name if reship_carrier is not None else found.reship_carrier
        ),
        "reship_tracking_link": reship_track,
        "pickup_dates": [_iso_date(day) for day in found.pickup_dates or []],
        "pickup_fields": PICKUP_FIELDS,
        "can_propose": status in claim_statuses_allowing(ClaimAction.PROPOSE_RETURN),
        "can_refuse": status in claim_statuses_allowing(ClaimAction.REFUSE),
        "can_receive": status in claim_statuses_allowing(ClaimAction.RECEIVE),
        "can_settle": can_settle,
        "can_reject": status in claim_statuses_allowing(ClaimAction.REJECT),
        "resolutions": _resolutions(found) if can_settle else [],
        "carriers": CARRIERS,
        "default_carrier": found.vendor_order.carrier,
        "now": now,
    }


def _iso_date(text: str) -> Any:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return text


@vendor_member_required
def claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    found = _claim_or_404(request, claim_id)
    return _render(request, "claim_detail.html", _detail_context(request, found),
                   section="claims")  # fmt: skip


@vendor_member_required
def claim_photo(request: HttpRequest, claim_id: int, photo_id: int) -> FileResponse:
    """A photo of one of this vendor's claims, as the support app serves its attachments
    (never sniffed, never cached); 404 for another claim's or another vendor's."""
    try:
        found = claim_photo_for_vendor(vendor=_vendor(request), claim_id=claim_id,
                                       photo_id=photo_id)  # fmt: skip
        return attachment_response(found.attachment)
    except (ClaimForbidden, ThreadNotFound):  # not this vendor's, or the file is gone
        raise Http404 from None


def _actor(request: HttpRequest) -> Actor:
    return Actor.vendor_user(request.user)


def _back(found: Claim) -> HttpResponse:
    return redirect("vendor_portal:claim", claim_id=found.pk)


def _perform(request: HttpRequest, found: Claim, action: Callable[[], Any]) -> tuple[Any, bool]:
    """Run one service action of the vendor: (its result, True), or (None, False) with the
    service's refusal flashed (nothing changed). Another vendor's claim is a 404; a claim
    moved meanwhile says so."""
    try:
        return action(), True
    except ClaimForbidden:
        raise Http404 from None
    except ClaimError as exc:
        messages.error(request, exc.message)
    except ClaimTransitionNotAllowed:
        messages.error(
            request, _("Cette réclamation a changé entre-temps : voici son état actuel.")
        )
    return None, False


@vendor_member_required
@require_POST
def claim_return_view(request: HttpRequest, claim_id: int) -> HttpResponse:
    found = _claim_or_404(request, claim_id)
    mode = request.POST.get("mode") or ""
    _done, ok = _perform(
        request,
        found,
        lambda: services.claim_return_propose(
            claim=found,
            actor=_actor(request),
            vendor=_vendor(request),
            mode=mode,
            pickup_dates=request.POST.getlist("pickup_date"),
            message=request.POST.get("message") or "",
        ),
    )
    if ok:
        if mode == ClaimReturnMode.PICKUP:
            text = _("Enlèvement proposé : le client choisit une des dates par e-mail.")
        else:
            text = _("Bon de retour prépayé émis : le client le reçoit par e-mail.")
        messages.success(request, text)
    return _back(found)


@vendor_member_required
@require_POST
def claim_refuse_view(request: HttpRequest, claim_id: int) -> HttpResponse:
    found = _claim_or_404(request, claim_id)
    _done, ok = _perform(
        request,
        found,
        lambda: services.claim_refuse(
            claim=found,
            actor=_actor(request),
            vendor=_vendor(request),
            reason=request.POST.get("reason") or "",
        ),
    )
    if ok:
        messages.success(request, _("Réclamation refusée : le client est prévenu par e-mail."))
    return _back(found)


@vendor_member_required
@require_POST
def claim_received_view(request: HttpRequest, claim_id: int) -> HttpResponse:
    found = _claim_or_404(request, claim_id)
    _done, ok = _perform(
        request,
        found,
        lambda: services.claim_mark_received(
            claim=found, actor=_actor(request), vendor=_vendor(request)
        ),
    )
    if ok:
        messages.success(
            request, _("Produit marqué reçu : expertisez-le, puis indiquez la solution apportée.")
        )
    return _back(found)


@vendor_member_required
@require_POST
def claim_settle_view(request: HttpRequest, claim_id: int) -> HttpResponse:
    found = _claim_or_404(request, claim_id)
    resolution = request.POST.get("resolution") or ""
    done, ok = _perform(
        request,
        found,
        lambda: services.claim_settle(
            claim=found,
            actor=_actor(request),
            vendor=_vendor(request),
            resolution=resolution,
            carrier=request.POST.get("carrier") or "",
            tracking_number=request.POST.get("tracking_number") or "",
            note=request.POST.get("note") or "",
        ),
    )
    if ok:
        if resolution in services.RESHIPPING:
            text = _("Nouvel envoi enregistré : le client reçoit le numéro de suivi par e-mail.")
        else:
            text = _(
                "Remboursement de %(amount)s déclenché : le client est prévenu par e-mail."
            ) % {"amount": _eur(done.refunded_amount)}
        messages.success(request, text)
    return _back(found)


@vendor_member_required
@require_POST
def claim_reject_view(request: HttpRequest, claim_id: int) -> HttpResponse:
    found = _claim_or_404(request, claim_id)
    _done, ok = _perform(
        request,
        found,
        lambda: services.claim_reject(
            claim=found,
            actor=_actor(request),
            vendor=_vendor(request),
            note=request.POST.get("note") or "",
        ),
    )
    if ok:
        messages.success(
            request,
            _("Réclamation close sans défaut : le client est prévenu par e-mail et le produit "
              "lui est renvoyé."),
        )  # fmt: skip
    return _back(found)
