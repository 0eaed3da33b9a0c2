"""The state machines of an order and of its vendor orders: stages, transition tables, labels,
and the one function per entity that moves it.

A `VendorOrder` (Mirakl's model, ORD-2, ORD-8):

    awaiting_payment --pay--> waiting_acceptance --accept--> to_ship --ship_part--> partially_
       | cancel_unpaid          | refuse → refused           | ship_all             shipped
       v                        | cancel → cancelled         | cancel → cancelled     | ship_all
    cancelled_unpaid            |                            v                        v
       (--pay, late--> waiting_acceptance)                  shipped <-----------------+
                                                              | deliver
                                                              v
                                                           delivered --close--> closed

An `Order` (what the customer paid at once): awaiting_payment → validated / payment_failed /
cancelled; a payment that succeeds late (after its hold lapsed) validates a failed or
cancelled order again.

Every status write of the code base goes through `vendor_order_transition` or
`order_transition` (a test reads the source to keep it so): each locks the row, checks the
table, sets the stage's timestamp, saves with `updated_at` (the vendor API's `updated_since`
relies on it) and writes the typed timeline event with its actor. The labels customers and
vendors read and the Mirakl states of the vendor API all come from the tables here: the
customer's label is the enum's own label (ORD-2 and the help page: "En préparation",
"Expédiée", "Livrée"), the vendor's and Mirakl's are in `VENDOR_ORDER_STAGES`.

This module imports no model (the models take their choices from here): it reaches the
tables through the instances it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from allies.core.errors import AlliesError
from allies.core.hooks import hook_call
from allies.orders.events import (
    Actor,
    EventKind,
    order_event_build,
    order_events_write,
)

if TYPE_CHECKING:
    from allies.orders.models import Order, VendorOrder


class TransitionNotAllowed(AlliesError):
    """The table has no such move from the entity's current stage (a caller's bug or a race:
    the services check the stage first and explain it to the user, so this message, in
    English, is for the logs)."""

    code = "invalid_state"


# --- order --------------------------------------------------------------------------------


class OrderStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("En attente de paiement")
    VALIDATED = "validated", _("Validée")
    PAYMENT_FAILED = "payment_failed", _("Paiement refusé")
    CANCELLED = "cancelled", _("Annulée")


class OrderAction(StrEnum):
    PAY = "pay"
    FAIL_PAYMENT = "fail_payment"
    CANCEL = "cancel"  # ORD-4: a not-yet-validated order can be cancelled


ORDER_TRANSITIONS: dict[tuple[OrderStatus, OrderAction], OrderStatus] = {
    (OrderStatus.AWAITING_PAYMENT, OrderAction.PAY): OrderStatus.VALIDATED,
    # The customer lingered on the 3-D Secure page past the hold: the stock is taken again.
    (OrderStatus.PAYMENT_FAILED, OrderAction.PAY): OrderStatus.VALIDATED,
    (OrderStatus.CANCELLED, OrderAction.PAY): OrderStatus.VALIDATED,
    (OrderStatus.AWAITING_PAYMENT, OrderAction.FAIL_PAYMENT): OrderStatus.PAYMENT_FAILED,
    (OrderStatus.AWAITING_PAYMENT, OrderAction.CANCEL): OrderStatus.CANCELLED,
}

ORDER_ACTION_EVENTS: dict[OrderAction, EventKind] = {
    OrderAction.PAY: EventKind.PAYMENT_SUCCEEDED,
    OrderAction.FAIL_PAYMENT: EventKind.PAYMENT_FAILED,
    OrderAction.CANCEL: EventKind.ORDER_CANCELLED,
}


# --- vendor order -------------------------------------------------------------------------


class VendorOrderStatus(models.TextChoices):
    """The stages; each label is what the customer reads (ORD-2)."""

    AWAITING_PAYMENT = "awaiting_payment", _("En attente de paiement")
    WAITING_ACCEPTANCE = "waiting_acceptance", _("En préparation")
    TO_SHIP = "to_ship", _("En préparation")
    # Some parcels left: the customer sees them in "Expéditions", the order is still being
    # prepared ("Expédiée" makes the invoice due, INV-1).
    PARTIALLY_SHIPPED = "partially_shipped", _("En préparation")
    SHIPPED = "shipped", _("Expédiée")
    DELIVERED = "delivered", _("Livrée")
    # The withdrawal window passed with nothing open: for the customer it stays delivered.
    CLOSED = "closed", _("Livrée")
    REFUSED = "refused", _("Refusée par le vendeur")
    CANCELLED_UNPAID = "cancelled_unpaid", _("Annulée")
    CANCELLED = "cancelled", _("Annulée")


class VendorOrderAction(StrEnum):
    PAY = "pay"
    CANCEL_UNPAID = "cancel_unpaid"
    ACCEPT = "accept"  # every line decided, at least one accepted
    REFUSE = "refuse"  # every line refused
    SHIP_PART = "ship_part"
    SHIP_ALL = "ship_all"
    DELIVER = "deliver"
    CLOSE = "close"
    CANCEL = "cancel"  # by the operator, or the system past the acceptance limit


@dataclass(frozen=True)
class Stage:
    vendor_label: Promise  # the vendor portal's and the back office's word
    mirakl: str  # the Mirakl order state (OR11) of the vendor API


S, A = VendorOrderStatus, VendorOrderAction

VENDOR_ORDER_STAGES: dict[VendorOrderStatus, Stage] = {
    S.AWAITING_PAYMENT: Stage(_("En attente de paiement"), "WAITING_DEBIT_PAYMENT"),
    S.WAITING_ACCEPTANCE: Stage(_("À accepter"), "WAITING_ACCEPTANCE"),
    S.TO_SHIP: Stage(_("À expédier"), "SHIPPING"),
    S.PARTIALLY_SHIPPED: Stage(_("Partiellement expédiée"), "SHIPPING"),
    S.SHIPPED: Stage(_("Expédiée"), "SHIPPED"),
    S.DELIVERED: Stage(_("Livrée"), "RECEIVED"),
    S.CLOSED: Stage(_("Clôturée"), "CLOSED"),
    S.REFUSED: Stage(_("Refusée par le vendeur"), "REFUSED"),
    S.CANCELLED_UNPAID: Stage(_("Annulée avant paiement"), "CANCELED"),
    S.CANCELLED: Stage(_("Annulée"), "CANCELED"),
}

VENDOR_ORDER_TRANSITIONS: dict[tuple[VendorOrderStatus, VendorOrderAction], VendorOrderStatus] = {
    (S.AWAITING_PAYMENT, A.PAY): S.WAITING_ACCEPTANCE,
    (S.CANCELLED_UNPAID, A.PAY): S.WAITING_ACCEPTANCE,  # a late payment (see Order)
    (S.AWAITING_PAYMENT, A.CANCEL_UNPAID): S.CANCELLED_UNPAID,
    (S.WAITING_ACCEPTANCE, A.ACCEPT): S.TO_SHIP,
    (S.WAITING_ACCEPTANCE, A.REFUSE): S.REFUSED,
    (S.WAITING_ACCEPTANCE, A.CANCEL): S.CANCELLED,
    (S.TO_SHIP, A.CANCEL): S.CANCELLED,  # ORD-5: nothing shipped yet
    (S.TO_SHIP, A.SHIP_PART): S.PARTIALLY_SHIPPED,
    (S.TO_SHIP, A.SHIP_ALL): S.SHIPPED,
    (S.PARTIALLY_SHIPPED, A.SHIP_ALL): S.SHIPPED,
    (S.SHIPPED, A.DELIVER): S.DELIVERED,
    (S.DELIVERED, A.CLOSE): S.CLOSED,
}

VENDOR_ORDER_ACTION_EVENTS: dict[VendorOrderAction, EventKind] = {
    A.PAY: EventKind.PAID,
    A.CANCEL_UNPAID: EventKind.UNPAID_CANCELLED,
    A.ACCEPT: EventKind.ACCEPTED,
    A.REFUSE: EventKind.REFUSED,
    A.SHIP_PART: EventKind.PARTIALLY_SHIPPED,
    A.SHIP_ALL: EventKind.SHIPPED,
    A.DELIVER: EventKind.DELIVERED,
    A.CLOSE: EventKind.CLOSED,
    A.CANCEL: EventKind.CANCELLED,
}

# The moment each action stamps (set to the transition's `now`).
VENDOR_ORDER_ACTION_TIMESTAMPS: dict[VendorOrderAction, str] = {
    A.ACCEPT: "accepted_at",
    A.SHIP_ALL: "shipped_at",
    A.DELIVER: "delivered_at",
    A.CLOSE: "closed_at",
    A.CANCEL: "cancelled_at",
    A.CANCEL_UNPAID: "cancelled_at",
}

del S, A


def vendor_order_statuses_allowing(action: VendorOrderAction) -> frozenset[VendorOrderStatus]:
    """The stages from which `action` is allowed (read from the table)."""
    return frozenset(src for (src, act) in VENDOR_ORDER_TRANSITIONS if act == action)


def vendor_order_statuses_for_mirakl(state: str) -> list[VendorOrderStatus]:
    """Our stages behind one Mirakl state (SHIPPING is "to ship" and "partially shipped")."""
    return [status for status, stage in VENDOR_ORDER_STAGES.items() if stage.mirakl == state]


MIRAKL_STATES: tuple[str, ...] = tuple(
    dict.fromkeys(s.mirakl for s in VENDOR_ORDER_STAGES.values())
)

# Paid and not yet fully shipped: what the customer reads as "En préparation".
IN_PREPARATION = frozenset(
    {
        VendorOrderStatus.WAITING_ACCEPTANCE,
        VendorOrderStatus.TO_SHIP,
        VendorOrderStatus.PARTIALLY_SHIPPED,
    }
)
# Units can be handed to a carrier.
SHIPPABLE = vendor_order_statuses_allowing(VendorOrderAction.SHIP_ALL)
# Some parcels are on their way: carriers' events and deliveries apply.
IN_TRANSIT = frozenset({VendorOrderStatus.PARTIALLY_SHIPPED, VendorOrderStatus.SHIPPED})
# Not paid, yet or ever: such vendor orders never reach their vendor. PAY is the only move out
# of these stages, and `orders.services` pays every vendor order of an order in the
# transaction that validates it: a vendor order is outside them exactly when its order has a
# `validated_at` (tests/orders/test_selectors.py). Read from the vendor order's own row, the
# vendor's lists and counts need no join to the order (index vendor, status, -created_at).
UNPAID = frozenset({VendorOrderStatus.AWAITING_PAYMENT, VendorOrderStatus.CANCELLED_UNPAID})

# --- the one function per entity ----------------------------------------------------------


def _locked_status(instance: Order | VendorOrder) -> str:
    manager = type(instance)._default_manager
    return manager.select_for_update().values_list("status", flat=True).get(pk=instance.pk)


def _save(instance: Order | VendorOrder, fields: list[str]) -> None:
    instance.save(update_fields=list(dict.fromkeys(fields)))


@transaction.atomic
def vendor_order_transition(
    *,
    vendor_order: VendorOrder,
    action: VendorOrderAction,
    actor: Actor | None,
    now: datetime | None = None,
    changes: dict[str, Any] | None = None,
    **event_data: Any,
) -> VendorOrder:
    """Move `vendor_order` by `action`, or raise TransitionNotAllowed and change nothing.

    Locks the row and reads its stage from the database (the instance may be stale), sets the
    action's timestamp to `now` (default: now; a delivery passes the carrier's moment), writes
    `changes` (other fields of the same move, e.g. the acceptance deadline) in the same save,
    with `updated_at`, and records the action's event with `actor` and `event_data`. The
    instance is updated in place and returned.
    """
    vendor_orders_transition(
        vendor_orders=[vendor_order],
        action=action,
        actor=actor,
        now=now,
        changes={vendor_order.pk: changes or {}},
        **event_data,
    )
    return vendor_order


def vendor_orders_transition(
    *,
    vendor_orders: list[VendorOrder],
    action: VendorOrderAction,
    actor: Actor | None,
    now: datetime | None = None,
    changes: dict[Any, dict[str, Any]] | None = None,
    locked: bool = False,
    events: list[Any] | None = None,
    **event_data: Any,
) -> list[VendorOrder]:
    """Move several vendor orders by the same `action` at once (an order's payment moves
    each of its vendor orders), all or none: TransitionNotAllowed if one of them may not.

    The contract of `vendor_order_transition`, in a fixed number of statements whatever their
    number: one locked read of their stages, one UPDATE, one INSERT of their events.
    `changes` maps a vendor order's id to the other fields of its move. `locked`: the caller
    read the rows (their `status`) under its own row lock in this transaction, so they are
    not read again. `events`: the events are added to that list instead of being written,
    for the caller to write with others in one INSERT (`events.order_events_write`), in this
    transaction. No savepoint of its own: a failure fails the caller's transaction (there is
    no partial move to keep).
    """
    if not vendor_orders:
        return []
    action = VendorOrderAction(action)
    changes = changes or {}
    manager = type(vendor_orders[0])._default_manager
    with transaction.atomic(savepoint=False):
        if locked:
            current = {vo.pk: vo.status for vo in vendor_orders}
        else:
            current = dict(
                manager.select_for_update()
                .filter(pk__in=[vo.pk for vo in vendor_orders])
                .values_list("pk", "status")
            )
        targets = []
        for vendor_order in vendor_orders:
            stage = VendorOrderStatus(current[vendor_order.pk])
            target = VENDOR_ORDER_TRANSITIONS.get((stage, action))
            if target is None:
                raise TransitionNotAllowed(f"vendor order {vendor_order.pk}: {action} from {stage}")
            targets.append(target)
        now = now or timezone.now()
        names: list[str] = []
        built = []
        for vendor_order, target in zip(vendor_orders, targets, strict=True):
            fields = {"status": target, **changes.get(vendor_order.pk, {})}
            stamp = VENDOR_ORDER_ACTION_TIMESTAMPS.get(action)
            if stamp:
                fields[stamp] = now
            if action == VendorOrderAction.PAY:
                fields["cancelled_at"] = None  # a late payment revives one cancelled unpaid
            for name, value in fields.items():
                setattr(vendor_order, name, value)
            names.extend(name for name in fields if name not in names)
            built.append(
                order_event_build(
                    order=vendor_order.order,
                    vendor_order=vendor_order,
                    kind=VENDOR_ORDER_ACTION_EVENTS[action],
                    actor=actor,
                    **event_data,
                )
            )
        if len(vendor_orders) == 1:
            _save(vendor_orders[0], [*names, "updated_at"])
        else:
            # bulk_update leaves auto_now alone: the vendor API's `updated_since` needs it.
            moment = timezone.now()
            for vendor_order in vendor_orders:
                vendor_order.updated_at = moment
            manager.bulk_update(vendor_orders, [*names, "updated_at"])
        # The apps above keep what they need of a vendor order's stage (the ledger's
        # balances, its delivery), in this transaction.
        hook_call("vendor_orders_moved", vendor_orders=vendor_orders, action=action)
        if events is None:
            order_events_write(built)
        else:
            events.extend(built)
    return vendor_orders


ORDER_ACTION_TIMESTAMPS: dict[OrderAction, str] = {
    OrderAction.PAY: "validated_at",
    OrderAction.CANCEL: "cancelled_at",
}


def order_transition(
    *,
    order: Order,
    action: OrderAction,
    actor: Actor | None,
    now: datetime | None = None,
    changes: dict[str, Any] | None = None,
    locked: bool = False,
    events: list[Any] | None = None,
    **event_data: Any,
) -> Order:
    """Move `order` by `action` (same contract as `vendor_order_transition`). Its stock hold
    ends with any move; a payment clears a cancellation of a late-paid order.

    `locked`: the caller read the order (its `status`) under its own row lock in this
    transaction (a payment's settlement locks the payment and its order in one read), so it
    is not read again, and no savepoint is taken (a failure fails the caller's transaction).
    `events`: as for `vendor_orders_transition`, the event is added there, not written.
    """
    with transaction.atomic(savepoint=not locked):
        action = OrderAction(action)
        current = OrderStatus(order.status if locked else _locked_status(order))
        target = ORDER_TRANSITIONS.get((current, action))
        if target is None:
            raise TransitionNotAllowed(f"order {order.reference}: {action} from {current}")
        now = now or timezone.now()
        fields: dict[str, Any] = {"status": target, "reserved_until": None, **(changes or {})}
        stamp = ORDER_ACTION_TIMESTAMPS.get(action)
        if stamp:
            fields[stamp] = now
        if action == OrderAction.PAY:
            fields["cancelled_at"] = None
        for name, value in fields.items():
            setattr(order, name, value)
        _save(order, list(fields))
        event = order_event_build(
            order=order, kind=ORDER_ACTION_EVENTS[action], actor=actor, **event_data
        )
        if events is None:
            event.save()
        else:
            events.append(event)
    return order
