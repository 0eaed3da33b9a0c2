"""The state machine of a return (withdrawal, RET-1…6): stages, transition table, labels, and
the one function that moves a return.

    requested --accept--> accepted --ship--> sent --receive--> received --refund--> refunded
       | refuse             | cancel          | refund (proof      | reject
       v                    | expire          |  of dispatch)      v
    refused                 v                 v                  rejected
                         cancelled / expired  refunded
    (requested --cancel--> cancelled; accepted --receive--> received: no tracking given)

Every status write of a return goes through `return_transition`: it locks the row, checks
the table, stamps the action's moment, saves, and writes the order timeline's event with its
actor (the customer's order page and the audit log read it). The customer's label is the
enum's own label; the vendor's and the Mirakl state of the vendor API are in
`RETURN_STAGES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from allies.core.errors import AlliesError
from allies.orders.events import Actor, EventKind, order_event_add

if TYPE_CHECKING:
    from allies.aftersales.models import ReturnRequest


class ReturnTransitionNotAllowed(AlliesError):
    """No such move from the return's stage (a race or a caller's bug; the services check the
    stage first and explain it to the user, so this English message is for the logs)."""

    code = "invalid_state"


class ReturnStatus(models.TextChoices):
    """The stages; each label is what the customer reads."""

    REQUESTED = "requested", _("En attente de la réponse du vendeur")
    ACCEPTED = "accepted", _("Retour accepté : article à renvoyer")
    REFUSED = "refused", _("Retour refusé par le vendeur")
    SENT = "sent", _("Article renvoyé")
    RECEIVED = "received", _("Article reçu par le vendeur")
    REFUNDED = "refunded", _("Remboursement déclenché")
    REJECTED = "rejected", _("Retour non conforme : article renvoyé au client")
    CANCELLED = "cancelled", _("Demande annulée")
    EXPIRED = "expired", _("Délai de renvoi dépassé")


class ReturnAction(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"
    CANCEL = "cancel"  # the customer, before sending anything
    SHIP = "ship"  # dispatch proven: a tracking number, or the carrier's first scan
    RECEIVE = "receive"  # the vendor, or the carrier's delivery of a prepaid label
    REFUND = "refund"  # after inspection (or on proof of dispatch), full or partial
    REJECT = "reject"  # not compliant after inspection: the item goes back to the customer
    EXPIRE = "expire"  # nothing sent within the 14 days after acceptance


@dataclass(frozen=True)
class Stage:
    vendor_label: Promise  # the vendor portal's word
    mirakl: str  # the return state of the vendor API (Mirakl's vocabulary)
    open: bool  # someone still has to act


S, A = ReturnStatus, ReturnAction

RETURN_STAGES: dict[ReturnStatus, Stage] = {
    S.REQUESTED: Stage(_("À accepter"), "WAITING_ACCEPTANCE", True),
    S.ACCEPTED: Stage(_("En attente du colis"), "WAITING_SHIPMENT", True),
    S.REFUSED: Stage(_("Refusé"), "REFUSED", False),
    S.SENT: Stage(_("Colis en route"), "SHIPPED", True),
    S.RECEIVED: Stage(_("À contrôler"), "RECEIVED", True),
    S.REFUNDED: Stage(_("Remboursé"), "REFUNDED", False),
    S.REJECTED: Stage(_("Non conforme"), "NOT_COMPLIANT", False),
    S.CANCELLED: Stage(_("Annulé par le client"), "CANCELED", False),
    S.EXPIRED: Stage(_("Délai de renvoi dépassé"), "EXPIRED", False),
}

RETURN_TRANSITIONS: dict[tuple[ReturnStatus, ReturnAction], ReturnStatus] = {
    (S.REQUESTED, A.ACCEPT): S.ACCEPTED,
    (S.REQUESTED, A.REFUSE): S.REFUSED,
    (S.REQUESTED, A.CANCEL): S.CANCELLED,
    (S.ACCEPTED, A.CANCEL): S.CANCELLED,
    (S.ACCEPTED, A.SHIP): S.SENT,
    (S.ACCEPTED, A.EXPIRE): S.EXPIRED,
    # A parcel sent without tracking that arrives all the same.
    (S.ACCEPTED, A.RECEIVE): S.RECEIVED,
    (S.SENT, A.RECEIVE): S.RECEIVED,
    # RET-6: the refund follows the inspection, or a proof of dispatch.
    (S.SENT, A.REFUND): S.REFUNDED,
    (S.RECEIVED, A.REFUND): S.REFUNDED,
    (S.RECEIVED, A.REJECT): S.REJECTED,
}

RETURN_ACTION_EVENTS: dict[ReturnAction, EventKind] = {
    A.ACCEPT: EventKind.RETURN_ACCEPTED,
    A.REFUSE: EventKind.RETURN_REFUSED,
    A.CANCEL: EventKind.RETURN_CANCELLED,
    A.SHIP: EventKind.RETURN_SENT,
    A.RECEIVE: EventKind.RETURN_RECEIVED,
    A.REFUND: EventKind.RETURN_REFUNDED,
    A.REJECT: EventKind.RETURN_REJECTED,
    A.EXPIRE: EventKind.RETURN_EXPIRED,
}

RETURN_ACTION_TIMESTAMPS: dict[ReturnAction, str] = {
    A.ACCEPT: "decided_at",
    A.REFUSE: "decided_at",
    A.CANCEL: "closed_at",
    A.SHIP: "sent_at",
    A.RECEIVE: "received_at",
    A.REFUND: "closed_at",
    A.REJECT: "closed_at",
    A.EXPIRE: "closed_at",
}

OPEN_STATUSES = frozenset(status for status, stage in RETURN_STAGES.items() if stage.open)

# The portal's "Tous" list reads open requests first, the oldest on top, then the closed ones,
# the newest on top, through one ascending index on (vendor, list_sort_at, id): an open
# request's key is its creation; a closed one's counts down from far after every open one.
CLOSED_SORT_BASE = datetime(9000, 1, 1, tzinfo=UTC)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def list_sort_at(*, created_at: datetime, closed_at: datetime | None) -> datetime:
    """The sort key of an after-sales request in the vendor's "Tous" list (see above)."""
    if closed_at is None:
        return created_at
    return CLOSED_SORT_BASE - (closed_at - EPOCH)


del S, A


def return_statuses_allowing(action: ReturnAction) -> frozenset[ReturnStatus]:
    return frozenset(src for (src, act) in RETURN_TRANSITIONS if act == action)


def return_statuses_for_mirakl(state: str) -> list[ReturnStatus]:
    return [status for status, stage in RETURN_STAGES.items() if stage.mirakl == state]


@transaction.atomic
def return_transition(
    *,
    request: ReturnRequest,
    action: ReturnAction,
    actor: Actor | None,
    now: datetime | None = None,
    changes: dict[str, Any] | None = None,
    **event_data: Any,
) -> ReturnRequest:
    """Move the return `request` by `action`, or raise ReturnTransitionNotAllowed and change
    nothing. Same contract as `orders.states.vendor_order_transition`: the row is locked and
    its stage read from the database, `changes` are saved in the same write, and the event
    goes on the vendor order's timeline with `actor` and `event_data`."""
    action = ReturnAction(action)
    model = type(request)
    current = ReturnStatus(
        model._default_manager.select_for_update()
        .values_list("status", flat=True)
        .get(pk=request.pk)
    )
    target = RETURN_TRANSITIONS.get((current, action))
    if target is None:
        raise ReturnTransitionNotAllowed(f"return {request.pk}: {action} from {current}")
    now = now or timezone.now()
    fields: dict[str, Any] = {"status": target, **(changes or {})}
    stamp = RETURN_ACTION_TIMESTAMPS.get(action)
    if stamp:
        fields[stamp] = now
    if not RETURN_STAGES[target].open:
        fields["list_sort_at"] = list_sort_at(created_at=request.created_at, closed_at=now)
    for name, value in fields.items():
        setattr(request, name, value)
    request.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    order_event_add(
        order=request.vendor_order.order,
        vendor_order=request.vendor_order,
        kind=RETURN_ACTION_EVENTS[action],
        actor=actor,
        **{"return": request.pk, **event_data},
    )
    return request
