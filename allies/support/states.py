"""The state machine of a support thread: stages, the transition table, the clocks, labels,
and the one function that moves a thread.

    waiting_vendor --vendor writes--> answered        (a customer's message: back to
         |  ^                                |  |        waiting_vendor, new 48 h clock)
         |  +----customer writes-------------+  |
         | "Non" once the 48 h passed            | "Non" after the answer (CS-2)
         v                                       v
     escalated  <-------------------------------+     (24 h clock; a contact-form request
         |  ^                                          opens here, with no vendor)
         |  +-- staff reopen; customer writes after the operator handled it
         v
     resolved  <-- "Oui", the vendor after answering, or an agent (from any open stage)
         |
         v
      closed   <-- the customer or staff (from any stage); staff may reopen

Stages, with the customer's words (the help page's flow): "En attente de réponse du
vendeur", "Répondue", "Transmise au service client", "Résolue", "Clôturée". A contact-form
request (CS-4) has no vendor: it opens escalated, in the operator's queue.

The clocks (CS-1, CS-2), kept by `thread_transition` and nowhere else:

- `vendor_due_at` is set exactly while the thread waits for the vendor:
  SUPPORT_VENDOR_ANSWER_HOURS (48) after the customer's message that started the wait (a
  second message while waiting does not push it back).
- `operator_due_at` is set while the operator owes the customer an answer:
  SUPPORT_OPERATOR_ANSWER_HOURS (24) after the escalation, a reopening, or a customer's
  message to an operator who had answered. An agent's answer to the customer meets it.
- `answer_owed_since` is when the pending clock started (the response-time record, VEN-1).
- `vendor_sort_at` and `queue_sort_at` are the lists' sort keys, set with the clocks
  (`sort_keys`): the vendor's clock, and the operator's else the vendor's, or `SORT_LAST`
  when none runs. Non-null, so an index serves "the next deadline first, then the last
  changed" (an ORDER BY on a nullable or coalesced clock can only sort every row).
- A clock removed after its moment passed counts a breach (`vendor_breaches`,
  `operator_breaches`): the supervisor's statistics and the vendors' record read them; a
  clock still running past its moment is "late" (`vendor_late_q`, `operator_late_q`).

The hours are plain hours, not business hours: the help page promises "sous 48h" and "24h
maximum" to customers, who count every hour. An after-sales claim is the exception: its
vendor answers within 48 business hours (SAV-2, `CLAIM_MOTIFS`).

Every stage write goes through `thread_transition` (and `thread_create` for the first one):
it locks the row, checks the table, stamps the moment, moves the clocks, saves with
`updated_at` (the vendor API's "updated since" relies on it) and writes the typed
`ThreadEvent` with its actor. Actions that move nothing (an internal note, an assignment, a
reminder) write their event with `thread_event_add`.

The models take their choices from this module, so it reaches `Thread` only inside its
functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from allies.core.deadlines import add_business_hours
from allies.core.errors import AlliesError
from allies.orders.events import Actor, ActorKind
from allies.support.actors import EmailIdentity, ThreadActor

if TYPE_CHECKING:
    from allies.support.models import Thread


class TransitionNotAllowed(AlliesError):
    """The table has no such move from the thread's current stage (a caller's bug or a race:
    the services check the stage first and explain it to the user)."""

    code = "invalid_state"


class ThreadStage(models.TextChoices):
    """The stages; each label is what the customer reads."""

    WAITING_VENDOR = "waiting_vendor", _("En attente de réponse du vendeur")
    ANSWERED = "answered", _("Répondue")
    ESCALATED = "escalated", _("Transmise au service client")
    RESOLVED = "resolved", _("Résolue")
    CLOSED = "closed", _("Clôturée")


class ThreadAction(StrEnum):
    CUSTOMER_WRITE = "customer_write"  # to the vendor
    CUSTOMER_WRITE_OPERATOR = "customer_write_operator"  # the operator handles the thread
    VENDOR_WRITE = "vendor_write"
    AGENT_WRITE = "agent_write"  # an agent answers (customer and vendor read it)
    AGENT_WRITE_VENDOR = "agent_write_vendor"  # an agent writes to the vendor only
    ESCALATE = "escalate"  # the customer's "Non" (CS-2), or an agent taking over
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"  # staff


class ThreadEventKind(models.TextChoices):
    OPENED = "opened", _("Demande ouverte")
    CUSTOMER_WROTE = "customer_wrote", _("Message du client")
    VENDOR_WROTE = "vendor_wrote", _("Réponse du vendeur")
    AGENT_WROTE = "agent_wrote", _("Réponse du service client")
    AGENT_WROTE_VENDOR = "agent_wrote_vendor", _("Message du service client au vendeur")
    NOTE_ADDED = "note_added", _("Note interne")
    ESCALATED = "escalated", _("Transmise au service client")
    RESOLVED = "resolved", _("Résolue")
    CLOSED = "closed", _("Clôturée")
    REOPENED = "reopened", _("Rouverte")
    ASSIGNED = "assigned", _("Attribuée")
    REMINDER_SENT = "reminder_sent", _("Relance envoyée au vendeur")
    # The console's actions on the order and the account (allies.backoffice.services).
    REFUNDED = "refunded", _("Remboursement par le service client")
    VENDOR_ORDER_CANCELLED = "vendor_order_cancelled", _("Commande vendeur annulée")
    ACCOUNT_REOPENED = "account_reopened", _("Compte client rouvert")


@dataclass(frozen=True)
class Stage:
    vendor_label: Promise  # the vendor portal's word
    staff_label: Promise  # the customer-service console's word


S, A = ThreadStage, ThreadAction

THREAD_STAGES: dict[ThreadStage, Stage] = {
    S.WAITING_VENDOR: Stage(_("À répondre"), _("Chez le vendeur")),
    S.ANSWERED: Stage(_("Répondue"), _("Répondue par le vendeur")),
    S.ESCALATED: Stage(_("Transmise au service client"), _("Au service client")),
    S.RESOLVED: Stage(_("Résolue"), _("Résolue")),
    S.CLOSED: Stage(_("Clôturée"), _("Clôturée")),
}

THREAD_TRANSITIONS: dict[tuple[ThreadStage, ThreadAction], ThreadStage] = {
    # The customer writes to the vendor: a new wait (or the same one, while waiting). Writing
    # in a resolved thread reopens it.
    (S.WAITING_VENDOR, A.CUSTOMER_WRITE): S.WAITING_VENDOR,
    (S.ANSWERED, A.CUSTOMER_WRITE): S.WAITING_VENDOR,
    (S.RESOLVED, A.CUSTOMER_WRITE): S.WAITING_VENDOR,
    # Once the operator handled a thread (escalated, or a contact-form request), it stays
    # with the operator.
    (S.ESCALATED, A.CUSTOMER_WRITE_OPERATOR): S.ESCALATED,
    (S.RESOLVED, A.CUSTOMER_WRITE_OPERATOR): S.ESCALATED,
    (S.WAITING_VENDOR, A.VENDOR_WRITE): S.ANSWERED,
    (S.ANSWERED, A.VENDOR_WRITE): S.ANSWERED,
    (S.ESCALATED, A.VENDOR_WRITE): S.ESCALATED,
    (S.RESOLVED, A.VENDOR_WRITE): S.RESOLVED,
    (S.WAITING_VENDOR, A.AGENT_WRITE): S.WAITING_VENDOR,
    (S.ANSWERED, A.AGENT_WRITE): S.ANSWERED,
    (S.ESCALATED, A.AGENT_WRITE): S.ESCALATED,
    (S.RESOLVED, A.AGENT_WRITE): S.RESOLVED,
    (S.WAITING_VENDOR, A.AGENT_WRITE_VENDOR): S.WAITING_VENDOR,
    (S.ANSWERED, A.AGENT_WRITE_VENDOR): S.ANSWERED,
    (S.ESCALATED, A.AGENT_WRITE_VENDOR): S.ESCALATED,
    (S.RESOLVED, A.AGENT_WRITE_VENDOR): S.RESOLVED,
    # CS-2: "Non" after a vendor answer, or once the vendor's 48 h passed (checked by
    # `services.thread_escalate`, the table cannot see the clock).
    (S.WAITING_VENDOR, A.ESCALATE): S.ESCALATED,
    (S.ANSWERED, A.ESCALATE): S.ESCALATED,
    (S.WAITING_VENDOR, A.RESOLVE): S.RESOLVED,
    (S.ANSWERED, A.RESOLVE): S.RESOLVED,
    (S.ESCALATED, A.RESOLVE): S.RESOLVED,
    (S.WAITING_VENDOR, A.CLOSE): S.CLOSED,
    (S.ANSWERED, A.CLOSE): S.CLOSED,
    (S.ESCALATED, A.CLOSE): S.CLOSED,
    (S.RESOLVED, A.CLOSE): S.CLOSED,
    (S.RESOLVED, A.REOPEN): S.ESCALATED,
    (S.CLOSED, A.REOPEN): S.ESCALATED,
}

THREAD_ACTION_EVENTS: dict[ThreadAction, ThreadEventKind] = {
    A.CUSTOMER_WRITE: ThreadEventKind.CUSTOMER_WROTE,
    A.CUSTOMER_WRITE_OPERATOR: ThreadEventKind.CUSTOMER_WROTE,
    A.VENDOR_WRITE: ThreadEventKind.VENDOR_WROTE,
    A.AGENT_WRITE: ThreadEventKind.AGENT_WROTE,
    A.AGENT_WRITE_VENDOR: ThreadEventKind.AGENT_WROTE_VENDOR,
    A.ESCALATE: ThreadEventKind.ESCALATED,
    A.RESOLVE: ThreadEventKind.RESOLVED,
    A.CLOSE: ThreadEventKind.CLOSED,
    A.REOPEN: ThreadEventKind.REOPENED,
}

# Stages in which someone still owes an answer or may write; closed is final but for staff.
OPEN_STAGES = frozenset({S.WAITING_VENDOR, S.ANSWERED, S.ESCALATED})
# Stages the thread can only be in while a vendor takes part.
VENDOR_STAGES = frozenset({S.WAITING_VENDOR, S.ANSWERED})
# The fields `thread_transition` reads from the locked row and may write.
CLOCK_FIELDS = (
    "stage",
    "vendor_due_at",
    "operator_due_at",
    "answer_owed_since",
    "vendor_reminded_at",
    "vendor_breaches",
    "operator_breaches",
    "escalated_at",
    "resolved_at",
    "closed_at",
)

del S, A


def thread_stages_allowing(action: ThreadAction) -> frozenset[ThreadStage]:
    """The stages from which `action` is allowed (read from the table)."""
    return frozenset(src for (src, act) in THREAD_TRANSITIONS if act == action)


# --- the clocks -----------------------------------------------------------------------------


def vendor_answer_hours() -> int:
    return int(settings.SUPPORT_VENDOR_ANSWER_HOURS)


def operator_answer_hours() -> int:
    return int(settings.SUPPORT_OPERATOR_ANSWER_HOURS)


# The motifs of an after-sales claim (`support.models.Motif`, the claim's problem): there
# the vendor's 48 hours are business hours, French public holidays excluded (SAV-2).
CLAIM_MOTIFS = frozenset({"damaged", "incomplete", "not_as_described"})


def vendor_due(start: datetime, *, motif: str = "") -> datetime:
    """CS-1: the vendor answers within 48 h of the customer's message; for a claim, within 48
    business hours (SAV-2)."""
    if motif in CLAIM_MOTIFS:
        return add_business_hours(start, vendor_answer_hours())
    return start + timedelta(hours=vendor_answer_hours())


def operator_due(start: datetime) -> datetime:
    """CS-2: the operator intervenes within 24 h of the escalation."""
    return start + timedelta(hours=operator_answer_hours())


# The sort key of a thread with no running clock: after every deadline.
SORT_LAST = datetime(9999, 12, 31, tzinfo=UTC)


def sort_keys(vendor_due_at: datetime | None, operator_due_at: datetime | None) -> dict[str, Any]:
    """The lists' sort keys for these clocks (module docstring): the vendor's inbox orders by
    `vendor_sort_at`, the console's queue by `queue_sort_at`, each ascending."""
    return {
        "vendor_sort_at": vendor_due_at or SORT_LAST,
        "queue_sort_at": operator_due_at or vendor_due_at or SORT_LAST,
    }


def vendor_late_q(now: datetime, prefix: str = "") -> Q:
    """Threads whose vendor's clock ran out with no answer."""
    return Q(**{f"{prefix}stage": ThreadStage.WAITING_VENDOR, f"{prefix}vendor_due_at__lt": now})


def operator_late_q(now: datetime, prefix: str = "") -> Q:
    """Threads whose operator's clock ran out with no answer to the customer."""
    return Q(**{f"{prefix}stage": ThreadStage.ESCALATED, f"{prefix}operator_due_at__lt": now})


@dataclass(frozen=True)
class AnswerTiming:
    """How long an answer took against the clock it met (VEN-1's response-time record)."""

    seconds: int
    on_time: bool


def answer_timing(row: Any, action: ThreadAction, now: datetime) -> AnswerTiming | None:
    """The timing of the answer `action` gives from the thread state `row`, if it meets a
    clock: a vendor's message while the vendor owes one, an agent's answer to the customer
    while the operator owes one."""
    due = None
    if action == ThreadAction.VENDOR_WRITE and row.stage == ThreadStage.WAITING_VENDOR:
        due = row.vendor_due_at
    elif action == ThreadAction.AGENT_WRITE and row.stage == ThreadStage.ESCALATED:
        due = row.operator_due_at
    if due is None or row.answer_owed_since is None:
        return None
    seconds = max(0, int((now - row.answer_owed_since).total_seconds()))
    return AnswerTiming(seconds=seconds, on_time=now <= due)


def _clock_changes(
    row: Any, target: ThreadStage, action: ThreadAction, now: datetime
) -> dict[str, Any]:
    """The clock fields after `action` takes the thread `row` to `target` (module docstring)."""
    vendor_at, operator_at = row.vendor_due_at, row.operator_due_at
    owed_since = row.answer_owed_since
    changes: dict[str, Any] = {}
    # The vendor's clock runs exactly while the thread waits for the vendor.
    if target == ThreadStage.WAITING_VENDOR:
        if row.stage != ThreadStage.WAITING_VENDOR or vendor_at is None:
            vendor_at, owed_since = vendor_due(now, motif=row.motif), now
            changes["vendor_reminded_at"] = None
    elif vendor_at is not None:
        if vendor_at < now:
            changes["vendor_breaches"] = row.vendor_breaches + 1
        vendor_at = None
    # The operator's clock runs while escalated and the customer waits for the operator.
    if target == ThreadStage.ESCALATED:
        if action in (ThreadAction.ESCALATE, ThreadAction.REOPEN) or (
            action == ThreadAction.CUSTOMER_WRITE_OPERATOR and operator_at is None
        ):
            operator_at, owed_since = operator_due(now), now
        elif action == ThreadAction.AGENT_WRITE and operator_at is not None:
            if operator_at < now:
                changes["operator_breaches"] = row.operator_breaches + 1
            operator_at = None
    elif operator_at is not None:
        if operator_at < now:
            changes["operator_breaches"] = row.operator_breaches + 1
        operator_at = None
    if vendor_at is None and operator_at is None:
        owed_since = None
    changes.update(
        vendor_due_at=vendor_at,
        operator_due_at=operator_at,
        answer_owed_since=owed_since,
        **sort_keys(vendor_at, operator_at),
    )
    return changes


def _stamp_changes(row: Any, target: ThreadStage, now: datetime) -> dict[str, Any]:
    """The moments of the stages: escalated_at once the operator takes part (kept), resolved_at
    while resolved (and after, if closed from there), closed_at while closed."""
    changes: dict[str, Any] = {}
    if target == ThreadStage.ESCALATED and row.stage != ThreadStage.ESCALATED:
        changes["escalated_at"] = now
    if target == ThreadStage.RESOLVED and row.stage != ThreadStage.RESOLVED:
        changes["resolved_at"] = now
    if target in OPEN_STAGES:
        changes["resolved_at"] = None
        changes["closed_at"] = None
    if target == ThreadStage.CLOSED:
        changes["closed_at"] = now
    return changes


# --- events ---------------------------------------------------------------------------------


def _actor_fields(actor: ThreadActor | None) -> dict[str, Any]:
    if actor is None:
        actor = Actor.system()
    if isinstance(actor, EmailIdentity):
        return {
            "actor_kind": actor.kind,
            "actor_id": None,
            "api_key_id": None,
            "actor_email": actor.email,
        }
    if not isinstance(actor, Actor):
        raise TypeError(f"the actor of a thread event is an Actor, not {type(actor).__name__}")
    return {
        "actor_kind": actor.kind,
        "actor_id": actor.user_id,
        "api_key_id": actor.api_key_id,
        "actor_email": "",
    }


def thread_event_add(
    *, thread: Thread, kind: ThreadEventKind | str, actor: ThreadActor | None, **data: Any
) -> None:
    """Write one audit-trail event of `thread`. `actor` None means the system."""
    if kind not in ThreadEventKind.values:
        raise ValueError(f"unknown thread event kind {kind!r}")
    thread.events.create(vendor_id=thread.vendor_id, kind=kind, data=data, **_actor_fields(actor))


# --- the one function that moves a thread -------------------------------------------------


def initial_stage(*, has_vendor: bool) -> ThreadStage:
    """A question to a vendor waits for the vendor; a contact-form request goes to the
    operator's queue."""
    return ThreadStage.WAITING_VENDOR if has_vendor else ThreadStage.ESCALATED


@transaction.atomic
def thread_create(
    *, fields: dict[str, Any], actor: ThreadActor | None, now: datetime | None = None
) -> Thread:
    """Create a thread in its first stage, its clock started, with its OPENED event."""
    from allies.support.models import Thread

    now = now or timezone.now()
    stage = initial_stage(has_vendor=fields.get("vendor") is not None)
    clocks: dict[str, Any] = {"answer_owed_since": now}
    if stage == ThreadStage.WAITING_VENDOR:
        clocks["vendor_due_at"] = vendor_due(now, motif=fields.get("motif", ""))
    else:
        clocks["operator_due_at"] = operator_due(now)
        clocks["escalated_at"] = now
    clocks.update(sort_keys(clocks.get("vendor_due_at"), clocks.get("operator_due_at")))
    thread = Thread.objects.create(stage=stage, **clocks, **fields)
    thread_event_add(thread=thread, kind=ThreadEventKind.OPENED, actor=actor, to=stage)
    return thread


@transaction.atomic
def thread_transition(
    *,
    thread: Thread,
    action: ThreadAction,
    actor: ThreadActor | None,
    now: datetime | None = None,
    **event_data: Any,
) -> Thread:
    """Move `thread` by `action`, or raise TransitionNotAllowed and change nothing.

    Locks the row and reads its stage and clocks from the database (the instance may be
    stale), sets the stage's moment, moves the clocks (module docstring), saves with
    `updated_at`, and records the action's event with `actor` and `event_data` (its `from`
    and `to` stages added). The instance is updated in place and returned.
    """
    from allies.support.models import Thread

    action = ThreadAction(action)
    locked = Thread.objects.select_for_update().only(*CLOCK_FIELDS, "motif").get(pk=thread.pk)
    source = ThreadStage(locked.stage)
    target = THREAD_TRANSITIONS.get((source, action))
    if target is None:
        raise TransitionNotAllowed(f"thread {thread.pk}: {action} from {source}")
    if target in VENDOR_STAGES and thread.vendor_id is None:
        raise TransitionNotAllowed(f"thread {thread.pk} has no vendor to wait for")
    if target in VENDOR_STAGES and locked.escalated_at is not None:
        # Once with the operator, a thread stays there (`customer_write_action`).
        raise TransitionNotAllowed(f"thread {thread.pk} is handled by the operator")
    now = now or timezone.now()
    fields: dict[str, Any] = {
        "stage": target,
        **_clock_changes(locked, target, action, now),
        **_stamp_changes(locked, target, now),
    }
    for name in CLOCK_FIELDS:  # the instance catches up with the row, then moves
        setattr(thread, name, getattr(locked, name))
    for name, value in fields.items():
        setattr(thread, name, value)
    thread.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    thread_event_add(
        thread=thread,
        kind=THREAD_ACTION_EVENTS[action],
        actor=actor,
        **{"from": source.value, "to": target.value, **event_data},
    )
    return thread


def customer_write_action(thread: Thread) -> ThreadAction:
    """What a customer's message does: it goes to the vendor, unless the operator handles the
    thread (a contact-form request, or one escalated before)."""
    if thread.vendor_id is None or thread.escalated_at is not None:
        return ThreadAction.CUSTOMER_WRITE_OPERATOR
    return ThreadAction.CUSTOMER_WRITE


def is_staff_actor(actor: ThreadActor | None) -> bool:
    return isinstance(actor, Actor) and actor.kind == ActorKind.STAFF
