"""Background jobs on orders: give back the stock of payments left unfinished, watch the
vendors' acceptance deadlines, and (default setup) let the simulated carrier deliver.

Each job is idempotent and safe to run at any time: it looks at the database and does what
is due. Jobs are queued for the moment they become due where the task backend can defer
(the database worker and RQ can; the immediate backend of the tests cannot), and the
management commands `orders_acceptance_check` and `carrier_simulate_deliveries` run them by
hand or from cron.
"""

from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks import default_task_backend, task

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
def vendor_orders_acceptance_overdue() -> dict:
    """Flag vendor orders past their acceptance deadline, cancel and refund those past the
    operator's limit (ORDER_AUTO_CANCEL_WORKING_DAYS), re-send missing refunds."""
    from allies.orders.fulfilment import vendor_orders_acceptance_check

    return vendor_orders_acceptance_check()


def vendor_orders_acceptance_schedule(*, validated_at: datetime) -> None:
    """Queue the acceptance check for the deadline and for the auto-cancel limit of vendor
    orders validated at `validated_at` (where the backend can defer)."""
    from allies.orders.fulfilment import acceptance_deadline_for, auto_cancel_limit_for

    if not default_task_backend.supports_defer:
        return
    for moment in (acceptance_deadline_for(validated_at), auto_cancel_limit_for(validated_at)):
        vendor_orders_acceptance_overdue.using(run_after=moment + _MARGIN).enqueue()


@task()
def carrier_deliveries_simulate() -> int:
    """The simulated carrier delivers what is due (see fulfilment.carrier_simulate_deliveries)."""
    from allies.orders.fulfilment import carrier_simulate_deliveries

    return carrier_simulate_deliveries()


def carrier_simulation_schedule(*, shipment) -> None:
    """Queue the simulated delivery of a shipment for when it is due (default setup)."""
    from allies.core.deadlines import add_business_hours
    from allies.orders.fulfilment import (
        carrier_simulation_enabled,
        simulated_delivery_working_days,
    )

    if not (carrier_simulation_enabled() and default_task_backend.supports_defer):
        return
    due = add_business_hours(shipment.shipped_at, 24 * simulated_delivery_working_days())
    carrier_deliveries_simulate.using(run_after=due + _MARGIN).enqueue()
