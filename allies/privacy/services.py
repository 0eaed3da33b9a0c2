"""The customer's privacy rights: download all their data, erase it (GDPR art. 15, 17, 20).

`personal_data_export` gathers every part of `registry.parts()` for one customer and
`personal_data_archive_write` writes the ZIP the account page offers: `mes-donnees.json`
(readable English keys, every value we hold), the invoice PDFs and the files the customer
attached to their messages, and a short read-me in their language.

`personal_data_erase` checks that nothing blocks (an order not delivered, a return, claim or
request still open: `erasure_blockers`), then runs every part's erasure in ONE transaction:
the account is anonymised and can no longer log in, what the law does not require is deleted,
orders and invoices stay. Files are deleted and the confirmation email queued only once the
transaction has committed.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from allies.accounts.models import User
from allies.core.errors import AlliesError
from allies.notifications.services import notification_send
from allies.privacy.models import Erasure
from allies.privacy.registry import (
    ACCOUNTING_RETENTION_YEARS,
    ErasureContext,
    ExportFile,
    parts,
)

ARCHIVE_JSON = "mes-donnees.json"
ARCHIVE_README = "LISEZMOI.txt"


class ErasureRefused(AlliesError):
    """Something blocks the erasure; `reasons` are the customer's messages."""

    code = "erasure_refused"

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass
class PersonalDataExport:
    data: dict[str, Any]
    files: list[ExportFile] = field(default_factory=list)


def personal_data_export(*, user: User, now: datetime | None = None) -> PersonalDataExport:
    """Everything we hold about `user`, part by part (a fixed number of queries)."""
    now = now or timezone.now()
    data: dict[str, Any] = {"generated_at": now.isoformat(), "customer_id": user.pk}
    files: list[ExportFile] = []
    for part in parts():
        exported = part.export(user)
        data[part.key] = exported.data
        files.extend(exported.files)
    return PersonalDataExport(data=data, files=files)


def personal_data_archive_write(
    *, export: PersonalDataExport, out: IO[bytes], language: str
) -> None:
    """The ZIP of an export, written to `out` (a file: PDFs are copied by chunks). A file that
    cannot be read any more (storage lost) is listed in the read-me, never a failed download."""
    missing: list[str] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            ARCHIVE_JSON,
            json.dumps(export.data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        )
        used: set[str] = set()
        for item in export.files:
            path = item.path
            if path in used:
                continue
            used.add(path)
            try:
                with item.open() as source, archive.open(path, "w") as target:
                    while chunk := source.read(1024 * 1024):
                        target.write(chunk)
            except OSError:
                missing.append(path)
        with translation.override(language):
            readme = render_to_string(
                "privacy/archive_readme.txt", {"missing": missing, "json_name": ARCHIVE_JSON}
            )
        archive.writestr(ARCHIVE_README, readme)


def erasure_blockers(*, user: User) -> list[str]:
    """Why `user`'s data cannot be erased now (messages for them); empty: it can."""
    reasons: list[str] = []
    for part in parts():
        if part.blockers is not None:
            reasons.extend(str(reason) for reason in part.blockers(user))
    return reasons


def personal_data_erase(*, user: User, now: datetime | None = None) -> Erasure:
    """Erase `user`'s personal data (the caller has checked their password). Raises
    ErasureRefused, changing nothing, while something blocks; idempotent: an account already
    erased returns its record."""
    now = now or timezone.now()
    language = user.language or "fr"
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        done = Erasure.objects.filter(user=locked).first()
        if done is not None:
            return done
        reasons = erasure_blockers(user=locked)
        if reasons:
            raise ErasureRefused(reasons)
        ctx = ErasureContext(now=now, original_email=locked.email)
        for part in parts():
            if part.erase is not None:
                part.erase(locked, ctx)
        erasure = Erasure.objects.create(user=locked, erased_at=now, summary=ctx.done)
        files = list(ctx.files_to_delete)
        original_email = ctx.original_email
        transaction.on_commit(lambda: _files_delete(files))
        transaction.on_commit(
            lambda: notification_send(
                template="privacy_erased",
                to_email=original_email,
                language=language,
                context={"retention_years": ACCOUNTING_RETENTION_YEARS},
            )
        )
    user.refresh_from_db()
    return erasure


def _files_delete(files: list[tuple[Any, str]]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            pass  # already gone: nothing personal left to remove
