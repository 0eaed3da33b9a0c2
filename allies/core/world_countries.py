"""Every country of ISO 3166-1, for what is not an address Alliés delivers to: a person's
nationality and country of birth (a vendor's legal representative, which the payment provider
asks for). `allies.core.countries` stays the short list of delivery and billing countries.

The list and its names come from pycountry (the ISO 3166-1 table with its official
translations, read through gettext): a name is shown in the active language (French names from
pycountry's French catalogue, English names as ISO publishes them). Codes are alpha-2
("FR"); `alpha3` gives the alpha-3 code ("FRA") that LemonWay's API takes.
"""

from __future__ import annotations

import gettext
import unicodedata
from functools import cache

import pycountry
from django.utils.translation import get_language


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


def _language() -> str:
    return (get_language() or "fr").split("-")[0]


@cache
def _codes() -> dict[str, tuple[str, str]]:
    """alpha-2 → (alpha-3, English name) for every country."""
    return {c.alpha_2: (c.alpha_3, c.name) for c in pycountry.countries}


def is_country(code: str) -> bool:
    return isinstance(code, str) and code in _codes()


def alpha3(code: str) -> str:
    """ "FR" → "FRA"; "" for a code that is not an ISO 3166-1 country."""
    entry = _codes().get(code or "")
    return entry[0] if entry else ""


def world_country_label(code: str) -> str:
    """The country's name in the active language ("DE" → "Allemagne" / "Germany"); unknown
    codes as given."""
    entry = _codes().get(code or "")
    if entry is None:
        return code
    return _catalogue(_language()).gettext(entry[1])


@cache
def _choices(language: str) -> tuple[tuple[str, str], ...]:
    names = _catalogue(language)
    rows = [(code, names.gettext(name)) for code, (_a3, name) in _codes().items()]
    # France and Belgium first (where vendors are), then every country by name.
    first = [row for code in ("FR", "BE") for row in rows if row[0] == code]
    rest = sorted((row for row in rows if row[0] not in ("FR", "BE")), key=_sort_key)
    return tuple(first + rest)


def _sort_key(row: tuple[str, str]) -> str:
    text = unicodedata.normalize("NFKD", row[1])
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def world_country_choices() -> list[tuple[str, str]]:
    """(code, name) for a select in the active language: France, Belgium, then the rest
    sorted by name."""
    return list(_choices(_language()))
