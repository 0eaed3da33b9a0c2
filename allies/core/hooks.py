"""Hooks: how a lower layer tells a higher one that something happened.

The apps are layered (ARCHITECTURE.md, checked by the import contract in CI): `payments`
may not import `orders`, `orders` may not import `invoices` or the ledger. When a lower layer
must let a higher one act (a payment succeeded, a parcel shipped so an invoice is due, a
refund was sent so the ledger and a credit note follow), it calls a named hook here, and the
higher app registers its receiver in its `AppConfig.ready()`.

Every hook name is declared in `HOOKS` below, so a newcomer finds who listens to what by
searching for the name. Receivers run synchronously in the caller's transaction, in the order
they were registered; what must wait for the commit (emails, provider calls) is the receiver's
business (`transaction.on_commit`).
"""

from collections.abc import Callable
from typing import Any

# name -> what it means and what keyword arguments receivers get.
HOOKS: dict[str, str] = {
    "payment_succeeded": "a customer's payment is captured: payment=",
    "payment_failed": "a payment attempt failed or was cancelled: payment=",
    "vendor_order_shipped": "a vendor order has shipped units: vendor_order=, shipment=",
    "refund_recorded": "a refund was created for order lines: refund=, vendor_order=, lines=",
    "refund_failed": "the provider finally reported a refund FAILED: refund=",
    "carrier_events": "tracking events arrived from a carrier: events=, adapter=",
    "customer_signed_in": "a visitor logged in or signed up (the cart keeps the guest's lines): "
    "customer=, guest_session_key= (the session key before login replaced it)",
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
