"""What every service of the vendor side of an order shares (ORD-8; acceptance in
`allies.orders.acceptance`, shipments and deliveries in `allies.orders.shipments`).

Rules kept by every one of those services:

- Keyword-only, one transaction per change, the vendor order row locked first
  (`vendor_order_lock`); stages move only through `allies.orders.states`, and every change
  writes an `OrderEvent` (an `events.EventKind`, with its `events.Actor`). Bad input raises
  `FulfilmentError` (French message in `.message`, stable `.code`) before anything is written.
- `vendor` is always checked: a vendor acts only on its own vendor orders. Another vendor's
  order raises `VendorOrderNotFound` (code "not_found": the API answers 404) and changes
  nothing. Checking that the acting *user* belongs to that vendor is the portal's / API's
  job (they resolve the vendor from the session or the API key).
- Emails and provider calls happen after the change is committed, outside the lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from allies.core.errors import AlliesError
from allies.notifications.services import notification_send
from allies.orders.events import Actor, EventKind, order_event_add
from allies.orders.models import OrderLine, VendorOrder
from allies.vendors.models import Vendor


class FulfilmentError(AlliesError):
    """The action is refused; `message` (French source, translated) can be shown as is, `code`
    says why for programs ("invalid", "invalid_state", "not_found")."""

    code = "invalid"


class VendorOrderNotFound(FulfilmentError):
    """Not this vendor's order (or no such order): nothing is revealed, nothing changes."""

    code = "not_found"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Commande introuvable."))


def vendor_pk(vendor: Vendor | int | None) -> int | None:
    return vendor.pk if isinstance(vendor, Vendor) else vendor


def whole_number(value: object) -> int:
    """A line id or a quantity as the portal's forms and the API's bodies give it (a line, an
    int, digits); TypeError or ValueError for anything else, which callers turn into a
    FulfilmentError."""
    if isinstance(value, OrderLine):
        return value.pk
    if isinstance(value, int | str | float):
        return int(value)
    raise TypeError(f"not a whole number: {type(value).__name__}")


def vendor_order_lock(vendor_order: VendorOrder | int, vendor: Vendor | int | None) -> VendorOrder:
    """The vendor order, row-locked, with its order; VendorOrderNotFound for another vendor."""
    vendor_id = vendor_pk(vendor)
    pk = vendor_order.pk if isinstance(vendor_order, VendorOrder) else vendor_order
    if vendor_id is None or pk is None:
        raise VendorOrderNotFound()
    found = (
        VendorOrder.objects.select_for_update(of=("self",))
        .select_related("order", "vendor")
        .filter(pk=pk, vendor_id=vendor_id)
        .first()
    )
    if found is None:
        raise VendorOrderNotFound()
    return found


def vendor_order_lock_any(vendor_order: VendorOrder | int) -> VendorOrder:
    """The vendor order, row-locked, for the operator and the system (no vendor check)."""
    return (
        VendorOrder.objects.select_for_update(of=("self",))
        .select_related("order", "vendor")
        .get(pk=vendor_order.pk if isinstance(vendor_order, VendorOrder) else vendor_order)
    )


def vendor_order_touch(vendor_order: VendorOrder, *fields: str) -> None:
    # updated_at moves with every change: the vendor API's "updated since" filter relies on it.
    vendor_order.save(update_fields=[*fields, "updated_at"])


def vendor_order_event_add(
    vendor_order: VendorOrder, kind: EventKind, actor: Actor | None = None, **data: Any
) -> None:
    order_event_add(
        order=vendor_order.order, vendor_order=vendor_order, kind=kind, actor=actor, **data
    )


def french_text(text_fn: Callable[[], object]) -> str:
    """A text stored for the audit trail (refund reasons), in the source language."""
    with translation.override("fr"):
        return str(text_fn())


def customer_notify(template: str, *, vendor_order: VendorOrder, **context: Any) -> None:
    """Email the customer about one of their vendor orders (shipped, lines refused…)."""
    order = vendor_order.order
    notification_send(
        template=template,
        user=order.customer,
        context={"order": order, "vendor_order": vendor_order, **context},
    )
