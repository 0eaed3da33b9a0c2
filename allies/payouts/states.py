"""The state machine of a payout (PAY-1): stages, transition table, labels, and the one
function that moves a payout.

    pending --transfer--> transferred --pay--> paid
       |                     |    ^
       | transfer_fail       |    | retry (staff, a new money-out reference)
       v                     v    |
     failed              money_out_failed

- `pending`: the payout row and its lines (the vendor orders and amounts it covers) are
  written; the P2P from the marketplace wallet to the vendor's wallet is to do, or was asked
  with no answer (a timeout): the next attempt re-reads it by `transfer_reference` first.
- `transfer` (P2P confirmed): the same transaction writes one `payout` ledger entry per line.
- `transfer_fail`: the provider refused the P2P; nothing moved, no ledger entry: the vendor
  orders are available again for the next run. Final.
- `pay` (money-out confirmed): the money left for the vendor's bank account. Final.
- `money_out_fail`: the provider refused the money-out (a closed account, an IBAN it
  rejects…): the money sits in the vendor's wallet, the payout stays open (no other payout
  for that vendor) and staff retry it once the cause is fixed.

Every status write goes through `payouts_transition` (many payouts: the run records a
batch's provider answers in a few queries) or `payout_transition` (one, the same function):
it locks the rows, checks the table, stamps the moment, saves, and writes one `PayoutEvent`
per payout with its actor. Events that move no stage (a provider call without an answer)
are written with `payout_event_add` / `payout_events_add`. The models take their choices
from this module, so it reaches the models only inside its functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from allies.core.errors import AlliesError
from allies.orders.events import SYSTEM, Actor

if TYPE_CHECKING:
    from allies.payouts.models import Payout


class PayoutTransitionNotAllowed(AlliesError):
    """No such move from the payout's stage (a race between two runs, or a caller's bug)."""

    code = "invalid_state"


class PayoutStatus(models.TextChoices):
    """The stages; each label is what staff and the vendor read."""

    PENDING = "pending", _("Virement en préparation")
    TRANSFERRED = "transferred", _("Versé sur le portefeuille, virement bancaire en cours")
    PAID = "paid", _("Virement effectué")
    FAILED = "failed", _("Transfert refusé par le prestataire")
    MONEY_OUT_FAILED = "money_out_failed", _("Virement bancaire refusé, à relancer")


class PayoutAction(StrEnum):
    TRANSFER = "transfer"
    TRANSFER_FAIL = "transfer_fail"
    PAY = "pay"
    MONEY_OUT_FAIL = "money_out_fail"
    RETRY = "retry"


class PayoutEventKind(models.TextChoices):
    CREATED = "created", _("Virement préparé")
    TRANSFERRED = "transferred", _("Versé sur le portefeuille du vendeur")
    TRANSFER_FAILED = "transfer_failed", _("Transfert refusé")
    PAID = "paid", _("Virement bancaire effectué")
    MONEY_OUT_FAILED = "money_out_failed", _("Virement bancaire refusé")
    RETRIED = "retried", _("Virement bancaire relancé")
    # No stage change: a provider call that got no answer, a step found pending.
    NO_ANSWER = "no_answer", _("Pas de réponse du prestataire")
    STILL_PENDING = "still_pending", _("En attente chez le prestataire")


@dataclass(frozen=True)
class Stage:
    staff_label: Promise  # the console's short word
    open: bool  # the payout still has something to do (or to retry)


S, A = PayoutStatus, PayoutAction

PAYOUT_STAGES: dict[PayoutStatus, Stage] = {
    S.PENDING: Stage(_("En préparation"), True),
    S.TRANSFERRED: Stage(_("Virement bancaire en cours"), True),
    S.PAID: Stage(_("Payé"), False),
    S.FAILED: Stage(_("Transfert refusé"), False),
    S.MONEY_OUT_FAILED: Stage(_("Virement refusé"), True),
}

PAYOUT_TRANSITIONS: dict[tuple[PayoutStatus, PayoutAction], PayoutStatus] = {
    (S.PENDING, A.TRANSFER): S.TRANSFERRED,
    (S.PENDING, A.TRANSFER_FAIL): S.FAILED,
    (S.TRANSFERRED, A.PAY): S.PAID,
    (S.TRANSFERRED, A.MONEY_OUT_FAIL): S.MONEY_OUT_FAILED,
    (S.MONEY_OUT_FAILED, A.RETRY): S.TRANSFERRED,
}

PAYOUT_ACTION_EVENTS: dict[PayoutAction, PayoutEventKind] = {
    A.TRANSFER: PayoutEventKind.TRANSFERRED,
    A.TRANSFER_FAIL: PayoutEventKind.TRANSFER_FAILED,
    A.PAY: PayoutEventKind.PAID,
    A.MONEY_OUT_FAIL: PayoutEventKind.MONEY_OUT_FAILED,
    A.RETRY: PayoutEventKind.RETRIED,
}

PAYOUT_ACTION_TIMESTAMPS: dict[PayoutAction, str] = {
    A.TRANSFER: "transferred_at",
    A.PAY: "paid_at",
}

OPEN_STATUSES = frozenset(status for status, stage in PAYOUT_STAGES.items() if stage.open)
# The steps a run resumes by itself; a refused money-out waits for staff (`payout_retry`).
RESUMABLE_STATUSES = frozenset({S.PENDING, S.TRANSFERRED})

del S, A


def payout_event_add(
    *,
    payout: Payout,
    kind: PayoutEventKind,
    actor: Actor | None = None,
    now: datetime | None = None,
    from_status: str = "",
    to_status: str = "",
    **data: Any,
) -> None:
    """Write one event of the payout's timeline (`actor` None: the system)."""
    payout_events_add(
        events=[(payout, kind, data)], actor=actor, now=now, from_status=from_status,
        to_status=to_status,
    )  # fmt: skip


def payout_events_add(
    *,
    events: Sequence[tuple[Payout, PayoutEventKind, Mapping[str, Any]]],
    actor: Actor | None = None,
    now: datetime | None = None,
    from_status: str = "",
    to_status: str = "",
) -> None:
    """Write many timeline events at once, one (payout, kind, data) each: one INSERT per
    batch, so a run over thousands of payouts writes its timeline in a few queries."""
    from allies.payouts.models import PayoutEvent

    if not events:
        return
    actor = actor or SYSTEM
    now = now or timezone.now()
    PayoutEvent.objects.bulk_create(
        [
            PayoutEvent(
                payout=payout,
                kind=PayoutEventKind(kind),
                from_status=from_status,
                to_status=to_status,
                actor_kind=actor.kind,
                actor_id=actor.user_id,
                data=dict(data),
                created_at=now,
            )
            for payout, kind, data in events
        ],
        batch_size=EVENT_BATCH,
    )


# Rows per INSERT: well under SQLite's cap on a statement's parameters.
EVENT_BATCH = 500


def payouts_save(*, payouts: Sequence[Payout], fields: Sequence[str]) -> None:
    """Save `fields` of many payouts: one UPDATE statement by primary key, executed for every
    row (`executemany`: one round trip on PostgreSQL's pipeline, none on SQLite). Django's
    `bulk_update` builds a CASE expression per field and row, which costs more Python time
    than the whole batch's writes. Only this module and the run's bookkeeping call it."""
    if not payouts:
        return
    from django.db import connections, router

    model = type(payouts[0])
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    concrete = {f.name: f for f in model._meta.concrete_fields}
    columns = [concrete[name] for name in fields]
    sql = (
        f"UPDATE {qn(model._meta.db_table)} SET "
        + ", ".join(f"{qn(str(f.column))} = %s" for f in columns)
        + f" WHERE {qn(str(model._meta.pk.column))} = %s"
    )
    rows = [
        [f.get_db_prep_save(getattr(payout, f.attname), connection) for f in columns] + [payout.pk]
        for payout in payouts
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@transaction.atomic
def payouts_transition(
    *,
    payouts: Sequence[Payout],
    action: PayoutAction,
    actor: Actor | None,
    now: datetime | None = None,
    changes: Mapping[int, Mapping[str, Any]] | None = None,
    event_data: Mapping[int, Mapping[str, Any]] | None = None,
) -> tuple[list[Payout], list[Payout]]:
    """Move each of `payouts` by `action`: the one transition of the table, for many payouts
    in a few queries. Returns (moved, refused); refused ones (their stage, read from the
    database under lock, has no such move) are left untouched.

    Same rules as one by one: the rows are locked and their stage re-read, `changes[pk]` is
    saved in the same write, the claim is released unless `changes` keeps it, the action's
    moment is stamped, and one event per moved payout is written with `actor` and
    `event_data[pk]`.
    """
    action = PayoutAction(action)
    if not payouts:
        return [], []
    model = type(payouts[0])
    ids = sorted({payout.pk for payout in payouts})
    current_of = dict(
        model._default_manager.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "status")
    )
    now = now or timezone.now()
    moved: list[Payout] = []
    refused: list[Payout] = []
    by_fields: dict[tuple[str, ...], list[Payout]] = {}
    events: dict[PayoutStatus, list[tuple[Payout, PayoutEventKind, Mapping[str, Any]]]] = {}
    for payout in payouts:
        current = PayoutStatus(current_of[payout.pk]) if payout.pk in current_of else None
        target = PAYOUT_TRANSITIONS.get((current, action)) if current else None
        if current is None or target is None:
            refused.append(payout)
            continue
        fields: dict[str, Any] = {
            "status": target,
            "claimed_until": None,
            **((changes or {}).get(payout.pk) or {}),
        }
        if stamp := PAYOUT_ACTION_TIMESTAMPS.get(action):
            fields[stamp] = now
        fields["updated_at"] = now
        for name, value in fields.items():
            setattr(payout, name, value)
        by_fields.setdefault(tuple(sorted(fields)), []).append(payout)
        events.setdefault(current, []).append(
            (payout, PAYOUT_ACTION_EVENTS[action], (event_data or {}).get(payout.pk) or {})
        )
        moved.append(payout)
    for names, group in by_fields.items():
        payouts_save(payouts=group, fields=names)
    target_of = {current: PAYOUT_TRANSITIONS[(current, action)] for current in events}
    for current, items in events.items():
        payout_events_add(
            events=items, actor=actor, now=now, from_status=current, to_status=target_of[current]
        )
    return moved, refused


def payout_transition(
    *,
    payout: Payout,
    action: PayoutAction,
    actor: Actor | None,
    now: datetime | None = None,
    changes: dict[str, Any] | None = None,
    **event_data: Any,
) -> Payout:
    """Move `payout` by `action`, or raise PayoutTransitionNotAllowed and change nothing.

    `payouts_transition` for one payout: the row is locked and its stage read from the
    database (a concurrent run may have moved it); `changes` are saved in the same write, the
    claim of the step is released, and the event is written with `actor` and `event_data`.
    Callers that must write more in the same transaction (the ledger entries of `transfer`)
    wrap this call in their own atomic block.
    """
    action = PayoutAction(action)
    _moved, refused = payouts_transition(
        payouts=[payout], action=action, actor=actor, now=now,
        changes={payout.pk: changes or {}}, event_data={payout.pk: event_data},
    )  # fmt: skip
    if refused:
        raise PayoutTransitionNotAllowed(f"payout {payout.pk}: {action} not allowed")
    return payout


def payout_stage(status: str) -> Stage:
    return PAYOUT_STAGES[PayoutStatus(status)]
