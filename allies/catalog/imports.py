"""CSV import of a vendor's offers and stock (CAT-2, VEN-3): checked on upload, applied in the
background with a progress bar, ending with a report.

The file (UTF-8, with or without BOM; `;`, `,` or tab between columns, found from the header
line) has a header line, then one offer per line:

    sku;prix;stock;delai_reappro_semaines;actif;reference_vendeur
    CHE-000123-M-BLE;49,90;12;;oui;OXF-BLEU-M

`sku` (the Alliés product reference, Variant.sku) is required, with at least one of the other
columns. Headers ignore case, accents, spaces and the English aliases (`price`, `quantity`,
`restock_weeks`, `active`, `vendor_sku`); unknown columns are ignored. An empty cell leaves
the price, stock or active flag as they are; an empty restock delay means "no delay" and an
empty vendor reference clears it (see `catalog.offers`, which parses every value).

Files that are not UTF-8 (Excel's "CSV (point-virgule)" is Windows-1252) are refused with a
message saying how to save them as "CSV UTF-8", rather than decoded by guess: a wrong guess
would silently store garbled vendor references.

`offer_import_run` streams the stored file (a few lines of it in memory at a time, whatever
its size) and applies it in chunks of ROWS_PER_CHUNK lines, in the file's order. Each chunk
is checked first (parsed, duplicates found, every value validated) outside any transaction,
so a slow or hostile line never holds the database's write lock; then one short transaction
writes the chunk through `offers.offers_upsert` together with the import's counters, errors
and the byte offset where the next chunk starts. The progress bar (`OfferImport.percent`)
moves chunk by chunk, and a run cut short (worker killed) resumes at that offset: every line
is counted once. `offer_imports_resume_stale` (periodic) re-queues imports whose worker died,
seen by their heartbeat. A bad row is reported with its line number as a spreadsheet shows it
(header = line 1) and never blocks the others. A SKU appearing twice in the file is applied
once (first occurrence), the later lines rejected, whichever chunk they are in (the SKUs met
are kept in the database, `OfferImportSku`, not in memory). Re-importing the same file
writes nothing: every row counts as unchanged.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import logging
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from allies.catalog.models import OfferImport, OfferImportSku
from allies.catalog.offers import OfferError, column_name, offers_upsert, sku_clean

# The per-value rules of `offers` (the same messages whatever the channel), run here before
# the write transaction; `offers_upsert` then only re-reads values already parsed.
from allies.catalog.offers import _Invalid as OfferValueInvalid
from allies.catalog.offers import _item_fields as offer_item_fields

if TYPE_CHECKING:
    from allies.accounts.models import User
    from allies.vendors.models import Vendor

logger = logging.getLogger(__name__)

ROWS_PER_CHUNK = 2000
DELIMITERS = (";", ",", "\t")
BLOCK_BYTES = 64 * 1024
_BOM = codecs.BOM_UTF8
# SKUs looked up per query (well under every database's limit of parameters).
_SKUS_PER_QUERY = 500

# Column of the file → key of an `offers_upsert` item. French names first (the template's).
COLUMNS = {
    "sku": ("sku", "reference_produit", "reference_produit_allies", "reference_allies"),
    "price": ("prix", "price", "prix_ttc"),
    "stock": ("stock", "quantity", "quantite"),
    "restock_weeks": (
        "delai_reappro_semaines",
        "restock_weeks",
        "delai_reappro",
        "delai_reapprovisionnement_semaines",
    ),
    "active": ("actif", "active", "is_active"),
    "vendor_sku": ("reference_vendeur", "vendor_sku"),
}
_ALIASES = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}
# `offers` field names (parsed values) → `offers_upsert` item keys.
_ITEM_KEY_OF_FIELD = {
    "price": "price",
    "stock": "stock",
    "restock_weeks": "restock_weeks",
    "is_active": "active",
    "vendor_sku": "vendor_sku",
}
_TEMPLATE_ROWS = [
    ("CHE-000123-M-BLE", "49,90", "12", "", "oui", "OXF-BLEU-M"),
    ("CHE-000123-L-BLE", "49,90", "0", "3", "oui", "OXF-BLEU-L"),
]


def _max_bytes() -> int:
    return settings.OFFER_IMPORT_MAX_BYTES


def _stale_after() -> timedelta:
    """A RUNNING import whose heartbeat is older than this lost its worker."""
    return timedelta(seconds=settings.OFFER_IMPORT_STALE_SECONDS)


def _refuse(code: str, message: str) -> OfferError:
    return OfferError({"file": message}, code=code)


def header_key(text: str) -> str:
    """'Délai réappro (semaines)' → 'delai_reappro_semaines'."""
    plain = unicodedata.normalize("NFKD", text.strip().lstrip("\ufeff"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


# --- reading a file, a few lines at a time ---------------------------------------------------


def _bytes_check(f: IO[bytes]) -> str:
    """Read the whole upload once, a block at a time, and return its SHA-256; OfferError if
    it is too big, empty, an Excel workbook, UTF-16 or not UTF-8."""
    limit = _max_bytes()
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = newlines = 0
    blank = True
    f.seek(0)
    while block := f.read(BLOCK_BYTES):
        if size == 0:
            _kind_check(block)
        size += len(block)
        if size > limit:
            raise _too_big(limit)
        digest.update(block)
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(block)
        except UnicodeDecodeError as exc:
            at = max(0, exc.start - pending)
            raise _not_utf8(newlines + block[:at].count(b"\n") + 1) from None
        newlines += block.count(b"\n")
        blank = blank and not (block.removeprefix(_BOM) if size == len(block) else block).strip()
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _not_utf8(newlines + 1) from None
    if blank:
        raise _refuse("empty_file", _("Le fichier est vide."))
    return digest.hexdigest()


def _too_big(limit: int) -> OfferError:
    return _refuse(
        "file_too_large",
        _(
            "Le fichier dépasse la taille maximale de %(max)s Mo : découpez-le en plusieurs "
            "fichiers."
        )
        % {"max": limit // (1024 * 1024) or 1},
    )


def _kind_check(first_block: bytes) -> None:
    if first_block.startswith(b"PK\x03\x04"):
        raise _refuse(
            "not_csv",
            _(
                "Ce fichier est un classeur Excel, pas un fichier CSV. Dans Excel, choisissez "
                "« Enregistrer sous » puis le type « CSV UTF-8 (délimité par des virgules) »."
            ),
        )
    if first_block.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(
            "not_utf8",
            _(
                "Le fichier est enregistré en UTF-16 (« Texte Unicode »). Enregistrez-le au "
                "format « CSV UTF-8 (délimité par des virgules) » puis importez-le à nouveau."
            ),
        )


def _not_utf8(line: int) -> OfferError:
    return _refuse(
        "not_utf8",
        _(
            "Le fichier n'est pas encodé en UTF-8 (caractère illisible ligne %(line)s) : "
            "c'est souvent le cas des fichiers « CSV (séparateur : point-virgule) » "
            "d'Excel. Dans Excel, choisissez « Enregistrer sous » puis le type « CSV UTF-8 "
            "(délimité par des virgules) », et importez ce nouveau fichier."
        )
        % {"line": line},
    )


class _Lines:
    """The decoded lines of a (checked, UTF-8) file from a byte offset, split like universal
    newlines (\\n, \\r\\n or \\r), each with its line ending. `offset` is the byte
    offset just past the last line handed out: `csv.reader` never reads ahead of the record it
    returns, so after each record it is where the next record starts (what a resumed run
    seeks to)."""

    def __init__(self, f: IO[bytes], *, offset: int = 0):
        self.file = f
        self.offset = offset

    def __iter__(self) -> Iterator[str]:
        self.file.seek(self.offset)
        carry = b""
        at_start = self.offset == 0
        while block := self.file.read(BLOCK_BYTES):
            data = carry + block
            if at_start:
                if len(data) < len(_BOM) and _BOM.startswith(data):
                    carry = data
                    continue
                if data.startswith(_BOM):
                    data = data[len(_BOM) :]
                    self.offset += len(_BOM)
                at_start = False
            lines = data.splitlines(keepends=True)
            # The last piece may go on in the next block (no line ending yet, or a \r whose
            # \n has not been read).
            carry = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
            for line in lines:
                self.offset += len(line)
                yield line.decode("utf-8")
        if carry:
            self.offset += len(carry)
            yield carry.decode("utf-8")


@dataclass
class _Layout:
    delimiter: str
    columns: dict[str, int]  # offers_upsert key → column index
    data_offset: int  # byte offset where the line after the header starts
    header_line: int  # the header's spreadsheet line number


def _sniff(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _layout(f: IO[bytes]) -> _Layout:
    """Read the header (the first non-blank line) and return where the columns are;
    OfferError if unusable."""
    lines = _Lines(f)
    stream = iter(lines)
    blanks: list[str] = []
    first = ""
    for line in stream:
        if line.strip():
            first = line
            break
        blanks.append(line)
    reader = csv.reader(itertools.chain(blanks, [first], stream), delimiter=_sniff(first))
    header: list[str] = []
    header_line = 0
    try:
        for record in reader:
            header_line += 1
            if any(cell.strip() for cell in record):
                header = record
                break
    except csv.Error as exc:
        raise _refuse(
            "bad_csv", _("La ligne d'en-tête est illisible : %(error)s") % {"error": exc}
        ) from None
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _ALIASES.get(header_key(name))
        if key is None:
            continue
        if key in columns:
            raise _refuse(
                "duplicate_column",
                _("La colonne « %(name)s » apparaît deux fois dans l'en-tête.")
                % {"name": name.strip()},
            )
        columns[key] = index
    names = [h.strip() for h in header if h.strip()]
    found = ", ".join(names[:10]) + (", …" if len(names) > 10 else "") if names else _("aucune")
    found = found if len(found) <= 200 else found[:199] + "…"
    if "sku" not in columns:
        raise _refuse(
            "missing_columns",
            _(
                "La colonne « sku » (référence produit Alliés) est introuvable dans la première "
                "ligne du fichier (colonnes trouvées : %(found)s). Partez du modèle à "
                "télécharger."
            )
            % {"found": found},
        )
    if len(columns) == 1:
        raise _refuse(
            "missing_columns",
            _(
                "Ajoutez au moins une colonne à mettre à jour : prix, stock, "
                "delai_reappro_semaines, actif ou reference_vendeur (colonnes trouvées : "
                "%(found)s)."
            )
            % {"found": found},
        )
    return _Layout(_sniff(first), columns, lines.offset, header_line)


@dataclass
class _Row:
    line: int  # spreadsheet line number
    item: dict[str, str]  # offers_upsert key → cell
    next_offset: int  # byte offset where the following line starts
    next_line: int  # the last line read (blank lines after this row included: none)


def _rows(f: IO[bytes], layout: _Layout, *, offset: int, line: int) -> Iterator[_Row]:
    """The data rows from `offset` (the start of spreadsheet line `line` + 1), blank lines
    skipped; csv.Error on a malformed record."""
    lines = _Lines(f, offset=offset)
    columns = layout.columns.items()
    for number, record in enumerate(csv.reader(lines, delimiter=layout.delimiter), line + 1):
        if not any(cell.strip() for cell in record):
            continue
        item = {key: record[i] for key, i in columns if i < len(record)}
        yield _Row(number, item, lines.offset, number)


def _rows_count(f: IO[bytes], layout: _Layout) -> int:
    try:
        return sum(1 for _row in _rows(f, layout, offset=layout.data_offset, line=0))
    except csv.Error as exc:
        raise _refuse(
            "bad_csv", _("Le fichier CSV est mal formé : %(error)s") % {"error": exc}
        ) from None


# --- starting an import --------------------------------------------------------------------


def offer_import_start(
    *, vendor: Vendor, uploaded_file: File[bytes], actor: User | None = None
) -> OfferImport:
    """Check the uploaded CSV, store it and queue its processing; OfferError (field "file")
    if it cannot be imported: empty, too big, not UTF-8, not CSV, header without `sku` or
    without any column to update, no data line. Nothing is stored then. The file is read a
    block at a time (twice: bytes, then CSV), never whole in memory.

    `actor` is the vendor's user who uploaded it (kept as `created_by`). Not the orders'
    `Actor`: catalog sits below orders in the layers, and an import is always a person's."""
    limit = _max_bytes()
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise _too_big(limit)
    sha256 = _bytes_check(uploaded_file)
    total = _rows_count(uploaded_file, _layout(uploaded_file))
    if not total:
        raise _refuse(
            "no_rows", _("Le fichier ne contient que l'en-tête : aucune offre à importer.")
        )

    name = os.path.basename(uploaded_file.name or "offres.csv")
    uploaded_file.seek(0)
    with transaction.atomic():
        job = OfferImport(
            vendor=vendor,
            created_by=actor if actor is not None and actor.pk else None,
            filename=name[-255:],
            sha256=sha256,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            total_rows=total,
        )
        # An unguessable stored name: the original one stays in `filename`.
        job.file.save(f"{vendor.pk}-{secrets.token_hex(8)}.csv", uploaded_file, save=False)
        job.save()
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(import_id: int) -> None:
    from allies.catalog.tasks import offer_import_process

    offer_import_process.enqueue(import_id=import_id)


# --- the import's status: one function moves it --------------------------------------------

_TRANSITIONS: dict[str, set[str]] = {
    OfferImport.Status.PENDING: {OfferImport.Status.RUNNING, OfferImport.Status.FAILED},
    OfferImport.Status.RUNNING: {OfferImport.Status.DONE, OfferImport.Status.FAILED},
    OfferImport.Status.DONE: set(),
    OfferImport.Status.FAILED: set(),
}


def _status_set(*, import_id: int, to: str, **fields: object) -> bool:
    """Move the import to `to` (with `fields`) if its current status allows it; False if not
    (another run got there first). Finishing also forgets the SKUs the run met."""
    with transaction.atomic():
        job = OfferImport.objects.select_for_update().get(pk=import_id)
        if to not in _TRANSITIONS[job.status]:
            return False
        job.status = to
        for name, value in fields.items():
            setattr(job, name, value)
        job.save(update_fields=["status", *fields])
        if job.is_finished:
            OfferImportSku.objects.filter(offer_import_id=import_id).delete()
    return True


# --- processing ----------------------------------------------------------------------------


class _Superseded(Exception):
    """Another run of the same import committed first: this one stops (the other goes on)."""


def offer_import_run(*, import_id: int) -> OfferImport | None:
    """Apply an import's file (the background task's body). Safe to call again, even while
    another run goes on: a finished import is left as it is, an interrupted one resumes
    after its last committed chunk. Bad rows are reported; only an unexpected error marks
    the import failed."""
    job = OfferImport.objects.select_related("vendor").filter(pk=import_id).first()
    if job is None or job.is_finished:
        return job
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            _run(job)
        except _Superseded:
            logger.info("offer import %s: another run went on with it", import_id)
        except Exception:
            logger.exception("offer import %s failed", import_id)
            done = (
                OfferImport.objects.filter(pk=import_id)
                .values_list("processed_rows", flat=True)
                .first()
            )
            _status_set(
                import_id=import_id,
                to=OfferImport.Status.FAILED,
                finished_at=timezone.now(),
                failure=_(
                    "L'import s'est arrêté sur une erreur inattendue après %(done)s ligne(s) "
                    "sur %(total)s : les lignes comptées ci-dessous sont enregistrées, les "
                    "suivantes non. Réessayez en important à nouveau le fichier (les lignes "
                    "déjà appliquées resteront inchangées) ou écrivez au service vendeurs."
                )
                % {"done": done or 0, "total": job.total_rows},
            )
    job.refresh_from_db()
    return job


def _run(job: OfferImport) -> None:
    now = timezone.now()
    if job.status == OfferImport.Status.PENDING:
        _status_set(import_id=job.pk, to=OfferImport.Status.RUNNING, started_at=now)
    OfferImport.objects.filter(pk=job.pk).update(heartbeat_at=now)
    job.refresh_from_db()
    if job.status != OfferImport.Status.RUNNING:
        return
    with job.file.open("rb") as f:
        layout = _layout(f)
        offset = job.resume_offset or layout.data_offset
        batch: list[_Row] = []
        for row in _rows(f, layout, offset=offset, line=job.resume_line or layout.header_line):
            batch.append(row)
            if len(batch) == ROWS_PER_CHUNK:
                job = _chunk_apply(job, batch)
                batch = []
        if batch:
            job = _chunk_apply(job, batch)
    _status_set(import_id=job.pk, to=OfferImport.Status.DONE, finished_at=timezone.now())


def _sku_key(sku: str) -> str:
    """What `OfferImportSku.sku` stores for `sku`."""
    if len(sku) <= 64:
        return sku
    return "sha256:" + hashlib.sha256(sku.encode()).hexdigest()


def _earlier_lines(job: OfferImport, keys: set[str]) -> dict[str, int]:
    """SKU key → first line, for those met by the chunks already committed."""
    found: dict[str, int] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), _SKUS_PER_QUERY):
        found.update(
            OfferImportSku.objects.filter(
                offer_import=job, sku__in=ordered[start : start + _SKUS_PER_QUERY]
            ).values_list("sku", "line")
        )
    return found


def _skus_remember(rows: list[tuple[int, str, int]]) -> None:
    """Insert (import id, SKU key, line) rows into OfferImportSku with one executemany: the
    ORM's bulk_create builds a model instance per row, which costs more than the rest of the
    chunk's bookkeeping."""
    if not rows:
        return
    meta, quote = OfferImportSku._meta, connection.ops.quote_name
    columns = ", ".join(
        quote(column_name(OfferImportSku, n)) for n in ("offer_import", "sku", "line")
    )
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES (%s, %s, %s)"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _chunk_apply(job: OfferImport, batch: list[_Row]) -> OfferImport:
    """Check the chunk (no transaction), then write it with the import's progress (one short
    transaction). _Superseded if another run of the import committed this chunk first."""
    keys = {_sku_key(sku_clean(row.item.get("sku"))) for row in batch} - {""}
    first_line = _earlier_lines(job, keys)
    met: list[tuple[int, str, int]] = []  # (import id, SKU key, line)
    errors: list[dict] = []
    lines: list[int] = []
    items: list[dict] = []
    for row in batch:
        sku = sku_clean(row.item.get("sku"))
        key = _sku_key(sku)
        if sku and key in first_line:
            errors.append(
                {
                    "line": row.line,
                    "sku": sku,
                    "code": "duplicate",
                    "reason": _("Référence %(sku)s déjà présente ligne %(line)s : ligne ignorée.")
                    % {"sku": sku, "line": first_line[key]},
                }
            )
            continue
        if sku:
            first_line[key] = row.line
            met.append((job.pk, key, row.line))
        try:
            fields = offer_item_fields(row.item, stock_only=False)
        except OfferValueInvalid as problem:
            errors.append(
                {"line": row.line, "sku": sku, "code": problem.code, "reason": problem.message}
            )
            continue
        lines.append(row.line)
        items.append({"sku": sku, **{_ITEM_KEY_OF_FIELD[k]: v for k, v in fields.items()}})

    last = batch[-1]
    with transaction.atomic():
        current = OfferImport.objects.select_for_update().get(pk=job.pk)
        if (
            current.status != OfferImport.Status.RUNNING
            or current.resume_offset != job.resume_offset
        ):
            raise _Superseded
        result = offers_upsert(vendor=job.vendor, items=items)
        errors += [
            {"line": lines[e.index], "sku": e.sku, "code": e.code, "reason": e.message}
            for e in result.errors
        ]
        _skus_remember(met)
        room = OfferImport.MAX_ERRORS - len(current.errors)
        if room > 0 and errors:
            current.errors = current.errors + sorted(errors, key=lambda e: e["line"])[:room]
        current.processed_rows += len(batch)
        current.total_rows = max(current.total_rows, current.processed_rows)
        current.created += result.created
        current.updated += result.updated
        current.unchanged += result.unchanged
        current.rejected += len(errors)
        current.resume_offset = last.next_offset
        current.resume_line = last.next_line
        current.heartbeat_at = timezone.now()
        current.save(
            update_fields=[
                "errors",
                "processed_rows",
                "total_rows",
                "created",
                "updated",
                "unchanged",
                "rejected",
                "resume_offset",
                "resume_line",
                "heartbeat_at",
            ]
        )
    current.vendor = job.vendor
    return current


def offer_imports_resume_stale() -> int:
    """Queue again every unfinished import whose worker died: RUNNING with no heartbeat for
    OFFER_IMPORT_STALE_SECONDS, or PENDING that long (its task was lost). The run resumes
    after the last committed chunk. Safe to call any time (periodic); returns how many."""
    now = timezone.now()
    threshold = now - _stale_after()
    stale = (
        OfferImport.objects.filter(
            status__in=[OfferImport.Status.PENDING, OfferImport.Status.RUNNING]
        )
        .alias(alive_at=Coalesce("heartbeat_at", "created_at"))
        .filter(alive_at__lt=threshold)
        .values_list("pk", "heartbeat_at")
    )
    resumed = 0
    for import_id, heartbeat in list(stale):
        # Claim it (the heartbeat moves), so a second sweep does not queue it again.
        claimed = OfferImport.objects.filter(pk=import_id, heartbeat_at=heartbeat).update(
            heartbeat_at=now
        )
        if claimed:
            logger.warning("offer import %s: its worker stopped; resuming it", import_id)
            _enqueue(import_id)
            resumed += 1
    return resumed


# --- the template and the reads ------------------------------------------------------------


def offer_import_template() -> str:
    """The "Télécharger le modèle" file: header and two example lines, `;`-separated with a
    decimal comma (what French Excel expects), UTF-8 with a BOM so Excel reads it as such."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([aliases[0] for aliases in COLUMNS.values()])
    writer.writerows(_TEMPLATE_ROWS)
    return "\ufeff" + out.getvalue()


def offer_imports_for(*, vendor: Vendor) -> QuerySet[OfferImport]:
    """The vendor's imports, newest first (without their error lists: a list does not show
    them)."""
    return OfferImport.objects.filter(vendor=vendor).defer("errors")


def offer_import_get(*, vendor: Vendor, pk: int) -> OfferImport:
    """One of the vendor's imports; Http404 for another vendor's (or none)."""
    return get_object_or_404(OfferImport, vendor=vendor, pk=pk)
