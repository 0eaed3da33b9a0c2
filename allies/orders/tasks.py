"""Background jobs on orders: give back the stock of payments left unfinished."""

from django.utils import timezone
from django_tasks import default_task_backend, task

from allies.orders.models import Order


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
