"""The Luhn check digit, shared by card numbers (the sandbox bank) and company numbers
(SIREN/SIRET, `vendors.legal`)."""


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check (False for anything but digits)."""
    if not (digits.isascii() and digits.isdigit()):  # "²".isdigit() is True; int("²") fails
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
