"""Reading orders. A customer only ever reaches their own orders; a vendor only its own
vendor orders (and only once paid)."""

from datetime import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
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
from allies.orders.states import MIRAKL_STATES, UNPAID, vendor_order_statuses_for_mirakl
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
                # Its invoice and credit notes (invoices app, reached by the reverse relation
                # only: that app sits above orders), listed under "Ma facture" (INV-1).
                "invoices",
            ),
        )
    )


def customer_orders(*, customer) -> QuerySet:
    """ "Mes achats": what the customer bought, newest first (issue 8 §5).

    That is every order validated at some point, the unpaid order still open (to pay or
    cancel) and any order the bank charged (a late payment refunded in full). An order
    never paid and closed (every attempt refused until its hold ended, or cancelled before
    payment) bought nothing: it is left out; its page stays reachable by its reference.
    Failed attempts of a bought order are on its page, in its payment history.
    """
    from allies.payments.models import Payment  # payments sits below orders

    charged = Payment.objects.filter(order=OuterRef("pk"), status=Payment.Status.SUCCEEDED)
    open_or_bought = [Order.Status.AWAITING_PAYMENT, Order.Status.VALIDATED]
    shown = Q(status__in=open_or_bought) | Q(validated_at__isnull=False) | Q(Exists(charged))
    return _with_details(
        Order.objects.filter(shown, customer=customer).order_by("-created_at", "-id")
    )


def customer_order_get(*, customer, reference: str) -> Order:
    """One of the customer's orders, or 404 (another customer's order does not exist).

    Each vendor order carries `timeline` (timeline.TimelineEntry list, oldest first) and
    `refunded` (what its refused or cancelled lines gave back); the order, `refunded` too.
    Each also carries `credit_notes` (shown under "Ma facture"); the order carries
    `payment_attempts` (its payment history).
    """
    order = _with_fulfilment(Order.objects.filter(customer=customer, reference=reference)).first()
    if order is None:
        raise Http404
    # Its payment history: every card attempt, oldest first (refused ones included).
    order.payment_attempts = list(order.payments.order_by("created_at", "id"))
    order.refunded = Decimal("0")
    for vendor_order in order.vendor_orders.all():
        vendor_order.order = order  # the timeline reads validated_at without a query
        vendor_order.timeline = vendor_order_timeline(vendor_order)
        vendor_order.credit_notes = sorted(
            (doc for doc in vendor_order.invoices.all() if doc.kind == "credit_note"),
            key=lambda doc: (doc.issued_at, doc.pk),
        )
        vendor_order.refunded = sum(
            (line.refunded_amount for line in vendor_order.lines.all() if line.is_refunded),
            start=Decimal("0"),
        )
        order.refunded += vendor_order.refunded
    return order


def customer_order_summary(*, customer, reference: str) -> tuple[Order, list[VendorOrder]]:
    """One of the customer's orders and its vendor orders (with their vendor), in one query;
    404 as `customer_order_get`. What the checkout's result page needs first: the order's
    status, then, once validated, `order_summary_load` for the confirmation."""
    vendor_orders = list(
        VendorOrder.objects.filter(order__customer=customer, order__reference=reference)
        .select_related("order", "vendor")
        .order_by("id")
    )
    if not vendor_orders:  # the checkout never makes an order without vendor orders
        order = Order.objects.filter(customer=customer, reference=reference).first()
        if order is None:
            raise Http404
        return order, []
    order = vendor_orders[0].order
    for vendor_order in vendor_orders:
        vendor_order.order = order
    return order, vendor_orders


def order_summary_load(order: Order, vendor_orders: list[VendorOrder]) -> None:
    """What the checkout's confirmation shows of the vendor orders of `customer_order_summary`:
    their lines, in one query, and what was refunded of each and of the order (`refunded`,
    as `customer_order_get` computes it).

    Not the shipments, the timeline, the invoices nor the payment history: the order page
    ("Mes achats", `customer_order_get`) shows them, and the confirmation links to it."""
    prefetch_related_objects(
        vendor_orders, Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
    )
    total = Decimal("0")
    for vendor_order in vendor_orders:
        refunded = sum(
            (line.refunded_amount for line in vendor_order.lines.all() if line.is_refunded),
            start=Decimal("0"),
        )
        vendor_order.refunded = refunded  # type: ignore[attr-defined]
        total += refunded
    order.refunded = total  # type: ignore[attr-defined]


# --- vendor side --------------------------------------------------------------------------

# Mirakl states (VendorOrder.mirakl_state) as filters, for the vendor API's OR11-like list:
# the stages behind each state, read from the one table (allies.orders.states).
MIRAKL_FILTERS = {
    state: {"status__in": vendor_order_statuses_for_mirakl(state)}
    for state in MIRAKL_STATES
    if state != "WAITING_DEBIT_PAYMENT"  # unpaid orders never reach a vendor
}


def _vendor_scope(vendor) -> QuerySet:
    # Only paid orders reach a vendor: an unpaid or abandoned checkout is not an order to serve.
    # Told by the vendor order's own stage (states.UNPAID), not by a join to its order.
    # Sorted: the very condition of the index orders_vo_paid (models.py).
    return VendorOrder.objects.filter(vendor_id=getattr(vendor, "pk", vendor)).exclude(
        status__in=sorted(UNPAID)
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

    `status`: our status values ("to_ship", "shipped"…) or Mirakl states
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
