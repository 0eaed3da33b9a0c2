"""The state machine of a customer's request to change the delivery address (ORD-6): stages,
table, and the one function that moves a request.

    requested --apply--> applied   (the vendor changed it before shipping, or the operator
       |                            had the carrier redirect the parcels)
       +--refuse--> refused        (the vendor or the operator says no, the carrier refused,
                                    or the parcel left before the vendor answered)
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allies.core.errors import AlliesError
from allies.orders.events import Actor, EventKind, order_event_add

if TYPE_CHECKING:
    from allies.aftersales.models import AddressChangeRequest


class AddressRequestTransitionNotAllowed(AlliesError):
    code = "invalid_state"


class AddressRequestStatus(models.TextChoices):
    """The stages; each label is what the customer reads."""

    REQUESTED = "requested", _("Demande en cours de traitement")
    APPLIED = "applied", _("Nouvelle adresse enregistrée")
    REFUSED = "refused", _("Changement d'adresse refusé")


class AddressRequestAction(StrEnum):
    APPLY = "apply"
    REFUSE = "refuse"


S, A = AddressRequestStatus, AddressRequestAction
ADDRESS_REQUEST_TRANSITIONS: dict[
    tuple[AddressRequestStatus, AddressRequestAction], AddressRequestStatus
] = {  # noqa: E501
    (S.REQUESTED, A.APPLY): S.APPLIED,
    (S.REQUESTED, A.REFUSE): S.REFUSED,
}
ADDRESS_REQUEST_EVENTS: dict[AddressRequestAction, EventKind] = {
    # The change itself writes DELIVERY_ADDRESS_CHANGED / DELIVERY_REDIRECTED.
    A.REFUSE: EventKind.ADDRESS_CHANGE_REFUSED,
}
del S, A


@transaction.atomic
def address_request_transition(
    *,
    request: AddressChangeRequest,
    action: AddressRequestAction,
    actor: Actor | None,
    now: datetime | None = None,
    changes: dict[str, Any] | None = None,
) -> AddressChangeRequest:
    """Move `request` by `action` (row locked, table checked, `decided_at` stamped, the
    refusal's timeline event written), or raise AddressRequestTransitionNotAllowed."""
    action = AddressRequestAction(action)
    model = type(request)
    current = AddressRequestStatus(
        model._default_manager.select_for_update()
        .values_list("status", flat=True)
        .get(pk=request.pk)
    )
    target = ADDRESS_REQUEST_TRANSITIONS.get((current, action))
    if target is None:
        raise AddressRequestTransitionNotAllowed(
            f"address request {request.pk}: {action} from {current}"
        )
    fields: dict[str, Any] = {"status": target, "decided_at": now or timezone.now(),
                              **(changes or {})}  # fmt: skip
    for name, value in fields.items():
        setattr(request, name, value)
    request.save(update_fields=[*fields, "updated_at"])
    kind = ADDRESS_REQUEST_EVENTS.get(action)
    if kind is not None:
        order_event_add(
            order=request.vendor_order.order,
            vendor_order=request.vendor_order,
            kind=kind,
            actor=actor,
            address_request=request.pk,
            reason=request.refusal_reason[:300],
        )
    return request
