"""The order timeline: what a customer sees of the events the services write.

Every state change writes an `OrderEvent` (who, when, what, with its data; kinds and actors
in `allies.orders.events`). The same list is the audit log (all kinds) and, filtered here,
the status timeline of each vendor order on the customer's order page (ORD-2). Labels are
built here, from the event's data, so templates only print them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from allies.core.money import format_eur
from allies.orders.events import EventKind
from allies.shipping.carriers import carrier_name
from allies.shipping.tracking import EVENTS as TRACKING_EVENTS


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    label: str
    detail: str = ""
    kind: str = ""


def _money(amount) -> str:
    from django.utils.translation import get_language

    return format_eur(amount, language=(get_language() or "fr")[:2])


def _entry(event) -> TimelineEntry | None:
    data, kind = event.data or {}, event.kind
    if kind == EventKind.ACCEPTED:
        return TimelineEntry(event.created_at, _("Acceptée par le vendeur"), kind=kind)
    if kind == EventKind.LINES_REFUSED:
        count = len(data.get("lines", []))
        label = ngettext(
            "Un article refusé par le vendeur",
            "%(count)s articles refusés par le vendeur",
            count,
        ) % {"count": count}
        detail = ""
        if data.get("refunded"):
            detail = _("Remboursement de %(amount)s") % {"amount": _money(data["refunded"])}
        return TimelineEntry(event.created_at, label, detail, kind)
    if kind == EventKind.LINES_CANCELLED:
        count = len(data.get("lines", []))
        label = ngettext(
            "Un article annulé à votre demande",
            "%(count)s articles annulés à votre demande",
            count,
        ) % {"count": count}
        detail = ""
        if data.get("refunded"):
            detail = _("Remboursement de %(amount)s") % {"amount": _money(data["refunded"])}
        return TimelineEntry(event.created_at, label, detail, kind)
    if kind == EventKind.REFUSED:
        return TimelineEntry(event.created_at, _("Refusée par le vendeur"), kind=kind)
    if kind == EventKind.CANCELLED:
        detail = ""
        if data.get("refunded"):
            detail = _("Remboursement de %(amount)s") % {"amount": _money(data["refunded"])}
        return TimelineEntry(event.created_at, _("Annulée"), detail, kind)
    if kind == EventKind.SHIPMENT:
        parcels = int(data.get("parcels", 1))
        detail = ngettext(
            "%(carrier)s, %(count)s colis", "%(carrier)s, %(count)s colis", parcels
        ) % {"carrier": carrier_name(data.get("carrier", "")), "count": parcels}
        label = _("Colis remis au transporteur") if data.get("partial") else _("Expédiée")
        return TimelineEntry(event.created_at, label, detail, kind)
    if kind == EventKind.PARCEL_TRACKING:
        status = TRACKING_EVENTS.get(data.get("event", ""))
        if status is None:
            return None
        label = _("%(parcel)s : %(status)s") % {
            "parcel": _("Colis %(index)s/%(count)s")
            % {"index": data.get("index", 1), "count": data.get("count", 1)},
            "status": status,
        }
        return TimelineEntry(event.created_at, label, kind=kind)
    if kind == EventKind.PARCEL_DELIVERED and int(data.get("count", 1)) > 1:
        label = _("Colis %(index)s/%(count)s livré") % {
            "index": data.get("index", 1),
            "count": data.get("count", 1),
        }
        return TimelineEntry(_moment(data, event), label, kind=kind)
    if kind == EventKind.DELIVERED:
        return TimelineEntry(_moment(data, event), _("Livrée"), kind=kind)
    if kind in RETURN_EVENTS:
        detail = ""
        if kind == EventKind.RETURN_REFUNDED and data.get("amount"):
            detail = _("Remboursement de %(amount)s") % {"amount": _money(data["amount"])}
        elif data.get("return"):
            detail = _("Retour n° %(number)s") % {"number": data["return"]}
        return TimelineEntry(event.created_at, str(EventKind(kind).label), detail, kind)
    if kind in REQUEST_EVENTS:
        detail = ""
        if data.get("city"):
            detail = f"{data.get('postcode', '')} {data['city']}".strip()
        elif data.get("recipient"):
            detail = str(data["recipient"])
        elif data.get("refunded"):
            detail = _("Remboursement de %(amount)s") % {"amount": _money(data["refunded"])}
        return TimelineEntry(event.created_at, str(EventKind(kind).label), detail, kind)
    if kind in CLAIM_EVENTS:
        detail = _("Réclamation SAV-%(number)06d") % {"number": int(data.get("claim") or 0)}
        if kind == EventKind.CLAIM_REFUNDED and data.get("amount"):
            detail = _("Remboursement de %(amount)s") % {"amount": _money(data["amount"])}
        elif kind == EventKind.CLAIM_RESHIPPED and data.get("tracking_number"):
            # A replacement, a repaired item or missing parts: a new, tracked shipment.
            detail = _("%(carrier)s, suivi %(number)s") % {
                "carrier": carrier_name(data.get("carrier", "")),
                "number": data["tracking_number"],
            }
        return TimelineEntry(_moment(data, event), str(EventKind(kind).label), detail, kind)
    return None


# The steps of a return (allies.aftersales) the customer sees on the order's timeline.
RETURN_EVENTS = frozenset(
    {
        EventKind.RETURN_REQUESTED,
        EventKind.RETURN_ACCEPTED,
        EventKind.RETURN_REFUSED,
        EventKind.RETURN_SENT,
        EventKind.RETURN_RECEIVED,
        EventKind.RETURN_REFUNDED,
        EventKind.RETURN_REJECTED,
    }
)


# Cancellation requests after acceptance (ORD-5) and delivery changes (ORD-6).
REQUEST_EVENTS = frozenset(
    {
        EventKind.CANCELLATION_REQUESTED,
        EventKind.CANCELLATION_CONFIRMED,
        EventKind.CANCELLATION_REFUSED,
        EventKind.DELIVERY_ADDRESS_CHANGED,
        EventKind.RECIPIENT_CHANGED,
        EventKind.DELIVERY_REDIRECTED,
        EventKind.ADDRESS_CHANGE_REQUESTED,
        EventKind.ADDRESS_CHANGE_REFUSED,
    }
)

# The steps of an after-sales claim (allies.aftersales) the customer sees there.
CLAIM_EVENTS = frozenset(
    {
        EventKind.CLAIM_OPENED,
        EventKind.CLAIM_RETURN_PROPOSED,
        EventKind.CLAIM_PICKUP_CHOSEN,
        EventKind.CLAIM_RECEIVED,
        EventKind.CLAIM_REFUNDED,
        EventKind.CLAIM_RESHIPPED,
        EventKind.CLAIM_RESHIP_DELIVERED,
        EventKind.CLAIM_REFUSED,
        EventKind.CLAIM_REJECTED,
    }
)


def _moment(data: dict, event) -> datetime:
    """Deliveries are dated by the carrier's moment, not by when we heard of it."""
    from django.utils.dateparse import parse_datetime

    at = parse_datetime(data.get("at") or "") if data.get("at") else None
    return at or event.created_at


def vendor_order_timeline(vendor_order) -> list[TimelineEntry]:
    """The customer's timeline of one vendor order, oldest first.

    Uses `vendor_order.events.all()` and `vendor_order.order.validated_at`: prefetch the events
    (`selectors.customer_order_get` does) to keep the page's queries bounded.
    """
    entries = []
    validated_at = vendor_order.order.validated_at
    if validated_at:
        entries.append(TimelineEntry(validated_at, _("Commande validée"), kind="validated"))
    for event in vendor_order.events.all():
        entry = _entry(event)
        if entry is not None:
            entries.append(entry)
    # A shipment that completes the vendor order is shown once, as "Expédiée".
    return sorted(entries, key=lambda e: e.at)
