"""Carrier tracking events: adapters that read a carrier's webhook, and its signature check.

A tracking adapter turns one webhook request of a carrier (or tracking aggregator) into a
list of `TrackingEvent`s: (tracking number, event, moment). The orders app applies them
(`allies.orders.shipments.tracking_events_apply`): a "delivered" event delivers the parcel,
and the vendor order becomes "Livrée" once every parcel of every shipment is delivered.

Each adapter has its own endpoint, POST /transporteurs/<adapter>/webhook/, and its own
secret. Every request must carry `X-Allies-Signature: sha256=<hex>`, the HMAC-SHA256 of the
raw request body keyed with that secret; a request without a valid signature is answered
403 and changes nothing. Events are idempotent: the same event received twice changes
nothing the second time (a parcel is delivered once; an older event never overwrites a
newer one), so a carrier may retry freely.

Secrets: `settings.CARRIER_WEBHOOK_SECRETS` (a dict adapter code → secret), read from the
environment variable `CARRIER_WEBHOOK_SECRETS`, written "simulated=s3cret,colissimo=other".
An adapter without a secret refuses every request, except the "simulated" adapter while DEBUG
is on, which then uses `SIMULATED_DEV_SECRET` (local development and the demo only:
production refuses to start with DEBUG on).

The default setup has no contract with a real carrier: the "simulated" adapter stands for
all of them. It reads a small JSON format (below) and `carrier_simulate_deliveries`
(orders.tasks / management command) uses it to deliver shipments a few working days after
they left, for the demo. A real adapter (e.g. built on Karrio's trackers) subclasses
`TrackingAdapter`, lists the carriers it serves, and is added to `ADAPTERS`.

Simulated format (JSON body):
    {"events": [{"tracking_number": "6A12345678901", "carrier": "colissimo",
                 "event": "delivered", "at": "2026-12-03T14:05:00+01:00"}]}
"carrier" is optional (it narrows the parcel lookup); "at" is ISO 8601 (a naive time is
read as Paris time).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from allies.core.errors import AlliesError
from allies.shipping.carriers import carrier_get, normalize_tracking_number

SIGNATURE_HEADER = "X-Allies-Signature"
SIMULATED_DEV_SECRET = "allies-simulated-carrier-dev-secret"
MAX_EVENTS_PER_REQUEST = 1000

IN_TRANSIT = "in_transit"
OUT_FOR_DELIVERY = "out_for_delivery"
DELIVERED = "delivered"
DELIVERY_FAILED = "delivery_failed"
# The recipient refused the parcel (ORD-5): the carrier takes it back to the sender, where
# it arrives with RETURNED (a "delivered" after a refusal is that arrival too).
REFUSED = "refused"
RETURNED = "returned_to_sender"
EVENTS = {
    IN_TRANSIT: _("En transit"),
    OUT_FOR_DELIVERY: _("En cours de livraison"),
    DELIVERED: _("Livré"),
    DELIVERY_FAILED: _("Échec de livraison"),
    REFUSED: _("Colis refusé par le destinataire : retour à l'expéditeur"),
    RETURNED: _("Colis revenu chez l'expéditeur"),
}


class TrackingPayloadError(AlliesError):
    """The request body cannot be read as this adapter's events (answered 400).

    Its message is for the developer of the carrier's sender, a program: plain English, not
    translated, like the rest of the webhook's answers."""

    code = "bad_payload"


@dataclass(frozen=True)
class TrackingEvent:
    tracking_number: str  # normalised (allies.shipping.carriers.normalize_tracking_number)
    event: str  # one of EVENTS
    at: datetime  # aware
    carrier: str = ""  # carrier code when the adapter knows it


class TrackingAdapter(ABC):
    """Reads one carrier's (or aggregator's) webhook requests."""

    code: str = ""
    # Carrier codes whose parcels this adapter may update; None: every carrier.
    carriers: tuple[str, ...] | None = None

    @abstractmethod
    def parse(self, *, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        """The tracking events in one signed request; TrackingPayloadError if unreadable."""


def _parse_moment(value: object) -> datetime:
    if not isinstance(value, str):
        raise TrackingPayloadError("'at' must be an ISO 8601 date-time")
    moment = parse_datetime(value.strip())
    if moment is None:
        raise TrackingPayloadError(f"'at' is not an ISO 8601 date-time: {value!r}")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class SimulatedAdapter(TrackingAdapter):
    """The default setup's stand-in for every carrier (JSON format in the module doc)."""

    code = "simulated"
    carriers = None

    def parse(self, *, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TrackingPayloadError("body is not JSON") from exc
        items = data.get("events") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise TrackingPayloadError("'events' must be a list")
        if len(items) > MAX_EVENTS_PER_REQUEST:
            raise TrackingPayloadError(f"at most {MAX_EVENTS_PER_REQUEST} events per request")
        events: list[TrackingEvent] = []
        for position, item in enumerate(items):
            if not isinstance(item, dict):
                raise TrackingPayloadError(f"event {position} is not an object")
            number = normalize_tracking_number(str(item.get("tracking_number") or ""))
            if not number:
                raise TrackingPayloadError(f"event {position} has no tracking_number")
            kind = item.get("event")
            if kind not in EVENTS:
                raise TrackingPayloadError(f"event {position}: unknown event {kind!r}")
            carrier = str(item.get("carrier") or "").strip().lower()
            if carrier and carrier_get(carrier) is None:
                raise TrackingPayloadError(f"event {position}: unknown carrier {carrier!r}")
            events.append(
                TrackingEvent(
                    tracking_number=number,
                    event=kind,
                    at=_parse_moment(item.get("at")),
                    carrier=carrier,
                )
            )
        return events


ADAPTERS: dict[str, TrackingAdapter] = {adapter.code: adapter for adapter in (SimulatedAdapter(),)}


def adapter_get(code: str) -> TrackingAdapter | None:
    return ADAPTERS.get((code or "").strip().lower())


def _configured_secrets() -> dict[str, str]:
    # Parsed from the environment once, in settings.py.
    return {str(k): str(v) for k, v in settings.CARRIER_WEBHOOK_SECRETS.items() if v}


def webhook_secret(code: str) -> str:
    """The adapter's signing secret, or "" when none is configured (every request refused)."""
    secret = _configured_secrets().get(code, "")
    if not secret and code == SimulatedAdapter.code and settings.DEBUG:
        secret = SIMULATED_DEV_SECRET
    return secret


def signature_for(body: bytes, secret: str) -> str:
    """The header value a sender puts on `body`: "sha256=<hex HMAC-SHA256>"."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_valid(*, code: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is the HMAC-SHA256 of `body` with the adapter's secret.

    "sha256=<hex>" and a bare hex digest are both accepted; the comparison is constant-time.
    """
    secret = webhook_secret(code)
    if not secret or not header:
        return False
    given = header.strip()
    if given.lower().startswith("sha256="):
        given = given[len("sha256=") :]
    expected = signature_for(body, secret)[len("sha256=") :]
    return hmac.compare_digest(given.lower().encode("ascii", "replace"), expected.encode())
