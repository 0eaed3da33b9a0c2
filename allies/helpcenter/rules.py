"""The rule IDs of PRODUCT.md an answer may cite ("RET-2", "CS-1").

Copied here because production has no PRODUCT.md beside the code; a test checks this list
against the document, so a rule added there must be added here too.
"""

from __future__ import annotations

import re

_FAMILIES = {
    "ACC": 9,
    "CAT": 5,
    "CHK": 8,
    "ORD": 8,
    "INV": 4,
    "RET": 6,
    "SAV": 4,
    "CS": 5,
    "PAY": 3,
    "VEN": 3,
    "SITE": 4,
}
RULE_IDS: frozenset[str] = frozenset(
    f"{family}-{n}" for family, count in _FAMILIES.items() for n in range(1, count + 1)
)
RULE_ID = re.compile(r"^[A-Z]{2,5}-\d{1,3}$")


def rule_ids_parse(raw: str) -> tuple[list[str], list[str]]:
    """(IDs in the order written, upper-cased and without repeats; the unknown ones)."""
    ids = list(dict.fromkeys(part.upper() for part in re.split(r"[\s,;]+", raw or "") if part))
    return ids, [i for i in ids if i not in RULE_IDS]
