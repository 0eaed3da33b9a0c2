"""The console's answer to a customer's request to redirect a shipped parcel (ORD-6, CS-2):
on the request's page, the current delivery address, the one asked, the parcels' tracking,
and the agent has the carrier redirect the parcels ("Faire réexpédier par le transporteur")
or refuses with a reason.

Views parse, call one service of `allies.aftersales.address_requests` with the agent as
staff actor, and redirect back to the request with a message. Access is the console's
(`agent_required`: customer-service staff only). A carrier's refusal (a paid redirection,
a parcel already out for delivery) is shown: the service has then refused the request and
told the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allies.aftersales.address_request_states import AddressRequestStatus
from allies.aftersales.address_requests import (
    address_change_request_apply,
    address_change_request_refuse,
)
from allies.aftersales.errors import AddressRequestError, AddressRequestForbidden
from allies.aftersales.models import AddressChangeRequest, AddressHandler
from allies.backoffice.views import _back, _thread, agent_required
from allies.orders.events import Actor
from allies.orders.models import Order, Parcel, VendorOrder
from allies.support.models import Thread


@dataclass(frozen=True)
class RedirectCard:
    """An operator's address request waiting for an answer, with what the agent needs."""

    request: AddressChangeRequest
    vendor_order: VendorOrder | None
    current: dict[str, Any]
    parcels: tuple[Parcel, ...]


def _open_request(thread: Thread) -> AddressChangeRequest | None:
    return AddressChangeRequest.objects.filter(
        thread_id=thread.pk,
        handler=AddressHandler.OPERATOR,
        status=AddressRequestStatus.REQUESTED,
    ).first()


def redirect_card(*, thread: Thread, order: Order | None) -> RedirectCard | None:
    """The card of the request page, or None (one query; the vendor order, its shipments
    and parcels come from `order`, which `order_for_thread` prefetched)."""
    found = _open_request(thread)
    if found is None:
        return None
    vendor_order = None
    if order is not None:
        vendor_order = next(
            (vo for vo in order.vendor_orders.all() if vo.pk == found.vendor_order_id), None
        )
    if vendor_order is None:  # the thread's order is always the request's; stay safe
        vendor_order = VendorOrder.objects.select_related("order").get(pk=found.vendor_order_id)
        parcels: tuple[Parcel, ...] = tuple(
            Parcel.objects.filter(shipment__vendor_order=vendor_order)
            .select_related("shipment")
            .order_by("shipment_id", "index")
        )
    else:
        parcels = tuple(
            parcel for shipment in vendor_order.shipments.all() for parcel in shipment.parcels.all()
        )
    return RedirectCard(
        request=found, vendor_order=vendor_order, current=vendor_order.ship_to, parcels=parcels
    )


def _request_or_404(thread: Thread) -> AddressChangeRequest:
    found = AddressChangeRequest.objects.filter(
        thread_id=thread.pk, handler=AddressHandler.OPERATOR
    ).first()
    if found is None:
        raise Http404
    return found


@agent_required
@require_POST
def thread_redirect(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    found = _request_or_404(thread)
    try:
        address_change_request_apply(request=found, actor=Actor.staff(request.user), vendor=None)
    except AddressRequestForbidden:
        raise Http404 from None
    except AddressRequestError as exc:
        found.refresh_from_db(fields=["status"])
        if found.status == AddressRequestStatus.REFUSED:  # the carrier said no
            text = _(
                "Réexpédition impossible : %(reason)s La demande est refusée et le client prévenu."
            ) % {"reason": exc.message}
        else:
            text = exc.message
        messages.error(request, text)
        return _back(thread)
    messages.success(
        request,
        _("Le transporteur réexpédie le colis à la nouvelle adresse : le client est prévenu."),
    )
    return _back(thread)


@agent_required
@require_POST
def thread_redirect_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    found = _request_or_404(thread)
    try:
        address_change_request_refuse(
            request=found,
            actor=Actor.staff(request.user),
            vendor=None,
            reason=str(request.POST.get("reason") or ""),
        )
    except AddressRequestForbidden:
        raise Http404 from None
    except AddressRequestError as exc:
        messages.error(request, exc.message)
        return _back(thread)
    messages.success(request, _("Changement d'adresse refusé : le client est prévenu par e-mail."))
    return _back(thread)
