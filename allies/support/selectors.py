"""Reading "Assistance en ligne" with its access rules: who sees which threads, messages and
attachments, the inbox and queue orders, and the dashboard counts.

- A customer sees their own threads and, in them, public messages only.
- A vendor (the acting vendor the portal or the API resolved) sees its own threads and, in
  them, public messages and the operator's messages to the vendor; never internal notes,
  never another vendor's threads.
- Staff of the customer service (`support.handle_thread`) see everything.
A thread or attachment outside these rules raises `ThreadNotFound`, exactly as a missing one.

Lists are querysets ordered by deadline, the late first (an earlier moment is more urgent,
so ascending order puts the breached ones on top), then by last change; each row carries
`is_late`. A list page costs one query whatever its length (the related rows it shows are
joined), a thread with its messages and attachments three, with its audit trail four; the
counts one each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db.models import (
    Avg,
    BooleanField,
    Count,
    ExpressionWrapper,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.orders.events import ActorKind
from allies.support.errors import SupportForbidden, ThreadNotFound
from allies.support.models import Attachment, Message, Thread, ThreadEvent, ThreadKind, Visibility
from allies.support.services import is_agent
from allies.support.states import (
    OPEN_STAGES,
    ThreadStage,
    operator_late_q,
    vendor_late_q,
)


class Audience(StrEnum):
    CUSTOMER = "customer"
    VENDOR = "vendor"
    STAFF = "staff"


VISIBLE: dict[Audience, frozenset[str]] = {
    Audience.CUSTOMER: frozenset({Visibility.PUBLIC}),
    Audience.VENDOR: frozenset({Visibility.PUBLIC, Visibility.VENDOR}),
    Audience.STAFF: frozenset(Visibility.values),
}


class ThreadFilter(StrEnum):
    """The inbox and queue filters (the portal's and the console's)."""

    ALL = "all"
    OPEN = "open"
    TO_ANSWER = "to_answer"  # vendor: waits for its answer; staff: the operator owes one
    LATE = "late"
    ESCALATED = "escalated"
    ANSWERED = "answered"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CONTACT = "contact"  # staff: contact-form requests


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _with_lateness(qs: QuerySet[Thread], now: datetime) -> QuerySet[Thread]:
    late = vendor_late_q(now) | operator_late_q(now)
    return qs.annotate(is_late=ExpressionWrapper(late, output_field=BooleanField()))


def _stage_filter(name: ThreadFilter) -> Q:
    return {
        ThreadFilter.ALL: Q(),
        ThreadFilter.OPEN: Q(stage__in=OPEN_STAGES),
        ThreadFilter.ESCALATED: Q(stage=ThreadStage.ESCALATED),
        ThreadFilter.ANSWERED: Q(stage=ThreadStage.ANSWERED),
        ThreadFilter.RESOLVED: Q(stage=ThreadStage.RESOLVED),
        ThreadFilter.CLOSED: Q(stage=ThreadStage.CLOSED),
        ThreadFilter.CONTACT: Q(kind=ThreadKind.CONTACT),
    }.get(name, Q())


# --- lists ----------------------------------------------------------------------------------


def threads_for_customer(*, customer: Any, now: datetime | None = None) -> QuerySet[Thread]:
    """ "Mes demandes" (ACC-8): the customer's own threads, the last changed first."""
    if customer is None or not customer.is_authenticated:
        return Thread.objects.none()
    return _with_lateness(
        Thread.objects.filter(customer=customer)
        .select_related("vendor", "order", "vendor_order", "product")
        .order_by("-updated_at", "-id"),
        _now(now),
    )


def threads_for_vendor(
    *,
    vendor: Any,
    filter: ThreadFilter = ThreadFilter.ALL,
    updated_since: datetime | None = None,
    now: datetime | None = None,
) -> QuerySet[Thread]:
    """The vendor's inbox (VEN-2): its threads, the next deadline first (the late on top),
    then the last changed. `updated_since`: the vendor API's incremental listing."""
    if vendor is None:
        return Thread.objects.none()
    now = _now(now)
    qs = Thread.objects.filter(vendor=vendor)
    filter = ThreadFilter(filter)
    if filter == ThreadFilter.TO_ANSWER:
        qs = qs.filter(stage=ThreadStage.WAITING_VENDOR)
    elif filter == ThreadFilter.LATE:
        # A late thread's sort key is its passed deadline: the range lets the index seek.
        qs = qs.filter(vendor_late_q(now), vendor_sort_at__lt=now)
    elif filter == ThreadFilter.CONTACT:
        return Thread.objects.none()  # contact-form requests have no vendor
    else:
        qs = qs.filter(_stage_filter(filter))
    if updated_since is not None:
        qs = qs.filter(updated_at__gt=updated_since)
    return _with_lateness(
        # vendor_sort_at is vendor_due_at, SORT_LAST when none runs (states.sort_keys): the
        # (vendor, vendor_sort_at, -updated_at, -id) index serves the order, no sort.
        qs.select_related("customer", "order", "vendor_order", "product").order_by(
            "vendor_sort_at", "-updated_at", "-id"
        ),
        now,
    )


def _staff_check(user: Any) -> None:
    if not is_agent(user):
        raise SupportForbidden(_("Cette page est réservée au service client."), code="staff_only")


def threads_for_staff(
    *,
    user: Any,
    filter: ThreadFilter = ThreadFilter.ESCALATED,
    vendor_id: int | None = None,
    agent_id: int | None = None,
    unassigned: bool = False,
    now: datetime | None = None,
) -> QuerySet[Thread]:
    """The customer-service console's queue (CS-5): by the running deadline, the late first
    (the operator's before the vendors'), then the last changed."""
    _staff_check(user)
    now = _now(now)
    filter = ThreadFilter(filter)
    qs = Thread.objects.all()
    if filter == ThreadFilter.TO_ANSWER:
        qs = qs.filter(stage=ThreadStage.ESCALATED, operator_due_at__isnull=False)
    elif filter == ThreadFilter.LATE:
        # A late thread's sort key is its passed deadline: the range lets the index seek.
        qs = qs.filter(vendor_late_q(now) | operator_late_q(now), queue_sort_at__lt=now)
    else:
        qs = qs.filter(_stage_filter(filter))
    if vendor_id is not None:
        qs = qs.filter(vendor_id=vendor_id)
    if agent_id is not None:
        qs = qs.filter(assigned_agent_id=agent_id)
    if unassigned:
        qs = qs.filter(assigned_agent__isnull=True)
    if filter in (ThreadFilter.RESOLVED, ThreadFilter.CLOSED):
        # No clock runs in these stages (states clears both): the same order without the sort
        # key, so the (stage, -updated_at) index serves it (bench/support_inbox.py).
        order: list[Any] = ["-updated_at", "-id"]
    else:
        # queue_sort_at is the operator's deadline, else the vendor's, SORT_LAST when none
        # runs (states.sort_keys; escalated threads have no vendor's clock): the
        # (queue_sort_at, -updated_at, -id) index serves the order, no sort.
        order = ["queue_sort_at", "-updated_at", "-id"]
    return _with_lateness(
        qs.select_related("customer", "vendor", "order", "vendor_order", "assigned_agent").order_by(
            *order
        ),
        now,
    )


# --- one thread -----------------------------------------------------------------------------


def _messages_prefetch(audience: Audience) -> Prefetch:
    return Prefetch(
        "messages",
        queryset=Message.objects.filter(visibility__in=VISIBLE[audience])
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id"),
        to_attr="visible_messages",
    )


def _one(qs: QuerySet[Thread], thread_id: Any, audience: Audience) -> Thread:
    try:
        pk = int(thread_id)
    except (TypeError, ValueError):
        raise ThreadNotFound() from None
    thread = (
        qs.filter(pk=pk)
        .select_related("customer", "vendor", "order", "vendor_order", "product", "offer")
        .prefetch_related(_messages_prefetch(audience))
        .first()
    )
    if thread is None:
        raise ThreadNotFound()
    return thread


def thread_for_customer(*, customer: Any, thread_id: Any) -> Thread:
    """One of the customer's threads with its public messages (`visible_messages`)."""
    if customer is None or not customer.is_authenticated:
        raise ThreadNotFound()
    return _one(Thread.objects.filter(customer=customer), thread_id, Audience.CUSTOMER)


def thread_for_vendor(*, vendor: Any, thread_id: Any) -> Thread:
    """One of the vendor's threads with the messages a vendor reads (`visible_messages`)."""
    if vendor is None:
        raise ThreadNotFound()
    return _one(Thread.objects.filter(vendor=vendor), thread_id, Audience.VENDOR)


def thread_for_staff(*, user: Any, thread_id: Any) -> Thread:
    """Any thread, every message (notes included) and its audit trail (`trail`)."""
    _staff_check(user)
    qs = Thread.objects.select_related("assigned_agent").prefetch_related(
        Prefetch(
            "events",
            queryset=ThreadEvent.objects.select_related("actor").order_by("created_at", "id"),
            to_attr="trail",
        )
    )
    return _one(qs, thread_id, Audience.STAFF)


def thread_messages(*, thread: Thread, audience: Audience) -> QuerySet[Message]:
    """The messages of `thread` that `audience` reads, oldest first, with their files."""
    return (
        Message.objects.filter(thread=thread, visibility__in=VISIBLE[Audience(audience)])
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def attachment_for_customer(*, customer: Any, attachment_id: Any) -> Attachment:
    if customer is None or not customer.is_authenticated:
        raise ThreadNotFound()
    return _attachment(Q(thread__customer=customer), attachment_id, Audience.CUSTOMER)


def attachment_for_vendor(*, vendor: Any, attachment_id: Any) -> Attachment:
    if vendor is None:
        raise ThreadNotFound()
    return _attachment(Q(vendor=vendor, thread__vendor=vendor), attachment_id, Audience.VENDOR)


def attachment_for_staff(*, user: Any, attachment_id: Any) -> Attachment:
    _staff_check(user)
    return _attachment(Q(), attachment_id, Audience.STAFF)


def _attachment(scope: Q, attachment_id: Any, audience: Audience) -> Attachment:
    try:
        pk = int(attachment_id)
    except (TypeError, ValueError):
        raise ThreadNotFound() from None
    found = (
        Attachment.objects.filter(scope, pk=pk, message__visibility__in=VISIBLE[audience])
        .select_related("message")
        .first()
    )
    if found is None:
        raise ThreadNotFound()
    return found


# --- counts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VendorInboxCounts:
    to_answer: int
    late: int
    escalated: int
    next_due_at: datetime | None


def vendor_inbox_counts(*, vendor: Any, now: datetime | None = None) -> VendorInboxCounts:
    """The portal dashboard's "Messages" card: one query."""
    now = _now(now)
    waiting = Q(stage=ThreadStage.WAITING_VENDOR)
    # Only the stages counted: the (vendor, stage, vendor_due_at) index then holds every
    # column read, however many closed threads the vendor has (bench/aftersales_lists.py).
    counted = [ThreadStage.WAITING_VENDOR, ThreadStage.ESCALATED]
    row = Thread.objects.filter(vendor=vendor, stage__in=counted).aggregate(
        to_answer=Count("pk", filter=waiting),
        late=Count("pk", filter=vendor_late_q(now)),
        escalated=Count("pk", filter=Q(stage=ThreadStage.ESCALATED)),
        next_due_at=Min("vendor_due_at", filter=waiting),
    )
    return VendorInboxCounts(**row)


@dataclass(frozen=True)
class StaffQueueCounts:
    to_answer: int
    late: int
    unassigned: int
    contact: int
    next_due_at: datetime | None


def staff_queue_counts(*, user: Any, now: datetime | None = None) -> StaffQueueCounts:
    """The console's counters: one query."""
    _staff_check(user)
    now = _now(now)
    owed = Q(stage=ThreadStage.ESCALATED, operator_due_at__isnull=False)
    # Only the rows some counter counts (escalated with the operator's clock running; a late
    # one has it too): the covering partial index `support_thread_operator_due` holds every
    # column read, so the counters never read the table (bench/support_inbox.py).
    row = Thread.objects.filter(owed).aggregate(
        to_answer=Count("pk"),
        late=Count("pk", filter=Q(operator_due_at__lt=now)),
        unassigned=Count("pk", filter=Q(assigned_agent__isnull=True)),
        contact=Count("pk", filter=Q(kind=ThreadKind.CONTACT)),
        next_due_at=Min("operator_due_at"),
    )
    return StaffQueueCounts(**row)


def staff_late_count(*, user: Any, now: datetime | None = None) -> int:
    """How many threads the console's unfiltered "En retard" list holds: the vendors' late
    plus the operator's late, two index-only counts (partial indexes on each deadline). Their
    stages are disjoint, so the sum is exact; one count of the OR reads every row of both
    (bench/support_inbox.py)."""
    _staff_check(user)
    now = _now(now)
    return (
        Thread.objects.filter(vendor_late_q(now)).count()
        + Thread.objects.filter(operator_late_q(now)).count()
    )


@dataclass(frozen=True)
class ResponseRecord:
    """VEN-1: how a vendor answers its messages."""

    answered: int  # answers that met a running clock
    on_time: int
    average_seconds: int | None
    missed: int  # clocks that ran out (answered late, or never answered)
    late_now: int  # questions waiting past their deadline right now

    @property
    def on_time_share(self) -> float | None:
        """Answers in time among every clock that ended (a late answer is a miss)."""
        total = self.on_time + self.missed
        return self.on_time / total if total else None


def vendor_response_record(
    *, vendor: Any, since: datetime | None = None, now: datetime | None = None
) -> ResponseRecord:
    """The vendor's response-time record for its profile (VEN-1): two queries."""
    now = _now(now)
    answers = Message.objects.filter(
        vendor=vendor,
        author_kind__in=[ActorKind.VENDOR_USER, ActorKind.API_KEY],
        on_time__isnull=False,
    )
    threads = Thread.objects.filter(vendor=vendor)
    if since is not None:
        answers = answers.filter(created_at__gte=since)
        threads = threads.filter(created_at__gte=since)
    timed = answers.aggregate(
        answered=Count("pk"),
        on_time=Count("pk", filter=Q(on_time=True)),
        average=Avg("response_seconds"),
    )
    clocks = threads.aggregate(
        missed=Coalesce(Sum("vendor_breaches"), 0), late_now=Count("pk", filter=vendor_late_q(now))
    )
    average = timed["average"]
    return ResponseRecord(
        answered=timed["answered"],
        on_time=timed["on_time"],
        average_seconds=round(average) if average is not None else None,
        missed=clocks["missed"],
        late_now=clocks["late_now"],
    )


# --- the customer's pages (issue 10, "The customer") ------------------------------------------


def offer_for_question(*, offer_id: Any) -> Any:
    """The offer a pre-sale question is about ("Posez une question", CAT-4), with its vendor
    and product: an active offer of an active vendor, else ThreadNotFound. One query."""
    from allies.catalog.models import Offer

    try:
        pk = int(offer_id)
    except (TypeError, ValueError):
        raise ThreadNotFound() from None
    offer = (
        Offer.objects.filter(pk=pk, is_active=True, vendor__is_active=True)
        .select_related("vendor", "variant__product")
        .first()
    )
    if offer is None:
        raise ThreadNotFound()
    return offer


def customer_may_escalate(*, thread: Thread, now: datetime | None = None) -> bool:
    """Whether the customer is asked "Votre demande est-elle en cours de traitement ou
    résolue ?" (CS-2): after the vendor's answer, or once the vendor's 48 h passed with
    none. The same rule `services.thread_escalate` applies to a customer."""
    if thread.stage == ThreadStage.ANSWERED:
        return True
    return (
        thread.stage == ThreadStage.WAITING_VENDOR
        and thread.vendor_due_at is not None
        and thread.vendor_due_at <= _now(now)
    )


def thread_customer_first_name(thread: Thread) -> str:
    """The customer as a vendor may read them: the first name only, never the address
    ("" when none was given)."""
    if thread.customer_id and thread.customer is not None:
        return str(thread.customer.first_name).strip()
    return (thread.contact_name.split() or [""])[0]
