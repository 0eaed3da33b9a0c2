"""The vendor's answer to a customer's cancellation request (VEN-2, ORD-5): on the order's
page, a request waiting for an answer shows the articles asked, and the vendor accepts it
(the articles and their shipping share are refunded) or refuses it with a reason.

Views only parse, call one service of `allies.aftersales.cancellation_requests`, and redirect
to the order with a message. Access is `returns.py`'s: `vendor_member_required` sets
`request.vendor`; another vendor's request is "not found" (404), exactly like one that does
not exist. A refusal of the service is flashed, and nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allies.aftersales.cancellation_requests import (
    cancellation_request_confirm,
    cancellation_request_refuse,
)
from allies.aftersales.cancellation_states import CancellationStatus
from allies.aftersales.errors import CancellationRequestError, CancellationRequestForbidden
from allies.aftersales.models import CancellationRequest
from allies.core.money import format_eur
from allies.orders.events import Actor
from allies.orders.models import OrderLine, VendorOrder
from allies.vendor_portal.access import vendor_member_required
from allies.vendors.models import Vendor


@dataclass(frozen=True)
class OpenCancellation:
    """A request waiting for the vendor, with the lines it names."""

    request: CancellationRequest
    lines: tuple[OrderLine, ...]


def open_cancellations(*, vendor_order: VendorOrder) -> list[OpenCancellation]:
    """The vendor order's requests waiting for an answer, oldest first (one query; the lines
    come from `vendor_order.lines.all()`, which `vendor_order_get` prefetched)."""
    requests = list(
        CancellationRequest.objects.filter(
            vendor_order=vendor_order, status=CancellationStatus.REQUESTED
        ).order_by("id")
    )
    if not requests:
        return []
    lines = {line.pk: line for line in vendor_order.lines.all()}
    return [
        OpenCancellation(
            request=found,
            lines=tuple(lines[int(pk)] for pk in found.line_ids if int(pk) in lines),
        )
        for found in requests
    ]


def _vendor(request: HttpRequest) -> Vendor:
    """The acting vendor `vendor_member_required` set."""
    return request.vendor  # type: ignore[attr-defined]


def _request_or_404(request: HttpRequest, request_id: int) -> CancellationRequest:
    found = CancellationRequest.objects.filter(pk=request_id, vendor=_vendor(request)).first()
    if found is None:
        raise Http404
    return found


def _back(found: CancellationRequest) -> HttpResponse:
    url = reverse("vendor_portal:order", kwargs={"pk": found.vendor_order_id})
    return redirect(f"{url}#annulation")


@vendor_member_required
@require_POST
def cancellation_confirm_view(request: HttpRequest, request_id: int) -> HttpResponse:
    found = _request_or_404(request, request_id)
    try:
        cancellation_request_confirm(
            request=found, actor=Actor.vendor_user(request.user), vendor=_vendor(request)
        )
    except CancellationRequestForbidden:
        raise Http404 from None
    except CancellationRequestError as exc:
        messages.error(request, exc.message)
        return _back(found)
    amount = format_eur(found.refunded_amount, language=(get_language() or "fr")[:2])
    messages.success(
        request,
        _("Annulation acceptée : le client est remboursé de %(amount)s et prévenu par e-mail.")
        % {"amount": amount},
    )
    return _back(found)


@vendor_member_required
@require_POST
def cancellation_refuse_view(request: HttpRequest, request_id: int) -> HttpResponse:
    found = _request_or_404(request, request_id)
    reason = str(request.POST.get("reason") or "")
    try:
        cancellation_request_refuse(
            request=found,
            actor=Actor.vendor_user(request.user),
            vendor=_vendor(request),
            reason=reason,
        )
    except CancellationRequestForbidden:
        raise Http404 from None
    except CancellationRequestError as exc:
        messages.error(request, exc.message)
        return _back(found)
    messages.success(request, _("Demande d'annulation refusée : le client est prévenu par e-mail."))
    return _back(found)
