"""How many orders used a discount code: the count behind a code's usage limits (CHK-5).

The cart checks a code's limits but sits below the apps that place orders: it asks through
the hook `discount_code_uses` (`allies.core.hooks`), and this answers, registered by
`CheckoutConfig.ready()`. The checkout owns the rule's exception: the customer's own unpaid
order is resumed or replaced by the next "Payer" (one unpaid order per customer,
`checkout.services.order_place`), so it is not a use.
"""

from allies.accounts.models import User
from allies.cart.models import DiscountCode
from allies.orders.models import Order


def discount_code_uses(
    *, code: DiscountCode, customer: User | None, by_customer_only: bool = False
) -> int:
    """Orders that used `code` (paid or awaiting payment), not counting `customer`'s unpaid
    order; with `by_customer_only`, only `customer`'s orders."""
    awaiting, validated = Order.Status.AWAITING_PAYMENT, Order.Status.VALIDATED
    qs = Order.objects.filter(discount_code=code, status__in=[awaiting, validated])
    if customer is not None:
        qs = qs.exclude(customer=customer, status=awaiting)
        if by_customer_only:
            qs = qs.filter(customer=customer)
    return qs.count()
