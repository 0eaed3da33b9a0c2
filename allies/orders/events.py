"""The order timeline's vocabulary: which events are written, and who acted.

Every change of an order writes one `OrderEvent` through `order_event_add`: its `kind` is an
`EventKind` (a typo fails loudly instead of writing an event nobody reads) and its actor an
`Actor` — a customer, a vendor's user, a vendor's API key, the operator's staff, or the system
(timers, carriers). The same list is the audit log and, filtered by `allies.orders.timeline`,
the customer's status timeline.

This module imports no model (the models import these choices): it writes through the
order's related manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from allies.orders.models import Order, VendorOrder


class EventKind(models.TextChoices):
    # Order level.
    CREATED = "created", _("Commande passée")
    PAYMENT_SUCCEEDED = "payment_succeeded", _("Paiement accepté")
    PAYMENT_FAILED = "payment_failed", _("Paiement refusé")
    ORDER_CANCELLED = "cancelled", _("Commande annulée avant paiement")
    # Vendor order: its transitions (allies.orders.states).
    PAID = "vendor_order_paid", _("Commande transmise au vendeur")
    UNPAID_CANCELLED = "vendor_order_unpaid_cancelled", _("Annulée faute de paiement")
    ACCEPTED = "accepted", _("Acceptée par le vendeur")
    REFUSED = "refused", _("Refusée par le vendeur")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partiellement expédiée")
    SHIPPED = "shipped", _("Expédiée")
    DELIVERED = "delivered", _("Livrée")
    CLOSED = "closed", _("Clôturée")
    CANCELLED = "vendor_order_cancelled", _("Annulée")
    # Vendor order: what happens within a stage.
    LINES_ACCEPTED = "lines_accepted", _("Articles acceptés")
    LINES_REFUSED = "lines_refused", _("Articles refusés")
    # The customer cancelled lines the vendor had not decided yet (ORD-5, allies.orders.
    # cancellations).
    LINES_CANCELLED = "lines_cancelled", _("Articles annulés par le client")
    ACCEPTANCE_OVERDUE = "acceptance_overdue", _("Délai d'acceptation dépassé")
    SHIPMENT = "shipment_created", _("Colis remis au transporteur")
    PARCEL_TRACKING = "parcel_tracking", _("Suivi du colis")
    PARCEL_DELIVERED = "parcel_delivered", _("Colis livré")
    SHIPMENT_DELIVERED = "shipment_delivered", _("Expédition livrée")
    REFUND_FAILED = "refund_failed", _("Échec du remboursement")
    LEDGER_FAILED = "ledger_failed", _("Écritures du remboursement manquantes")
    # Returns (written by allies.aftersales.return_states).
    RETURN_REQUESTED = "return_requested", _("Demande de retour")
    RETURN_ACCEPTED = "return_accepted", _("Retour accepté par le vendeur")
    RETURN_REFUSED = "return_refused", _("Retour refusé par le vendeur")
    RETURN_CANCELLED = "return_cancelled", _("Demande de retour annulée")
    RETURN_LABEL = "return_label", _("Bon de retour prépayé émis")
    RETURN_SENT = "return_sent", _("Article renvoyé au vendeur")
    RETURN_RECEIVED = "return_received", _("Retour reçu par le vendeur")
    RETURN_REFUNDED = "return_refunded", _("Retour remboursé")
    RETURN_REJECTED = "return_rejected", _("Retour non conforme")
    RETURN_EXPIRED = "return_expired", _("Délai de renvoi dépassé")
    CLAIM_OPENED = "claim_opened", _("Réclamation SAV ouverte")
    CLAIM_RETURN_PROPOSED = "claim_return_proposed", _("Retour du produit proposé par le vendeur")
    CLAIM_PICKUP_CHOSEN = "claim_pickup_chosen", _("Date d'enlèvement choisie")
    CLAIM_LABEL = "claim_label", _("Bon de retour prépayé émis (SAV)")
    CLAIM_REFUSED = "claim_refused", _("Réclamation refusée par le vendeur")
    CLAIM_CANCELLED = "claim_cancelled", _("Réclamation annulée")
    CLAIM_RECEIVED = "claim_received", _("Produit reçu par le vendeur (SAV)")
    CLAIM_REFUNDED = "claim_refunded", _("Réclamation remboursée")
    CLAIM_RESHIPPED = "claim_reshipped", _("Nouvel envoi expédié (SAV)")
    CLAIM_RESHIP_DELIVERED = "claim_reship_delivered", _("Nouvel envoi livré (SAV)")
    CLAIM_REJECTED = "claim_rejected", _("Aucun défaut constaté (SAV)")
    CANCELLATION_REQUESTED = "cancellation_requested", _("Annulation demandée au vendeur")
    CANCELLATION_CONFIRMED = "cancellation_confirmed", _("Annulation acceptée par le vendeur")
    CANCELLATION_REFUSED = "cancellation_refused", _("Annulation refusée par le vendeur")
    DELIVERY_ADDRESS_CHANGED = "delivery_address_changed", _("Adresse de livraison modifiée")
    RECIPIENT_CHANGED = "recipient_changed", _("Destinataire modifié")
    DELIVERY_REDIRECTED = "delivery_redirected", _("Colis réexpédié à une nouvelle adresse")
    ADDRESS_CHANGE_REQUESTED = "address_change_requested", _("Changement d'adresse demandé")
    ADDRESS_CHANGE_REFUSED = "address_change_refused", _("Changement d'adresse refusé")
    # Invoices (written by allies.invoices through order_event_add).
    INVOICE_ISSUED = "invoice_issued", _("Facture éditée")
    INVOICE_UPLOADED = "invoice_uploaded", _("Facture déposée par le vendeur")
    INVOICE_REQUESTED = "invoice_requested", _("Facture demandée par le client")
    CREDIT_NOTE_ISSUED = "credit_note_issued", _("Avoir édité")


class ActorKind(models.TextChoices):
    CUSTOMER = "customer", _("Client")
    VENDOR_USER = "vendor_user", _("Vendeur")
    API_KEY = "api_key", _("Clé d'API du vendeur")
    STAFF = "staff", _("Service client")
    SYSTEM = "system", _("Système")


class Identified(Protocol):
    """A row the actor is built from: a user (signed in or not), a vendor's API key."""

    @property
    def pk(self) -> Any: ...


@dataclass(frozen=True)
class Actor:
    """Who acts: built with one of the constructors below, never from a bare user.

    A vendor's program calling the API is its key (`api_key_id`), not a person; timers and
    carriers are the system.
    """

    kind: ActorKind
    user_id: int | None = None
    api_key_id: int | None = None

    def __post_init__(self) -> None:
        needs_user = self.kind in (ActorKind.CUSTOMER, ActorKind.VENDOR_USER, ActorKind.STAFF)
        if needs_user and self.user_id is None:
            raise ValueError(f"a {self.kind} actor needs a user")
        if self.kind == ActorKind.API_KEY and self.api_key_id is None:
            raise ValueError("an API key actor needs its key")

    @classmethod
    def customer(cls, user: Identified | int) -> Actor:
        return cls(ActorKind.CUSTOMER, user_id=_pk(user))

    @classmethod
    def vendor_user(cls, user: Identified | int) -> Actor:
        return cls(ActorKind.VENDOR_USER, user_id=_pk(user))

    @classmethod
    def staff(cls, user: Identified | int) -> Actor:
        return cls(ActorKind.STAFF, user_id=_pk(user))

    @classmethod
    def api_key(cls, key: Identified | int) -> Actor:
        return cls(ActorKind.API_KEY, api_key_id=_pk(key))

    @classmethod
    def system(cls) -> Actor:
        return SYSTEM


def _pk(value: Identified | int) -> int | None:
    """A user's or key's id, from the row or the id itself."""
    if isinstance(value, int):
        return value
    pk: int | None = value.pk
    return pk


SYSTEM = Actor(ActorKind.SYSTEM)


def order_event_build(
    *,
    order: Order,
    kind: EventKind | str,
    actor: Actor | None = None,
    vendor_order: VendorOrder | None = None,
    **data: Any,
) -> Any:
    """One timeline event, checked and not yet written: for `order_events_write`, which
    writes the events of several vendor orders in one statement. `actor` None means the
    system."""
    if kind not in EventKind.values:
        raise ValueError(f"unknown order event kind {kind!r}")
    actor = actor or SYSTEM
    if not isinstance(actor, Actor):
        raise TypeError(f"the actor of an order event is an Actor, not {type(actor).__name__}")
    return order.events.model(
        order=order,
        vendor_order=vendor_order,
        kind=kind,
        actor_kind=actor.kind,
        actor_id=actor.user_id,
        api_key_id=actor.api_key_id,
        data=data,
    )


def order_events_write(events: list[Any]) -> None:
    """Write events built by `order_event_build`, in one INSERT."""
    if events:
        type(events[0])._default_manager.bulk_create(events)


def order_event_add(
    *,
    order: Order,
    kind: EventKind | str,
    actor: Actor | None = None,
    vendor_order: VendorOrder | None = None,
    **data: Any,
) -> None:
    """Write one timeline event. `actor` None means the system."""
    order_event_build(order=order, kind=kind, actor=actor, vendor_order=vendor_order, **data).save()
