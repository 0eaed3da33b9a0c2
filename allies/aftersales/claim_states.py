"""The state machine of an after-sales claim ("demande de SAV", SAV-1…4): stages, transition
table, labels, and the one function that moves a claim.

    requested --propose_return--> awaiting_return --receive--> received
       |  \\ \\                          | cancel                 | refund / reship / reject
       |   \\ +--refund--> refunded      v                        v
       |    +--reship--> reshipped   cancelled        refunded / reshipped / rejected
       | refuse / cancel
       v
    refused / cancelled

- `propose_return`: the vendor answers (within 48 business hours, SAV-2) with how the item
  comes back at its cost: a prepaid label or a home pickup on dates it offers (SAV-3). The
  customer then prints the label or picks a date; neither moves the stage.
- `refund` or `reship` straight from `requested`: the vendor settles without the item back
  (a refund, or missing parts / a replacement sent as a new free shipment).
- After inspection (`received`): defect confirmed, the vendor repairs or exchanges (`reship`)
  or refunds; no defect, it refunds as a withdrawal with the return costs deducted (the
  customer was told so before sending the claim) or sends the item back (`reject`, SAV-4).

Every status write of a claim goes through `claim_transition`: it locks the row, checks the
table, stamps the action's moment, saves, and writes the order timeline's event with its
actor. The customer's label is the enum's own; the vendor's and the Mirakl incident state of
the vendor API are in `CLAIM_STAGES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from allies.aftersales.return_states import list_sort_at
from allies.core.errors import AlliesError
from allies.orders.events import Actor, EventKind, order_event_add

if TYPE_CHECKING:
    from allies.aftersales.models import Claim


class ClaimTransitionNotAllowed(AlliesError):
    """No such move from the claim's stage (a race or a caller's bug; the services check the
    stage first and explain it to the user, so this English message is for the logs)."""

    code = "invalid_state"


class ClaimStatus(models.TextChoices):
    """The stages; each label is what the customer reads."""

    REQUESTED = "requested", _("En attente de la réponse du vendeur")
    AWAITING_RETURN = "awaiting", _("Produit à renvoyer au vendeur")
    RECEIVED = "received", _("Produit en cours d'expertise chez le vendeur")
    REFUNDED = "refunded", _("Remboursement déclenché")
    RESHIPPED = "reshipped", _("Nouvel envoi expédié")
    REFUSED = "refused", _("Réclamation refusée par le vendeur")
    REJECTED = "rejected", _("Aucun défaut constaté : produit renvoyé")
    CANCELLED = "cancelled", _("Demande annulée")


class ClaimAction(StrEnum):
    PROPOSE_RETURN = "propose_return"  # the vendor: label or home pickup (SAV-3)
    REFUSE = "refuse"  # the vendor, with a reason; the customer may ask the operator
    CANCEL = "cancel"  # the customer, before the item left
    RECEIVE = "receive"  # the vendor, or the carrier's delivery of the prepaid label
    REFUND = "refund"
    RESHIP = "reship"  # a replacement, the repaired item or missing parts, with tracking
    REJECT = "reject"  # no defect after inspection: the item goes back to the customer


@dataclass(frozen=True)
class Stage:
    vendor_label: Promise  # the vendor portal's word
    mirakl: str  # the incident state of the vendor API (Mirakl's vocabulary)
    open: bool  # someone still has to act


S, A = ClaimStatus, ClaimAction

CLAIM_STAGES: dict[ClaimStatus, Stage] = {
    S.REQUESTED: Stage(_("À traiter"), "INCIDENT_OPEN", True),
    S.AWAITING_RETURN: Stage(_("En attente du produit"), "INCIDENT_OPEN", True),
    S.RECEIVED: Stage(_("À expertiser"), "INCIDENT_OPEN", True),
    S.REFUNDED: Stage(_("Remboursée"), "INCIDENT_CLOSED", False),
    S.RESHIPPED: Stage(_("Envoi effectué"), "INCIDENT_CLOSED", False),
    S.REFUSED: Stage(_("Refusée"), "INCIDENT_CLOSED", False),
    S.REJECTED: Stage(_("Sans défaut, produit renvoyé"), "INCIDENT_CLOSED", False),
    S.CANCELLED: Stage(_("Annulée par le client"), "INCIDENT_CLOSED", False),
}

CLAIM_TRANSITIONS: dict[tuple[ClaimStatus, ClaimAction], ClaimStatus] = {
    (S.REQUESTED, A.PROPOSE_RETURN): S.AWAITING_RETURN,
    (S.REQUESTED, A.REFUSE): S.REFUSED,
    (S.REQUESTED, A.CANCEL): S.CANCELLED,
    (S.REQUESTED, A.REFUND): S.REFUNDED,
    (S.REQUESTED, A.RESHIP): S.RESHIPPED,
    (S.AWAITING_RETURN, A.CANCEL): S.CANCELLED,
    (S.AWAITING_RETURN, A.RECEIVE): S.RECEIVED,
    (S.RECEIVED, A.REFUND): S.REFUNDED,
    (S.RECEIVED, A.RESHIP): S.RESHIPPED,
    (S.RECEIVED, A.REJECT): S.REJECTED,
}

CLAIM_ACTION_EVENTS: dict[ClaimAction, EventKind] = {
    A.PROPOSE_RETURN: EventKind.CLAIM_RETURN_PROPOSED,
    A.REFUSE: EventKind.CLAIM_REFUSED,
    A.CANCEL: EventKind.CLAIM_CANCELLED,
    A.RECEIVE: EventKind.CLAIM_RECEIVED,
    A.REFUND: EventKind.CLAIM_REFUNDED,
    A.RESHIP: EventKind.CLAIM_RESHIPPED,
    A.REJECT: EventKind.CLAIM_REJECTED,
}

# The vendor's answers: the first one stops SAV-2's clock (`decided_at`).
ANSWERS = frozenset({A.PROPOSE_RETURN, A.REFUSE, A.REFUND, A.RESHIP})

OPEN_STATUSES = frozenset(status for status, stage in CLAIM_STAGES.items() if stage.open)

del S, A


def claim_statuses_allowing(action: ClaimAction) -> frozenset[ClaimStatus]:
    return frozenset(src for (src, act) in CLAIM_TRANSITIONS if act == action)


def claim_statuses_for_mirakl(state: str) -> list[ClaimStatus]:
    return [status for status, stage in CLAIM_STAGES.items() if stage.mirakl == state]


@transaction.atomic
def claim_transition(
    *,
    claim: Claim,
    action: ClaimAction,
    actor: Actor | None,
    now: datetime | None = None,
    changes: dict[str, Any] | None = None,
    **event_data: Any,
) -> Claim:
    """Move `claim` by `action`, or raise ClaimTransitionNotAllowed and change nothing. Same
    contract as `return_states.return_transition`: the row is locked and its stage read from
    the database, `changes` are saved in the same write, and the event goes on the vendor
    order's timeline with `actor` and `event_data`."""
    action = ClaimAction(action)
    model = type(claim)
    current_status, decided_at = (
        model._default_manager.select_for_update()
        .values_list("status", "decided_at")
        .get(pk=claim.pk)
    )
    current = ClaimStatus(current_status)
    target = CLAIM_TRANSITIONS.get((current, action))
    if target is None:
        raise ClaimTransitionNotAllowed(f"claim {claim.pk}: {action} from {current}")
    now = now or timezone.now()
    fields: dict[str, Any] = {"status": target, **(changes or {})}
    if action in ANSWERS and decided_at is None:
        fields["decided_at"] = now
    if not CLAIM_STAGES[target].open:
        fields["closed_at"] = now
        fields["list_sort_at"] = list_sort_at(created_at=claim.created_at, closed_at=now)
    if action == ClaimAction.RECEIVE:
        fields["received_at"] = now
    for name, value in fields.items():
        setattr(claim, name, value)
    claim.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    order_event_add(
        order=claim.vendor_order.order,
        vendor_order=claim.vendor_order,
        kind=CLAIM_ACTION_EVENTS[action],
        actor=actor,
        claim=claim.pk,
        **event_data,
    )
    return claim
