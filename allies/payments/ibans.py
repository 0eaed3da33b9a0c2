"""Bank account numbers: normalise, check (ISO 13616 checksum via python-stdnum) and mask."""

from __future__ import annotations

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

IBAN_MAX = 34


def iban_normalise(raw: str) -> str:
    """Upper case without spaces or separators, as stored and sent to the provider."""
    return "".join(ch for ch in (raw or "")[: IBAN_MAX * 2] if ch.isalnum()).upper()


def iban_is_valid(iban: str) -> bool:
    try:
        stdnum_iban.validate(iban)
    except ValidationError:
        return False
    return True


def bic_normalise(raw: str) -> str:
    return "".join(ch for ch in (raw or "")[:30] if ch.isalnum()).upper()


def bic_is_valid(bic: str) -> bool:
    try:
        stdnum_bic.validate(bic)
    except ValidationError:
        return False
    return True


def iban_mask(iban: str) -> str:
    """ "FR76 •••• •••• 0189": the country and check digits, then only the last four."""
    iban = iban_normalise(iban)
    if len(iban) < 8:
        return ""
    return f"{iban[:4]} •••• •••• {iban[-4:]}"
