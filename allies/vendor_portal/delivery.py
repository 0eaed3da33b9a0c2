"""The vendor's answer to a customer's request to change the delivery address (ORD-6,
VEN-2): past 24 h after ordering and before shipping, the order's page shows the new address
asked, and the vendor applies it (the order ships there) or refuses it with a reason.

Views only parse, call one service of `allies.aftersales.address_requests`, and redirect to
the order with a message. Access is `cancellations.py`'s: `vendor_member_required` sets
`request.vendor`; another vendor's request (or one the operator handles) is "not found"
(404), exactly like one that does not exist. A refusal of the service is flashed.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allies.aftersales.address_request_states import AddressRequestStatus
from allies.aftersales.address_requests import (
    address_change_request_apply,
    address_change_request_refuse,
)
from allies.aftersales.errors import AddressRequestError, AddressRequestForbidden
from allies.aftersales.models import AddressChangeRequest, AddressHandler
from allies.orders.events import Actor
from allies.orders.models import VendorOrder
from allies.vendor_portal.access import vendor_member_required
from allies.vendors.models import Vendor


def open_vendor_address_request(*, vendor_order: VendorOrder) -> AddressChangeRequest | None:
    """The request waiting for this vendor's answer on the order's page, or None (one
    query)."""
    return (
        AddressChangeRequest.objects.filter(
            vendor_order=vendor_order,
            vendor_id=vendor_order.vendor_id,
            handler=AddressHandler.VENDOR,
            status=AddressRequestStatus.REQUESTED,
        )
        .order_by("id")
        .first()
    )


def _vendor(request: HttpRequest) -> Vendor:
    """The acting vendor `vendor_member_required` set."""
    return request.vendor  # type: ignore[attr-defined]


def _request_or_404(request: HttpRequest, address_request_id: int) -> AddressChangeRequest:
    found = AddressChangeRequest.objects.filter(
        pk=address_request_id, vendor=_vendor(request), handler=AddressHandler.VENDOR
    ).first()
    if found is None:
        raise Http404
    return found


def _back(found: AddressChangeRequest) -> HttpResponse:
    url = reverse("vendor_portal:order", kwargs={"pk": found.vendor_order_id})
    return redirect(f"{url}#changement-adresse")


@vendor_member_required
@require_POST
def address_request_apply_view(request: HttpRequest, address_request_id: int) -> HttpResponse:
    found = _request_or_404(request, address_request_id)
    try:
        address_change_request_apply(
            request=found, actor=Actor.vendor_user(request.user), vendor=_vendor(request)
        )
    except AddressRequestForbidden:
        raise Http404 from None
    except AddressRequestError as exc:
        messages.error(request, exc.message)
        return _back(found)
    messages.success(
        request,
        _(
            "Nouvelle adresse enregistrée : expédiez la commande à cette adresse. Le client est "
            "prévenu par e-mail."
        ),  # fmt: skip
    )
    return _back(found)


@vendor_member_required
@require_POST
def address_request_refuse_view(request: HttpRequest, address_request_id: int) -> HttpResponse:
    found = _request_or_404(request, address_request_id)
    try:
        address_change_request_refuse(
            request=found,
            actor=Actor.vendor_user(request.user),
            vendor=_vendor(request),
            reason=str(request.POST.get("reason") or ""),
        )
    except AddressRequestForbidden:
        raise Http404 from None
    except AddressRequestError as exc:
        messages.error(request, exc.message)
        return _back(found)
    messages.success(request, _("Changement d'adresse refusé : le client est prévenu par e-mail."))
    return _back(found)
