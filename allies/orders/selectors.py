"""Reading orders. A customer only ever reaches their own orders."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from allies.orders.models import Order, OrderLine, VendorOrder


def _with_details(qs: QuerySet) -> QuerySet:
    return qs.prefetch_related(
        Prefetch(
            "vendor_orders",
            queryset=VendorOrder.objects.select_related("vendor").prefetch_related(
                Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
            ),
        )
    )


def customer_orders(*, customer) -> QuerySet:
    """Every order of the customer that went as far as payment, newest first."""
    return _with_details(Order.objects.filter(customer=customer).order_by("-created_at", "-id"))


def customer_order_get(*, customer, reference: str) -> Order:
    """One of the customer's orders, or 404 (another customer's order does not exist)."""
    order = _with_details(Order.objects.filter(customer=customer, reference=reference)).first()
    if order is None:
        raise Http404
    return order
