"""Reading after-sales claims with their access rules: the vendor portal's "Réclamations" list
and its filters, one claim of the acting vendor, one photo of it, and the dashboard's counts
(VEN-2, SAV-1…4).

A vendor reads its own claims only (`vendor_id` is on every row): another vendor's claim
raises `ClaimForbidden`, exactly as a missing one, and pages answer 404.

The list is ordered by urgency. A claim's answer is due 48 business hours after it was made
(SAV-2), and the later steps follow from that answer, so within a stage the oldest claim is
the most urgent and the (vendor, status, created_at, id) index `claim_vendor` serves the
order without a sort. Closed claims come last, the newest first. A page costs one query
whatever its length (the order and the customer are joined, the units counted by a
subquery); the counts one query.
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

from allies.aftersales.claim_states import OPEN_STATUSES, ClaimStatus
from allies.aftersales.errors import ClaimForbidden
from allies.aftersales.models import Claim, ClaimItem, ClaimPhoto

S = ClaimStatus
CLOSED_STATUSES = frozenset(ClaimStatus) - OPEN_STATUSES


class ClaimFilter(StrEnum):
    """The tabs of the portal's "Réclamations"."""

    TO_HANDLE = "to_handle"  # requested: answer within 48 business hours
    WAITING = "waiting"  # awaiting_return: the item comes back
    TO_INSPECT = "to_inspect"  # received: inspect, then settle or reject
    LATE = "late"  # requested, its answer past due
    CLOSED = "closed"  # refunded, reshipped, refused, rejected, cancelled
    ALL = "all"


FILTER_STATUSES: dict[ClaimFilter, frozenset[ClaimStatus]] = {
    ClaimFilter.TO_HANDLE: frozenset({S.REQUESTED}),
    ClaimFilter.WAITING: frozenset({S.AWAITING_RETURN}),
    ClaimFilter.TO_INSPECT: frozenset({S.RECEIVED}),
    ClaimFilter.LATE: frozenset({S.REQUESTED}),
    ClaimFilter.CLOSED: CLOSED_STATUSES,
}


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def claim_late_q(now: datetime, prefix: str = "") -> Q:
    """Claims the vendor has not answered within 48 business hours (SAV-2)."""
    return Q(**{f"{prefix}status": S.REQUESTED, f"{prefix}answer_due_at__lt": now})


def _units() -> Subquery:
    return Subquery(
        ClaimItem.objects.filter(claim=OuterRef("pk"))
        .order_by()
        .values("claim")
        .annotate(n=Sum("quantity"))
        .values("n"),
        output_field=IntegerField(),
    )


def claims_for_vendor(
    *, vendor: Any, filter: ClaimFilter = ClaimFilter.ALL, now: datetime | None = None
) -> QuerySet[Claim]:
    """The vendor's claims of one tab, the most urgent first (see the module's doc). Each
    row carries `units` (units claimed) and `is_late` (set by `claims_mark_late`, which the
    page calls on the rows it shows)."""
    if vendor is None:
        return Claim.objects.none()
    filter = ClaimFilter(filter)
    qs = Claim.objects.filter(vendor=vendor)
    statuses = FILTER_STATUSES.get(filter)
    if statuses is not None:
        qs = qs.filter(status__in=sorted(statuses))
    if filter == ClaimFilter.LATE:
        qs = qs.filter(answer_due_at__lt=_now(now))
    qs = qs.select_related("vendor_order__order", "customer").annotate(
        units=Coalesce(_units(), Value(0))
    )
    if filter == ClaimFilter.CLOSED:
        return qs.order_by("-created_at", "-id")
    if filter != ClaimFilter.ALL:
        return qs.order_by("created_at", "id")
    # Open claims first, the oldest (most urgent) on top; then the closed, the newest first:
    # one stored key and its index (`return_states.list_sort_at`), never a sort of every row.
    return qs.order_by("list_sort_at", "id")


def claims_mark_late(rows: Any, *, now: datetime | None = None) -> None:
    """Set `is_late` on rows of `claims_for_vendor` (no query): a claim still waiting for
    the vendor's answer past its 48 business hours."""
    now = _now(now)
    for row in rows:
        row.is_late = row.status == S.REQUESTED and row.answer_due_at < now


def _id(value: Any) -> int | None:
    text = str(value)
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        return None
    return int(text)


def claim_for_vendor(*, vendor: Any, claim_id: Any) -> Claim:
    """One claim of the acting vendor with what its page shows joined; ClaimForbidden
    (pages: 404) for another vendor's claim, exactly as for a missing one."""
    pk = _id(claim_id)
    found = None
    if vendor is not None and pk is not None:
        found = (
            Claim.objects.filter(pk=pk, vendor=vendor)
            .select_related("vendor_order__order", "customer", "thread", "vendor", "refund")
            .first()
        )
    if found is None:
        raise ClaimForbidden(_("Réclamation introuvable."), code="not_found")
    return found


def claim_photo_for_vendor(*, vendor: Any, claim_id: Any, photo_id: Any) -> ClaimPhoto:
    """One photo of one of the acting vendor's claims, its attachment joined; ClaimForbidden
    for a photo of another claim or another vendor's, exactly as for a missing one."""
    claim_pk, photo_pk = _id(claim_id), _id(photo_id)
    found = None
    if vendor is not None and claim_pk is not None and photo_pk is not None:
        found = (
            ClaimPhoto.objects.filter(
                pk=photo_pk, vendor=vendor, item__claim_id=claim_pk, item__claim__vendor=vendor
            )
            .select_related("attachment")
            .first()
        )
    if found is None:
        raise ClaimForbidden(_("Photo introuvable."), code="not_found")
    return found


@dataclass(frozen=True)
class VendorClaimCounts:
    """The dashboard's "Réclamations" card and the tabs' counts."""

    to_handle: int
    waiting: int
    to_inspect: int
    late: int  # claims past their 48 business hours answer (SAV-2)

    @property
    def to_do(self) -> int:
        """Claims waiting for the vendor: to answer or to inspect."""
        return self.to_handle + self.to_inspect

    @property
    def open(self) -> int:
        return self.to_handle + self.waiting + self.to_inspect


def vendor_claim_counts(*, vendor: Any, now: datetime | None = None) -> VendorClaimCounts:
    """One query over the vendor's open claims (the index's (vendor, status) prefix)."""
    now = _now(now)
    if vendor is None:
        return VendorClaimCounts(0, 0, 0, 0)
    row = Claim.objects.filter(vendor=vendor, status__in=sorted(OPEN_STATUSES)).aggregate(
        to_handle=Count("pk", filter=Q(status=S.REQUESTED)),
        waiting=Count("pk", filter=Q(status=S.AWAITING_RETURN)),
        to_inspect=Count("pk", filter=Q(status=S.RECEIVED)),
        late=Count("pk", filter=claim_late_q(now)),
    )
    return VendorClaimCounts(**row)
