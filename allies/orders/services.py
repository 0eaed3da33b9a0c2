"""Writes on orders. Each state change checks the transition and writes an `OrderEvent`."""

from django.db import connections, router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.cart.models import Cart, CartLine
from allies.catalog.models import Offer
from allies.catalog.services import product_summaries_refresh
from allies.core.deadlines import add_working_days
from allies.core.errors import AlliesError
from allies.core.hooks import hook_call
from allies.notifications.services import notification_send
from allies.orders.acceptance import acceptance_deadline_for, auto_cancel_limit_for
from allies.orders.events import SYSTEM, Actor, order_events_write
from allies.orders.models import Order, OrderLine, OrderSequence, VendorOrder
from allies.orders.selectors import customer_order_get
from allies.orders.states import (
    OrderAction,
    VendorOrderAction,
    VendorOrderStatus,
    order_transition,
    vendor_order_transition,
    vendor_orders_transition,
)
from allies.orders.tasks import order_validated_notify_queue
from allies.vendors.emails import vendor_email_send


class OrderTransitionError(AlliesError):
    """The order is not in a state that allows this action (`code` "invalid_state"), or a
    payment arriving after the stock hold lapsed found the units gone ("stock_lost")."""

    code = "invalid_state"


def _not_allowed(order: Order) -> OrderTransitionError:
    return OrderTransitionError(
        _("La commande %(reference)s est « %(status)s » : cette action n'est plus possible.")
        % {"reference": order.reference, "status": order.get_status_display()}
    )


def order_reference_next(*, year: int) -> str:
    """Next reference of the year, AL-2026-000123; gapless under concurrency: one upsert
    (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, PostgreSQL and SQLite ≥ 3.35) holds the
    year's row locked until the order's transaction ends, and a rollback takes the number
    back. One query."""
    connection = connections[router.db_for_write(OrderSequence)]
    table = connection.ops.quote_name(OrderSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last_value) VALUES (%s, 1) ON CONFLICT (year)"
            f" DO UPDATE SET last_value = {table}.last_value + 1 RETURNING last_value",
            [year],
        )
        (value,) = cursor.fetchone()
    return f"AL-{year}-{value:06d}"


def _stock_lines(*, order: Order) -> list[tuple[int, int]]:
    """The order's lines whose units come from stock: (offer_id, quantity) pairs.

    Lines sold on restock ("En cours de réapprovisionnement", CAT-2) took no stock.
    """
    return list(
        OrderLine.objects.filter(vendor_order__order=order, restock_weeks=None).values_list(
            "offer_id", "quantity"
        )
    )


def _stock_release(*, order: Order) -> None:
    """Give back the units held by an unpaid order."""
    lines = _stock_lines(order=order)
    for offer_id, quantity in lines:
        Offer.objects.filter(id=offer_id).update(stock=F("stock") + quantity)
    product_ids = Offer.objects.filter(id__in=[offer_id for offer_id, _qty in lines]).values_list(
        "variant__product_id", flat=True
    )
    product_summaries_refresh(product_ids=product_ids)


def _stock_retake(*, order: Order) -> bool:
    """Take the units again for an order whose hold had lapsed; False if some are gone."""
    for offer_id, quantity in _stock_lines(order=order):
        taken = Offer.objects.filter(id=offer_id, stock__gte=quantity).update(
            stock=F("stock") - quantity
        )
        if not taken:
            return False
    return True


def order_payment_succeeded(*, order: Order, payment_reference: str, locked: bool = False) -> Order:
    """The bank said yes: the order is "validée" and each vendor order "En préparation".

    Its lines leave the customer's cart, its ledger entries are written (hook `order_paid`)
    and the confirmation email is put in the outbox, all in this transaction; once it
    commits, the vendors are told (`tasks.order_validated_notify`). A payment that succeeds
    after its hold lapsed (the customer lingered on the 3-D Secure page) takes the stock again
    if it is still there; otherwise OrderTransitionError, and the caller refunds.

    `locked`: the caller read `order` under a row lock in its own transaction (the payment's
    settlement reads the payment, its order and the customer in one locked read), so it is
    used as it is and no savepoint is taken; OrderTransitionError is raised before anything
    is written, and any other failure fails the caller's transaction (no validated order
    without its entries). Otherwise the order is locked and read here.

    A fixed number of statements whatever the number of vendors and lines: the vendor orders
    with their lines are read once, moved in one UPDATE, their events written in one INSERT,
    their ledger entries in one.
    """
    if not locked:
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order.pk)
            return _order_validate(order=order, payment_reference=payment_reference)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a locked order is validated in the transaction that holds its lock")
    return _order_validate(order=order, payment_reference=payment_reference)


def _order_validate(*, order: Order, payment_reference: str) -> Order:
    """`order_payment_succeeded` once the order's row is locked and read."""
    if order.status == Order.Status.VALIDATED:
        return order  # a second notification of the same payment changes nothing
    if order.status in (Order.Status.PAYMENT_FAILED, Order.Status.CANCELLED):
        with transaction.atomic():
            if not _stock_retake(order=order):
                transaction.set_rollback(True)
                raise OrderTransitionError(
                    _("Les articles de la commande %(reference)s ne sont plus en stock.")
                    % {"reference": order.reference},
                    code="stock_lost",
                )
        product_summaries_refresh(
            product_ids=Offer.objects.filter(
                id__in=OrderLine.objects.filter(vendor_order__order=order).values("offer_id")
            ).values_list("variant__product_id", flat=True)
        )
    elif order.status != Order.Status.AWAITING_PAYMENT:
        raise _not_allowed(order)
    now = timezone.now()
    events: list = []  # the order's and its vendor orders' events: one INSERT
    order_transition(
        order=order,
        action=OrderAction.PAY,
        actor=SYSTEM,
        now=now,
        locked=True,
        events=events,
        payment=payment_reference,
    )
    # Delivery delays start now that the order is validated, and so does each vendor's time
    # to accept or refuse its lines (allies.orders.acceptance). This read locks their rows.
    vendor_orders = list(VendorOrder.objects.filter(order=order).select_for_update().order_by("id"))
    today = timezone.localdate(now)
    deadline = acceptance_deadline_for(now)
    for vendor_order in vendor_orders:
        vendor_order.order = order
    vendor_orders_transition(
        vendor_orders=vendor_orders,
        action=VendorOrderAction.PAY,
        actor=SYSTEM,
        now=now,
        locked=True,
        events=events,
        changes={
            vo.pk: {
                "delivery_min_date": add_working_days(today, vo.delivery_min_days),
                "delivery_max_date": add_working_days(today, vo.delivery_max_days),
                "acceptance_deadline": deadline,
            }
            for vo in vendor_orders
        },
    )
    order_events_write(events)
    CartLine.objects.filter(
        cart__customer_id=order.customer_id,
        offer_id__in=OrderLine.objects.filter(vendor_order__order=order).values("offer_id"),
    ).delete()
    if order.discount_code_id is not None:
        Cart.objects.filter(
            customer_id=order.customer_id, discount_code=order.discount_code_id
        ).update(discount_code=None)
    # The ledger (a higher layer) writes each vendor order's sale entries in this transaction.
    hook_call("order_paid", order=order, vendor_orders=vendor_orders)
    # The emails are written once this commits, out of the rows' locks (CHK-7, ORD-8).
    order_validated_notify_queue(order_id=order.pk, validated_at=now)
    return order


def vendor_orders_new_notify(*, order_id: int) -> None:
    """Tell each vendor of a validated order what it has to accept, and by when (ORD-8).

    Sent after the payment is committed (`tasks.order_validated_notify`), to the addresses
    and in the language the vendor chose (`vendors.emails`). It states both real limits: the
    acceptance deadline, after which the order is only flagged late, and the automatic
    cancellation, later."""
    for vendor_order in (
        VendorOrder.objects.filter(order_id=order_id)
        .select_related("order", "vendor")
        .prefetch_related("lines")
    ):
        validated_at = vendor_order.order.validated_at or vendor_order.created_at
        vendor_email_send(
            vendor=vendor_order.vendor,
            template="vendor_order_new",
            context={
                "order": vendor_order.order,
                "vendor_order": vendor_order,
                "lines": list(vendor_order.lines.all()),
                "cancel_at": auto_cancel_limit_for(validated_at),
            },
        )


def order_confirmation_send(*, order_id: int) -> None:
    """The confirmation email of a validated order (CHK-7): reference, lines, each vendor's
    fee and estimate, totals. Sent by `tasks.order_validated_notify` once the validation is
    committed."""
    order = Order.objects.select_related("customer").get(pk=order_id)
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
    order_transition(order=order, action=OrderAction.FAIL_PAYMENT, actor=SYSTEM, reason=reason)
    _vendor_orders_cancel_unpaid(order=order)
    _stock_release(order=order)
    return order


@transaction.atomic
def order_cancel_unpaid(*, order: Order, actor: Actor, reason: str = "customer") -> Order:
    """A not-yet-validated order can be cancelled (ORD-4): its stock goes back on sale."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != Order.Status.AWAITING_PAYMENT:
        raise _not_allowed(order)
    order_transition(order=order, action=OrderAction.CANCEL, actor=actor, reason=reason)
    _vendor_orders_cancel_unpaid(order=order)
    _stock_release(order=order)
    return order


def _vendor_orders_cancel_unpaid(*, order: Order) -> None:
    for vendor_order in VendorOrder.objects.filter(
        order=order, status=VendorOrderStatus.AWAITING_PAYMENT
    ).order_by("id"):
        vendor_order.order = order
        vendor_order_transition(
            vendor_order=vendor_order, action=VendorOrderAction.CANCEL_UNPAID, actor=SYSTEM
        )
