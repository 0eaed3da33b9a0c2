"""Changing where and to whom a vendor order is delivered (ORD-6, the help page's "Comment
modifier mon adresse de livraison ?").

Each vendor order ships on its own, so a change applies to one vendor order: it is kept in
`VendorOrder.delivery_address` (`ship_to`), the order's own address staying what was bought.

- Recipient (`vendor_order_recipient_change`): at any time before delivery. Before shipping,
  the vendor reads the new name on its order; after, the carrier is asked
  (`shipping.delivery_changes`), parcel by parcel, and may refuse (out for delivery).
- Address, before shipping: within 24 h of ordering the customer edits it here
  (`vendor_order_address_change`); later it is a request the vendor accepts
  (`allies.aftersales.address_requests`, which calls the same function for the vendor).
- Address, once shipped: a request to the operator, who asks the carrier to redirect the
  parcels (`vendor_order_redirect`).
- A change that would cost more is refused: before shipping, an address in another delivery
  zone (its fee differs: the customer may cancel and order again); after, a redirection the
  carrier would charge for.

Every change writes its event on the order's timeline (who, what); the vendor is emailed
when the customer changed an order it has not shipped yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.core.errors import AlliesError
from allies.orders.events import Actor, ActorKind, EventKind
from allies.orders.models import Parcel, VendorOrder
from allies.orders.states import IN_TRANSIT
from allies.orders.vendor_side import vendor_order_event_add, vendor_order_touch
from allies.shipping.delivery_changes import DeliveryChangeRefused, delivery_change_adapter
from allies.shipping.zones import normalize_postcode, zone_for
from allies.vendors.emails import vendor_email_send

ADDRESS_EDIT_HOURS = 24  # ORD-6: past this, an address change goes through the vendor
# The address fields a change may set, with their column's bounds (accounts.Address).
FIELD_LIMITS = {
    "recipient": 150,
    "company": 150,
    "street": 200,
    "street_extra": 200,
    "postcode": 10,
    "city": 100,
    "country": 2,
    "phone": 30,
    "instructions": 300,
}
REQUIRED = ("recipient", "street", "postcode", "city", "country")
NOT_SHIPPED = frozenset({VendorOrder.Status.WAITING_ACCEPTANCE, VendorOrder.Status.TO_SHIP})


class DeliveryChangeError(AlliesError):
    """A delivery change refused; `message` is for the customer (or the vendor, the agent).

    Codes: "not_found", "invalid_address", "zone_change" (another fee: cancel and order
    again), "too_late_to_edit" (past 24 h: ask the vendor), "shipped" (ask the operator),
    "not_shipped", "delivered", "carrier_refused" / "too_late" / "extra_cost" (the carrier)."""

    code = "refused"

    def __init__(self, message: object = "", *, code: str | None = None) -> None:
        super().__init__(str(message), code=code)


def clean_address(raw: Mapping[str, Any], *, current: Mapping[str, Any]) -> dict[str, str]:
    """A new delivery address from a form or a request: every field a bounded string, the
    required ones present, the postcode valid for its country; and in the same delivery zone
    as `current` (another zone would change the fee: "zone_change")."""
    cleaned: dict[str, str] = {}
    for name, limit in FIELD_LIMITS.items():
        value = " ".join(str(raw.get(name) or "").split())
        if len(value) > limit:
            raise DeliveryChangeError(
                _("Un champ de l'adresse est trop long."), code="invalid_address"
            )
        cleaned[name] = value
    cleaned["country"] = cleaned["country"].upper() or str(current.get("country") or "FR")
    cleaned["postcode"] = normalize_postcode(cleaned["postcode"])
    if any(not cleaned[name] for name in REQUIRED):
        raise DeliveryChangeError(
            _("Indiquez le destinataire, l'adresse, le code postal et la ville."),
            code="invalid_address",
        )
    try:
        zone = zone_for(cleaned["country"], cleaned["postcode"])
    except ValidationError as exc:
        raise DeliveryChangeError(" ".join(exc.messages), code="invalid_address") from None
    try:
        before = zone_for(str(current.get("country") or ""), str(current.get("postcode") or ""))
    except ValidationError:
        before = None
    if before is not None and zone != before:
        raise DeliveryChangeError(
            _(
                "Cette adresse est dans une autre zone de livraison : les frais de port "
                "changeraient. Vous pouvez annuler les articles et commander à nouveau."
            ),
            code="zone_change",
        )
    return cleaned


def address_edit_deadline(vendor_order: VendorOrder) -> datetime | None:
    """Until when the customer edits the address directly (24 h after ordering)."""
    validated_at = vendor_order.order.validated_at
    return validated_at + timedelta(hours=ADDRESS_EDIT_HOURS) if validated_at else None


def address_directly_editable(vendor_order: VendorOrder, *, now: datetime | None = None) -> bool:
    deadline = address_edit_deadline(vendor_order)
    return (
        deadline is not None
        and (now or timezone.now()) < deadline
        and vendor_order.status in NOT_SHIPPED
        and vendor_order.relay_point is None
    )


def _lock(vendor_order: VendorOrder | int) -> VendorOrder:
    pk = vendor_order.pk if isinstance(vendor_order, VendorOrder) else vendor_order
    return (
        VendorOrder.objects.select_for_update(of=("self",))
        .select_related("order", "vendor")
        .get(pk=pk)
    )


def _tell_vendor(vendor_order: VendorOrder, what: str) -> None:
    vendor_email_send(
        vendor=vendor_order.vendor,
        template="vendor_order_delivery_changed",
        context={"order": vendor_order.order, "vendor_order": vendor_order, "what": what},
    )


def vendor_order_address_change(
    *,
    vendor_order: VendorOrder,
    actor: Actor,
    address: Mapping[str, Any],
    now: datetime | None = None,
) -> VendorOrder:
    """Set the delivery address of a vendor order not shipped yet: by the customer within
    24 h of ordering, or by the vendor (or staff) accepting the customer's request later.
    DeliveryChangeError with the reason otherwise; nothing changes."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(vendor_order)
        if actor.kind == ActorKind.CUSTOMER and locked.order.customer_id != actor.user_id:
            raise DeliveryChangeError(_("Commande introuvable."), code="not_found")
        if locked.relay_point is not None:
            raise DeliveryChangeError(
                _("Cette commande est livrée en point relais : son adresse ne change pas."),
                code="relay_point",
            )
        if locked.status not in NOT_SHIPPED or locked.shipments.exists():
            raise DeliveryChangeError(
                _(
                    "Le colis est déjà expédié : demandez au service client de le faire "
                    "réexpédier par le transporteur."
                ),
                code="shipped",
            )
        if actor.kind == ActorKind.CUSTOMER and not address_directly_editable(locked, now=now):
            raise DeliveryChangeError(
                _(
                    "Plus de 24 heures après la commande, le changement d'adresse est une "
                    "demande au vendeur."
                ),
                code="too_late_to_edit",
            )
        cleaned = clean_address(address, current=locked.ship_to)
        locked.delivery_address = cleaned
        locked.save(update_fields=["delivery_address", "updated_at"])
        vendor_order_event_add(
            locked,
            EventKind.DELIVERY_ADDRESS_CHANGED,
            actor,
            postcode=cleaned["postcode"],
            city=cleaned["city"],
        )
        if actor.kind == ActorKind.CUSTOMER:
            _tell_vendor(locked, "address")
    return locked


def _parcels_in_transit(vendor_order: VendorOrder) -> list[Parcel]:
    return list(
        Parcel.objects.filter(shipment__vendor_order=vendor_order, delivered_at__isnull=True)
        .select_related("shipment")
        .order_by("shipment_id", "index")
    )


def _carrier_refused(exc: DeliveryChangeRefused) -> DeliveryChangeError:
    return DeliveryChangeError(exc.message, code=exc.code)


def vendor_order_recipient_change(
    *, vendor_order: VendorOrder, actor: Actor, recipient: Any, now: datetime | None = None
) -> VendorOrder:
    """A new recipient name, before or after shipping (ORD-6): after, every parcel still on
    its way is changed at its carrier first (all of them, or none: a refusal changes
    nothing)."""
    name = " ".join(str(recipient or "").split())
    if not name or len(name) > FIELD_LIMITS["recipient"]:
        raise DeliveryChangeError(
            _("Indiquez le prénom et le nom du destinataire."), code="invalid_recipient"
        )
    with transaction.atomic():
        locked = _lock(vendor_order)
        if actor.kind == ActorKind.CUSTOMER and locked.order.customer_id != actor.user_id:
            raise DeliveryChangeError(_("Commande introuvable."), code="not_found")
        if locked.status not in NOT_SHIPPED and locked.status not in IN_TRANSIT:
            raise DeliveryChangeError(
                _("Cette commande n'est plus en cours de livraison."), code="delivered"
            )
        parcels = _parcels_in_transit(locked) if locked.status in IN_TRANSIT else []
        try:
            for parcel in parcels:
                delivery_change_adapter(parcel.shipment.carrier).recipient_change(
                    tracking_number=parcel.tracking_number,
                    status=parcel.tracking_status,
                    recipient=name,
                )
        except DeliveryChangeRefused as exc:
            raise _carrier_refused(exc) from None
        locked.delivery_address = {**locked.ship_to, "recipient": name}
        locked.save(update_fields=["delivery_address", "updated_at"])
        vendor_order_event_add(
            locked, EventKind.RECIPIENT_CHANGED, actor, recipient=name, parcels=len(parcels)
        )
        if not parcels and actor.kind == ActorKind.CUSTOMER:
            _tell_vendor(locked, "recipient")
    return locked


def vendor_order_redirect(
    *,
    vendor_order: VendorOrder,
    actor: Actor,
    address: Mapping[str, Any],
    now: datetime | None = None,
) -> VendorOrder:
    """Staff, at the customer's request, have the carrier redirect the parcels of a shipped
    vendor order to a new address (ORD-6). Every parcel on its way must be accepted by its
    carrier (free redirections only); a refusal changes nothing."""
    if actor.kind != ActorKind.STAFF:
        raise DeliveryChangeError(
            _("Seul le service client fait réexpédier un colis."), code="staff_only"
        )
    with transaction.atomic():
        locked = _lock(vendor_order)
        if locked.status not in IN_TRANSIT:
            raise DeliveryChangeError(
                _("Seul un colis en route peut être réexpédié."), code="not_shipped"
            )
        cleaned = clean_address(address, current=locked.ship_to)
        parcels = _parcels_in_transit(locked)
        try:
            for parcel in parcels:
                delivery_change_adapter(parcel.shipment.carrier).redirect(
                    tracking_number=parcel.tracking_number,
                    status=parcel.tracking_status,
                    origin=locked.ship_to,
                    destination=cleaned,
                )
        except DeliveryChangeRefused as exc:
            raise _carrier_refused(exc) from None
        locked.delivery_address = cleaned
        locked.save(update_fields=["delivery_address", "updated_at"])
        vendor_order_event_add(
            locked,
            EventKind.DELIVERY_REDIRECTED,
            actor,
            postcode=cleaned["postcode"],
            city=cleaned["city"],
            parcels=len(parcels),
        )
        vendor_order_touch(locked)
    return locked
