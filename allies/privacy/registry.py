"""The parts of a customer's personal data, one per app that holds some (GDPR art. 15, 17, 20).

Each `PrivacyPart` knows, for one customer, three things about its app's data:

- `export`: what goes in the downloaded archive (JSON-ready data under the part's key, and
  files such as invoice PDFs);
- `blockers`: why an erasure must wait (an order not delivered yet, a return still open…),
  as messages for the customer; empty when nothing blocks;
- `erase`: what it deletes or anonymises, inside the erasure's transaction. It deletes only
  what the law does not make us keep (orders and invoices stay ten years) and lists files to
  remove once the transaction commits (`ErasureContext.files_to_delete`).

`PARTS` is the one list `allies.privacy.services` walks, in order; the account part comes last
because it changes the email the others may look for. A new app that stores personal data
(live chat, reviews…) adds its part here: see `allies.privacy.parts` for the shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from allies.accounts.models import User

# What erasure keeps and the privacy policy states: orders and invoices are accounting records
# the law makes us keep ten years (Code de commerce L123-22).
ACCOUNTING_RETENTION_YEARS = 10


@dataclass(frozen=True)
class ExportFile:
    """A file of the archive: its path inside the ZIP and how to open it (binary)."""

    path: str
    open: Callable[[], IO[bytes]]


@dataclass
class PartExport:
    data: Any
    files: list[ExportFile] = field(default_factory=list)


@dataclass
class ErasureContext:
    """What every part of one erasure shares."""

    now: datetime
    original_email: str
    # Files (storage, name) deleted after the commit: a rollback must not lose them.
    files_to_delete: list[tuple[Any, str]] = field(default_factory=list)
    # What each part did, for the erasure record and the confirmation page ({key: count}).
    done: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PrivacyPart:
    key: str  # the JSON key of its data in the archive (English, readable)
    export: Callable[[User], PartExport]
    erase: Callable[[User, ErasureContext], None] | None = None
    blockers: Callable[[User], Iterable[str]] | None = None


def parts() -> list[PrivacyPart]:
    """Every part, in order (imported late: the parts import every app's models)."""
    from allies.privacy.parts import PARTS

    return PARTS
