"""Writes on orders. Each state change checks the transition and writes an `OrderEvent`."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from allies.cart.models import Cart, CartLine
from allies.catalog.models import Offer
from allies.catalog.services import product_summaries_refresh
from allies.core.deadlines import add_working_days
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


@dataclass(frozen=True)
class ApiClient:
    """An actor that is a vendor's program calling the vendor API with one of its keys, not a
    person: events it causes record the key (`data["api_key"]`) instead of a user."""

    key_id: int
    label: str  # the key's name and visible prefix, e.g. "ERP (alk_Ab12Cd34…)"


def order_event_add(*, order: Order, kind: str, actor=None, vendor_order=None, **data) -> None:
    if isinstance(actor, ApiClient):
        data["api_key"] = {"id": actor.key_id, "label": actor.label}
        actor = None
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


def _stock_retake(*, order: Order) -> bool:
    """Take the units again for an order whose hold had lapsed; False if some are gone."""
    lines = list(OrderLine.objects.filter(vendor_order__order=order).values("offer_id", "quantity"))
    for line in lines:
        taken = Offer.objects.filter(id=line["offer_id"], stock__gte=line["quantity"]).update(
            stock=F("stock") - line["quantity"]
        )
        if not taken:
            return False
    return True


@transaction.atomic
def order_payment_succeeded(*, order: Order, payment_reference: str) -> Order:
    """The bank said yes: the order is "validée" and each vendor order "En préparation".

    Its lines leave the customer's cart and the confirmation email is sent. A payment that
    succeeds after its hold lapsed (the customer lingered on the 3-D Secure page) takes the
    stock again if it is still there; otherwise OrderTransitionError, and the caller refunds.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status == Order.Status.VALIDATED:
        return order  # a second notification of the same payment changes nothing
    if order.status in (Order.Status.PAYMENT_FAILED, Order.Status.CANCELLED):
        with transaction.atomic():
            if not _stock_retake(order=order):
                transaction.set_rollback(True)
                raise OrderTransitionError(f"order {order.reference} lost its stock")
        product_summaries_refresh(
            product_ids=Offer.objects.filter(
                id__in=OrderLine.objects.filter(vendor_order__order=order).values("offer_id")
            ).values_list("variant__product_id", flat=True)
        )
    elif order.status != Order.Status.AWAITING_PAYMENT:
        raise OrderTransitionError(f"order {order.reference} is {order.status}")
    now = timezone.now()
    order.status = Order.Status.VALIDATED
    order.validated_at = now
    order.cancelled_at = None
    order.reserved_until = None
    order.save(update_fields=["status", "validated_at", "cancelled_at", "reserved_until"])
    # Delivery delays start now that the order is validated, and so does each vendor's time
    # to accept or refuse its lines (allies.orders.fulfilment).
    from allies.orders.fulfilment import acceptance_deadline_for

    today = timezone.localdate(now)
    deadline = acceptance_deadline_for(now)
    vendor_orders = list(VendorOrder.objects.filter(order=order))
    for vendor_order in vendor_orders:
        vendor_order.status = VendorOrder.Status.PREPARING
        vendor_order.delivery_min_date = add_working_days(today, vendor_order.delivery_min_days)
        vendor_order.delivery_max_date = add_working_days(today, vendor_order.delivery_max_days)
        vendor_order.acceptance_deadline = deadline
        vendor_order.save(
            update_fields=[
                "status", "delivery_min_date", "delivery_max_date", "acceptance_deadline",
                "updated_at",
            ]
        )  # fmt: skip
    order_event_add(order=order, kind="payment_succeeded", payment=payment_reference)
    transaction.on_commit(lambda: _acceptance_checks_schedule(validated_at=now))
    CartLine.objects.filter(
        cart__customer_id=order.customer_id,
        offer_id__in=OrderLine.objects.filter(vendor_order__order=order).values("offer_id"),
    ).delete()
    Cart.objects.filter(
        customer_id=order.customer_id, discount_code=order.discount_code_id
    ).exclude(discount_code=None).update(discount_code=None)
    from allies.payments.ledger import ledger_record_sale  # PAY-2; imported here: no cycle

    for vendor_order in VendorOrder.objects.filter(order=order):
        ledger_record_sale(vendor_order=vendor_order)
    order_confirmation_send(order=order)
    transaction.on_commit(lambda: vendor_orders_new_notify(order_id=order.pk))
    return order


def vendor_orders_new_notify(*, order_id: int) -> None:
    """Tell each vendor of a validated order what it has to accept, and by when (ORD-8).

    Sent after the payment is committed, to the vendor's contact address, in French."""
    from allies.notifications.services import notification_send

    for vendor_order in (
        VendorOrder.objects.filter(order_id=order_id)
        .select_related("order", "vendor")
        .prefetch_related("lines")
    ):
        notification_send(
            template="vendor_order_new",
            to_email=vendor_order.vendor.email,
            language=settings.LANGUAGE_CODE,
            context={
                "order": vendor_order.order,
                "vendor_order": vendor_order,
                "lines": list(vendor_order.lines.all()),
            },
        )


def _acceptance_checks_schedule(*, validated_at) -> None:
    from allies.orders.tasks import vendor_orders_acceptance_schedule

    vendor_orders_acceptance_schedule(validated_at=validated_at)


def order_confirmation_send(*, order: Order) -> None:
    """The confirmation email: reference, lines, each vendor's fee and estimate, totals."""
    from allies.notifications.services import notification_send
    from allies.orders.selectors import customer_order_get

    detailed = customer_order_get(customer=order.customer, reference=order.reference)
    notification_send(
        template="order_confirmation",
        user=order.customer,
        context={"order": detailed, "vendor_orders": list(detailed.vendor_orders.all())},
    )


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


@transaction.atomic
def order_cancel_unpaid(*, order: Order, actor=None, reason: str = "customer") -> Order:
    """A not-yet-validated order can be cancelled (ORD-4): its stock goes back on sale."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != Order.Status.AWAITING_PAYMENT:
        raise OrderTransitionError(f"order {order.reference} is {order.status}")
    order.status = Order.Status.CANCELLED
    order.cancelled_at = timezone.now()
    order.reserved_until = None
    order.save(update_fields=["status", "cancelled_at", "reserved_until"])
    VendorOrder.objects.filter(order=order).update(status=VendorOrder.Status.CANCELLED)
    _stock_release(order=order)
    order_event_add(order=order, kind="cancelled", actor=actor, reason=reason)
    return order
