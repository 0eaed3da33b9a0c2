"""Requests to change the delivery address once the customer may no longer edit it (ORD-6).

Within 24 h of ordering and before shipping, the customer edits the address on their order
(`orders.delivery_changes.vendor_order_address_change`). Later:

- before shipping, the request goes to the vendor (a support thread with the motif
  "Modification de la commande ou de l'adresse de livraison", the vendor's 48 h clock), who
  applies it (`address_change_request_apply`, the same change) or refuses it with a reason;
  a shipment before the answer refuses it (the customer may then ask the operator);
- once shipped, it goes to the operator's queue (a contact thread about the order, the 24 h
  clock), whose agent has the carrier redirect the parcels (`orders.delivery_changes.
  vendor_order_redirect`) or refuses; a redirection the carrier would charge for is refused.

An address in another delivery zone is refused at once (another fee): the customer may
cancel and order again. Each step is in the thread and on the order's timeline; the customer
is emailed the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from allies.accounts.models import User
from allies.aftersales.address_request_states import (
    AddressRequestAction,
    AddressRequestStatus,
    AddressRequestTransitionNotAllowed,
    address_request_transition,
)
from allies.aftersales.errors import AddressRequestError, AddressRequestForbidden
from allies.aftersales.models import AddressChangeRequest, AddressHandler
from allies.orders.delivery_changes import (
    NOT_SHIPPED,
    DeliveryChangeError,
    address_directly_editable,
    clean_address,
    vendor_order_address_change,
    vendor_order_redirect,
)
from allies.orders.events import Actor, ActorKind, EventKind, order_event_add
from allies.orders.models import VendorOrder
from allies.orders.states import IN_TRANSIT
from allies.support import emails
from allies.support.models import Motif, Thread
from allies.support.services import is_agent, message_post, thread_open
from allies.vendors.models import Vendor

COMMENT_MAX = 2000
REASON_MAX = 1000


def _address_text(address: Mapping[str, Any]) -> str:
    parts = [
        address.get("recipient"),
        address.get("company"),
        address.get("street"),
        address.get("street_extra"),
        f"{address.get('postcode', '')} {address.get('city', '')}".strip(),
        address.get("country"),
    ]
    return ", ".join(str(part) for part in parts if part)


def open_address_request(*, vendor_order: VendorOrder) -> AddressChangeRequest | None:
    return (
        AddressChangeRequest.objects.filter(
            vendor_order=vendor_order, status=AddressRequestStatus.REQUESTED
        )
        .order_by("id")
        .first()
    )


def _error(exc: DeliveryChangeError) -> AddressRequestError:
    return AddressRequestError(exc.message, code=exc.code)


def address_change_request_open(
    *,
    customer: User,
    vendor_order: VendorOrder,
    address: Mapping[str, Any],
    comment: str = "",
    now: datetime | None = None,
) -> AddressChangeRequest:
    """The customer asks for a new delivery address: to the vendor before shipping, to the
    operator once shipped (module doc). AddressRequestError, and nothing written, when the
    address is invalid or in another zone, when they may still edit it themselves, when
    the order is delivered, or when a request is already open."""
    if vendor_order.order.customer_id != customer.pk:
        raise AddressRequestForbidden(_("Commande introuvable."), code="not_found")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise AddressRequestError(
            _("Votre commentaire dépasse %(count)s caractères.") % {"count": COMMENT_MAX},
            code="comment_too_long",
        )
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            VendorOrder.objects.select_for_update(of=("self",))
            .select_related("order", "vendor")
            .get(pk=vendor_order.pk)
        )
        if locked.relay_point is not None:
            raise AddressRequestError(
                _("Cette commande est livrée en point relais : son adresse ne change pas."),
                code="relay_point",
            )
        try:
            cleaned = clean_address(address, current=locked.ship_to)
        except DeliveryChangeError as exc:
            raise _error(exc) from None
        if address_directly_editable(locked, now=now):
            raise AddressRequestError(
                _("Vous pouvez encore modifier l'adresse vous-même, sans demande."),
                code="edit_directly",
            )
        shipped = locked.status in IN_TRANSIT or locked.shipments.exists()
        if locked.status not in NOT_SHIPPED and locked.status not in IN_TRANSIT:
            raise AddressRequestError(
                _("Cette commande n'est plus en cours de livraison."), code="delivered"
            )
        if open_address_request(vendor_order=locked) is not None:
            raise AddressRequestError(
                _("Une demande de changement d'adresse est déjà en cours pour ces articles."),
                code="already_open",
            )
        with override("fr"):
            body = _("Merci de livrer ces articles à cette nouvelle adresse : %(address)s") % {
                "address": _address_text(cleaned)
            }
        if comment:
            body += "\n\n" + comment
        if shipped:
            # The vendor can do nothing once the parcel left: the operator's queue.
            thread = thread_open(
                actor=Actor.customer(customer),
                order=locked.order,
                motif=Motif.MODIFICATION,
                subject=_("Réexpédition d'un colis"),
                body=body,
                now=now,
            )
        else:
            thread = thread_open(
                actor=Actor.customer(customer),
                vendor_order=locked,
                motif=Motif.MODIFICATION,
                body=body,
                now=now,
            )
        request = AddressChangeRequest.objects.create(
            vendor_order=locked,
            vendor_id=locked.vendor_id,
            customer=customer,
            thread=thread,
            handler=AddressHandler.OPERATOR if shipped else AddressHandler.VENDOR,
            address=cleaned,
        )
        order_event_add(
            order=locked.order,
            vendor_order=locked,
            kind=EventKind.ADDRESS_CHANGE_REQUESTED,
            actor=Actor.customer(customer),
            address_request=request.pk,
            handler=request.handler,
        )
    return request


def _check(request: AddressChangeRequest, actor: Actor, vendor: Vendor | None) -> None:
    """The vendor answers the requests it handles; the customer service's agents any."""
    if actor.kind == ActorKind.STAFF:
        user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
        if not is_agent(user):
            raise AddressRequestForbidden(
                _("Cette action est réservée au service client."), code="not_found"
            )
        return
    if request.handler != AddressHandler.VENDOR or vendor is None or request.vendor_id != vendor.pk:
        raise AddressRequestForbidden(_("Demande introuvable."), code="not_found")


def _post(request: AddressChangeRequest, actor: Actor | None, vendor: Vendor | None,
          body: str, now: datetime) -> None:  # fmt: skip
    if actor is None:
        return
    thread = Thread.objects.get(pk=request.thread_id)
    message_post(thread=thread, actor=actor, body=body, vendor=vendor, now=now, notify=False)


def _customer_email(request: AddressChangeRequest, template: str) -> None:
    thread = Thread.objects.select_related("customer", "vendor").get(pk=request.thread_id)
    emails.customer_email_send(thread=thread, template=template, address_request=request)


def _refuse(request: AddressChangeRequest, actor: Actor | None, vendor: Vendor | None,
            reason: str, now: datetime) -> None:  # fmt: skip
    with transaction.atomic():
        address_request_transition(
            request=request,
            action=AddressRequestAction.REFUSE,
            actor=actor,
            now=now,
            changes={"refusal_reason": reason[:REASON_MAX]},
        )
        with override("fr"):
            body = _("Changement d'adresse refusé : %(reason)s") % {"reason": reason}
        _post(request, actor, vendor, body, now)
        _customer_email(request, "aftersales_address_change_refused")


def address_change_request_apply(
    *, request: AddressChangeRequest, actor: Actor, vendor: Vendor | None
) -> AddressChangeRequest:
    """The vendor (before shipping) or an agent (once shipped: the carrier redirects the
    parcels) applies the new address. When the change cannot be made (the parcel left, the
    carrier refuses or would charge), the request is refused with that reason, the
    customer is told, and AddressRequestError says why."""
    _check(request, actor, vendor)
    request.refresh_from_db(fields=["status"])
    if request.status != AddressRequestStatus.REQUESTED:
        raise AddressRequestError(_("Cette demande a déjà une réponse."), code="invalid_state")
    now = timezone.now()
    vendor_order = VendorOrder.objects.select_related("order").get(pk=request.vendor_order_id)
    try:
        with transaction.atomic():
            if request.handler == AddressHandler.OPERATOR or vendor_order.status in IN_TRANSIT:
                if actor.kind != ActorKind.STAFF:
                    raise DeliveryChangeError(
                        _(
                            "Le colis est déjà expédié : seul le service client peut le faire "
                            "réexpédier."
                        ),  # fmt: skip
                        code="shipped",
                    )
                vendor_order_redirect(vendor_order=vendor_order, actor=actor,
                                      address=request.address, now=now)  # fmt: skip
            else:
                vendor_order_address_change(vendor_order=vendor_order, actor=actor,
                                            address=request.address, now=now)  # fmt: skip
            address_request_transition(
                request=request, action=AddressRequestAction.APPLY, actor=actor, now=now
            )
            with override("fr"):
                body = _("Nouvelle adresse enregistrée : %(address)s") % {
                    "address": _address_text(request.address)
                }
            _post(request, actor, vendor, body, now)
            _customer_email(request, "aftersales_address_change_applied")
    except AddressRequestTransitionNotAllowed:
        raise AddressRequestError(
            _("Cette demande a déjà une réponse."), code="invalid_state"
        ) from None
    except DeliveryChangeError as exc:
        try:
            _refuse(request, actor, vendor, exc.message, now)
        except AddressRequestTransitionNotAllowed:
            pass
        raise _error(exc) from None
    return request


def address_change_request_refuse(
    *, request: AddressChangeRequest, actor: Actor, vendor: Vendor | None, reason: str
) -> AddressChangeRequest:
    """The vendor or an agent says no, with a reason; the customer is emailed."""
    _check(request, actor, vendor)
    text = " ".join((reason or "").split())
    if not text:
        raise AddressRequestError(_("Indiquez la raison du refus."), code="reason_required")
    if len(text) > REASON_MAX:
        raise AddressRequestError(_("La raison du refus est trop longue."), code="reason_too_long")
    try:
        _refuse(request, actor, vendor, text, timezone.now())
    except AddressRequestTransitionNotAllowed:
        raise AddressRequestError(
            _("Cette demande a déjà une réponse."), code="invalid_state"
        ) from None
    return request


def on_vendor_order_shipped(*, vendor_order: VendorOrder, shipment: Any) -> None:
    """Receiver of the hook `vendor_order_shipped`: a request the vendor did not apply before
    shipping is refused; the customer may ask the operator to have the parcel redirected."""
    with override("fr"):
        reason = _(
            "Le colis est parti avant le changement : demandez sa réexpédition au service client."
        )
    now = timezone.now()
    for request in AddressChangeRequest.objects.filter(
        vendor_order_id=vendor_order.pk,
        status=AddressRequestStatus.REQUESTED,
        handler=AddressHandler.VENDOR,
    ).select_related("vendor_order__order"):
        _refuse(request, None, None, reason, now)
