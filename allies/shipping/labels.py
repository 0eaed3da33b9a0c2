"""Prepaid return labels (RET-5, SAV-3): the customer prints one and drops the parcel at a relay
point or post office; the vendor (or Alliés, for a free return) pays the carrier.

A *label carrier adapter* asks a carrier for a label and draws its PDF. Alliés has no contract
with a carrier yet, so the only adapter is `SimulatedLabelCarrier`: it refuses what a real
carrier would refuse (addresses outside the zones it serves, weights it does not carry),
invents a tracking number in the carrier's format and draws a real, printable A6 label with a
Code 128 barcode of that number. A real adapter implements the same two methods and is
registered in `_ADAPTERS` for its carrier code; callers only use `return_label_create` and
`return_label_pdf`.

The carrier is `settings.RETURN_LABEL_CARRIER` (default "colissimo"). An issued label keeps
its own carrier: `return_label_pdf` redraws it with the adapter of that carrier even if the
setting changed since.

Nothing here writes to the database: the caller (the returns service) stores the carrier and
tracking number with the return, and redraws the PDF on demand (the PDF is cheap to draw and
the customer may download it any number of times).
"""

from __future__ import annotations

import base64
import re
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import barcode
from barcode.writer import SVGWriter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allies.core.errors import AlliesError
from allies.core.pdf import html_to_pdf
from allies.shipping.carriers import (
    Carrier,
    carrier_get,
    normalize_tracking_number,
    tracking_number_valid,
)
from allies.shipping.zones import zone_for

DEFAULT_CARRIER = "colissimo"
# Colissimo and most relay networks refuse parcels above 30 kg.
MAX_WEIGHT_GRAMS = 30_000
MAX_REFERENCE_LENGTH = 40
# What fits the label on a few lines: name and city, and the street's lines together.
MAX_FIELD_LENGTH = 60
MAX_STREET_LENGTH = 120
# Above this many characters (name + street), a block is printed in smaller type.
COMPACT_ADDRESS_LENGTH = 80

COUNTRY_NAMES = {"FR": gettext_lazy("France"), "BE": gettext_lazy("Belgique")}


@dataclass(frozen=True)
class LabelParty:
    name: str
    street: str
    postcode: str
    city: str
    country: str  # ISO 2 letters, e.g. "FR"


@dataclass(frozen=True)
class ReturnLabel:
    carrier: str  # a carrier code of allies.shipping.carriers (e.g. "colissimo")
    tracking_number: str  # normalised; passes carriers.tracking_number_valid(carrier, n)
    pdf: bytes


class LabelRefused(AlliesError):
    """The carrier will not issue this label; `message` tells the customer why (French)."""

    code = "label_refused"


class LabelCarrierAdapter(ABC):
    """One carrier's way of issuing and drawing return labels."""

    def __init__(self, carrier: Carrier) -> None:
        self.carrier = carrier

    @abstractmethod
    def label_create(
        self,
        *,
        sender: LabelParty,
        recipient: LabelParty,
        reference: str,
        weight_grams: int,
        language: str,
    ) -> ReturnLabel:
        """Issue a label, or raise LabelRefused (nothing issued)."""

    @abstractmethod
    def label_pdf(
        self,
        *,
        tracking_number: str,
        sender: LabelParty,
        recipient: LabelParty,
        reference: str,
        weight_grams: int,
        language: str,
    ) -> bytes:
        """The PDF of a label this carrier already issued."""


def _digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(count))


# Simulated numbers: random, in each carrier's published format (see carriers.py), with a
# prefix no real parcel of these carriers uses at this length, so that a simulated label
# is never mistaken for a real one. 10^11 numbers: a collision is negligible, and the
# caller's unique constraint on (carrier, tracking number) would still catch one.
_SIMULATED_NUMBERS = {
    "colissimo": lambda: "8R" + _digits(11),
    "chronopost": lambda: "XR" + _digits(9) + "FR",
    "laposte_lettre_suivie": lambda: "1R" + _digits(11),
    "dpd": lambda: "25" + _digits(12),
    "gls": lambda: "9" + _digits(11),
    "mondial_relay": lambda: _digits(12),
}


class SimulatedLabelCarrier(LabelCarrierAdapter):
    """Issues labels without asking anyone: the checks a carrier makes, then a local PDF."""

    def label_create(
        self,
        *,
        sender: LabelParty,
        recipient: LabelParty,
        reference: str,
        weight_grams: int,
        language: str,
    ) -> ReturnLabel:
        _check_request(
            self.carrier,
            sender=sender,
            recipient=recipient,
            reference=reference,
            weight_grams=weight_grams,
        )
        number = _SIMULATED_NUMBERS[self.carrier.code]()
        pdf = self.label_pdf(
            tracking_number=number,
            sender=sender,
            recipient=recipient,
            reference=reference,
            weight_grams=weight_grams,
            language=language,
        )
        return ReturnLabel(carrier=self.carrier.code, tracking_number=number, pdf=pdf)

    def label_pdf(
        self,
        *,
        tracking_number: str,
        sender: LabelParty,
        recipient: LabelParty,
        reference: str,
        weight_grams: int,
        language: str,
    ) -> bytes:
        return label_pdf_draw(
            carrier=self.carrier,
            tracking_number=tracking_number,
            sender=sender,
            recipient=recipient,
            reference=reference,
            weight_grams=weight_grams,
            language=language,
        )


# The adapter of each carrier Alliés can issue return labels with. All simulated for now.
_ADAPTERS: dict[str, type[LabelCarrierAdapter]] = {
    code: SimulatedLabelCarrier for code in _SIMULATED_NUMBERS
}


def label_adapter(carrier_code: str) -> LabelCarrierAdapter:
    carrier = carrier_get(carrier_code)
    adapter = _ADAPTERS.get(carrier.code) if carrier else None
    if carrier is None or adapter is None:
        raise ImproperlyConfigured(
            f"No return-label adapter for carrier {carrier_code!r}; "
            f"known: {', '.join(sorted(_ADAPTERS))}."
        )
    return adapter(carrier)


def configured_label_carrier() -> str:
    return getattr(settings, "RETURN_LABEL_CARRIER", DEFAULT_CARRIER) or DEFAULT_CARRIER


def return_label_create(
    *,
    sender: LabelParty,
    recipient: LabelParty,
    reference: str,
    weight_grams: int,
    language: str = "fr",
) -> ReturnLabel:
    """Ask the configured label carrier for a prepaid return label (sender = the customer,
    recipient = the vendor's return address). `reference` (<= 40 chars) is printed on it."""
    adapter = label_adapter(configured_label_carrier())
    return adapter.label_create(
        sender=sender,
        recipient=recipient,
        reference=reference,
        weight_grams=weight_grams,
        language=language,
    )


def return_label_pdf(
    *,
    label_carrier: str,
    tracking_number: str,
    sender: LabelParty,
    recipient: LabelParty,
    reference: str,
    weight_grams: int,
    language: str = "fr",
) -> bytes:
    """Redraw the PDF of a label already issued (the customer may download it any number of
    times)."""
    number = normalize_tracking_number(tracking_number)
    if not tracking_number_valid(label_carrier, number):
        # Stored by `return_label_create`, so this is corrupted data, not a user's mistake.
        raise ValueError(f"{number!r} is not a {label_carrier} tracking number.")
    return label_adapter(label_carrier).label_pdf(
        tracking_number=number,
        sender=sender,
        recipient=recipient,
        reference=reference,
        weight_grams=weight_grams,
        language=language,
    )


# --- checks a carrier makes before issuing a label ---------------------------------------


# What each missing or too long field is called in messages, per party (French needs "de l'"
# / "du", English another word order: whole phrases, not a role glued to a field name).
def _field_labels(role: str) -> dict[str, str]:
    if role == "sender":
        return {
            "name": _("le nom de l'expéditeur"),
            "street": _("l'adresse de l'expéditeur"),
            "postcode": _("le code postal de l'expéditeur"),
            "city": _("la ville de l'expéditeur"),
        }
    return {
        "name": _("le nom du destinataire"),
        "street": _("l'adresse du destinataire"),
        "postcode": _("le code postal du destinataire"),
        "city": _("la ville du destinataire"),
    }


def _check_party(carrier: Carrier, party: LabelParty, *, role: str) -> None:
    """`role`: "sender" (the customer) or "recipient" (the vendor's return address)."""
    labels = _field_labels(role)
    for field, label in labels.items():
        value = getattr(party, field) or ""
        if not value.strip():
            raise LabelRefused(
                _("L'étiquette ne peut pas être créée : il manque %(field)s.") % {"field": label}
            )
        most = MAX_STREET_LENGTH if field == "street" else MAX_FIELD_LENGTH
        if len(value.strip()) > most:
            raise LabelRefused(
                _("L'étiquette ne peut pas être créée : %(field)s dépasse %(max)s caractères.")
                % {"field": label, "max": most}
            )
    address = labels["street"]
    try:
        zone = zone_for(party.country, party.postcode)
    except ValidationError as error:
        raise LabelRefused(
            _("L'étiquette ne peut pas être créée pour %(address)s : %(reason)s")
            % {"address": address, "reason": error.messages[0]}
        ) from error
    if zone.value not in carrier.zones:
        raise LabelRefused(
            _("%(carrier)s ne dessert pas %(address)s (%(zone)s).")
            % {"carrier": carrier.name, "address": address, "zone": zone.label}
        )


def _check_request(
    carrier: Carrier,
    *,
    sender: LabelParty,
    recipient: LabelParty,
    reference: str,
    weight_grams: int,
) -> None:
    if isinstance(weight_grams, bool) or not isinstance(weight_grams, int):
        raise LabelRefused(_("Le poids du colis doit être un nombre entier de grammes."))
    if weight_grams <= 0:
        raise LabelRefused(_("Indiquez le poids du colis (plus de 0 g)."))
    if weight_grams > MAX_WEIGHT_GRAMS:
        raise LabelRefused(
            _("%(carrier)s n'accepte pas les colis de plus de %(max)s kg.")
            % {"carrier": carrier.name, "max": MAX_WEIGHT_GRAMS // 1000}
        )
    if len((reference or "").strip()) > MAX_REFERENCE_LENGTH:
        raise LabelRefused(
            _("La référence imprimée sur l'étiquette compte %(max)s caractères au plus.")
            % {"max": MAX_REFERENCE_LENGTH}
        )
    _check_party(carrier, sender, role="sender")
    _check_party(carrier, recipient, role="recipient")


# --- drawing ------------------------------------------------------------------------------

# Code 128 X-dimension 0.42 mm: above the 0.25 mm minimum (GS1 logistics labels use
# 0.495–1.016 mm for ITF/GS1-128 but carriers' Code 128 labels commonly print 0.3–0.5 mm),
# and the bars of a 13–15 character number still fit the A6 label's width with the quiet
# zones (10 modules at least, here about 12).
BARCODE_MODULE_MM = 0.42
BARCODE_OPTIONS: dict[str, Any] = {
    "module_width": BARCODE_MODULE_MM,
    "module_height": 18.0,
    "quiet_zone": 5.0,
    "font_size": 11,
    "text_distance": 4.5,
    "background": "white",
    "foreground": "black",
}


def barcode_svg(number: str) -> str:
    """The Code 128 barcode of `number` as an SVG document, its digits printed under the bars."""
    writer = SVGWriter()
    code = barcode.get("code128", number, writer=writer)
    writer.with_doctype = False  # no external DTD reference for the renderer to look at
    writer.compress = False
    svg = code.render(dict(BARCODE_OPTIONS))
    text = svg.decode("utf-8") if isinstance(svg, bytes) else str(svg)
    # The XML declaration names an encoding: drop it, the caller embeds the text as UTF-8.
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", text)


def _weight_label(weight_grams: int) -> str:
    kilograms = Decimal(weight_grams) / 1000
    return _("%(kg)s kg") % {"kg": number_format(kilograms, decimal_pos=2)}


def _street_lines(street: str, *, most: int = 3) -> list[str]:
    """At most `most` printed lines (the label's height is fixed): extra lines are joined."""
    lines = [line.strip() for line in street.splitlines() if line.strip()]
    if len(lines) > most:
        lines = lines[: most - 1] + [", ".join(lines[most - 1 :])]
    return lines


def _party_context(party: LabelParty) -> dict[str, Any]:
    country = (party.country or "").strip().upper()
    return {
        "compact": len(party.name.strip()) + len(party.street.strip()) > COMPACT_ADDRESS_LENGTH,
        "name": party.name.strip(),
        "street_lines": _street_lines(party.street),
        "postcode": re.sub(r"\s+", "", party.postcode),
        "city": party.city.strip().upper(),
        "country": str(COUNTRY_NAMES.get(country, country)).upper(),
    }


def label_html(
    *,
    carrier: Carrier,
    tracking_number: str,
    sender: LabelParty,
    recipient: LabelParty,
    reference: str,
    weight_grams: int,
    language: str,
) -> str:
    with translation.override(language):
        svg = barcode_svg(tracking_number)
        context = {
            "language": language,
            "carrier_name": carrier.name,
            "relay_network": carrier.relay_network,
            "tracking_number": tracking_number,
            "sender": _party_context(sender),
            "recipient": _party_context(recipient),
            "reference": (reference or "").strip(),
            "weight": _weight_label(weight_grams),
            "barcode_src": "data:image/svg+xml;base64,"
            + base64.b64encode(svg.encode("utf-8")).decode("ascii"),
        }
        return render_to_string("shipping/pdf/return_label.html", context)


def label_pdf_draw(
    *,
    carrier: Carrier,
    tracking_number: str,
    sender: LabelParty,
    recipient: LabelParty,
    reference: str,
    weight_grams: int,
    language: str,
) -> bytes:
    html = label_html(
        carrier=carrier,
        tracking_number=tracking_number,
        sender=sender,
        recipient=recipient,
        reference=reference,
        weight_grams=weight_grams,
        language=language,
    )
    return html_to_pdf(html, identifier=tracking_number)
