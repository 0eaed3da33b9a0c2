"""Vendors who issue their own invoices upload a real PDF, once, after shipping (INV-1)."""

import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader, PdfWriter

from allies.invoices.models import Invoice, InvoiceRequest
from allies.invoices.pdf import pdf_looks_valid
from allies.invoices.services import (
    InvoiceError,
    invoice_generate,
    invoice_request,
    invoice_upload,
    vendor_invoicing_set,
)
from allies.orders.models import OrderEvent, VendorOrder
from tests.invoices.conftest import minimal_pdf, pdf_bytes, vendor_make, vendor_order_make

pytestmark = pytest.mark.django_db


def upload(content: bytes, name: str = "facture.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def upload_to(vo, content: bytes = b"", **kwargs):
    return invoice_upload(
        vendor_order=vo, vendor=vo.vendor, file=upload(content or minimal_pdf()), **kwargs
    )


def pypdf_made() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def uploading_vo():
    vendor = vendor_make()
    vendor_invoicing_set(vendor=vendor, mode="uploaded")
    return vendor_order_make(vendor=vendor)


def test_real_pdfs_pass_the_structural_check():
    # covers: INV-1
    assert PdfReader(io.BytesIO(minimal_pdf())).pages[0].extract_text() == "Facture du vendeur"
    assert pdf_looks_valid(minimal_pdf())
    assert pdf_looks_valid(pypdf_made())
    assert pdf_looks_valid(pdf_bytes(invoice_generate(vendor_order=vendor_order_make())))


@pytest.mark.parametrize(
    "content",
    [
        b"Bonjour, ceci est un fichier texte renomme en .pdf\n",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 200,
        b"%PDF-1.4\nce n'est que l'en-tete\n%%EOF\n",  # header, no structure
        minimal_pdf()[:-60],  # truncated download
        b"",
    ],
    ids=["text", "png", "header-only", "truncated", "empty"],
)
def test_a_fake_pdf_is_refused_with_a_clear_message(uploading_vo, content):
    # covers: INV-1
    with pytest.raises(InvoiceError) as error:
        invoice_upload(vendor_order=uploading_vo, vendor=uploading_vo.vendor, file=upload(content))
    assert error.value.code == "not_pdf"
    assert str(error.value) == (
        "Ce fichier n'est pas un PDF valide. Déposez la facture au format PDF."
    )
    assert not Invoice.objects.exists()


def test_an_oversized_pdf_is_refused(uploading_vo, settings):
    # covers: INV-1
    settings.INVOICE_UPLOAD_MAX_BYTES = 1024 * 1024
    big = minimal_pdf().replace(b"%PDF-1.4\n", b"%PDF-1.4\n%" + b"x" * (1024 * 1024) + b"\n", 1)
    with pytest.raises(InvoiceError) as error:
        invoice_upload(vendor_order=uploading_vo, vendor=uploading_vo.vendor, file=upload(big))
    assert error.value.code == "too_large"
    assert str(error.value) == "Le fichier dépasse la taille maximale de 1 Mo."
    assert not Invoice.objects.exists()


def test_the_default_limit_is_five_megabytes(uploading_vo):
    # covers: INV-1
    big = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024)
    with pytest.raises(InvoiceError, match="taille maximale de 5 Mo"):
        invoice_upload(vendor_order=uploading_vo, vendor=uploading_vo.vendor, file=upload(big))


def test_a_real_pdf_is_stored_as_the_vendor_orders_invoice(uploading_vo):
    # covers: INV-1
    invoice = invoice_upload(
        vendor_order=uploading_vo, vendor=uploading_vo.vendor, file=upload(pypdf_made()),
        number="2026-0457",
    )  # fmt: skip
    assert invoice.source == Invoice.Source.UPLOADED and invoice.number == "2026-0457"
    assert invoice.pdf.name.startswith(f"invoices/{uploading_vo.vendor_id}/")
    assert pdf_bytes(invoice) == pypdf_made()
    assert OrderEvent.objects.filter(vendor_order=uploading_vo, kind="invoice_uploaded").exists()
    # One invoice per vendor order: an issued invoice is never replaced.
    with pytest.raises(InvoiceError) as error:
        upload_to(uploading_vo)
    assert error.value.code == "already_invoiced"


def test_only_the_vendors_own_shipped_vendor_order(uploading_vo):
    # covers: INV-1
    intruder = vendor_make(name="Atelier Brun")
    with pytest.raises(InvoiceError) as error:
        invoice_upload(vendor_order=uploading_vo, vendor=intruder, file=upload(minimal_pdf()))
    assert error.value.code == "not_found"
    preparing = vendor_order_make(vendor=uploading_vo.vendor, status=VendorOrder.Status.TO_SHIP)
    with pytest.raises(InvoiceError) as error:
        invoice_upload(vendor_order=preparing, vendor=preparing.vendor, file=upload(minimal_pdf()))
    assert error.value.code == "not_shipped"
    assert str(error.value) == "La facture se dépose une fois la commande expédiée."
    assert not Invoice.objects.exists()


def test_a_number_the_vendor_already_used_is_refused(uploading_vo):
    # covers: INV-3
    invoice_upload(vendor_order=uploading_vo, vendor=uploading_vo.vendor,
                   file=upload(minimal_pdf()), number="F-12")  # fmt: skip
    other = vendor_order_make(vendor=uploading_vo.vendor)
    with pytest.raises(InvoiceError) as error:
        invoice_upload(vendor_order=other, vendor=other.vendor, file=upload(minimal_pdf()),
                       number="F-12")  # fmt: skip
    assert error.value.code == "number_taken"


def test_upload_fulfils_the_request_and_emails_the_customer_who_asked(
    uploading_vo, django_capture_on_commit_callbacks
):
    # covers: INV-2
    customer = uploading_vo.order.customer
    request, created = invoice_request(vendor_order=uploading_vo, customer=customer)
    assert created
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_upload(
            vendor_order=uploading_vo, vendor=uploading_vo.vendor, file=upload(minimal_pdf())
        )
    request.refresh_from_db()
    assert request.fulfilled_at is not None and request.invoice == invoice
    [message] = mail.outbox  # one email: the invoice, which answers the request
    assert message.to == [customer.email]
    assert message.subject == (
        f"Votre facture {uploading_vo.vendor.name} de la commande {uploading_vo.order.reference}"
    )
    assert "a fourni la facture que vous avez demandée" in message.body
    assert f"/compte/factures/commande/{uploading_vo.pk}/" in message.body


def test_the_customer_is_emailed_the_invoice_even_when_nobody_asked(
    uploading_vo, django_capture_on_commit_callbacks
):
    # covers: INV-1 ("éditée et envoyée")
    with django_capture_on_commit_callbacks(execute=True):
        upload_to(uploading_vo)
    [message] = mail.outbox
    assert message.to == [uploading_vo.order.customer.email]
    assert "a émis la facture de vos articles" in message.body
    assert not InvoiceRequest.objects.exists()


def test_the_english_customer_gets_the_email_in_english(
    uploading_vo, django_capture_on_commit_callbacks
):
    # covers: INV-2, SITE-4
    customer = uploading_vo.order.customer
    customer.language = "en"
    customer.save()
    invoice_request(vendor_order=uploading_vo, customer=customer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        upload_to(uploading_vo)
    [message] = mail.outbox
    assert message.subject == (
        f"Your {uploading_vo.vendor.name} invoice for order {uploading_vo.order.reference}"
    )
    assert "/en/compte/factures/" in message.body
