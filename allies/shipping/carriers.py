"""The carriers vendors ship with: names, tracking links, tracking-number formats, modes served.

Vendors ship with their own carriers (the help page: "divers transporteurs"); Alliés needs to
name the carrier, link to its tracking page and catch obvious typos in a tracking number
before it is e-mailed to a customer (ORD-3).

Tracking-number formats — the rule is "correct or permissive": a check must never refuse a
real number, so where a carrier publishes several formats, or none, the pattern is a
deliberately loose length/alphabet check. Numbers are normalised first (spaces and dashes
removed, upper case).

- Colissimo, Chronopost, La Poste Lettre suivie: La Poste's public tracking API ("Suivi v2",
  which serves all three) documents its `idShip` as 11 to 15 alphanumeric characters
  (Colissimo domestic "6A12345678901", UPU S10 "XW123456789FR", Chronopost "XY…FR").
- DPD France: 14-digit parcel number, sometimes printed with a trailing check character.
- GLS: 11- or 12-digit parcel number, or the 8-character "TrackID".
- Mondial Relay: the 8-digit shipment number ("numéro d'expédition"); longer parcel barcodes
  (up to 12 digits) are accepted too.
- UPS: "1Z" + 16 alphanumerics (the UPS package tracking number).
- DHL: several products (Express waybills of 10 digits, DHL Parcel "JJD…" and 20-digit
  numbers, S10 for mail): 10 to 39 alphanumerics.
- bpost: 24-digit domestic barcodes or S10 international numbers, plus other item codes:
  10 to 30 alphanumerics.
- Colis Privé: formats vary by contract (digits with the postcode appended, "Q…"): only the
  generic check (6 to 40 alphanumerics) applies.
"""

import re
from dataclasses import dataclass
from urllib.parse import quote

from django.utils.translation import gettext_lazy as _

from allies.shipping.modes import ShippingMode

HOME, EXPRESS, RELAY = ShippingMode.HOME.value, ShippingMode.EXPRESS.value, ShippingMode.RELAY.value
ALL_ZONES = ("FR", "CORSE", "BE")

_GENERIC = re.compile(r"^[0-9A-Z]{6,40}$")


@dataclass(frozen=True)
class Carrier:
    code: str  # stored on rates and vendor orders (VendorOrder.carrier, max 30 chars)
    name: str  # brand name, never translated
    tracking_url_pattern: str  # with {number}; {postcode} when the carrier's page takes it
    modes: tuple[str, ...]
    number_pattern: re.Pattern[str] | None = None
    # Zones the carrier serves for a vendor shipping from France (zones.Zone values).
    zones: tuple[str, ...] = ALL_ZONES
    # Name of its relay-point network, shown next to "Point relais".
    relay_network: str = ""

    def serves(self, mode: str, zone: str | None = None) -> bool:
        return mode in self.modes and (zone is None or zone in self.zones)


CARRIERS: tuple[Carrier, ...] = (
    Carrier(
        code="colissimo",
        name="Colissimo",
        tracking_url_pattern="https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
        modes=(HOME, RELAY),
        number_pattern=re.compile(r"^[0-9A-Z]{11,15}$"),
        relay_network="Colissimo Point Retrait",
    ),
    Carrier(
        code="chronopost",
        name="Chronopost",
        tracking_url_pattern=(
            "https://www.chronopost.fr/tracking-no-cms/suivi-page?listeNumerosLT={number}"
        ),
        modes=(EXPRESS, HOME, RELAY),
        number_pattern=re.compile(r"^[0-9A-Z]{11,15}$"),
        relay_network="Chronopost Pickup",
    ),
    Carrier(
        code="laposte_lettre_suivie",
        name="La Poste Lettre suivie",
        tracking_url_pattern="https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
        modes=(HOME,),
        number_pattern=re.compile(r"^[0-9A-Z]{11,15}$"),
    ),
    Carrier(
        code="dpd",
        name="DPD",
        tracking_url_pattern="https://trace.dpd.fr/fr/trace/{number}",
        modes=(HOME, RELAY),
        number_pattern=re.compile(r"^[0-9]{14}[0-9A-Z]?$"),
        relay_network="DPD Relais",
    ),
    Carrier(
        code="gls",
        name="GLS",
        tracking_url_pattern="https://gls-group.com/FR/fr/suivi-colis?match={number}",
        modes=(HOME, EXPRESS, RELAY),
        number_pattern=re.compile(r"^([0-9]{11,12}|[0-9A-Z]{8})$"),
        relay_network="GLS Relais",
    ),
    Carrier(
        code="mondial_relay",
        name="Mondial Relay",
        tracking_url_pattern=(
            "https://www.mondialrelay.fr/suivi-de-colis/?numeroExpedition={number}"
            "&codePostal={postcode}"
        ),
        modes=(RELAY, HOME),
        number_pattern=re.compile(r"^[0-9]{8,12}$"),
        relay_network="Point Relais® Mondial Relay",
    ),
    Carrier(
        code="colis_prive",
        name="Colis Privé",
        tracking_url_pattern=(
            "https://www.colisprive.com/moncolis/pages/detailColis.aspx?numColis={number}"
        ),
        modes=(HOME,),
        number_pattern=None,
    ),
    Carrier(
        code="ups",
        name="UPS",
        tracking_url_pattern="https://www.ups.com/track?loc=fr_FR&tracknum={number}",
        modes=(EXPRESS, HOME, RELAY),
        number_pattern=re.compile(r"^1Z[0-9A-Z]{16}$"),
        relay_network="UPS Access Point",
    ),
    Carrier(
        code="dhl",
        name="DHL",
        tracking_url_pattern=(
            "https://www.dhl.com/fr-fr/home/tracking.html?tracking-id={number}&submit=1"
        ),
        modes=(EXPRESS, HOME),
        number_pattern=re.compile(r"^[0-9A-Z]{10,39}$"),
    ),
    Carrier(
        code="bpost",
        name="bpost",
        tracking_url_pattern=(
            "https://track.bpost.cloud/btr/web/#/search?itemCode={number}&lang=fr"
            "&postalCode={postcode}"
        ),
        modes=(HOME, RELAY),
        number_pattern=re.compile(r"^[0-9A-Z]{10,30}$"),
        zones=("BE",),
        relay_network="Point Poste bpost",
    ),
)

_BY_CODE = {c.code: c for c in CARRIERS}
CARRIER_CHOICES = [(c.code, c.name) for c in CARRIERS]


def carrier_get(code: str) -> Carrier | None:
    return _BY_CODE.get((code or "").strip().lower())


def carriers_for(mode: str, zone: str | None = None) -> list[Carrier]:
    """The carriers that can deliver `mode` (to `zone`), in the list's order."""
    return [c for c in CARRIERS if c.serves(mode, zone)]


def carrier_name(code: str) -> str:
    """The carrier's name, or the code itself for a carrier this list does not know."""
    carrier = carrier_get(code)
    return carrier.name if carrier else (code or "")


def normalize_tracking_number(number: str) -> str:
    return re.sub(r"[\s\-]+", "", number or "").upper()


def tracking_number_valid(code: str, number: str) -> bool:
    """Whether `number` looks like a tracking number of carrier `code` (see module doc)."""
    normalized = normalize_tracking_number(number)
    if not _GENERIC.match(normalized):
        return False
    carrier = carrier_get(code)
    if carrier is None or carrier.number_pattern is None:
        return True
    return bool(carrier.number_pattern.match(normalized))


def tracking_url(code: str, number: str, *, postcode: str = "") -> str:
    """The public tracking page of a parcel, or "" for an unknown carrier or empty number.

    Some carriers' pages also take the destination postcode (Mondial Relay, bpost); without
    it the page asks for it.
    """
    carrier = carrier_get(code)
    normalized = normalize_tracking_number(number)
    if carrier is None or not normalized:
        return ""
    url = carrier.tracking_url_pattern.format(
        number=quote(normalized, safe=""), postcode=quote((postcode or "").strip(), safe="")
    )
    if not postcode:
        # Drop an empty trailing parameter rather than send "codePostal=".
        url = re.sub(r"&(codePostal|postalCode)=$", "", url)
    return url


def tracking_number_error(code: str, number: str) -> str | None:
    """A message for a vendor who typed a number that cannot be this carrier's, else None."""
    if tracking_number_valid(code, number):
        return None
    carrier = carrier_get(code)
    return str(
        _("Ce numéro de suivi ne correspond pas au format de %(carrier)s.")
        % {"carrier": carrier.name if carrier else code}
    )
