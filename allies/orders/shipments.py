"""Shipments of a vendor order (ORD-3, ORD-8, CAT-5; Mirakl OR23/OR24) and their delivery,
by the vendor's confirmation or the carrier's tracking events.

    to_ship --some units--> partially_shipped --every accepted unit--> shipped
    shipped --every shipment delivered--> delivered (the withdrawal window starts)

A shipment carries accepted units in one or more parcels ("Colis 1/3"), each with its
tracking number checked against the carrier's format. Every shipment calls the
`vendor_order_shipped` hook in its transaction (the invoices app listens: INV-1). Carrier
events arrive through `allies.orders.webhooks` (or the simulated carrier,
`allies.orders.carrier_simulation`) and are applied idempotently. The shared rules (locks,
vendor check, events, errors) are in `allies.orders.vendor_side`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.core.hooks import hook_call
from allies.orders.events import Actor, EventKind
from allies.orders.models import Order, OrderLine, Parcel, Shipment, ShipmentLine, VendorOrder
from allies.orders.states import IN_TRANSIT, SHIPPABLE, VendorOrderAction, vendor_order_transition
from allies.orders.tasks import vendor_order_close_schedule
from allies.orders.vendor_side import (
    FulfilmentError,
    VendorOrderNotFound,
    customer_notify,
    vendor_order_event_add,
    vendor_order_lock,
    vendor_order_lock_any,
    vendor_order_touch,
    whole_number,
)
from allies.shipping import tracking
from allies.shipping.carriers import carrier_get, normalize_tracking_number, tracking_number_error
from allies.vendors.models import Vendor

MAX_PARCELS = 50


CLOCK_SKEW = timedelta(minutes=10)


def _shipped_quantities(vendor_order: VendorOrder) -> dict[int, int]:
    return dict(
        ShipmentLine.objects.filter(shipment__vendor_order=vendor_order)
        .values("order_line_id")
        .annotate(total=Sum("quantity"))
        .values_list("order_line_id", "total")
    )


def vendor_order_ship(
    *,
    vendor_order: VendorOrder | int,
    vendor: Vendor | int,
    carrier: str,
    parcels: Iterable[str],
    lines: Mapping[Any, object] | None = None,
    estimated_delivery_date: date | None = None,
    actor: Actor | None = None,
) -> Shipment:
    """Hand accepted units to a carrier, in one or more parcels (Mirakl OR23 + OR24).

    `parcels`: one tracking number per parcel ("Colis 1/N"…), each checked against the
    carrier's format where one is known. `lines` maps line ids to quantities; None ships every
    accepted unit not shipped yet. Partial shipments are allowed; the vendor order becomes
    "Expédiée" once every accepted unit has shipped. The customer is emailed per shipment.
    `estimated_delivery_date` defaults to the vendor order's promised latest date when that is
    still ahead. Every shipment calls the `vendor_order_shipped` hook in the same transaction
    (the invoices app invoices once "Expédiée"; an exception there undoes the shipment).
    """
    found = carrier_get(carrier)
    if found is None:
        raise FulfilmentError(_("Choisissez un transporteur de la liste."))
    numbers = [normalize_tracking_number(str(n or "")) for n in (parcels or [])]
    if not numbers:
        raise FulfilmentError(_("Indiquez au moins un numéro de suivi (un par colis)."))
    if len(numbers) > MAX_PARCELS:
        raise FulfilmentError(_("Au plus %(max)s colis par expédition.") % {"max": MAX_PARCELS})
    count = len(numbers)
    for index, number in enumerate(numbers, start=1):
        label = _("Colis %(index)s/%(count)s") % {"index": index, "count": count}
        if not number:
            raise FulfilmentError(
                _("%(parcel)s : indiquez le numéro de suivi.") % {"parcel": label}
            )
        error = tracking_number_error(found.code, number)
        if error:
            raise FulfilmentError(_("%(parcel)s : %(error)s") % {"parcel": label, "error": error})
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        raise FulfilmentError(
            _("Le numéro de suivi %(number)s est indiqué deux fois.") % {"number": duplicates[0]}
        )
    today = timezone.localdate()
    if estimated_delivery_date is not None:
        if isinstance(estimated_delivery_date, datetime) or not isinstance(
            estimated_delivery_date, date
        ):
            raise FulfilmentError(_("La date de livraison estimée est invalide."))
        if estimated_delivery_date < today:
            raise FulfilmentError(_("La date de livraison estimée ne peut pas être passée."))
    wanted: dict[int, int] | None = None
    if lines is not None:
        wanted = {}
        for key, quantity in dict(lines).items():
            try:
                line_id, qty = whole_number(key), whole_number(quantity)
            except (TypeError, ValueError) as exc:
                raise FulfilmentError(_("Quantité à expédier invalide.")) from exc
            if qty < 0:
                raise FulfilmentError(_("Quantité à expédier invalide."))
            if qty:
                wanted[line_id] = qty
        if not wanted:
            raise FulfilmentError(_("Choisissez au moins un article à expédier."))

    now = timezone.now()
    with transaction.atomic():
        locked = vendor_order_lock(vendor_order, vendor)
        if locked.status == VendorOrder.Status.WAITING_ACCEPTANCE:
            raise FulfilmentError(
                _("Acceptez ou refusez chaque article avant d'expédier la commande."),
                code="invalid_state",
            )
        if locked.status not in SHIPPABLE or locked.order.status != Order.Status.VALIDATED:
            raise FulfilmentError(
                _("Cette commande ne peut plus être expédiée."), code="invalid_state"
            )
        order_lines = {
            line.pk: line for line in OrderLine.objects.filter(vendor_order=locked).order_by("id")
        }
        shipped = _shipped_quantities(locked)
        remaining = {
            pk: line.quantity - shipped.get(pk, 0)
            for pk, line in order_lines.items()
            if line.status == OrderLine.Status.ACCEPTED
        }
        if wanted is None:
            wanted = {pk: left for pk, left in remaining.items() if left > 0}
            if not wanted:
                raise FulfilmentError(
                    _("Tous les articles acceptés sont déjà expédiés."), code="invalid_state"
                )
        for line_id, qty in wanted.items():
            line = order_lines.get(line_id)
            if line is None:
                raise FulfilmentError(_("Article inconnu dans cette commande."))
            if line.status != OrderLine.Status.ACCEPTED:
                raise FulfilmentError(
                    _("« %(title)s » n'a pas été accepté : il ne peut pas être expédié.")
                    % {"title": line.product_title}
                )
            if qty > remaining[line_id]:
                raise FulfilmentError(
                    _("Il reste %(left)s « %(title)s » à expédier, pas %(qty)s.")
                    % {"left": remaining[line_id], "title": line.product_title, "qty": qty}
                )
        if Parcel.objects.filter(
            shipment__carrier=found.code, tracking_number__in=numbers
        ).exists():
            raise FulfilmentError(
                _("Ce numéro de suivi est déjà utilisé pour une autre expédition.")
            )
        if estimated_delivery_date is None and locked.delivery_max_date >= today:
            estimated_delivery_date = locked.delivery_max_date
        shipment = Shipment.objects.create(
            vendor_order=locked,
            vendor_id=locked.vendor_id,
            carrier=found.code,
            parcel_count=count,
            shipped_at=now,
            estimated_delivery_date=estimated_delivery_date,
            created_by_id=actor.user_id if actor else None,
        )
        ShipmentLine.objects.bulk_create(
            ShipmentLine(
                shipment=shipment, order_line_id=pk, vendor_id=locked.vendor_id, quantity=qty
            )
            for pk, qty in sorted(wanted.items())
        )
        Parcel.objects.bulk_create(
            Parcel(shipment=shipment, vendor_id=locked.vendor_id, index=i, tracking_number=n)
            for i, n in enumerate(numbers, start=1)
        )
        complete = all(remaining[pk] - wanted.get(pk, 0) == 0 for pk in remaining)
        vendor_order_event_add(
            locked,
            EventKind.SHIPMENT,
            actor,
            shipment=shipment.pk,
            carrier=found.code,
            parcels=count,
            tracking_numbers=numbers,
            lines={str(pk): qty for pk, qty in sorted(wanted.items())},
            partial=not complete,
        )
        if complete:
            vendor_order_transition(
                vendor_order=locked, action=VendorOrderAction.SHIP_ALL, actor=actor, now=now
            )
        elif locked.status == VendorOrder.Status.TO_SHIP:
            vendor_order_transition(
                vendor_order=locked, action=VendorOrderAction.SHIP_PART, actor=actor, now=now
            )
        else:
            vendor_order_touch(locked)
        # The invoices app issues the invoice once the vendor order is "Expédiée" (INV-1), in
        # this transaction: a failure there undoes the shipment.
        hook_call("vendor_order_shipped", vendor_order=locked, shipment=shipment)
    transaction.on_commit(lambda: _simulation_schedule(shipment=shipment))
    shipment = (
        Shipment.objects.select_related("vendor_order__order", "vendor_order__vendor")
        .prefetch_related("parcels", "lines__order_line")
        .get(pk=shipment.pk)
    )
    customer_notify(
        "order_shipped",
        vendor_order=shipment.vendor_order,
        shipment=shipment,
        complete=complete,
    )
    return shipment


def _simulation_schedule(*, shipment: Shipment) -> None:
    from allies.orders.tasks import carrier_simulation_schedule

    carrier_simulation_schedule(shipment=shipment)


def _delivered_if_complete(vendor_order: VendorOrder, actor: Actor | None = None) -> None:
    """ "Livrée" once every accepted unit shipped and every shipment is delivered (locked)."""
    if vendor_order.status != VendorOrder.Status.SHIPPED:
        return
    moments = list(
        Shipment.objects.filter(vendor_order=vendor_order).values_list("delivered_at", flat=True)
    )
    delivered = [moment for moment in moments if moment is not None]
    if not delivered or len(delivered) < len(moments):
        return
    delivered_at = max(delivered)
    vendor_order_transition(
        vendor_order=vendor_order,
        action=VendorOrderAction.DELIVER,
        actor=actor,
        now=delivered_at,
        at=delivered_at.isoformat(),
    )
    # Closed once the withdrawal window has passed (allies.orders.closing).
    transaction.on_commit(lambda: vendor_order_close_schedule(delivered_at=delivered_at))
    vendor_order_id = vendor_order.pk
    transaction.on_commit(
        lambda: hook_call("vendor_order_delivered", vendor_order_id=vendor_order_id)
    )


def _delivery_moment(*, at: datetime | None, shipped_at: datetime, strict: bool) -> datetime:
    now = timezone.now()
    at = at or now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + CLOCK_SKEW:
        if strict:
            raise FulfilmentError(_("La date de livraison ne peut pas être dans le futur."))
        at = now
    if at < shipped_at:
        if strict:
            raise FulfilmentError(_("La date de livraison ne peut pas précéder l'expédition."))
        at = shipped_at
    return at


def shipment_mark_delivered(
    *,
    shipment: Shipment | int,
    at: datetime | None,
    source: str,
    actor: Actor | None = None,
    vendor: Vendor | int | None = None,
) -> Shipment:
    """Record a shipment's delivery, by the carrier (tracking event) or confirmed by the vendor.

    A vendor (source "vendor") must pass `vendor`, checked like everywhere else. Every parcel
    not yet delivered is marked delivered at `at`. When every shipment of a fully shipped
    vendor order is delivered, it becomes "Livrée" with `delivered_at` = the last delivery
    (the start of the withdrawal window). A shipment already delivered is left as it is.
    """
    if source not in Shipment.DeliverySource.values:
        raise ValueError(f"unknown delivery source {source!r}")
    pk = shipment.pk if isinstance(shipment, Shipment) else shipment
    with transaction.atomic():
        vendor_order_id = (
            Shipment.objects.filter(pk=pk).values_list("vendor_order_id", flat=True).first()
        )
        if vendor_order_id is None:
            raise VendorOrderNotFound()
        if source == Shipment.DeliverySource.VENDOR:
            vendor_order = vendor_order_lock(vendor_order_id, vendor)
        else:
            vendor_order = vendor_order_lock_any(vendor_order_id)
        locked = Shipment.objects.select_for_update().get(pk=pk)
        if locked.delivered_at is not None:
            return locked
        if vendor_order.status not in IN_TRANSIT:
            raise FulfilmentError(
                _("Cette commande ne peut plus être marquée livrée."), code="invalid_state"
            )
        moment = _delivery_moment(
            at=at, shipped_at=locked.shipped_at, strict=source == Shipment.DeliverySource.VENDOR
        )
        locked.delivered_at = moment
        locked.delivery_source = source
        locked.save(update_fields=["delivered_at", "delivery_source"])
        Parcel.objects.filter(shipment=locked, delivered_at__isnull=True).update(
            delivered_at=moment, tracking_status=tracking.DELIVERED, tracking_updated_at=moment
        )
        vendor_order_event_add(
            vendor_order,
            EventKind.SHIPMENT_DELIVERED,
            actor,
            shipment=locked.pk,
            source=source,
            at=moment.isoformat(),
        )
        _delivered_if_complete(vendor_order, actor)
        if vendor_order.status != VendorOrder.Status.DELIVERED:
            vendor_order_touch(vendor_order)
    return locked


def vendor_order_mark_delivered(
    *,
    vendor_order: VendorOrder | int,
    vendor: Vendor | int,
    at: datetime | None = None,
    actor: Actor | None = None,
) -> VendorOrder:
    """The vendor confirms delivery of every shipment of a fully shipped vendor order."""
    with transaction.atomic():
        locked = vendor_order_lock(vendor_order, vendor)
        if locked.status == VendorOrder.Status.DELIVERED:
            return locked
        if locked.status != VendorOrder.Status.SHIPPED:
            raise FulfilmentError(
                _("Seule une commande expédiée peut être marquée livrée."), code="invalid_state"
            )
        for shipment in locked.shipments.filter(delivered_at__isnull=True):
            shipment_mark_delivered(
                shipment=shipment, at=at, source="vendor", actor=actor, vendor=vendor
            )
        locked.refresh_from_db()
    return locked


@dataclass
class TrackingOutcome:
    applied: int = 0
    duplicates: int = 0
    unknown: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"applied": self.applied, "duplicates": self.duplicates, "unknown": self.unknown}


def _parcel_for(event: tracking.TrackingEvent, carriers: tuple[str, ...] | None) -> int | None:
    number = normalize_tracking_number(event.tracking_number)
    parcels = Parcel.objects.filter(tracking_number=number)
    if carriers is not None:
        parcels = parcels.filter(shipment__carrier__in=carriers)
    if event.carrier:
        parcels = parcels.filter(shipment__carrier=event.carrier)
    return parcels.order_by("-shipment__shipped_at", "-id").values_list("pk", flat=True).first()


def parcel_tracking_event_apply(
    *, parcel: Parcel | int, event: str, at: datetime, source: str
) -> bool:
    """Apply one carrier event to a parcel; False when it changes nothing (duplicate, stale).

    "delivered" delivers the parcel, and its shipment once all its parcels are delivered.
    "refused" (the customer refused it at the door, ORD-5) and "returned_to_sender" (or a
    "delivered" after a refusal: back at the vendor's) call the hook `parcel_refused`; the
    parcel is never delivered then. Other events only move the parcel's tracking status
    forward in time.
    """
    if event not in tracking.EVENTS:
        raise ValueError(f"unknown tracking event {event!r}")
    pk = parcel.pk if isinstance(parcel, Parcel) else parcel
    with transaction.atomic():
        vendor_order_id = (
            Parcel.objects.filter(pk=pk).values_list("shipment__vendor_order_id", flat=True).first()
        )
        if vendor_order_id is None:
            raise Parcel.DoesNotExist(f"no parcel {pk}")
        vendor_order = vendor_order_lock_any(vendor_order_id)
        locked = Parcel.objects.select_for_update().select_related("shipment").get(pk=pk)
        shipment = locked.shipment
        if locked.delivered_at is not None or shipment.delivered_at is not None:
            return False
        if vendor_order.status not in IN_TRANSIT:
            return False
        moment = _delivery_moment(at=at, shipped_at=shipment.shipped_at, strict=False)
        refused = locked.tracking_status in (tracking.REFUSED, tracking.RETURNED)
        if refused and event == tracking.DELIVERED:
            event = tracking.RETURNED  # delivered back to the sender, not to the customer
        if event in (tracking.REFUSED, tracking.RETURNED):
            if locked.tracking_status == event or (
                locked.tracking_status == tracking.RETURNED and event == tracking.REFUSED
            ):
                return False
        elif refused:
            return False  # a late scan of the way out: the parcel is coming back
        if event != tracking.DELIVERED:
            if locked.tracking_updated_at is not None and moment <= locked.tracking_updated_at:
                return False
            locked.tracking_status, locked.tracking_updated_at = event, moment
            locked.save(update_fields=["tracking_status", "tracking_updated_at"])
            vendor_order_event_add(
                vendor_order,
                EventKind.PARCEL_TRACKING,
                parcel=locked.pk,
                index=locked.index,
                count=shipment.parcel_count,
                event=event,
                at=moment.isoformat(),
                source=source,
            )
            vendor_order_touch(vendor_order)
            if event in (tracking.REFUSED, tracking.RETURNED):
                # ORD-5: the after-sales app opens (then receives) the vendor's return.
                hook_call("parcel_refused", vendor_order=vendor_order, parcel=locked,
                          event=event, at=moment, source=source)  # fmt: skip
            return True
        locked.delivered_at = moment
        locked.tracking_status, locked.tracking_updated_at = event, moment
        locked.save(update_fields=["delivered_at", "tracking_status", "tracking_updated_at"])
        vendor_order_event_add(
            vendor_order,
            EventKind.PARCEL_DELIVERED,
            parcel=locked.pk,
            index=locked.index,
            count=shipment.parcel_count,
            at=moment.isoformat(),
            source=source,
        )
        vendor_order_touch(vendor_order)
        if not Parcel.objects.filter(shipment=shipment, delivered_at__isnull=True).exists():
            last = Parcel.objects.filter(shipment=shipment).aggregate(at=Max("delivered_at"))
            shipment_mark_delivered(shipment=shipment.pk, at=last["at"], source="carrier")
    return True


def tracking_events_apply(
    *, adapter: tracking.TrackingAdapter, events: Iterable[tracking.TrackingEvent]
) -> TrackingOutcome:
    """Apply a webhook's events; unknown tracking numbers are counted and ignored."""
    outcome = TrackingOutcome()
    for event in events:
        parcel_id = _parcel_for(event, adapter.carriers)
        if parcel_id is None:
            # Not a parcel of an order: a return's label, for instance (allies.aftersales).
            answers = hook_call(
                "tracking_event_unmatched",
                carrier=event.carrier,
                tracking_number=normalize_tracking_number(event.tracking_number),
                event=event.event,
                at=event.at,
                source=adapter.code,
            )
            if any(answer is True for answer in answers):
                outcome.applied += 1
            elif any(answer is False for answer in answers):
                outcome.duplicates += 1
            else:
                outcome.unknown += 1
            continue
        if parcel_tracking_event_apply(
            parcel=parcel_id, event=event.event, at=event.at, source=adapter.code
        ):
            outcome.applied += 1
        else:
            outcome.duplicates += 1
    return outcome
