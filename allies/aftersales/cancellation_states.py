"""The state machine of a customer's cancellation request after the vendor's acceptance
(ORD-5): stages, table, and the one function that moves a request.

    requested --confirm--> confirmed   (the vendor cancels the lines: refunded)
       |
       +--refuse--> refused            (the vendor says no, or a shipment left meanwhile)
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
    from allies.aftersales.models import CancellationRequest


class CancellationTransitionNotAllowed(AlliesError):
    code = "invalid_state"


class CancellationStatus(models.TextChoices):
    """The stages; each label is what the customer reads."""

    REQUESTED = "requested", _("En attente de la réponse du vendeur")
    CONFIRMED = "confirmed", _("Annulation acceptée : remboursement déclenché")
    REFUSED = "refused", _("Annulation refusée")


class CancellationAction(StrEnum):
    CONFIRM = "confirm"
    REFUSE = "refuse"


CANCELLATION_TRANSITIONS: dict[
    tuple[CancellationStatus, CancellationAction], CancellationStatus
] = {
    (CancellationStatus.REQUESTED, CancellationAction.CONFIRM): CancellationStatus.CONFIRMED,
    (CancellationStatus.REQUESTED, CancellationAction.REFUSE): CancellationStatus.REFUSED,
}

CANCELLATION_ACTION_EVENTS: dict[CancellationAction, EventKind] = {
    CancellationAction.CONFIRM: EventKind.CANCELLATION_CONFIRMED,
    CancellationAction.REFUSE: EventKind.CANCELLATION_REFUSED,
}


@transaction.atomic
def cancellation_transition(
    *,
    request: CancellationRequest,
    action: CancellationAction,
    actor: Actor | None,
    now: datetime | None = None,
    changes: dict[str, Any] | None = None,
    **event_data: Any,
) -> CancellationRequest:
    """Move `request` by `action` (row locked, table checked, `decided_at` stamped, timeline
    event written), or raise CancellationTransitionNotAllowed and change nothing."""
    action = CancellationAction(action)
    model = type(request)
    current = CancellationStatus(
        model._default_manager.select_for_update()
        .values_list("status", flat=True)
        .get(pk=request.pk)
    )
    target = CANCELLATION_TRANSITIONS.get((current, action))
    if target is None:
        raise CancellationTransitionNotAllowed(
            f"cancellation {request.pk}: {action} from {current}"
        )
    fields: dict[str, Any] = {"status": target, "decided_at": now or timezone.now(),
                              **(changes or {})}  # fmt: skip
    for name, value in fields.items():
        setattr(request, name, value)
    request.save(update_fields=[*fields, "updated_at"])
    order_event_add(
        order=request.vendor_order.order,
        vendor_order=request.vendor_order,
        kind=CANCELLATION_ACTION_EVENTS[action],
        actor=actor,
        cancellation=request.pk,
        **event_data,
    )
    return request
