"""Reading returns with their access rules: the vendor portal's "Retours" list and its
filters, one return of the acting vendor, and the dashboard's counts (VEN-2, RET-1…6).

A vendor reads its own returns only (`vendor_id` is on every row): another vendor's return
raises `ReturnForbidden`, exactly as a missing one, and pages answer 404.

The list is ordered by urgency, the earliest deadline first. A return's deadlines all run
from its request (the 48 h answer clock of its thread starts with it, the refund is due 14
days after it, the send-back date 14 days after the acceptance that follows it), so within
a stage the oldest request is the most urgent, and the (vendor, status, created_at, id)
index serves the order without a sort. Closed returns come last, the newest first. A page
costs one query whatever its length (the order, the customer and the thread are joined,
the units counted by a subquery); the counts one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.aftersales.errors import ReturnForbidden
from allies.aftersales.models import ReturnItem, ReturnRequest
from allies.aftersales.return_states import OPEN_STATUSES, ReturnStatus

S = ReturnStatus
# The vendor's work per stage: answer, wait for the parcel, inspect and refund.
TO_INSPECT = frozenset({S.SENT, S.RECEIVED})
CLOSED_STATUSES = frozenset(ReturnStatus) - OPEN_STATUSES


class ReturnFilter(StrEnum):
    """The tabs of the portal's "Retours"."""

    TO_ACCEPT = "to_accept"  # requested: accept (or refuse a late request)
    WAITING = "waiting"  # accepted: the customer sends the parcel
    TO_INSPECT = "to_inspect"  # sent or received: inspect, then refund or reject
    CLOSED = "closed"  # refunded, refused, rejected, cancelled, expired
    ALL = "all"


FILTER_STATUSES: dict[ReturnFilter, frozenset[ReturnStatus]] = {
    ReturnFilter.TO_ACCEPT: frozenset({S.REQUESTED}),
    ReturnFilter.WAITING: frozenset({S.ACCEPTED}),
    ReturnFilter.TO_INSPECT: TO_INSPECT,
    ReturnFilter.CLOSED: CLOSED_STATUSES,
}


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def answer_late_q(now: datetime, prefix: str = "") -> Q:
    """Requests the vendor has not accepted or refused within 48 h (CS-1)."""
    return Q(**{f"{prefix}status": S.REQUESTED, f"{prefix}answer_due_at__lt": now})


def refund_late_q(now: datetime, prefix: str = "") -> Q:
    """Parcels on their way or back whose refund date (L221-24) has passed."""
    today = timezone.localdate(now)
    return Q(**{f"{prefix}status__in": TO_INSPECT, f"{prefix}refund_due_by__lt": today})


def _units() -> Subquery:
    return Subquery(
        ReturnItem.objects.filter(request=OuterRef("pk"))
        .order_by()
        .values("request")
        .annotate(n=Sum("quantity"))
        .values("n"),
        output_field=IntegerField(),
    )


def returns_for_vendor(
    *, vendor: Any, filter: ReturnFilter = ReturnFilter.ALL, now: datetime | None = None
) -> QuerySet[ReturnRequest]:
    """The vendor's returns of one tab, the most urgent first (see the module's doc). Each
    row carries `units` (units sent back) and `is_late` (set by `returns_mark_late`, which
    the page calls on the rows it shows)."""
    if vendor is None:
        return ReturnRequest.objects.none()
    filter = ReturnFilter(filter)
    qs = ReturnRequest.objects.filter(vendor=vendor)
    statuses = FILTER_STATUSES.get(filter)
    if statuses is not None:
        qs = qs.filter(status__in=sorted(statuses))
    qs = qs.select_related("vendor_order__order", "customer", "thread").annotate(
        units=Coalesce(_units(), Value(0))
    )
    if filter == ReturnFilter.CLOSED:
        return qs.order_by("-created_at", "-id")
    if filter != ReturnFilter.ALL:
        return qs.order_by("created_at", "id")
    # Open returns first, the oldest (most urgent) on top; then the closed, the newest first:
    # one stored key (`return_states.list_sort_at`) and its index, never a sort of every row.
    return qs.order_by("list_sort_at", "id")


def returns_mark_late(rows: Any, *, now: datetime | None = None) -> None:
    """Set `is_late` and `due` on rows of `returns_for_vendor` (no query): the deadline that
    matters in the row's stage, and whether it has passed."""
    now = _now(now)
    today = timezone.localdate(now)
    for row in rows:
        due: Any = None
        late = False
        if row.status == S.REQUESTED:
            due = row.answer_due_at
            late = due is not None and due < now
        elif row.status in TO_INSPECT:
            due = row.refund_due_by
            late = due < today
        elif row.status == S.ACCEPTED:
            due = row.send_back_by
        row.due = due
        row.is_late = late


def return_for_vendor(*, vendor: Any, return_id: Any) -> ReturnRequest:
    """One return of the acting vendor with what its page shows joined; ReturnForbidden
    (pages: 404) for another vendor's return, exactly as for a missing one."""
    text = str(return_id)
    if vendor is None or not text.isascii() or not text.isdigit() or len(text) > 12:
        raise ReturnForbidden(_("Retour introuvable."), code="not_found")
    found = (
        ReturnRequest.objects.filter(pk=int(text), vendor=vendor)
        .select_related("vendor_order__order", "customer", "thread", "vendor", "refund")
        .first()
    )
    if found is None:
        raise ReturnForbidden(_("Retour introuvable."), code="not_found")
    return found


@dataclass(frozen=True)
class VendorReturnCounts:
    """The dashboard's "Retours" card and the tabs' counts."""

    to_accept: int
    waiting: int
    to_inspect: int
    late_answer: int  # requests past their 48 h answer clock
    late_refund: int  # parcels past their refund date

    @property
    def late(self) -> int:
        return self.late_answer + self.late_refund

    @property
    def open(self) -> int:
        return self.to_accept + self.waiting + self.to_inspect


def vendor_return_counts(*, vendor: Any, now: datetime | None = None) -> VendorReturnCounts:
    """One query over the vendor's open returns (the index's (vendor, status) prefix)."""
    now = _now(now)
    if vendor is None:
        return VendorReturnCounts(0, 0, 0, 0, 0)
    row = ReturnRequest.objects.filter(vendor=vendor, status__in=sorted(OPEN_STATUSES)).aggregate(
        to_accept=Count("pk", filter=Q(status=S.REQUESTED)),
        waiting=Count("pk", filter=Q(status=S.ACCEPTED)),
        to_inspect=Count("pk", filter=Q(status__in=sorted(TO_INSPECT))),
        late_answer=Count("pk", filter=answer_late_q(now)),
        late_refund=Count("pk", filter=refund_late_q(now)),
    )
    return VendorReturnCounts(**row)
