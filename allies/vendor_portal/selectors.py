"""What the vendor portal reads: the dashboard's figures and the order lists by tab.

Everything here is scoped to one vendor (the portal's `request.vendor`) and runs a fixed
number of queries whatever the vendor's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone

from allies.catalog.models import Offer
from allies.catalog.offers import LOW_STOCK
from allies.invoices.selectors import vendor_invoice_requests_open
from allies.orders.models import OrderLine, VendorOrder
from allies.orders.selectors import vendor_orders_for
from allies.orders.states import IN_PREPARATION, SHIPPABLE

ZERO = Decimal("0")

# The order tabs of the portal: (slug, filter on the vendor's paid vendor orders).
TO_ACCEPT = Q(status=VendorOrder.Status.WAITING_ACCEPTANCE)
# Partially shipped orders still have units to hand to a carrier.
TO_SHIP = Q(status__in=SHIPPABLE)


def late_condition(now: datetime) -> Q:
    """Late: not answered by the acceptance deadline, or accepted but still not shipped on the
    first day the vendor promised delivery (its own delay, `delivery_min_date`)."""
    return (TO_ACCEPT & Q(acceptance_deadline__lt=now)) | (
        TO_SHIP & Q(delivery_min_date__lt=timezone.localdate(now))
    )


TABS = {
    "a-accepter": TO_ACCEPT,
    "a-expedier": TO_SHIP,
    "en-retard": None,  # depends on the time: see late_condition
    "expediees": Q(status=VendorOrder.Status.SHIPPED),
    "livrees": Q(status__in=[VendorOrder.Status.DELIVERED, VendorOrder.Status.CLOSED]),
    "annulees": Q(status__in=[VendorOrder.Status.REFUSED, VendorOrder.Status.CANCELLED]),
    "toutes": Q(),
}


def portal_orders(*, vendor, tab: str, now: datetime | None = None) -> QuerySet:
    condition = TABS.get(tab, Q())
    if tab == "en-retard":
        condition = late_condition(now or timezone.now())
    return vendor_orders_for(vendor=vendor).filter(condition)


RECORD_DAYS = 90
# How long before its payment a vendor order can have been created, at most (the checkout
# reserves the stock for minutes; a day is a wide margin).
CREATED_BEFORE_PAID = timedelta(days=1)


@dataclass
class ResponseRecord:
    """How the vendor kept its delays over the last RECORD_DAYS days (VEN-1)."""

    decided: int  # vendor orders accepted or refused
    on_time: int  # of which before the acceptance deadline
    average_hours: float | None  # from payment to the decision
    shipped: int
    shipped_on_time: int  # shipped by the first promised delivery day

    @property
    def on_time_percent(self) -> int | None:
        return round(100 * self.on_time / self.decided) if self.decided else None

    @property
    def shipped_on_time_percent(self) -> int | None:
        return round(100 * self.shipped_on_time / self.shipped) if self.shipped else None


def vendor_response_record(*, vendor, now: datetime | None = None) -> ResponseRecord:
    """Acceptance and shipping punctuality of the vendor's recent orders. Two queries."""
    now = now or timezone.now()
    since = now - timedelta(days=RECORD_DAYS)
    # A vendor order is created with its order, which is paid (validated) within the
    # checkout's reservation: the bound on `created_at` only lets the vendor's newest-first
    # index skip older orders; `validated_at` decides.
    recent = VendorOrder.objects.filter(
        vendor=vendor, created_at__gte=since - CREATED_BEFORE_PAID, order__validated_at__gte=since
    )
    decided = recent.filter(accepted_at__isnull=False)
    counts = decided.aggregate(
        decided=Count("pk"),
        on_time=Count("pk", filter=Q(accepted_at__lte=F("acceptance_deadline"))),
        shipped=Count("pk", filter=Q(shipped_at__isnull=False)),
        shipped_on_time=Count(
            "pk", filter=Q(shipped_at__isnull=False, shipped_at__date__lte=F("delivery_min_date"))
        ),
    )
    delays = [
        (accepted - validated).total_seconds() / 3600
        for accepted, validated in decided.values_list("accepted_at", "order__validated_at")[:5000]
        if accepted is not None and validated is not None  # both set by the filters above
    ]
    return ResponseRecord(
        decided=counts["decided"],
        on_time=counts["on_time"],
        average_hours=round(sum(delays) / len(delays), 1) if delays else None,
        shipped=counts["shipped"],
        shipped_on_time=counts["shipped_on_time"],
    )


@dataclass
class Dashboard:
    to_accept: int
    to_ship: int
    late: int
    shipped: int
    month_sales: Decimal
    month_orders: int
    low_stock: list
    low_stock_count: int
    out_of_stock_count: int
    invoice_requests: list
    record: ResponseRecord
    urgent: list  # the vendor orders to act on first (late first, then oldest)


def vendor_dashboard(*, vendor, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    scope = vendor_orders_for(vendor=vendor)
    late = late_condition(now)
    # Every count is of an open status: reading those rows only (index on vendor, status)
    # keeps the cost that of the open orders, not of the vendor's whole history.
    open_statuses = sorted(
        {VendorOrder.Status.WAITING_ACCEPTANCE, *SHIPPABLE, VendorOrder.Status.SHIPPED}
    )
    counts = (
        scope.prefetch_related(None)
        .filter(status__in=open_statuses)
        .order_by()
        .aggregate(
            to_accept=Count("pk", filter=TO_ACCEPT),
            to_ship=Count("pk", filter=TO_SHIP),
            late=Count("pk", filter=late),
            shipped=Count("pk", filter=Q(status=VendorOrder.Status.SHIPPED)),
        )
    )
    month_start = timezone.make_aware(
        datetime.combine(timezone.localdate(now).replace(day=1), time.min)
    )
    sold = (
        OrderLine.objects.filter(
            vendor=vendor,
            # The same vendor, said of the vendor order too: its (vendor, created_at) index
            # then finds the month's few orders (else the planners read every line the
            # vendor ever sold, or every vendor order of the month).
            vendor_order__vendor=vendor,
            vendor_order__created_at__gte=month_start - CREATED_BEFORE_PAID,
            vendor_order__order__validated_at__gte=month_start,
            status__in=[OrderLine.Status.PENDING, OrderLine.Status.ACCEPTED],
        )
        .annotate(
            amount=ExpressionWrapper(
                F("unit_price") * F("quantity"),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            )
        )
        .aggregate(total=Sum("amount"), orders=Count("vendor_order", distinct=True))
    )
    offers = Offer.objects.filter(vendor=vendor, is_active=True)
    stock_counts = offers.aggregate(
        low=Count("pk", filter=Q(stock__gt=0, stock__lte=LOW_STOCK)),
        out=Count("pk", filter=Q(stock=0)),
    )
    low_stock = list(
        offers.filter(stock__lte=LOW_STOCK)
        .select_related("variant__product")
        .order_by("stock", "variant__product__title", "id")[:6]
    )
    urgent = list(
        scope.prefetch_related(None)
        .filter(TO_ACCEPT | TO_SHIP)
        .order_by("acceptance_deadline", "delivery_min_date", "id")[:8]
    )
    _mark_late(urgent, now)
    return Dashboard(
        to_accept=counts["to_accept"],
        to_ship=counts["to_ship"],
        late=counts["late"],
        shipped=counts["shipped"],
        month_sales=sold["total"] or ZERO,
        month_orders=sold["orders"] or 0,
        low_stock=low_stock,
        low_stock_count=stock_counts["low"],
        out_of_stock_count=stock_counts["out"],
        invoice_requests=list(vendor_invoice_requests_open(vendor=vendor)[:5]),
        record=vendor_response_record(vendor=vendor, now=now),
        urgent=urgent,
    )


@dataclass(frozen=True)
class PortalLine:
    """An order line as the order page shows it: how many units left, how many are left to
    hand to a carrier (accepted lines only)."""

    line: OrderLine
    shipped_quantity: int
    to_ship: int


def order_lines_shipping(*, vendor_order: VendorOrder) -> list[PortalLine]:
    """The lines of one vendor order with their shipped and remaining quantities, from the
    lines and shipments `orders.selectors.vendor_order_get` prefetched (no query)."""
    shipped: dict[int, int] = {}
    for shipment in vendor_order.shipments.all():
        for item in shipment.lines.all():
            shipped[item.order_line_id] = shipped.get(item.order_line_id, 0) + item.quantity
    rows = []
    for line in vendor_order.lines.all():
        done = shipped.get(line.pk, 0)
        left = line.quantity - done if line.status == OrderLine.Status.ACCEPTED else 0
        rows.append(PortalLine(line=line, shipped_quantity=done, to_ship=left))
    return rows


def _mark_late(vendor_orders, now: datetime) -> None:
    today = timezone.localdate(now)
    for vo in vendor_orders:
        if vo.status not in IN_PREPARATION:
            vo.is_late = False
        elif vo.status == VendorOrder.Status.WAITING_ACCEPTANCE:
            vo.is_late = bool(vo.acceptance_deadline and vo.acceptance_deadline < now)
        else:
            vo.is_late = vo.delivery_min_date < today


def orders_mark_late(vendor_orders, now: datetime | None = None) -> None:
    """Set `is_late` on each vendor order of a page (no query)."""
    _mark_late(vendor_orders, now or timezone.now())
