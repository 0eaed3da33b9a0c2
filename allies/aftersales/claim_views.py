"""The customer's claim pages (SAV-1…4): "Signaler un problème" on a delivered vendor order
(from its "Assistance en ligne" or the order page), one claim with its stage, the vendor's
answer deadline, the return at the vendor's cost (label or home pickup) and the outcome, and
the prepaid label's PDF.

Views parse, call one service of `allies.aftersales.claims`, and render; a claim or order the
customer may not reach is a 404, exactly as a missing one. Pages with personal data are never
cached; forms post, then redirect; a refusal re-renders with the service's message.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from allies.aftersales import claims
from allies.aftersales.claim_states import ClaimAction, ClaimStatus, claim_statuses_allowing
from allies.aftersales.errors import ClaimError, ClaimForbidden
from allies.aftersales.holding import available_units
from allies.aftersales.models import (
    Claim,
    ClaimPhoto,
    ClaimProblem,
    ClaimRemedy,
    ClaimResolution,
    ClaimReturnMode,
)
from allies.aftersales.views import _user, _vendor_order_or_404
from allies.orders.events import EventKind
from allies.shipping.carriers import carrier_name, tracking_url

QUANTITY_PREFIX = "qty-"
DESCRIPTION_PREFIX = "desc-"
PHOTOS_PREFIX = "photos-"


def _claim_or_404(request: HttpRequest, claim_id: int) -> Claim:
    found = (
        Claim.objects.filter(pk=claim_id, customer=_user(request))
        .select_related("vendor", "vendor_order__order", "customer")
        .first()
    )
    if found is None:
        raise Http404
    return found


def _problem(value: Any) -> str:
    text = str(value or "")
    return text if text in ClaimProblem.values else ""


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def claim_form(request: HttpRequest, reference: str, vendor_order_id: int) -> HttpResponse:
    """ "Signaler un problème": the problem, each item concerned with its description and
    photos (mandatory, SAV-1), the remedy wanted, and what happens next (SAV-2…4)."""
    vendor_order = _vendor_order_or_404(request, reference, vendor_order_id)
    open_ = claims.claimable(vendor_order)
    available = available_units(vendor_order=vendor_order) if open_ else []
    posted = request.method == "POST" and open_
    problem = _problem(request.POST.get("problem") if posted else request.GET.get("probleme"))
    remedy = str(request.POST.get("remedy", "")) if posted else ""
    error = ""
    typed: dict[int, dict[str, str]] = {}
    if posted:
        items: dict[int, claims.ItemInput] = {}
        for unit in available:
            pk = unit.line.pk
            typed[pk] = {
                "quantity": str(request.POST.get(f"{QUANTITY_PREFIX}{pk}", "0")),
                "description": str(request.POST.get(f"{DESCRIPTION_PREFIX}{pk}", "")),
            }
            items[pk] = claims.ItemInput(
                quantity=typed[pk]["quantity"],
                description=typed[pk]["description"],
                photos=request.FILES.getlist(f"{PHOTOS_PREFIX}{pk}"),
            )
        try:
            created = claims.claim_open(
                customer=_user(request),
                vendor_order=vendor_order,
                problem=str(request.POST.get("problem", "")),
                remedy=remedy,
                items=items,
            )
        except ClaimForbidden:
            raise Http404 from None
        except ClaimError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _(
                    "Votre réclamation est envoyée au vendeur : il vous répond sous 48 heures "
                    "ouvrées. N'envoyez rien avant sa réponse."
                ),
            )
            return redirect("aftersales:claim", created.pk)
    only_one = len(available) == 1 and available[0].quantity == 1
    remedies = [
        {
            "value": value,
            "label": label,
            "incomplete_only": value not in claims.REMEDIES_BY_PROBLEM[ClaimProblem.DAMAGED],
        }
        for value, label in ClaimRemedy.choices
    ]
    return render(
        request,
        "aftersales/claim_request.html",
        {
            "order": vendor_order.order,
            "vendor_order": vendor_order,
            "claimable": open_,
            "available": [
                {
                    "line": unit.line,
                    "max": unit.quantity,
                    "quantity": typed.get(unit.line.pk, {}).get(
                        "quantity", "1" if only_one else "0"
                    ),
                    "description": typed.get(unit.line.pk, {}).get("description", ""),
                }
                for unit in available
            ],
            "problems": ClaimProblem.choices,
            "problem": problem,
            "remedies": remedies,
            "remedy": remedy,
            "error": error,
            "photos_max": claims.PHOTOS_PER_ITEM,
            "photo_max_mb": int(settings.SUPPORT_ATTACHMENT_MAX_BYTES) // (1024 * 1024),
            "description_max": claims.DESCRIPTION_MAX,
            "quantity_prefix": QUANTITY_PREFIX,
            "description_prefix": DESCRIPTION_PREFIX,
            "photos_prefix": PHOTOS_PREFIX,
            "section": "purchases",
        },
    )


def _steps(found: Claim) -> list[dict[str, Any]]:
    """The progress bar of an ongoing or settled claim (refusals and cancellations show a
    notice instead). A claim settled without the item back skips the return's steps."""
    settled = found.status in (ClaimStatus.REFUNDED, ClaimStatus.RESHIPPED)
    if found.status == ClaimStatus.REFUNDED:
        last = _("Remboursement déclenché")
    elif found.status == ClaimStatus.RESHIPPED:
        last = _("Nouvel envoi expédié")
    else:
        last = _("Solution apportée")
    order: list[tuple[str, str]] = [(ClaimStatus.REQUESTED, _("Réclamation envoyée"))]
    if found.return_mode or not settled:
        order += [
            (ClaimStatus.AWAITING_RETURN, _("Produit à renvoyer")),
            (ClaimStatus.RECEIVED, _("Expertise chez le vendeur")),
        ]
    order.append(("settled", last))
    current = "settled" if settled else found.status
    keys = [key for key, _label in order]
    if current not in keys:
        return []
    reached = keys.index(current)
    return [
        {"label": label, "done": i <= reached, "current": i == reached}
        for i, (_key, label) in enumerate(order)
    ]


@never_cache
@login_required
def claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    found = _claim_or_404(request, claim_id)
    items = list(
        found.items.select_related("order_line")
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=ClaimPhoto.objects.select_related("attachment").order_by("id"),
            )
        )
        .order_by("id")
    )
    events = list(
        found.vendor_order.events.filter(
            kind__in=[k for k in EventKind.values if k.startswith("claim_")]
        ).order_by("created_at", "id")
    )
    events = [e for e in events if (e.data or {}).get("claim") == found.pk]
    pickup_dates = []
    if found.awaits_pickup_choice:
        today = timezone.localdate()
        for text in found.pickup_dates or []:
            try:
                day = date.fromisoformat(str(text))
            except ValueError:
                continue
            if day > today:
                pickup_dates.append({"value": day.isoformat(), "day": day})
    reship = None
    if found.reship_tracking_number:
        reship = {
            "carrier": carrier_name(found.reship_carrier),
            "number": found.reship_tracking_number,
            "url": tracking_url(
                found.reship_carrier,
                found.reship_tracking_number,
                postcode=found.vendor_order.delivery_postcode,
            ),
        }
    return render(
        request,
        "aftersales/claim.html",
        {
            "found": found,
            "items": items,
            "steps": _steps(found),
            "events": events,
            "pickup_dates": pickup_dates,
            "return_carrier": carrier_name(found.carrier) if found.carrier else "",
            "reship": reship,
            "cancellable": found.status in claim_statuses_allowing(ClaimAction.CANCEL),
            "Status": ClaimStatus,
            "Mode": ClaimReturnMode,
            "Resolution": ClaimResolution,
            "section": "purchases",
        },
    )


def _refused(request: HttpRequest, exc: ClaimError) -> None:
    messages.error(request, exc.message)


@login_required
@require_POST
def pickup_choose(request: HttpRequest, claim_id: int) -> HttpResponse:
    found = _claim_or_404(request, claim_id)
    try:
        chosen = claims.claim_pickup_choose(
            claim=found, customer=_user(request), day=str(request.POST.get("day", ""))[:10]
        )
    except ClaimForbidden:
        raise Http404 from None
    except ClaimError as exc:
        _refused(request, exc)
    else:
        day = formats.date_format(chosen.pickup_date, "DATE_FORMAT") if chosen.pickup_date else ""
        messages.success(
            request,
            _(
                "Enlèvement à domicile confirmé pour le %(date)s : préparez le produit bien "
                "emballé, le transporteur passe le prendre chez vous."
            )
            % {"date": day},
        )
    return redirect("aftersales:claim", found.pk)


@never_cache
@login_required
def label_pdf(request: HttpRequest, claim_id: int) -> HttpResponse:
    found = _claim_or_404(request, claim_id)
    try:
        content = claims.claim_label_pdf(claim=found)
    except ClaimError:
        raise Http404 from None
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="bon-de-retour-{found.reference}.pdf"'
    return response


@login_required
@require_POST
def cancel(request: HttpRequest, claim_id: int) -> HttpResponse:
    found = _claim_or_404(request, claim_id)
    try:
        claims.claim_cancel(claim=found, customer=_user(request))
    except ClaimForbidden:
        raise Http404 from None
    except ClaimError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Votre réclamation est annulée."))
    return redirect("aftersales:claim", found.pk)
