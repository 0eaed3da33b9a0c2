"""Closing delivered vendor orders once nothing can come back (Mirakl CLOSED).

A delivered vendor order stays open while the customer may still change their mind: RET-1
gives 14 calendar days from receipt to ask for a return. Once that window has passed with no
after-sales request open, the vendor order is "Clôturée" for the vendor (the customer still
reads "Livrée"). The periodic job `tasks.vendor_orders_close` (queued for each delivery's
window end) and the command `orders_close_due` run `vendor_orders_close_due`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from allies.core.deadlines import add_calendar_days
from allies.core.hooks import hook_call
from allies.orders.events import SYSTEM
from allies.orders.models import VendorOrder
from allies.orders.states import TransitionNotAllowed, VendorOrderAction, vendor_order_transition

WITHDRAWAL_DAYS = 14  # RET-1, calendar days from delivery


def withdrawal_window_end(delivered_at: datetime) -> datetime:
    """The first moment after the withdrawal window of a delivery at `delivered_at`.

    The day of delivery does not count and the last day counts whole (the usual reading of
    a legal delay in days): delivered on 1 December, the customer may ask until 15 December
    at midnight, Paris time.
    """
    last_day = add_calendar_days(timezone.localdate(delivered_at), WITHDRAWAL_DAYS)
    return timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))


def vendor_order_has_open_after_sales(vendor_order: VendorOrder) -> bool:
    """Whether a return (RET) or a claim (SAV) of this vendor order is still being handled:
    the after-sales app answers the hook `vendor_order_after_sales_open` (it sits above
    orders); closing waits while any receiver says so."""
    return any(hook_call("vendor_order_after_sales_open", vendor_order=vendor_order))


def vendor_orders_close_due(*, now: datetime | None = None) -> int:
    """Close every delivered vendor order whose withdrawal window has passed with nothing
    open; returns how many were closed. Idempotent, safe to run at any time."""
    now = now or timezone.now()
    # The window is at least WITHDRAWAL_DAYS full days: a cheap first cut in the database.
    candidates = VendorOrder.objects.filter(
        status=VendorOrder.Status.DELIVERED,
        delivered_at__lte=now - timedelta(days=WITHDRAWAL_DAYS),
    ).order_by("delivered_at", "id")
    closed = 0
    for vendor_order in candidates.select_related("order"):
        delivered_at = vendor_order.delivered_at
        if delivered_at is None or withdrawal_window_end(delivered_at) > now:
            continue
        if vendor_order_has_open_after_sales(vendor_order):
            continue
        try:
            with transaction.atomic():
                vendor_order_transition(
                    vendor_order=vendor_order, action=VendorOrderAction.CLOSE, actor=SYSTEM, now=now
                )
        except TransitionNotAllowed:
            continue  # closed meanwhile by a concurrent run
        closed += 1
    return closed
