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

`offer_import_run` applies the rows in chunks of ROWS_PER_CHUNK through
`offers.offers_upsert`, the lines of one product in the same chunk whatever their order in
the file (each product's summary is then refreshed once, not once per chunk: on a shuffled
file of 100,000 lines that is the difference between seconds and minutes). Each chunk is
committed together with the import's counters and errors, so the progress bar
(`OfferImport.percent`) moves chunk by chunk and a run cut short (worker restarted) resumes
after the last committed chunk (the order only depends on the file and on which product each
SKU belongs to, which does not change). A bad row is reported with its
line number as a spreadsheet shows it (header = line 1) and never blocks the others. A SKU
appearing twice in the file is applied once (first occurrence), the later lines rejected.
Re-importing the same file writes nothing: every row counts as unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from allies.catalog.models import OfferImport, Variant
from allies.catalog.offers import CHUNK_SIZE, OfferError, offers_upsert, sku_clean

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
ROWS_PER_CHUNK = 2000
DELIMITERS = (";", ",", "\t")

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
_TEMPLATE_ROWS = [
    ("CHE-000123-M-BLE", "49,90", "12", "", "oui", "OXF-BLEU-M"),
    ("CHE-000123-L-BLE", "49,90", "0", "3", "oui", "OXF-BLEU-L"),
]


def _max_bytes() -> int:
    return int(getattr(settings, "OFFER_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _refuse(code: str, message: str) -> OfferError:
    return OfferError({"file": message}, code=code)


def header_key(text: str) -> str:
    """'Délai réappro (semaines)' → 'delai_reappro_semaines'."""
    plain = unicodedata.normalize("NFKD", text.strip().lstrip("\ufeff"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


# --- reading a file ------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    if raw.startswith(b"PK\x03\x04"):
        raise _refuse(
            "not_csv",
            _(
                "Ce fichier est un classeur Excel, pas un fichier CSV. Dans Excel, choisissez "
                "« Enregistrer sous » puis le type « CSV UTF-8 (délimité par des virgules) »."
            ),
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(
            "not_utf8",
            _(
                "Le fichier est enregistré en UTF-16 (« Texte Unicode »). Enregistrez-le au "
                "format « CSV UTF-8 (délimité par des virgules) » puis importez-le à nouveau."
            ),
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _refuse(
            "not_utf8",
            _(
                "Le fichier n'est pas encodé en UTF-8 (caractère illisible ligne %(line)s) : "
                "c'est souvent le cas des fichiers « CSV (séparateur : point-virgule) » "
                "d'Excel. Dans Excel, choisissez « Enregistrer sous » puis le type « CSV UTF-8 "
                "(délimité par des virgules) », et importez ce nouveau fichier."
            )
            % {"line": line},
        ) from None


@dataclass
class _Sheet:
    columns: dict[str, int]  # offers_upsert key → column index
    rows: Iterator[tuple[int, dict[str, str]]]  # (spreadsheet line, item), blank lines skipped


def _sniff(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _sheet(text: str) -> _Sheet:
    """Check the header and return the columns and the rows; OfferError if unusable."""
    first_line = next((ln for ln in io.StringIO(text) if ln.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff(first_line))
    records = enumerate(reader, start=1)
    header: list[str] = []
    try:
        for _line, record in records:
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

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for line, record in records:
            if not any(cell.strip() for cell in record):
                continue
            yield line, {key: record[i] for key, i in columns.items() if i < len(record)}

    return _Sheet(columns, rows())


def _rows_count(sheet: _Sheet) -> int:
    try:
        return sum(1 for _row in sheet.rows)
    except csv.Error as exc:
        raise _refuse(
            "bad_csv", _("Le fichier CSV est mal formé : %(error)s") % {"error": exc}
        ) from None


# --- starting an import --------------------------------------------------------------------


def offer_import_start(*, vendor, uploaded_file, actor=None) -> OfferImport:
    """Check the uploaded CSV, store it and queue its processing; OfferError (field "file")
    if it cannot be imported: empty, too big, not UTF-8, not CSV, header without `sku` or
    without any column to update, no data line. Nothing is stored then."""
    limit = _max_bytes()
    size = getattr(uploaded_file, "size", None)
    too_big = _refuse(
        "file_too_large",
        _(
            "Le fichier dépasse la taille maximale de %(max)s Mo : découpez-le en plusieurs "
            "fichiers."
        )
        % {"max": limit // (1024 * 1024) or 1},
    )
    if size is not None and size > limit:
        raise too_big
    uploaded_file.seek(0)
    raw = uploaded_file.read(limit + 1)
    if len(raw) > limit:
        raise too_big
    if not raw.lstrip(b"\xef\xbb\xbf").strip():
        raise _refuse("empty_file", _("Le fichier est vide."))
    sheet = _sheet(_decode(raw))
    total = _rows_count(sheet)
    if not total:
        raise _refuse(
            "no_rows", _("Le fichier ne contient que l'en-tête : aucune offre à importer.")
        )

    name = os.path.basename(getattr(uploaded_file, "name", "") or "offres.csv")
    with transaction.atomic():
        job = OfferImport(
            vendor=vendor,
            created_by=actor if getattr(actor, "pk", None) else None,
            filename=name[-255:],
            sha256=hashlib.sha256(raw).hexdigest(),
            language=translation.get_language() or settings.LANGUAGE_CODE,
            total_rows=total,
        )
        # An unguessable stored name: the original one stays in `filename`.
        job.file.save(f"{vendor.pk}-{secrets.token_hex(8)}.csv", ContentFile(raw), save=False)
        job.save()
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(import_id: int) -> None:
    from allies.catalog.tasks import offer_import_process

    offer_import_process.enqueue(import_id=import_id)


# --- processing ----------------------------------------------------------------------------


def offer_import_run(*, import_id: int) -> OfferImport | None:
    """Apply an import's file (the background task's body). Safe to call again: a finished
    import is left as it is, an interrupted one resumes after its last committed chunk.
    Bad rows are reported; only an unexpected error marks the import failed."""
    job = OfferImport.objects.select_related("vendor").filter(pk=import_id).first()
    if job is None or job.is_finished:
        return job
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            _run(job)
        except Exception:
            logger.exception("offer import %s failed", import_id)
            done = (
                OfferImport.objects.filter(pk=import_id)
                .values_list("processed_rows", flat=True)
                .first()
            )
            OfferImport.objects.filter(pk=import_id).update(
                status=OfferImport.Status.FAILED,
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
    if job.status == OfferImport.Status.PENDING:
        job.status = OfferImport.Status.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    with job.file.open("rb") as f:
        raw = f.read()
    sheet = _sheet(_decode(raw))
    entries: list[tuple[int, dict[str, str], int | None]] = []  # (line, item, earlier line)
    first_line: dict[str, int] = {}
    for line, item in sheet.rows:
        sku = sku_clean(item.get("sku"))
        earlier = first_line.get(sku) if sku else None
        if sku and earlier is None:
            first_line[sku] = line
        entries.append((line, item, earlier))
    # Lines of one product go in the same chunk, whatever their order in the file, so each
    # product's summary is refreshed once rather than once per chunk it appears in.
    product_of = _products_of(first_line)
    entries.sort(key=lambda e: (product_of.get(sku_clean(e[1].get("sku")), 0), e[0]))
    done = job.processed_rows  # lines of the chunks committed by an earlier run
    for start in range(done, len(entries), ROWS_PER_CHUNK):
        _chunk_apply(job, entries[start : start + ROWS_PER_CHUNK])
    job.status = OfferImport.Status.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])


def _products_of(skus) -> dict[str, int]:
    """SKU → product id of the known SKUs (a query per CHUNK_SIZE)."""
    skus = list(skus)
    found: dict[str, int] = {}
    for start in range(0, len(skus), CHUNK_SIZE):
        found.update(
            Variant.objects.filter(sku__in=skus[start : start + CHUNK_SIZE]).values_list(
                "sku", "product_id"
            )
        )
    return found


def _chunk_apply(job: OfferImport, batch: list[tuple[int, dict[str, str], int | None]]) -> None:
    errors: list[dict] = []
    lines: list[int] = []
    items: list[dict[str, str]] = []
    for line, item, earlier in batch:
        if earlier is not None:
            sku = sku_clean(item.get("sku"))
            errors.append(
                {
                    "line": line,
                    "sku": sku,
                    "code": "duplicate",
                    "reason": _("Référence %(sku)s déjà présente ligne %(line)s : ligne ignorée.")
                    % {"sku": sku, "line": earlier},
                }
            )
        else:
            lines.append(line)
            items.append(item)
    with transaction.atomic():
        result = offers_upsert(vendor=job.vendor, items=items)
        errors += [
            {"line": lines[e.index], "sku": e.sku, "code": e.code, "reason": e.message}
            for e in result.errors
        ]
        # Chunks follow products, not lines: keep the first MAX_ERRORS lines of the file.
        job.errors = sorted(job.errors + errors, key=lambda e: e["line"])[: OfferImport.MAX_ERRORS]
        job.processed_rows += len(batch)
        job.total_rows = max(job.total_rows, job.processed_rows)
        job.created += result.created
        job.updated += result.updated
        job.unchanged += result.unchanged
        job.rejected += len(errors)
        job.save(
            update_fields=[
                "errors",
                "processed_rows",
                "total_rows",
                "created",
                "updated",
                "unchanged",
                "rejected",
            ]
        )


# --- the template and the reads ------------------------------------------------------------


def offer_import_template() -> str:
    """The "Télécharger le modèle" file: header and two example lines, `;`-separated with a
    decimal comma (what French Excel expects), UTF-8 with a BOM so Excel reads it as such."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([aliases[0] for aliases in COLUMNS.values()])
    writer.writerows(_TEMPLATE_ROWS)
    return "\ufeff" + out.getvalue()


def offer_imports_for(*, vendor) -> QuerySet[OfferImport]:
    """The vendor's imports, newest first (without their error lists: a list does not show
    them)."""
    return OfferImport.objects.filter(vendor=vendor).defer("errors")


def offer_import_get(*, vendor, pk: int) -> OfferImport:
    """One of the vendor's imports; Http404 for another vendor's (or none)."""
    return get_object_or_404(OfferImport, vendor=vendor, pk=pk)
