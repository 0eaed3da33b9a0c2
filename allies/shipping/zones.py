"""Delivery zones (CHK-4): France mainland, Corse (20xxx), Belgique (4-digit postcodes).

Every address form and the shipping engine ask `zone_for` which zone a destination is in; an
address outside the three zones is refused here, with a message the customer can act on.
"""

import re
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class Zone(StrEnum):
    FRANCE = "FR"
    CORSE = "CORSE"
    BELGIQUE = "BE"

    @property
    def label(self) -> str:
        return str(ZONE_LABELS[self])

    @property
    def country(self) -> str:
        """ISO country of the zone: Corse is in France."""
        return "BE" if self is Zone.BELGIQUE else "FR"


ZONE_LABELS = {
    Zone.FRANCE: _("France métropolitaine"),
    Zone.CORSE: _("Corse"),
    Zone.BELGIQUE: _("Belgique"),
}

DELIVERED_COUNTRIES = ("FR", "BE")

# Display order of destinations (product page block, vendor rate tables).
ZONE_ORDER = (Zone.FRANCE, Zone.CORSE, Zone.BELGIQUE)
# Choices for model and form fields (labels stay lazy: translated when shown).
ZONE_CHOICES = [(zone.value, ZONE_LABELS[zone]) for zone in ZONE_ORDER]

_FR = re.compile(r"^\d{5}$")
_BE = re.compile(r"^[1-9]\d{3}$")


def normalize_postcode(postcode: str) -> str:
    return re.sub(r"\s+", "", postcode or "")


def zone_for(country: str, postcode: str) -> Zone:
    """The delivery zone of a destination, or ValidationError explaining why it is refused."""
    country = (country or "").strip().upper()
    code = normalize_postcode(postcode)
    if country == "FR":
        if not _FR.match(code):
            raise ValidationError(
                _("Un code postal français compte 5 chiffres (par exemple 75011)."),
                code="postcode_format",
            )
        if code.startswith(("97", "98")):
            raise ValidationError(
                _(
                    "Nous livrons la France métropolitaine, la Corse et la Belgique : "
                    "les DOM-TOM et Monaco ne sont pas desservis."
                ),
                code="zone_not_delivered",
            )
        if code.startswith("00"):
            raise ValidationError(
                _("Ce code postal n'existe pas en France."), code="postcode_format"
            )
        if code.startswith("20"):
            if not "20000" <= code <= "20620":
                raise ValidationError(
                    _("Ce code postal n'existe pas en Corse."), code="postcode_format"
                )
            return Zone.CORSE
        return Zone.FRANCE
    if country == "BE":
        if not _BE.match(code):
            raise ValidationError(
                _("Un code postal belge compte 4 chiffres (par exemple 1000)."),
                code="postcode_format",
            )
        return Zone.BELGIQUE
    raise ValidationError(
        _("Nous livrons uniquement en France (Corse comprise) et en Belgique."),
        code="country_not_delivered",
    )
