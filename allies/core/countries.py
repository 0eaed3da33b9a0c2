"""The countries Alliés delivers to and bills in: one list for addresses, vendors and labels.

Lives in core so that any layer (addresses, invoices, the vendor portal, template filters)
names a country without importing the accounts app.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Country(models.TextChoices):
    FRANCE = "FR", _("France")
    BELGIUM = "BE", _("Belgique")


def country_label(code: str) -> str:
    """ "FR" → "France", "BE" → "Belgique", in the active language; unknown codes as given."""
    try:
        return str(Country(code).label)
    except ValueError:
        return code
