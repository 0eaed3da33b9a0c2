"""catalog.imports: a vendor's CSV of offers and stock, checked, applied in the background and
reported line by line."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import translation

from allies.catalog import imports
from allies.catalog.imports import (
    offer_import_get,
    offer_import_run,
    offer_import_start,
    offer_import_template,
    offer_imports_for,
)
from allies.catalog.models import Availability, Offer, OfferImport
from allies.catalog.offers import OfferError
from tests.factories import OfferFactory, UserFactory, VariantFactory, VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor():
    return VendorFactory()


@pytest.fixture
def start(vendor, django_capture_on_commit_callbacks):
    """Upload like the portal does; the task runs when the upload's transaction commits."""

    def start(content, *, name="offres.csv", who=None, as_vendor=None):
        data = content.encode() if isinstance(content, str) else content
        with django_capture_on_commit_callbacks(execute=True):
            job = offer_import_start(
                vendor=as_vendor or vendor,
                uploaded_file=SimpleUploadedFile(name, data, content_type="text/csv"),
                actor=who,
            )
        job.refresh_from_db()
        return job

    return start


def csv_text(*lines: str) -> str:
    return "\r\n".join(lines) + "\r\n"


def test_report_gives_counts_and_each_rejected_line_with_its_reason(vendor, start):
    # covers: CAT-2, VEN-3
    new, other, priced, later = (VariantFactory() for _ in range(4))
    mine = OfferFactory(vendor=vendor, price=Decimal("30.00"), stock=1)
    job = start(
        csv_text(
            "sku;prix;stock;delai_reappro_semaines;actif",
            f"{new.sku};49,90;5;;oui",  # 2 created
            "INCONNU-42;10;1;;oui",  # 3 unknown sku
            f"{other.sku};10;-2;;oui",  # 4 negative stock
            f"{priced.sku};abc;1;;oui",  # 5 price not a number
            f"{mine.variant.sku};30;0;99;oui",  # 6 restock 99
            f"{new.sku};59,90;1;;oui",  # 7 duplicate of line 2
            "",  # 8 an empty line: skipped, still counted like a spreadsheet row
            f"{later.sku};12;3;;non",  # 9 created
        ),
        who=UserFactory(),
    )
    assert job.status == OfferImport.Status.DONE
    assert (job.total_rows, job.processed_rows, job.percent) == (7, 7, 100)
    assert (job.created, job.updated, job.unchanged, job.rejected) == (2, 0, 0, 5)
    assert [(e["line"], e["sku"], e["code"]) for e in job.errors] == [
        (3, "INCONNU-42", "unknown_sku"),
        (4, other.sku, "invalid_stock"),
        (5, priced.sku, "invalid_price"),
        (6, mine.variant.sku, "invalid_restock"),
        (7, new.sku, "duplicate"),
    ]
    reasons = [e["reason"] for e in job.errors]
    assert "inconnue" in reasons[0]
    assert "« -2 »" in reasons[1]
    assert "« abc »" in reasons[2]
    assert "« 99 »" in reasons[3]
    assert "ligne 2" in reasons[4]
    assert offer_of(vendor, new).price == Decimal("49.90")  # the first line wins
    assert offer_of(vendor, later).is_active is False
    mine.refresh_from_db()
    assert (mine.stock, mine.restock_weeks) == (1, None)  # its bad line changed nothing
    assert not Offer.objects.filter(variant__in=[other, priced]).exists()
    assert job.started_at and job.finished_at and job.created_by


def offer_of(vendor, variant) -> Offer:
    return Offer.objects.get(vendor=vendor, variant=variant)


def test_importing_the_same_file_twice_changes_nothing_the_second_time(vendor, start):
    # covers: CAT-2, VEN-3
    variants = [VariantFactory() for _ in range(6)]
    OfferFactory(vendor=vendor, variant=variants[0], price=Decimal("10.00"), stock=0)
    OfferFactory(vendor=vendor, variant=variants[1], price=Decimal("99.00"), stock=0)
    content = csv_text(
        "sku;prix;stock;delai_reappro_semaines;actif;reference_vendeur",
        *(f"{v.sku};{20 + i},50;{i};{'' if i else 2};oui;REF-{i}" for i, v in enumerate(variants)),
        "INCONNU;10;1;;;",
    )
    first = start(content)
    assert (first.created, first.updated, first.unchanged, first.rejected) == (4, 2, 0, 1)
    stamps = dict(Offer.objects.filter(vendor=vendor).values_list("id", "updated_at"))
    prices = dict(Offer.objects.filter(vendor=vendor).values_list("id", "price"))

    second = start(content)
    assert second.pk != first.pk and second.sha256 == first.sha256
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 6, 1)
    assert dict(Offer.objects.filter(vendor=vendor).values_list("id", "updated_at")) == stamps
    assert dict(Offer.objects.filter(vendor=vendor).values_list("id", "price")) == prices


def test_english_headers_commas_and_a_bom_are_understood(vendor, start):
    # covers: VEN-3
    variant = VariantFactory()
    job = start(
        "\ufeffSKU,Price,Quantity,Restock weeks,Active,Vendor SKU\n"
        f'{variant.sku},"49,90",0,3,yes,OXF-1\n'
    )
    assert (job.created, job.rejected) == (1, 0)
    offer = offer_of(vendor, variant)
    assert (offer.price, offer.stock, offer.restock_weeks, offer.vendor_sku) == (
        Decimal("49.90"),
        0,
        3,
        "OXF-1",
    )
    variant.product.refresh_from_db()
    assert variant.product.availability == Availability.RESTOCKING


def test_french_headers_ignore_case_accents_and_spaces(vendor, start):
    # covers: VEN-3
    offer = OfferFactory(vendor=vendor, price=Decimal("30.00"), stock=4)
    job = start(
        csv_text(
            "Référence produit ; Délai réappro (semaines) ; STOCK ; Référence vendeur ; Autre",
            f"{offer.variant.sku};2;0;R-9;ignorée",
        )
    )
    assert (job.updated, job.rejected) == (1, 0)
    offer.refresh_from_db()
    assert (offer.stock, offer.restock_weeks, offer.vendor_sku, offer.price) == (
        0,
        2,
        "R-9",
        Decimal("30.00"),
    )


def test_a_stock_only_file_updates_stock_and_cannot_create_without_a_price(vendor, start):
    # covers: CAT-2, VEN-3
    offer = OfferFactory(vendor=vendor, price=Decimal("30.00"), stock=4)
    new = VariantFactory()
    job = start(csv_text("sku;quantite", f"{offer.variant.sku};12", f"{new.sku};5"))
    assert (job.updated, job.created, job.rejected) == (1, 0, 1)
    assert [(e["line"], e["code"]) for e in job.errors] == [(3, "missing_price")]
    offer.refresh_from_db()
    assert offer.stock == 12


def test_the_progress_bar_moves_chunk_by_chunk(vendor, start, monkeypatch):
    # covers: VEN-3
    variants = [VariantFactory() for _ in range(5)]
    seen = []
    real_upsert = imports.offers_upsert

    def watching_upsert(**kwargs):
        seen.append(OfferImport.objects.values_list("processed_rows", "total_rows").get())
        return real_upsert(**kwargs)

    monkeypatch.setattr(imports, "ROWS_PER_CHUNK", 2)
    monkeypatch.setattr(imports, "offers_upsert", watching_upsert)
    job = start(csv_text("sku;prix", *(f"{v.sku};10" for v in variants)))
    assert seen == [(0, 5), (2, 5), (4, 5)]
    assert (job.processed_rows, job.created, job.percent) == (5, 5, 100)


def test_an_unexpected_error_marks_the_import_failed_and_keeps_committed_chunks(
    vendor, start, monkeypatch
):
    # covers: VEN-3
    variants = [VariantFactory() for _ in range(5)]
    calls = []
    real_upsert = imports.offers_upsert

    def failing_upsert(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_upsert(**kwargs)

    monkeypatch.setattr(imports, "ROWS_PER_CHUNK", 2)
    monkeypatch.setattr(imports, "offers_upsert", failing_upsert)
    job = start(csv_text("sku;prix", *(f"{v.sku};10" for v in variants)))
    assert job.status == OfferImport.Status.FAILED
    assert "erreur inattendue après 2 ligne(s) sur 5" in job.failure
    assert (job.processed_rows, job.created, job.percent) == (2, 2, 40)
    assert Offer.objects.filter(vendor=vendor).count() == 2
    # The task may run again (a retry): a finished import stays as it is.
    assert offer_import_run(import_id=job.pk).status == OfferImport.Status.FAILED
    assert len(calls) == 2


def test_an_interrupted_run_resumes_after_the_last_committed_chunk(vendor, start, monkeypatch):
    # covers: VEN-3
    variants = [VariantFactory() for _ in range(5)]
    real_upsert, calls = imports.offers_upsert, []

    def dying_upsert(**kwargs):
        calls.append(len(kwargs["items"]))
        if len(calls) == 2:
            raise SystemExit("worker killed")  # not an Exception: nothing marks the import
        return real_upsert(**kwargs)

    monkeypatch.setattr(imports, "ROWS_PER_CHUNK", 2)
    monkeypatch.setattr(imports, "offers_upsert", dying_upsert)
    content = csv_text("sku;prix", *(f"{v.sku};10" for v in variants), f"{variants[0].sku};11")
    job = start(content)  # the task backend records the task as failed
    assert (job.status, job.processed_rows) == (OfferImport.Status.RUNNING, 2)

    monkeypatch.setattr(imports, "offers_upsert", real_upsert)
    job = offer_import_run(import_id=job.pk)  # the task delivered again
    assert job.status == OfferImport.Status.DONE
    assert (job.processed_rows, job.created, job.unchanged, job.rejected) == (6, 5, 0, 1)
    assert [(e["line"], e["code"]) for e in job.errors] == [(7, "duplicate")]
    assert Offer.objects.filter(vendor=vendor, price=Decimal("10.00")).count() == 5


def test_errors_kept_are_capped_but_counted_exactly(vendor, start):
    # covers: VEN-3
    VariantFactory()
    job = start(csv_text("sku;prix", *(f"INCONNU-{i};10" for i in range(1005))))
    assert job.rejected == 1005
    assert len(job.errors) == OfferImport.MAX_ERRORS
    assert job.errors[-1]["line"] == 1001


def test_the_report_is_written_in_the_uploaders_language(vendor, start):
    # covers: VEN-3, SITE-4
    with translation.override("en"):
        job = start(csv_text("sku;price", "INCONNU;abc"))
    assert job.errors[0]["reason"].startswith("Invalid price")


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (b"", "empty_file", "vide"),
        (b"\xef\xbb\xbf \r\n", "empty_file", "vide"),
        (b"reference;prix\r\nA;10\r\n", "missing_columns", "« sku »"),
        (b"sku\r\nA\r\n", "missing_columns", "au moins une colonne"),
        (b"sku;prix;Prix\r\nA;1;2\r\n", "duplicate_column", "deux fois"),
        (b"sku;prix\r\n", "no_rows", "aucune offre"),
        ("sku;prix;délai\r\nA;10;2\r\n".encode("cp1252"), "not_utf8", "CSV UTF-8"),
        ("sku;prix\r\nA;10\r\n".encode("utf-16"), "not_utf8", "UTF-16"),
        (b"PK\x03\x04\x14\x00\x06\x00", "not_csv", "classeur Excel"),
    ],
)
def test_an_unusable_file_is_refused_with_a_message_and_nothing_is_kept(
    vendor, start, settings, content, code, words
):
    # covers: VEN-3
    with pytest.raises(OfferError) as refused:
        start(content)
    assert refused.value.code == code
    assert words in refused.value.errors["file"]
    assert not OfferImport.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.csv"))


def test_a_file_over_the_size_limit_is_refused(vendor, start, settings):
    # covers: VEN-3
    settings.OFFER_IMPORT_MAX_BYTES = 1024 * 1024
    with pytest.raises(OfferError) as refused:
        start("sku;prix\r\n" + "A;10\r\n" * 200_000)
    assert refused.value.code == "file_too_large"
    assert "1 Mo" in refused.value.errors["file"]
    assert not OfferImport.objects.exists()


def test_the_template_is_a_file_the_import_accepts(vendor, start):
    # covers: VEN-3
    template = offer_import_template()
    assert template.startswith(
        "\ufeffsku;prix;stock;delai_reappro_semaines;actif;reference_vendeur"
    )
    for line in template.splitlines()[1:]:
        VariantFactory(sku=line.split(";")[0])
    job = start(template, name="modele-import-offres.csv")
    assert (job.created, job.rejected) == (2, 0)
    assert list(
        Offer.objects.filter(vendor=vendor)
        .order_by("variant__sku")
        .values_list("price", "stock", "restock_weeks", "is_active")
    ) == [(Decimal("49.90"), 0, 3, True), (Decimal("49.90"), 12, None, True)]


def test_the_file_is_stored_and_the_import_listed_for_its_vendor_only(vendor, start):
    # covers: VEN-3
    variant = VariantFactory()
    job = start(csv_text("sku;prix", f"{variant.sku};10"), name="stock été.csv")
    assert job.filename == "stock été.csv"
    with job.file.open("rb") as f:
        assert variant.sku.encode() in f.read()
    other_vendor = VendorFactory()
    theirs = start(csv_text("sku;prix", f"{variant.sku};11"), as_vendor=other_vendor)
    assert list(offer_imports_for(vendor=vendor)) == [job]
    assert offer_import_get(vendor=vendor, pk=job.pk) == job
    with pytest.raises(Http404):
        offer_import_get(vendor=vendor, pk=theirs.pk)
