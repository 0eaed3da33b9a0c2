"""Reading orders. A customer only ever reaches their own orders; a vendor only its own
vendor orders (and only once paid)."""

from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from allies.orders.models import (
    Order,
    OrderEvent,
    OrderLine,
    Parcel,
    Shipment,
    ShipmentLine,
    VendorOrder,
)
from allies.orders.timeline import vendor_order_timeline


def _shipments_prefetch() -> Prefetch:
    return Prefetch(
        "shipments",
        queryset=Shipment.objects.order_by("shipped_at", "id").prefetch_related(
            Prefetch("parcels", queryset=Parcel.objects.order_by("index")),
            Prefetch(
                "lines", queryset=ShipmentLine.objects.select_related("order_line").order_by("id")
            ),
        ),
    )


def _with_details(qs: QuerySet) -> QuerySet:
    """Vendor orders and their lines: what "Mes achats" and the confirmation email show."""
    return qs.prefetch_related(
        Prefetch(
            "vendor_orders",
            queryset=VendorOrder.objects.select_related("vendor").prefetch_related(
                Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
            ),
        )
    )


def _with_fulfilment(qs: QuerySet) -> QuerySet:
    """Everything the order page shows, in a fixed number of queries whatever the size:
    vendor orders, lines, shipments with parcels and contents, and the timeline events."""
    return qs.prefetch_related(
        Prefetch(
            "vendor_orders",
            queryset=VendorOrder.objects.select_related("vendor").prefetch_related(
                Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
                _shipments_prefetch(),
                Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id")),
            ),
        )
    )


def customer_orders(*, customer) -> QuerySet:
    """Every order of the customer that went as far as payment, newest first."""
    return _with_details(Order.objects.filter(customer=customer).order_by("-created_at", "-id"))


def customer_order_get(*, customer, reference: str) -> Order:
    """One of the customer's orders, or 404 (another customer's order does not exist).

    Each vendor order carries `timeline` (timeline.TimelineEntry list, oldest first) and
    `refunded` (what its refused or cancelled lines gave back); the order, `refunded` too.
    """
    order = _with_fulfilment(Order.objects.filter(customer=customer, reference=reference)).first()
    if order is None:
        raise Http404
    order.refunded = Decimal("0")
    for vendor_order in order.vendor_orders.all():
        vendor_order.order = order  # the timeline reads validated_at without a query
        vendor_order.timeline = vendor_order_timeline(vendor_order)
        vendor_order.refunded = sum(
            (line.refunded_amount for line in vendor_order.lines.all() if line.is_refunded),
            start=Decimal("0"),
        )
        order.refunded += vendor_order.refunded
    return order


# --- vendor side --------------------------------------------------------------------------

# Mirakl states (VendorOrder.mirakl_state) as filters, for the vendor API's OR11-like list.
MIRAKL_FILTERS = {
    "WAITING_ACCEPTANCE": {"status": VendorOrder.Status.PREPARING, "accepted_at__isnull": True},
    "SHIPPING": {"status": VendorOrder.Status.PREPARING, "accepted_at__isnull": False},
    "SHIPPED": {"status": VendorOrder.Status.SHIPPED},
    "RECEIVED": {"status": VendorOrder.Status.DELIVERED},
    "CLOSED": {"status": VendorOrder.Status.CLOSED},
    "REFUSED": {"status": VendorOrder.Status.REFUSED},
    "CANCELED": {"status": VendorOrder.Status.CANCELLED},
}


def _vendor_scope(vendor) -> QuerySet:
    # Only paid orders reach a vendor: an unpaid or abandoned checkout is not an order to serve.
    return VendorOrder.objects.filter(
        vendor_id=getattr(vendor, "pk", vendor), order__validated_at__isnull=False
    )


def _vendor_details(qs: QuerySet) -> QuerySet:
    return qs.select_related("order", "order__customer", "vendor").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
        _shipments_prefetch(),
    )


def vendor_orders_for(
    *,
    vendor,
    status: str | list[str] | None = None,
    updated_since: datetime | None = None,
) -> QuerySet:
    """The vendor's paid vendor orders, newest first, with lines and shipments prefetched.

    `status`: our status values ("preparing", "shipped"…) or Mirakl states
    ("WAITING_ACCEPTANCE", "SHIPPING", "SHIPPED", "RECEIVED"…), one or a list. An unknown
    value matches nothing. `updated_since`: changed at or after that moment (every change of a
    vendor order moves its `updated_at`).
    """
    qs = _vendor_scope(vendor)
    if status:
        wanted = [status] if isinstance(status, str) else list(status)
        condition = Q(pk__in=[])
        for value in wanted:
            if value in MIRAKL_FILTERS:
                condition |= Q(**MIRAKL_FILTERS[value])
            elif value in VendorOrder.Status.values:
                condition |= Q(status=value)
        qs = qs.filter(condition)
    if updated_since is not None:
        qs = qs.filter(updated_at__gte=updated_since)
    return _vendor_details(qs).order_by("-created_at", "-id")


def vendor_order_get(*, vendor, pk: int) -> VendorOrder:
    """One of the vendor's vendor orders, or 404 (another vendor's does not exist)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    found = _vendor_details(_vendor_scope(vendor).filter(pk=pk)).first()
    if found is None:
        raise Http404
    return found
