"""catalog.imports: the file is streamed, each chunk checked outside the write transaction,
and an import whose worker was killed resumes where it stopped, counting every line once
(issue 9 §2, §8, §9)."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from allies.catalog import imports
from allies.catalog.imports import (
    offer_import_run,
    offer_import_start,
    offer_imports_resume_stale,
)
from allies.catalog.models import Offer, OfferImport, OfferImportSku, Variant
from tests.factories import ProductFactory, VariantFactory, VendorFactory

ROOT = Path(__file__).resolve().parents[2]


def upload(vendor, content: str | bytes) -> OfferImport:
    """Store and count the file like the portal, without running the task."""
    data = content.encode() if isinstance(content, str) else content
    return offer_import_start(
        vendor=vendor, uploaded_file=SimpleUploadedFile("offres.csv", data), actor=None
    )


@pytest.mark.django_db(transaction=True)
def test_a_killed_import_is_resumed_by_the_stale_check_and_counts_every_line_once(settings):
    # covers: issue 9 §8
    # The upload's task is run by the worker process below, not inline.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    vendor = VendorFactory()
    product = ProductFactory()
    variants = Variant.objects.bulk_create(
        Variant(product=product, sku=f"KILL-{i:05d}", size=str(i)) for i in range(1200)
    )
    lines = [f"{v.sku};{10 + i % 50},90;{i % 7}" for i, v in enumerate(variants)]
    lines += [f"{variants[0].sku};99;1", "INCONNU-1;10;1", "INCONNU-2;abc;1"]
    job = upload(vendor, "sku;prix;stock\r\n" + "\r\n".join(lines) + "\r\n")
    assert job.total_rows == 1203

    worker = _worker_process(job.pk, media=django_settings.MEDIA_ROOT)
    try:
        deadline = time.monotonic() + 60
        while OfferImport.objects.get(pk=job.pk).processed_rows < 300:
            assert worker.poll() is None, worker.stderr.read()
            assert time.monotonic() < deadline, "the worker made no progress"
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)  # what the OOM killer or a deploy does
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    killed = OfferImport.objects.get(pk=job.pk)
    assert killed.status == OfferImport.Status.RUNNING
    assert 300 <= killed.processed_rows < killed.total_rows

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert offer_imports_resume_stale() == 0  # its heartbeat is recent: maybe still working
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert offer_imports_resume_stale() == 1  # the task runs inline in the tests
    job.refresh_from_db()
    assert job.status == OfferImport.Status.DONE
    assert (job.processed_rows, job.total_rows, job.percent) == (1203, 1203, 100)
    assert (job.created, job.updated, job.unchanged, job.rejected) == (1200, 0, 0, 3)
    assert [(e["line"], e["code"]) for e in job.errors] == [
        (1202, "duplicate"),
        (1203, "unknown_sku"),
        (1204, "invalid_price"),
    ]
    assert Offer.objects.filter(vendor=vendor).count() == 1200
    first = Offer.objects.get(vendor=vendor, variant=variants[0])
    assert (first.price, first.stock) == (Decimal("10.90"), 0)  # the duplicate changed nothing
    assert not OfferImportSku.objects.filter(offer_import=job).exists()
    assert offer_imports_resume_stale() == 0


def _worker_process(import_id: int, *, media) -> subprocess.Popen:
    """A worker in its own process running the import slowly (chunks of 100 lines, 50 ms
    each), on the test database."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    script = (
        "import sys, time, django; django.setup()\n"
        "from django.conf import settings; settings.MEDIA_ROOT = sys.argv[2]\n"
        "from allies.catalog import imports\n"
        "imports.ROWS_PER_CHUNK = 100\n"
        "upsert = imports.offers_upsert\n"
        "def slow(**kw):\n"
        "    time.sleep(0.05)\n"
        "    return upsert(**kw)\n"
        "imports.offers_upsert = slow\n"
        "imports.offer_import_run(import_id=int(sys.argv[1]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DJANGO_SETTINGS_MODULE="allies.settings", DATABASE_URL=url, DEBUG="0")
    env["SECRET_KEY"] = "test-worker-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    return subprocess.Popen(
        [sys.executable, "-c", script, str(import_id), str(media)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.django_db(transaction=True)
def test_each_chunk_is_checked_outside_the_write_transaction(monkeypatch):
    # covers: issue 9 §2 — a slow line never holds the database's write lock
    vendor = VendorFactory()
    variants = [VariantFactory() for _ in range(3)]
    seen = {"checks": set(), "writes": set()}
    check, write = imports.offer_item_fields, imports.offers_upsert

    def watched_check(*args, **kwargs):
        seen["checks"].add(connection.in_atomic_block)
        return check(*args, **kwargs)

    def watched_write(**kwargs):
        seen["writes"].add(connection.in_atomic_block)
        return write(**kwargs)

    monkeypatch.setattr(imports, "offer_item_fields", watched_check)
    monkeypatch.setattr(imports, "offers_upsert", watched_write)
    monkeypatch.setattr(imports, "ROWS_PER_CHUNK", 2)
    job = upload(vendor, "sku;prix\r\n" + "".join(f"{v.sku};12\r\n" for v in variants))
    job = offer_import_run(import_id=job.pk)
    assert (job.status, job.created) == (OfferImport.Status.DONE, 3)
    assert seen == {"checks": {False}, "writes": {True}}


@pytest.mark.django_db
def test_a_huge_exponent_in_a_cell_is_refused_at_once_and_the_other_lines_applied():
    # covers: issue 9 §2
    vendor = VendorFactory()
    good, bad = VariantFactory(), VariantFactory()
    job = upload(vendor, f"sku;prix;stock\r\n{bad.sku};10;1e10000000\r\n{good.sku};10;4\r\n")
    started = time.monotonic()
    job = offer_import_run(import_id=job.pk)
    assert time.monotonic() - started < 5
    assert (job.status, job.created, job.rejected) == (OfferImport.Status.DONE, 1, 1)
    assert [(e["line"], e["code"]) for e in job.errors] == [(2, "invalid_stock")]


@pytest.mark.django_db
def test_a_resumed_run_keeps_line_numbers_with_old_mac_line_ends_and_quoted_newlines(
    monkeypatch,
):
    # covers: issue 9 §8 — the committed offset points at the next record, whatever the file
    vendor = VendorFactory()
    v = [VariantFactory() for _ in range(5)]
    content = "\r".join(
        [
            "\ufeffsku;prix;note",
            f'{v[0].sku};10;"two\rlines"',  # 2
            f"{v[1].sku};10;",  # 3
            "",  # 4
            f'{v[2].sku};abc;"a\r\nb"',  # 5
            f"{v[3].sku};10;",  # 6
            f"{v[0].sku};11;",  # 7
            f"{v[4].sku};10;",  # 8
        ]
    )
    job = upload(vendor, content)
    assert job.total_rows == 6
    real, calls = imports.offers_upsert, []

    def dying(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(imports, "ROWS_PER_CHUNK", 2)
    monkeypatch.setattr(imports, "offers_upsert", dying)
    with pytest.raises(SystemExit):
        offer_import_run(import_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.resume_line) == ("running", 2, 3)

    monkeypatch.setattr(imports, "offers_upsert", real)
    job = offer_import_run(import_id=job.pk)
    assert (job.status, job.processed_rows, job.created, job.rejected) == ("done", 6, 4, 2)
    assert [(e["line"], e["code"]) for e in job.errors] == [
        (5, "invalid_price"),
        (7, "duplicate"),
    ]
    assert "ligne 2" in job.errors[1]["reason"]


# Measured in a fresh interpreter: tracemalloc counts every thread of its process, and a
# test worker may still run threads of earlier tests (servers of the browser tests).
_BLOCK_PEAK = """
import io, tracemalloc, django
django.setup()
from allies.catalog import imports
data = b"sku;prix;stock\\r\\n" + b"".join(b"SKU-%07d;10,50;3\\r\\n" % i for i in range(300_000))
assert len(data) > 5_000_000
source = io.BytesIO(data)
layout = imports._layout(source)
tracemalloc.start()
count = sum(1 for _row in imports._rows(source, layout, offset=layout.data_offset, line=1))
_current, peak = tracemalloc.get_traced_memory()
print(count, peak)
"""


def test_the_file_is_read_a_block_at_a_time_whatever_its_size():
    # covers: issue 9 §9
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "allies.settings"}
    done = subprocess.run(
        [sys.executable, "-c", _BLOCK_PEAK],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(django_settings.BASE_DIR),
        timeout=120,
        check=True,
    )
    count, peak = (int(v) for v in done.stdout.split())
    assert count == 300_000
    assert peak < 1_000_000  # bytes: a block and a record, not the file


@pytest.mark.django_db
def test_a_running_import_with_a_recent_heartbeat_is_left_alone():
    # covers: issue 9 §8
    vendor = VendorFactory()
    variant = VariantFactory()
    job = upload(vendor, f"sku;prix\r\n{variant.sku};10\r\n")
    OfferImport.objects.filter(pk=job.pk).update(
        status=OfferImport.Status.RUNNING, heartbeat_at=timezone.now()
    )
    assert offer_imports_resume_stale() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert offer_imports_resume_stale() == 1
    job.refresh_from_db()
    assert (job.status, job.created) == (OfferImport.Status.DONE, 1)


@pytest.mark.django_db
def test_an_import_whose_task_was_lost_is_started_by_the_sweep_once(settings):
    # covers: issue 9 §8 — a crash between the upload's commit and the enqueue
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    vendor = VendorFactory()
    variant = VariantFactory()
    job = upload(vendor, f"sku;prix\r\n{variant.sku};10\r\n")
    later = timezone.now() + timedelta(minutes=6)
    with time_machine.travel(later):
        assert offer_imports_resume_stale() == 1  # queued (the dummy backend keeps it)
        assert offer_imports_resume_stale() == 0  # claimed: not queued twice
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with time_machine.travel(later + timedelta(minutes=6)):
        assert offer_imports_resume_stale() == 1
    job.refresh_from_db()
    assert (job.status, job.created) == (OfferImport.Status.DONE, 1)
