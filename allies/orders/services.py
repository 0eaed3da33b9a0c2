"""Writes on orders. Each state change checks the transition and writes an `OrderEvent`."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from allies.catalog.models import Offer
from allies.catalog.services import product_summaries_refresh
from allies.orders.models import Order, OrderEvent, OrderLine, OrderSequence, VendorOrder


class OrderTransitionError(Exception):
    """The order is not in a state that allows this action."""


def order_reference_next(*, year: int) -> str:
    """Next reference of the year, AL-2026-000123; gapless under concurrency (row lock)."""
    OrderSequence.objects.get_or_create(year=year)
    seq = OrderSequence.objects.select_for_update().get(year=year)
    seq.last_value = F("last_value") + 1
    seq.save(update_fields=["last_value"])
    seq.refresh_from_db(fields=["last_value"])
    return f"AL-{year}-{seq.last_value:06d}"


def order_event_add(*, order: Order, kind: str, actor=None, vendor_order=None, **data) -> None:
    OrderEvent.objects.create(
        order=order, vendor_order=vendor_order, actor=actor, kind=kind, data=data
    )


def _stock_release(*, order: Order) -> None:
    """Give back the units held by an unpaid order."""
    lines = list(OrderLine.objects.filter(vendor_order__order=order).values("offer_id", "quantity"))
    for line in lines:
        Offer.objects.filter(id=line["offer_id"]).update(stock=F("stock") + line["quantity"])
    product_ids = Offer.objects.filter(id__in=[ln["offer_id"] for ln in lines]).values_list(
        "variant__product_id", flat=True
    )
    product_summaries_refresh(product_ids=product_ids)


@transaction.atomic
def order_payment_succeeded(*, order: Order, payment_reference: str) -> Order:
    """The bank said yes: the order is "validée" and each vendor order "En préparation"."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status == Order.Status.VALIDATED:
        return order  # a second notification of the same payment changes nothing
    if order.status != Order.Status.AWAITING_PAYMENT:
        raise OrderTransitionError(f"order {order.reference} is {order.status}")
    now = timezone.now()
    order.status = Order.Status.VALIDATED
    order.validated_at = now
    order.reserved_until = None
    order.save(update_fields=["status", "validated_at", "reserved_until"])
    VendorOrder.objects.filter(order=order).update(status=VendorOrder.Status.PREPARING)
    order_event_add(order=order, kind="payment_succeeded", payment=payment_reference)
    return order


@transaction.atomic
def order_payment_failed(*, order: Order, reason: str) -> Order:
    """Refused, failed, cancelled or abandoned payment: release the stock, keep the cart."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != Order.Status.AWAITING_PAYMENT:
        return order
    order.status = Order.Status.PAYMENT_FAILED
    order.reserved_until = None
    order.save(update_fields=["status", "reserved_until"])
    VendorOrder.objects.filter(order=order).update(status=VendorOrder.Status.CANCELLED)
    _stock_release(order=order)
    order_event_add(order=order, kind="payment_failed", reason=reason)
    return order
