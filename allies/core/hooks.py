"""Hooks: how a lower layer tells a higher one that something happened.

The apps are layered (ARCHITECTURE.md, checked by the import contract in CI): `payments`
may not import `orders`, `orders` may not import `invoices` or the ledger. When a lower layer
must let a higher one act (a payment succeeded, a parcel shipped so an invoice is due, a
refund was sent so the ledger and a credit note follow), it calls a named hook here, and the
higher app registers its receiver in its `AppConfig.ready()`. Rarely, a hook asks a question
only a higher app can answer (`discount_code_uses`): its caller reads the receivers' results.

Every hook name is declared in `HOOKS` below, so a newcomer finds who listens to what by
searching for the name. Receivers run synchronously in the caller's transaction, in the order
they were registered; what must wait for the commit (emails, provider calls) is the receiver's
business (`transaction.on_commit`).
"""

from collections.abc import Callable
from typing import Any

# name -> what it means and what keyword arguments receivers get.
HOOKS: dict[str, str] = {
    "payment_succeeded": "a customer's payment is captured: payment=; a receiver returns False "
    "when the order can no longer take it (closed meanwhile): the payment is then refunded",
    "payment_failed": "the customer's payment ended without success for good (the last attempt "
    "was abandoned when the order's hold ended; a refused card alone does not call it, the "
    "customer may retry): payment=, reason=",
    "order_paid": "an order was validated by its payment (in that transaction): order=, "
    "vendor_orders= (its vendor orders, as the validation locked and moved them)",
    "vendor_order_shipped": "a vendor order has shipped units: vendor_order=, shipment=",
    "vendor_order_delivered": 'a vendor order became "Livrée" (called after commit; the '
    "reviews invite its customer): vendor_order_id=",
    "vendor_orders_moved": "vendor orders changed stage (in the transition's transaction, "
    "their rows written; the ledger's balances follow their delivery): vendor_orders=, "
    "action=",
    "refund_recorded": "a refund was created for order lines: refund=, vendor_order=, lines=, "
    "split= (orders.refunds.RefundSplit: each line's units, articles, shipping, discount and "
    "deduction)",
    "refund_failed": "the provider finally reported a refund FAILED: refund=",
    "tracking_event_unmatched": "a carrier event for a tracking number no shipment has (a "
    "return's prepaid label…): carrier=, tracking_number=, event=, at=, source=; a receiver "
    "returns True when it applied the event",
    "parcel_refused": "the customer refused a parcel at delivery and the carrier takes it back "
    "(event='refused'), or it reached the vendor again (event='returned_to_sender'): "
    "vendor_order=, parcel=, event=, at=, source=",
    "customer_signed_in": "a visitor logged in or signed up (the cart keeps the guest's lines): "
    "customer=, guest_session_key= (the session key before login replaced it)",
    # A question: may a delivered vendor order be closed? Receivers answer True while a
    # return or a claim of it is still being handled.
    "vendor_order_after_sales_open": "is an after-sales request of this vendor order still "
    "open: vendor_order=",
    # A question rather than news: the cart checks a code's usage limits, and only the app
    # that places orders can count them. Exactly one receiver answers (an int).
    "discount_code_uses": "how many orders used a discount code (paid or awaiting payment, the "
    "customer's own unpaid order not counted): code=, customer=, by_customer_only=",
}

_receivers: dict[str, list[Callable[..., Any]]] = {name: [] for name in HOOKS}


class UnknownHook(KeyError):
    """A hook name that `HOOKS` does not declare: a typo must fail loudly."""


def hook_register(name: str, receiver: Callable[..., Any]) -> None:
    """Register `receiver` for `name` (idempotent: registering twice keeps one)."""
    if name not in _receivers:
        raise UnknownHook(name)
    if receiver not in _receivers[name]:
        _receivers[name].append(receiver)


def hook_call(name: str, **kwargs: Any) -> list[Any]:
    """Call every receiver of `name` with `kwargs`; returns their results in order."""
    if name not in _receivers:
        raise UnknownHook(name)
    return [receiver(**kwargs) for receiver in _receivers[name]]


def hook_receivers(name: str) -> tuple[Callable[..., Any], ...]:
    """The receivers registered for `name` (for tests and diagnostics)."""
    if name not in _receivers:
        raise UnknownHook(name)
    return tuple(_receivers[name])
