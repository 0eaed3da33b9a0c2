"""Concurrent shipments of one vendor get gapless, unique, chronological numbers (INV-3).

Runs on SQLite (file database, IMMEDIATE transactions, busy timeout) and on PostgreSQL (row
lock on the series): `DATABASE_URL=postgres://… pytest tests/invoices`.
"""

import threading

import pytest
from django.db import OperationalError, connection, transaction

from allies.invoices.models import Invoice, InvoiceSequence
from allies.invoices.services import credit_note_issue, invoice_generate, invoice_on_shipment
from tests.invoices.conftest import vendor_make, vendor_order_make

SHIPMENTS = 10


def _run_concurrently(work, items):
    start = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def run(item):
        try:
            start.wait()
            for _attempt in range(100):
                try:
                    work(item)
                    return
                except OperationalError:  # SQLite: the database was busy, try again
                    continue
            errors.append(RuntimeError("gave up"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_shipments_of_one_vendor_get_numbers_1_to_n(settings, tmp_path):
    # covers: INV-3
    settings.MEDIA_ROOT = tmp_path / "media"
    vendor, other = vendor_make(), vendor_make(name="Atelier Brun")
    orders = [vendor_order_make(vendor=vendor) for _ in range(SHIPMENTS)]
    orders += [vendor_order_make(vendor=other) for _ in range(3)]

    def ship(vo):
        with transaction.atomic():  # as the shipping service does
            assert invoice_on_shipment(vendor_order=vo) is not None

    _run_concurrently(ship, orders)

    invoices = list(Invoice.objects.filter(vendor=vendor).order_by("sequence_value"))
    assert [i.sequence_value for i in invoices] == list(range(1, SHIPMENTS + 1))
    assert len({i.number for i in invoices}) == SHIPMENTS
    assert len({i.vendor_order_id for i in invoices}) == SHIPMENTS  # one per vendor order
    # Chronological: a higher number is never issued before a lower one.
    assert [i.issued_at for i in invoices] == sorted(i.issued_at for i in invoices)
    assert InvoiceSequence.objects.get(vendor=vendor, kind="invoice").last_value == SHIPMENTS
    assert sorted(
        Invoice.objects.filter(vendor=other).values_list("sequence_value", flat=True)
    ) == [1, 2, 3]
    assert all(i.pdf.storage.exists(i.pdf.name) for i in invoices)


@pytest.mark.django_db(transaction=True)
def test_the_same_shipment_twice_at_once_makes_one_invoice(settings, tmp_path):
    # covers: INV-1
    settings.MEDIA_ROOT = tmp_path / "media"
    vo = vendor_order_make()
    _run_concurrently(lambda _: invoice_generate(vendor_order=vo), range(4))
    assert Invoice.objects.filter(vendor_order=vo).count() == 1
    assert InvoiceSequence.objects.get(vendor=vo.vendor).last_value == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_credit_notes_are_gapless_too(settings, tmp_path):
    # covers: INV-3
    settings.MEDIA_ROOT = tmp_path / "media"
    vendor = vendor_make()
    orders = [vendor_order_make(vendor=vendor) for _ in range(5)]
    for vo in orders:
        invoice_generate(vendor_order=vo)
    _run_concurrently(
        lambda vo: credit_note_issue(vendor_order=vo, amount="5.00", reason="Geste"), orders
    )
    values = sorted(
        Invoice.objects.filter(vendor=vendor, kind="credit_note").values_list(
            "sequence_value", flat=True
        )
    )
    assert values == [1, 2, 3, 4, 5]
