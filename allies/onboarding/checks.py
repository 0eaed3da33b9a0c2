"""The checks of a vendor application's data: what the form shows and what the service
enforces (the same function, so the two cannot disagree).

Company numbers reuse the vendor profile's own checks (`vendors.services.vendor_profile_errors`:
SIRET or Belgian enterprise number keys, intra-EU VAT format, French key against the SIREN).
Bank details are checked with python-stdnum: the IBAN's ISO 13616 checksum and national
format, the BIC's ISO 9362 shape. The legal representative is checked by the payments app's
own rules (`payments.accounts.representative_errors`: what the provider requires), the ones
the wallet is opened with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as NumberInvalid

from allies.core.text import normalize_email
from allies.payments.accounts import (
    REPRESENTATIVE_FIELDS,
    representative_clean,
    representative_errors,
)
from allies.vendors import legal
from allies.vendors.services import vendor_profile_errors

# The marketplace signs companies registered in France or Belgium (the numbers it can check).
COUNTRIES = ("FR", "BE")
_POSTCODE = {"FR": re.compile(r"^\d{5}$"), "BE": re.compile(r"^[1-9]\d{3}$")}
_PHONE = re.compile(r"^\+?[0-9 .()-]{6,30}$")
MAX_CATEGORIES = 20
TEXT_MAX = 3000
# IBAN lengths of the countries vendors' banks are most often in (ISO 13616 registry).
IBAN_LENGTHS = {"FR": 27, "MC": 27, "BE": 16, "LU": 20, "DE": 22, "NL": 18, "ES": 24, "IT": 27}

# Field → (max length, required): what a form or a crafted POST may send.
TEXT_FIELDS: dict[str, tuple[int, bool]] = {
    "name": (120, True),
    "legal_name": (200, True),
    "legal_form": (50, False),
    "share_capital": (50, False),
    "siret": (30, True),
    "vat_number": (30, True),
    "rcs_city": (100, False),
    "street": (200, True),
    "postcode": (10, True),
    "city": (100, True),
    "country": (2, True),
    "contact_first_name": (100, True),
    "contact_last_name": (100, True),
    "contact_email": (254, True),
    "contact_phone": (30, True),
    "sample_products": (TEXT_MAX, True),
    "message": (TEXT_MAX, False),
    "iban": (60, True),
    "bic": (20, True),
    "account_holder": (100, True),
}


def iban_compact(value: str) -> str:
    return stdnum_iban.compact(value or "")


def bic_compact(value: str) -> str:
    return stdnum_bic.compact(value or "")


def iban_error(value: str) -> str | None:
    """Why `value` is not a valid IBAN, or None."""
    compact = iban_compact(value)
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected and len(compact) != expected:  # said before the key, which would fail too
        return _(
            "Cet IBAN n'a pas la bonne longueur : recopiez-le depuis votre RIB (27 caractères "
            "pour un IBAN français, 16 pour un IBAN belge)."
        )
    try:
        stdnum_iban.validate(value or "")
    except InvalidChecksum:
        return _(
            "Cet IBAN est erroné : sa clé de contrôle ne correspond pas. Recopiez-le depuis "
            "votre RIB."
        )
    except InvalidLength:
        return _(
            "Cet IBAN n'a pas la bonne longueur : recopiez-le depuis votre RIB (27 caractères "
            "pour un IBAN français, 16 pour un IBAN belge)."
        )
    except NumberInvalid:
        return _(
            "Cet IBAN n'est pas valide : il commence par le code du pays (FR76…, BE…) ; "
            "recopiez-le depuis votre RIB."
        )
    return None


def bic_error(value: str) -> str | None:
    """Why `value` is not a well-formed BIC (SWIFT code), or None."""
    try:
        stdnum_bic.validate(value or "")
    except NumberInvalid:
        return _(
            "Ce BIC n'est pas valide : 8 ou 11 caractères, par exemple BNPAFRPPXXX (il figure "
            "sur votre RIB)."
        )
    return None


def clean(data: dict[str, Any]) -> dict[str, Any]:
    """Trimmed text fields, numbers compacted: what is stored."""
    cleaned: dict[str, Any] = {
        name: " ".join(str(data.get(name) or "").split()) for name in TEXT_FIELDS
    }
    for name in ("sample_products", "message"):  # keep their line breaks
        cleaned[name] = str(data.get(name) or "").strip().replace("\r\n", "\n")
    cleaned["country"] = cleaned["country"].upper()
    cleaned["siret"] = legal.compact(cleaned["siret"])
    cleaned["vat_number"] = legal.compact(cleaned["vat_number"])
    cleaned["iban"] = iban_compact(cleaned["iban"])
    cleaned["bic"] = bic_compact(cleaned["bic"])
    cleaned["contact_email"] = normalize_email(cleaned["contact_email"])
    cleaned["categories"] = list(data.get("categories") or [])
    cleaned.update(representative_clean(data))
    return cleaned


def representative_missing(application: Any) -> bool:
    """True for an application sent before the form asked for the legal representative."""
    return not any(getattr(application, name) for name in REPRESENTATIVE_FIELDS)


def application_errors(data: dict[str, Any]) -> dict[str, str]:
    """Field → message for what is wrong in `data` (already `clean`ed). The duplicate checks
    need the database: they are the service's (`vendor_application_submit`)."""
    errors: dict[str, str] = {}
    for name, (max_length, required) in TEXT_FIELDS.items():
        value = data.get(name, "")
        if required and not value:
            errors[name] = _("Ce champ est obligatoire.")
        elif len(value) > max_length:
            errors[name] = _("%(n)s caractères au plus.") % {"n": max_length}
    if not data["categories"]:
        errors["categories"] = _("Choisissez au moins une catégorie.")
    elif len(data["categories"]) > MAX_CATEGORIES:
        errors["categories"] = _("%(n)s catégories au plus.") % {"n": MAX_CATEGORIES}
    errors.update(representative_errors(data))
    if errors:
        return errors
    country = data["country"]
    if country not in COUNTRIES:
        errors["country"] = _(
            "Les Alliés accueillent les entreprises établies en France ou en Belgique."
        )
        return errors
    errors.update(vendor_profile_errors({k: data[k] for k in ("siret", "vat_number", "country")}))
    if not _POSTCODE[country].match(data["postcode"]):
        errors["postcode"] = (
            _("Le code postal français compte 5 chiffres.")
            if country == "FR"
            else _("Le code postal belge compte 4 chiffres.")
        )
    try:
        validate_email(data["contact_email"])
    except ValidationError:
        errors["contact_email"] = _(
            "Indiquez une adresse email valide, par exemple nom@entreprise.fr."
        )
    if (
        not _PHONE.match(data["contact_phone"])
        or sum(c.isdigit() for c in data["contact_phone"]) < 6
    ):
        errors["contact_phone"] = _("Indiquez un numéro de téléphone, par exemple 01 23 45 67 89.")
    error = iban_error(data["iban"])
    if error:
        errors["iban"] = error
    error = bic_error(data["bic"])
    if error:
        errors["bic"] = error
    return errors


@dataclass(frozen=True)
class Check:
    """One check shown to staff on an application: what, whether it holds, and why not."""

    label: str
    ok: bool
    detail: str = ""


def application_checks(application: Any) -> list[Check]:
    """The checks staff see on an application (SIRET ✓, VAT ✓, IBAN ✓…), recomputed from its
    stored data (a rule changed since it was sent shows here)."""
    company = legal.siret_error(application.siret, country=application.country)
    vat = legal.vat_number_error(
        application.vat_number, country=application.country, siret=application.siret
    )
    iban = iban_error(application.iban)
    bic = bic_error(application.bic)
    if representative_missing(application):
        representative = _(
            "non renseigné (candidature envoyée avant que le formulaire le demande) : demandez "
            "une modification à l'entreprise pour qu'elle le complète."
        )
    else:
        fields = {name: getattr(application, name) for name in REPRESENTATIVE_FIELDS}
        representative = " ".join(representative_errors(representative_clean(fields)).values())
    company_label = _("Numéro d'entreprise (BCE)") if application.country == "BE" else _("SIRET")
    return [
        Check(company_label, company is None, company or ""),
        Check(_("TVA intracommunautaire"), vat is None, vat or ""),
        Check(_("IBAN"), iban is None, iban or ""),
        Check(_("BIC"), bic is None, bic or ""),
        Check(_("Représentant légal"), not representative, representative),
    ]
