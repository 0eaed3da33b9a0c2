"""The simulated carrier of the demo and default setup: it delivers every parcel
CARRIER_SIMULATED_DELIVERY_WORKING_DAYS working days after its shipment left, through the
same path as a real carrier's webhook (`shipments.tracking_events_apply`). Off with
CARRIER_SIMULATION=0 (settings.py) where real carriers report.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from allies.core.deadlines import add_business_hours
from allies.orders.models import Shipment
from allies.orders.shipments import tracking_events_apply
from allies.orders.states import IN_TRANSIT
from allies.shipping import tracking


def simulated_delivery_working_days() -> int:
    return settings.CARRIER_SIMULATED_DELIVERY_WORKING_DAYS


def carrier_simulation_enabled() -> bool:
    return settings.CARRIER_SIMULATION


def carrier_simulate_deliveries(*, now: datetime | None = None, days: int | None = None) -> int:
    """The simulated carrier delivers every parcel CARRIER_SIMULATED_DELIVERY_WORKING_DAYS
    working days after its shipment left (demo and default setup; off with
    CARRIER_SIMULATION=0). Goes through the same path as a real webhook. Returns how many
    parcels it delivered."""
    if not carrier_simulation_enabled():
        return 0
    now = now or timezone.now()
    days = simulated_delivery_working_days() if days is None else max(0, days)
    adapter = tracking.ADAPTERS[tracking.SimulatedAdapter.code]
    pending = (
        Shipment.objects.filter(
            delivered_at__isnull=True,
            # N working days are at least N calendar days: a cheap first cut.
            shipped_at__lte=now - timedelta(days=days),
            vendor_order__status__in=IN_TRANSIT,
        )
        .prefetch_related("parcels")
        .order_by("shipped_at", "id")
    )
    events: list[tracking.TrackingEvent] = []
    for shipment in pending:
        due = add_business_hours(shipment.shipped_at, 24 * days)
        if due > now:
            continue
        events.extend(
            tracking.TrackingEvent(
                tracking_number=parcel.tracking_number,
                event=tracking.DELIVERED,
                at=due,
                carrier=shipment.carrier,
            )
            for parcel in shipment.parcels.all()
            if parcel.delivered_at is None
        )
    return tracking_events_apply(adapter=adapter, events=events).applied
