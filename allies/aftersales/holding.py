"""Which units of a delivered vendor order an after-sales request may still take: shipped,
not refunded, and not held by another open return or claim. One rule for both flows, so a
unit is never returned and claimed at once."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Sum

from allies.aftersales.claim_states import OPEN_STATUSES as CLAIM_OPEN
from allies.aftersales.models import ClaimItem, ReturnItem
from allies.aftersales.return_states import ReturnStatus
from allies.orders.models import OrderLine, ShipmentLine, VendorOrder

# Units of a line that a return still holds (asked, on its way, sent back, or rejected and
# sent back to the customer: those are not returnable again).
RETURN_HOLDING = frozenset(
    {
        ReturnStatus.REQUESTED,
        ReturnStatus.ACCEPTED,
        ReturnStatus.SENT,
        ReturnStatus.RECEIVED,
        ReturnStatus.REJECTED,
    }
)


@dataclass(frozen=True)
class Available:
    line: OrderLine
    quantity: int  # units a new request may take


def units_held(*, vendor_order: VendorOrder) -> Counter[int]:
    """Units per line held by returns and open claims of `vendor_order` (two queries)."""
    held: Counter[int] = Counter()
    for source, statuses in (
        (ReturnItem.objects.filter(request__vendor_order=vendor_order), RETURN_HOLDING),
        (ClaimItem.objects.filter(claim__vendor_order=vendor_order), CLAIM_OPEN),
    ):
        status_field = "request__status" if source.model is ReturnItem else "claim__status"
        rows = (
            source.filter(**{f"{status_field}__in": statuses})
            .values("order_line_id")
            .annotate(n=Sum("quantity"))
            .values_list("order_line_id", "n")
        )
        for line_id, count in rows:
            held[line_id] += count
    return held


def available_units(*, vendor_order: VendorOrder) -> list[Available]:
    """The units a new return or claim may take, line by line (four queries)."""
    lines = list(OrderLine.objects.filter(vendor_order=vendor_order).order_by("id"))
    held = units_held(vendor_order=vendor_order)
    shipped = dict(
        ShipmentLine.objects.filter(order_line__vendor_order=vendor_order)
        .values("order_line_id")
        .annotate(n=Sum("quantity"))
        .values_list("order_line_id", "n")
    )
    result = []
    for line in lines:
        if line.status != OrderLine.Status.ACCEPTED:
            continue
        left = min(shipped.get(line.pk, 0), line.quantity) - line.refunded_quantity
        left -= held.get(line.pk, 0)
        if left > 0:
            result.append(Available(line=line, quantity=left))
    return result
