"""What an order does when the payments app reports on its payment.

`payments` sits below `orders` (ARCHITECTURE.md layers) and never imports it: it calls the
hooks `payment_succeeded` and `payment_failed` (`allies.core.hooks`), whose receivers here are
registered by `OrdersConfig.ready()`.
"""

from allies.orders.services import (
    OrderTransitionError,
    order_payment_failed,
    order_payment_succeeded,
)
from allies.payments.models import Payment


def order_on_payment_succeeded(*, payment: Payment) -> bool:
    """The payment validates its order. False when the order can no longer take it (it was
    closed meanwhile and its stock is gone): nothing of the order changed (the refusal comes
    before any write), and the payments app refunds the money.

    The settlement locked the payment and `payment.order` in one read of this transaction
    (`payments.services`): the order is used as it is, not read again."""
    try:
        order_payment_succeeded(
            order=payment.order,
            payment_reference=payment.provider_transaction_id or payment.reference,
            locked=True,
        )
    except OrderTransitionError:
        return False
    return True


def order_on_payment_failed(*, payment: Payment, reason: str) -> None:
    """The customer's payment ended for good (abandoned): the order fails, its stock goes back."""
    order_payment_failed(order=payment.order, reason=reason)
