"""Changing a parcel's delivery at the carrier (ORD-6): a new recipient name, or a new address
("réexpédition") for a parcel already handed over.

A *delivery change adapter* asks the carrier. Alliés has no carrier contract yet, so the only
adapter is `SimulatedDeliveryChange`, which answers as a real carrier would: no change once the
parcel is out for delivery, delivered, refused or coming back; a new name is accepted before
that; a new address only when it costs nothing more, that is within the same zone and the
same département (France) or province (Belgium) — anything farther is a paid redirection,
which Alliés refuses (the customer may then refuse the parcel). Callers use
`recipient_change` and `redirect`; a real adapter implements the same two methods.

Nothing here writes to the database: `orders.delivery_changes` records what the carrier
accepted.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from allies.core.errors import AlliesError
from allies.shipping import tracking
from allies.shipping.zones import normalize_postcode, zone_for

# Tracking states after which a carrier no longer changes anything.
TOO_LATE = frozenset(
    {tracking.OUT_FOR_DELIVERY, tracking.DELIVERED, tracking.REFUSED, tracking.RETURNED}
)


class DeliveryChangeRefused(AlliesError):
    """The carrier refuses the change; `message` says why, for the customer."""

    code = "carrier_refused"

    def __init__(self, message: object = "", *, code: str | None = None) -> None:
        super().__init__(str(message), code=code)


def area(address: Mapping[str, Any]) -> tuple[str, str]:
    """(zone, département or Belgian province digit): a redirection within it is free."""
    country = str(address.get("country") or "FR").upper()
    postcode = normalize_postcode(str(address.get("postcode") or ""))
    try:
        zone = zone_for(country, postcode)
    except ValidationError:
        return ("", "")
    return (str(zone), postcode[:1] if country == "BE" else postcode[:2])


class DeliveryChangeAdapter(ABC):
    @abstractmethod
    def recipient_change(self, *, tracking_number: str, status: str, recipient: str) -> None:
        """Tell the carrier the parcel's new recipient, or raise DeliveryChangeRefused."""

    @abstractmethod
    def redirect(
        self,
        *,
        tracking_number: str,
        status: str,
        origin: Mapping[str, Any],
        destination: Mapping[str, Any],
    ) -> None:
        """Send the parcel to `destination` instead, or raise DeliveryChangeRefused."""


class SimulatedDeliveryChange(DeliveryChangeAdapter):
    def _check_status(self, status: str) -> None:
        if status in TOO_LATE:
            raise DeliveryChangeRefused(
                _(
                    "Le colis est déjà en cours de livraison : le transporteur ne peut plus le "
                    "modifier."
                ),  # fmt: skip
                code="too_late",
            )

    def recipient_change(self, *, tracking_number: str, status: str, recipient: str) -> None:
        self._check_status(status)

    def redirect(
        self,
        *,
        tracking_number: str,
        status: str,
        origin: Mapping[str, Any],
        destination: Mapping[str, Any],
    ) -> None:
        self._check_status(status)
        if area(origin) != area(destination) or not area(destination)[0]:
            raise DeliveryChangeRefused(
                _(
                    "Le transporteur facturerait cette réexpédition (autre département ou "
                    "autre pays) : elle n'est pas possible."
                ),
                code="extra_cost",
            )


_SIMULATED = SimulatedDeliveryChange()


def delivery_change_adapter(carrier_code: str) -> DeliveryChangeAdapter:
    """The adapter of `carrier_code` (the simulated one until a carrier is contracted)."""
    return _SIMULATED
