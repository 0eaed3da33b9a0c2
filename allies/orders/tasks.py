"""Background jobs on orders: give back the stock of payments left unfinished, tell the
vendors of a validated order, watch the vendors' acceptance deadlines, (default setup) let the
simulated carrier deliver, and close delivered vendor orders once their withdrawal window has
passed.

Each job but `order_validated_notify` is idempotent and safe to run at any time: it looks at
the database and does what is due. `order_validated_notify` is queued once per validation,
with it; run twice, it would tell the vendors twice. Jobs are queued for the moment they
become due where the task backend can defer (the database worker and RQ can; the immediate
backend of the tests cannot), and the management commands `orders_acceptance_check`,
`carrier_simulate_deliveries` and `orders_close_due` run them by hand or from cron.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import default_task_backend, task
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks_db import DatabaseBackend

from allies.orders.models import Order

# Run a little after the moment, so the job finds the deadline passed.
_MARGIN = timedelta(minutes=1)


@task()
def order_reservations_expire() -> int:
    """Every order still awaiting payment past its hold: payment abandoned, stock released.

    The payment provider is asked first (a payment may have gone through at the last second).
    Returns how many orders were released.
    """
    from allies.orders.services import order_payment_failed
    from allies.payments.models import Payment
    from allies.payments.services import payment_abandon

    released = 0
    expired = Order.objects.filter(
        status=Order.Status.AWAITING_PAYMENT, reserved_until__lt=timezone.now()
    ).order_by("reserved_until")
    for order in expired:
        for payment in Payment.objects.filter(order=order, status=Payment.Status.PENDING):
            payment_abandon(payment=payment)
        order.refresh_from_db(fields=["status"])
        if order.status == Order.Status.AWAITING_PAYMENT:
            order_payment_failed(order=order, reason="abandoned")
        order.refresh_from_db(fields=["status"])
        released += order.status != Order.Status.VALIDATED
    return released


def order_reservation_expiry_schedule(*, order: Order) -> None:
    """Queue the expiry job for when this order's hold ends (where the backend can defer)."""
    if order.reserved_until and default_task_backend.supports_defer:
        order_reservations_expire.using(run_after=order.reserved_until).enqueue()


@task()
def order_validated_notify(*, order_id: int, validated_at: str) -> None:
    """What follows an order's validation once it is committed: the customer's confirmation
    email (CHK-7), each vendor told what it has to accept and by when (ORD-8), and the
    acceptance checks queued for the deadline and for the automatic cancellation limit."""
    from allies.orders.services import order_confirmation_send, vendor_orders_new_notify

    order_confirmation_send(order_id=order_id)
    vendor_orders_new_notify(order_id=order_id)
    vendor_orders_acceptance_schedule(validated_at=datetime.fromisoformat(validated_at))


def order_validated_notify_queue(*, order_id: int, validated_at: datetime) -> None:
    """Queue `order_validated_notify` with the validation's transaction: the database backend
    stores the task in that transaction (one INSERT, committed or rolled back with the order:
    never lost, never run for a validation that did not commit); the immediate backend of the
    tests runs it there too; another backend (RQ) is told once it commits, since its worker
    could not see the order before (a crash in that instant loses the emails, as it would
    lose any task queued after a commit)."""

    def enqueue() -> None:
        order_validated_notify.enqueue(order_id=order_id, validated_at=validated_at.isoformat())

    if isinstance(order_validated_notify.get_backend(), DatabaseBackend | ImmediateBackend):
        enqueue()
    else:
        transaction.on_commit(enqueue, robust=True)


@task()
def vendor_orders_acceptance_overdue() -> dict:
    """Flag vendor orders past their acceptance deadline, cancel and refund those past the
    operator's limit (ORDER_AUTO_CANCEL_WORKING_DAYS), re-send missing refunds."""
    from allies.orders.acceptance import vendor_orders_acceptance_check

    return vendor_orders_acceptance_check()


def vendor_orders_acceptance_schedule(*, validated_at: datetime) -> None:
    """Queue the acceptance check for the deadline and for the auto-cancel limit of vendor
    orders validated at `validated_at` (where the backend can defer)."""
    from allies.orders.acceptance import acceptance_deadline_for, auto_cancel_limit_for

    if not default_task_backend.supports_defer:
        return
    for moment in (acceptance_deadline_for(validated_at), auto_cancel_limit_for(validated_at)):
        vendor_orders_acceptance_overdue.using(run_after=moment + _MARGIN).enqueue()


@task()
def carrier_deliveries_simulate() -> int:
    """The simulated carrier delivers what is due (allies.orders.carrier_simulation)."""
    from allies.orders.carrier_simulation import carrier_simulate_deliveries

    return carrier_simulate_deliveries()


def carrier_simulation_schedule(*, shipment) -> None:
    """Queue the simulated delivery of a shipment for when it is due (default setup)."""
    from allies.core.deadlines import add_business_hours
    from allies.orders.carrier_simulation import (
        carrier_simulation_enabled,
        simulated_delivery_working_days,
    )

    if not (carrier_simulation_enabled() and default_task_backend.supports_defer):
        return
    due = add_business_hours(shipment.shipped_at, 24 * simulated_delivery_working_days())
    carrier_deliveries_simulate.using(run_after=due + _MARGIN).enqueue()


@task()
def vendor_orders_close() -> int:
    """Close the delivered vendor orders whose withdrawal window has passed (closing)."""
    from allies.orders.closing import vendor_orders_close_due

    return vendor_orders_close_due()


def vendor_order_close_schedule(*, delivered_at: datetime) -> None:
    """Queue the closing job for the end of the withdrawal window of a delivery at
    `delivered_at` (where the backend can defer)."""
    from allies.orders.closing import withdrawal_window_end

    if default_task_backend.supports_defer:
        vendor_orders_close.using(run_after=withdrawal_window_end(delivered_at) + _MARGIN).enqueue()
