"""Check digits of French and Belgian company identifiers, to build and verify demo vendors.

- SIREN (9 digits) and SIRET (SIREN + 5-digit establishment number) both pass the Luhn check.
- French intra-EU VAT number: "FR" + 2-digit key + SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97.
- Belgian enterprise number (BCE/KBO, 10 digits, first digit 0 or 1): the last two digits are
  97 − (first eight mod 97); the VAT number is "BE" + those 10 digits.
"""

import random


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_complete(digits: str) -> str:
    """`digits` followed by the one check digit that makes the whole pass the Luhn check."""
    for check in "0123456789":
        if luhn_valid(digits + check):
            return digits + check
    raise AssertionError("unreachable: one Luhn digit always exists")


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
        and number.isdigit()
        and number[0] in "01"
        and int(number[8:]) == 97 - int(number[:8]) % 97
    )


def be_vat_number(enterprise_number: str) -> str:
    return f"BE{enterprise_number}"
