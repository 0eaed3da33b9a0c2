"""Relay points ("Point relais", CHK-3): the provider interface and the local directory.

When a customer picks "Point relais" for a vendor, the checkout lists relay points of that
vendor's carrier near the delivery postcode and stores the chosen one on the vendor order
(`RelayPoint.as_order_data`). A real integration (Mondial Relay's point search web service,
Chronopost Pickup, DPD Relais, bpost…) implements `RelayPointProvider`; the setting
`RELAY_POINT_PROVIDER` (dotted path) names the class in use, `LocalRelayDirectory` by default.

`LocalRelayDirectory` needs no network: it invents plausible points near any valid postcode,
always the same ones for the same postcode and carrier, so pages, tests and demos are stable.
Its ids carry everything needed to rebuild a point (`get`), so nothing is stored:
`LRD-<carrier>-<postcode>-<n>[-<city, URL-encoded>]`, e.g. `LRD-mondial_relay-75011-3-Paris`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Protocol, runtime_checkable
from urllib.parse import quote, unquote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allies.shipping.carriers import CARRIERS, carrier_get
from allies.shipping.modes import ShippingMode
from allies.shipping.zones import Zone, normalize_postcode, zone_for

RELAY = ShippingMode.RELAY.value

WEEKDAYS = (
    gettext_lazy("Lundi"),
    gettext_lazy("Mardi"),
    gettext_lazy("Mercredi"),
    gettext_lazy("Jeudi"),
    gettext_lazy("Vendredi"),
    gettext_lazy("Samedi"),
    gettext_lazy("Dimanche"),
)

Slots = tuple[tuple[str, str], ...]  # (opens, closes) pairs of one day, "09:00"


@dataclass(frozen=True, slots=True)
class RelayPoint:
    id: str
    carrier: str  # carriers.Carrier.code
    network: str  # "Point Relais® Mondial Relay", "Chronopost Pickup"…
    name: str
    street: str
    postcode: str
    city: str
    country: str  # "FR" or "BE"
    distance_km: Decimal  # from the searched postcode's centre
    opening_hours: tuple[Slots, ...]  # seven days, Monday first; () = closed

    def opening_hours_lines(self) -> list[str]:
        """ "Lundi : 09:00–12:30, 14:00–19:00", "Dimanche : fermé", in the active language."""
        lines = []
        for day, slots in zip(WEEKDAYS, self.opening_hours, strict=True):
            hours = ", ".join(f"{opens}–{closes}" for opens, closes in slots) or _("fermé")
            lines.append(_("%(day)s : %(hours)s") % {"day": day, "hours": hours})
        return lines

    def as_order_data(self) -> dict[str, str]:
        """What `VendorOrder.relay_point` keeps: enough to print and to find it again."""
        return {
            "id": self.id,
            "carrier": self.carrier,
            "network": self.network,
            "name": self.name,
            "street": self.street,
            "postcode": self.postcode,
            "city": self.city,
            "country": self.country,
        }


@runtime_checkable
class RelayPointProvider(Protocol):
    """What a relay-point directory offers the checkout."""

    def search(
        self,
        *,
        country: str,
        postcode: str,
        city: str = "",
        carrier: str | None = None,
        limit: int = 10,
    ) -> list[RelayPoint]:
        """Points near the address, nearest first; only `carrier`'s network when given.

        Raises ValidationError (zones.zone_for's message) for an address that is not
        delivered; returns [] when the carrier has no relay network there.
        """
        ...

    def get(self, point_id: str) -> RelayPoint | None:
        """The point with this id, or None if it does not exist (any more)."""
        ...


# ---------------------------------------------------------------------------------------------
# Local directory

_NAMES = (
    "Tabac Presse du Marché",
    "Carrefour City",
    "Librairie des Halles",
    "Pressing de la Gare",
    "Épicerie du Centre",
    "Bar Tabac Le Balto",
    "Cordonnerie Minute",
    "Fleuriste Les Jardins",
    "Proxi Super",
    "Librairie Papeterie du Parc",
    "Relais Presse de l'Église",
    "Intermarché Express",
    "Boutique Multiservices Le Comptoir",
    "Droguerie Moderne",
)
_NAMES_BE = (
    "Librairie Club",
    "Spar",
    "Carrefour Express",
    "Night Shop de la Gare",
    "Press Shop",
    "Librairie du Centre",
    "Tabac Journaux Le Coin",
    "Proxy Delhaize",
)
_STREETS_FR = (
    "rue de la République",
    "avenue Jean Jaurès",
    "place du Marché",
    "rue Victor Hugo",
    "boulevard Gambetta",
    "rue Nationale",
    "rue de la Gare",
    "avenue de la Libération",
    "rue Pasteur",
    "place de l'Église",
    "rue du Général de Gaulle",
    "cours Napoléon",
)
_STREETS_BE = (
    "Rue Neuve",
    "Chaussée de Wavre",
    "Avenue Louise",
    "Rue de la Station",
    "Chaussée de Louvain",
    "Rue du Midi",
    "Stationsstraat",
    "Kerkstraat",
    "Grand-Rue",
    "Place communale",
)
_HOURS: tuple[tuple[Slots, ...], ...] = (
    ((("07:00", "20:00"),),) * 6 + ((),),
    ((("09:00", "12:30"), ("14:00", "19:00")),) * 5 + ((("09:00", "18:00"),), ()),
    ((("08:30", "19:30"),),) * 6 + ((("09:00", "13:00"),),),
    ((),) + ((("09:30", "19:00"),),) * 5 + ((),),
    ((("06:30", "20:30"),),) * 7,
)
# The main city of a few postcodes, for a search or id without a city.
_KNOWN_CITIES = {"1000": "Bruxelles", "20000": "Ajaccio", "20200": "Bastia"}
_PREFIX_CITIES = (("750", "Paris"), ("6900", "Lyon"), ("130", "Marseille"))

POINTS_PER_CARRIER = 8
MAX_LIMIT = 50


def _default_city(postcode: str) -> str:
    if postcode in _KNOWN_CITIES:
        return _KNOWN_CITIES[postcode]
    for prefix, city in _PREFIX_CITIES:
        if postcode.startswith(prefix) and len(postcode) == 5:
            return city
    return ""


def _clean_city(city: str) -> str:
    return " ".join((city or "").split())[:80]


class LocalRelayDirectory:
    """Deterministic invented relay points (see module doc); implements RelayPointProvider."""

    prefix = "LRD"

    def _networks(self, zone: Zone, carrier: str | None) -> list:
        if carrier:
            found = carrier_get(carrier)
            return [found] if found and found.serves(RELAY, zone.value) else []
        return [c for c in CARRIERS if c.serves(RELAY, zone.value)]

    def _point(self, carrier, zone: Zone, postcode: str, index: int, city: str) -> RelayPoint:
        seed = hashlib.sha256(f"{carrier.code}|{postcode}|{index}".encode()).digest()
        belgian = zone is Zone.BELGIQUE
        names = _NAMES_BE if belgian else _NAMES
        streets = _STREETS_BE if belgian else _STREETS_FR
        number = 1 + seed[2] % 120
        street = streets[seed[1] % len(streets)]
        point_id = f"{self.prefix}-{carrier.code}-{postcode}-{index}"
        if city:
            point_id += "-" + quote(city, safe="")
        return RelayPoint(
            id=point_id,
            carrier=carrier.code,
            network=carrier.relay_network or carrier.name,
            name=names[seed[0] % len(names)],
            # Belgian addresses put the number after the street.
            street=f"{street} {number}" if belgian else f"{number} {street}",
            postcode=postcode,
            city=city or _default_city(postcode),
            country=zone.country,
            distance_km=(
                Decimal("0.4") * index - Decimal("0.3") + Decimal(seed[3] % 30) / 100
            ).quantize(Decimal("0.1")),
            opening_hours=_HOURS[seed[4] % len(_HOURS)],
        )

    def search(
        self,
        *,
        country: str,
        postcode: str,
        city: str = "",
        carrier: str | None = None,
        limit: int = 10,
    ) -> list[RelayPoint]:
        zone = zone_for(country, postcode)
        code = normalize_postcode(postcode)
        city = _clean_city(city)
        limit = max(1, min(int(limit), MAX_LIMIT))
        points = [
            self._point(network, zone, code, index, city)
            for network in self._networks(zone, carrier)
            for index in range(1, POINTS_PER_CARRIER + 1)
        ]
        points.sort(key=lambda p: (p.distance_km, p.id))
        return points[:limit]

    def get(self, point_id: str) -> RelayPoint | None:
        parts = (point_id or "").split("-", 4)
        if len(parts) < 4 or parts[0] != self.prefix:
            return None
        _prefix, code, postcode, index = parts[:4]
        if not code:
            return None
        city = _clean_city(unquote(parts[4])) if len(parts) == 5 else ""
        if not index.isdigit() or not 1 <= int(index) <= POINTS_PER_CARRIER:
            return None
        country = "BE" if len(postcode) == 4 else "FR"
        try:
            zone = zone_for(country, postcode)
        except ValidationError:
            return None
        networks = self._networks(zone, code)
        if not networks:
            return None
        point = self._point(networks[0], zone, postcode, int(index), city)
        # Only the canonical spelling of an id is valid (one point, one id).
        return point if point.id == point_id else None


# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _provider(path: str) -> RelayPointProvider:
    return import_string(path)()


def relay_provider() -> RelayPointProvider:
    """The configured directory (settings.RELAY_POINT_PROVIDER, a dotted class path)."""
    return _provider(settings.RELAY_POINT_PROVIDER)


def relay_point_validate(
    *,
    point_id: str,
    carrier: str,
    zone: Zone | str | None = None,
    provider: RelayPointProvider | None = None,
) -> RelayPoint:
    """The relay point a customer chose for a vendor whose relay carrier is `carrier`.

    ValidationError when it does not exist, belongs to another carrier's network, or lies
    outside the delivery zone the fee was quoted for.
    """
    point = (provider or relay_provider()).get(point_id or "")
    if point is None:
        raise ValidationError(
            _("Choisissez un point relais dans la liste proposée."), code="relay_unknown"
        )
    if point.carrier != carrier:
        raise ValidationError(
            _("Ce point relais n'est pas desservi par le transporteur de ce vendeur."),
            code="relay_wrong_carrier",
        )
    if zone is not None:
        try:
            point_zone = zone_for(point.country, point.postcode)
        except ValidationError:
            point_zone = None
        if point_zone != Zone(zone):
            raise ValidationError(
                _(
                    "Ce point relais n'est pas dans la zone de livraison choisie : "
                    "choisissez-en un près de votre adresse."
                ),
                code="relay_wrong_zone",
            )
    return point
