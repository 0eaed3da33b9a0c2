"""Check digits of French and Belgian company identifiers: the vendor profile checks them
(`siret_error`, `vat_number_error`) and the demo data builds valid ones.

- SIREN (9 digits) and SIRET (SIREN + 5-digit establishment number) both pass the Luhn check.
- French intra-EU VAT number: "FR" + 2-digit key + SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97.
- Belgian enterprise number (BCE/KBO, 10 digits, first digit 0 or 1): the last two digits are
  97 − (first eight mod 97); the VAT number is "BE" + those 10 digits.
"""

import random
import re

from django.utils.translation import gettext as _

from allies.core.checksums import luhn_complete, luhn_valid
from allies.core.numbers import ascii_digits


def siren_make(rng: random.Random) -> str:
    # First digit 3–9: real SIRENs never start with 0, and 1–2 are rare.
    return luhn_complete(str(rng.randint(3, 9)) + f"{rng.randrange(10**7):07d}")


def siret_make(siren: str, establishment: int = 1) -> str:
    return luhn_complete(f"{siren}{establishment:04d}")


def fr_vat_number(siren: str) -> str:
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def siret_valid(siret: str) -> bool:
    return len(siret) == 14 and luhn_valid(siret) and luhn_valid(siret[:9])


def fr_vat_valid(vat: str, siren: str) -> bool:
    return vat == fr_vat_number(siren)


def be_enterprise_number_make(rng: random.Random) -> str:
    base = f"0{rng.randint(2, 9)}{rng.randrange(10**6):06d}"  # 8 digits, leading 0
    return f"{base}{97 - int(base) % 97:02d}"


def be_enterprise_number_valid(number: str) -> bool:
    return (
        len(number) == 10
        and ascii_digits(number)
        and number[0] in "01"
        and int(number[8:]) == 97 - int(number[:8]) % 97
    )


def be_vat_number(enterprise_number: str) -> str:
    return f"BE{enterprise_number}"


# Intra-EU VAT numbers: the country prefix and the shape of the rest (Commission's VIES formats).
VAT_FORMATS = {
    "AT": r"U\d{8}", "BE": r"[01]\d{9}", "BG": r"\d{9,10}", "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}", "DE": r"\d{9}", "DK": r"\d{8}", "EE": r"\d{9}", "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]", "FI": r"\d{8}", "FR": r"[A-HJ-NP-Z0-9]{2}\d{9}",
    "HR": r"\d{11}", "HU": r"\d{8}", "IE": r"\d{7}[A-Z]{1,2}|\d[A-Z+*]\d{5}[A-Z]",
    "IT": r"\d{11}", "LT": r"\d{9}|\d{12}", "LU": r"\d{8}", "LV": r"\d{11}", "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}", "PL": r"\d{10}", "PT": r"\d{9}", "RO": r"\d{2,10}", "SE": r"\d{12}",
    "SI": r"\d{8}", "SK": r"\d{10}",
}  # fmt: skip


def compact(value: str) -> str:
    """Spaces, dots and dashes removed, upper case: how numbers are stored and compared."""
    return re.sub(r"[\s.\-]", "", value or "").upper()


def siret_error(siret: str, *, country: str = "FR") -> str | None:
    """Why `siret` is not a valid company number for `country`, or None.

    France: the 14-digit SIRET, whose Luhn key and whose SIREN's (first 9 digits) both hold.
    Belgium: the 10-digit enterprise number (BCE) with its modulo-97 key.
    """
    value = compact(siret)
    if country == "BE":
        if not be_enterprise_number_valid(value):
            return _("Le numéro d'entreprise belge compte 10 chiffres et sa clé doit être juste.")
        return None
    if len(value) != 14 or not ascii_digits(value):
        return _("Le SIRET compte 14 chiffres.")
    if not siret_valid(value):
        return _("Ce SIRET n'existe pas : sa clé de contrôle est fausse.")
    return None


def vat_number_error(vat: str, *, country: str = "FR", siret: str = "") -> str | None:
    """Why `vat` is not a well-formed intra-EU VAT number, or None.

    Every EU prefix is checked for its shape; a French number's key must match its SIREN, and
    when the company number is known the VAT number must be the one it implies.
    """
    value = compact(vat)
    prefix, rest = value[:2], value[2:]
    pattern = VAT_FORMATS.get(prefix)
    # re.ASCII: \d would otherwise take "٣" or other Unicode digits for 0-9.
    if pattern is None or not re.fullmatch(pattern, rest, re.ASCII):
        return _(
            "Le numéro de TVA intracommunautaire commence par le code du pays (FR, BE…) suivi "
            "de son format national, par exemple FR12345678901."
        )
    siren = compact(siret)[:9] if country == "FR" else ""
    if prefix == "FR" and ascii_digits(rest[:2]):
        if not fr_vat_valid(value, rest[2:]):
            return _("La clé de ce numéro de TVA ne correspond pas à son SIREN.")
        if siren and rest[2:] != siren:
            return _("Ce numéro de TVA ne correspond pas au SIRET indiqué.")
    if prefix == "BE" and country == "BE" and siret and rest != compact(siret):
        return _("Ce numéro de TVA ne correspond pas au numéro d'entreprise indiqué.")
    return None
