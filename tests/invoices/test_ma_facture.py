""" "Ma facture": PDF when available, explanation while "En préparation", request otherwise."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from allies.invoices.models import Invoice, InvoiceRequest
from allies.invoices.selectors import (
    customer_credit_notes,
    invoice_requests_overdue,
    vendor_invoice_requests_open,
    vendor_invoices,
)
from allies.invoices.services import (
    credit_note_issue,
    invoice_generate,
    invoice_on_shipment,
    invoice_upload,
    vendor_invoicing_set,
)
from allies.orders.models import OrderEvent, VendorOrder
from tests.factories import UserFactory
from tests.invoices.conftest import minimal_pdf, pdf_bytes, vendor_make, vendor_order_make

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def _french():
    """A request to /en/ leaves English active in the thread: start every test in French."""
    translation.activate("fr")
    yield
    translation.activate("fr")


def url(vo):
    return reverse("invoices:download", args=[vo.pk])


@pytest.fixture
def uploading_vendor():
    vendor = vendor_make(email="factures@verlaine.example.test")
    vendor_invoicing_set(vendor=vendor, mode="uploaded")
    return vendor


def test_while_in_preparation_the_page_explains_the_invoice_comes_with_the_shipment(client):
    # covers: INV-1
    vo = vendor_order_make(status=VendorOrder.Status.TO_SHIP)
    client.force_login(vo.order.customer)
    for method in (client.get, client.post):
        response = method(url(vo))
        html = response.content.decode()
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
        assert "En préparation" in html
        assert "La facture est émise par le vendeur au moment de l'expédition" in html
    assert not Invoice.objects.exists() and not InvoiceRequest.objects.exists()
    assert mail.outbox == []


def test_the_available_invoice_downloads_as_a_pdf_any_number_of_times(
    client, django_assert_max_num_queries
):
    # covers: INV-1
    vo = vendor_order_make()
    invoice = invoice_on_shipment(vendor_order=vo)
    client.force_login(vo.order.customer)
    bodies = []
    for method in (client.get, client.post, client.get):
        with django_assert_max_num_queries(8):
            response = method(url(vo))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (
            f'attachment; filename="facture-{invoice.number}.pdf"'
        )
        bodies.append(b"".join(response.streaming_content))
    assert bodies[0] == bodies[1] == bodies[2] == pdf_bytes(invoice)
    assert Invoice.objects.count() == 1


def test_an_invoice_the_platform_owes_is_made_at_the_first_click(client):
    # covers: INV-1
    vo = vendor_order_make(status=VendorOrder.Status.DELIVERED)  # shipped before invoicing
    client.force_login(vo.order.customer)
    response = client.get(url(vo))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert Invoice.objects.get(vendor_order=vo).number.endswith("-000001")


def test_the_vendors_own_missing_invoice_is_requested_once_with_a_48_business_hour_deadline(
    client, uploading_vendor, django_capture_on_commit_callbacks
):
    # covers: INV-2
    vo = vendor_order_make(vendor=uploading_vendor)
    # Thursday 24 December 2026, 15:00: Christmas (Friday) and the weekend do not count.
    with time_machine.travel(datetime(2026, 12, 24, 15, 0, tzinfo=PARIS), tick=False):
        client.force_login(vo.order.customer)
        page = client.get(url(vo)).content.decode()
        assert "Demander ma facture au vendeur" in page and not InvoiceRequest.objects.exists()
        with django_capture_on_commit_callbacks(execute=True):  # the vendor is told after commit
            response = client.post(url(vo))
            assert response.status_code == 302 and response.url == url(vo)
            client.post(url(vo))  # a second click
            client.post(url(vo))
    request = InvoiceRequest.objects.get()
    assert request.vendor_id == uploading_vendor.pk and request.requested_by == vo.order.customer
    assert request.due_at == datetime(2026, 12, 29, 15, 0, tzinfo=PARIS)
    assert OrderEvent.objects.filter(vendor_order=vo, kind="invoice_requested").count() == 1
    [message] = mail.outbox  # the vendor, once
    assert message.to == ["factures@verlaine.example.test"]
    assert message.subject == f"Facture demandée pour la commande {vo.order.reference}"
    assert "mardi 29 décembre 2026 à 15:00" in message.body
    with time_machine.travel(datetime(2026, 12, 24, 15, 5, tzinfo=PARIS), tick=False):
        page = client.get(url(vo)).content.decode()
    assert "au plus tard le mardi 29 décembre 2026 à 15:00" in page
    assert "Le délai est dépassé" not in page


def test_a_request_on_friday_skips_the_weekend(client, uploading_vendor):
    # covers: INV-2
    vo = vendor_order_make(vendor=uploading_vendor)
    client.force_login(vo.order.customer)
    with time_machine.travel(datetime(2026, 11, 13, 10, 0, tzinfo=PARIS), tick=False):
        client.post(url(vo))
    assert InvoiceRequest.objects.get().due_at == datetime(2026, 11, 17, 10, 0, tzinfo=PARIS)


def test_the_uploaded_invoice_fulfils_the_request_and_is_then_downloadable(
    client, uploading_vendor, django_capture_on_commit_callbacks
):
    # covers: INV-1, INV-2
    vo = vendor_order_make(vendor=uploading_vendor)
    client.force_login(vo.order.customer)
    client.post(url(vo))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invoice_upload(
            vendor_order=vo, vendor=uploading_vendor,
            file=SimpleUploadedFile("f.pdf", minimal_pdf(), content_type="application/pdf"),
        )  # fmt: skip
    [message] = mail.outbox
    assert message.to == [vo.order.customer.email]
    assert InvoiceRequest.objects.get().fulfilled_at is not None
    response = client.get(url(vo))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="facture-{vo.order.reference}-{vo.pk}.pdf"'
    )
    assert b"".join(response.streaming_content) == minimal_pdf()


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_customers_invoice_does_not_exist_for_me(client, method, uploading_vendor):
    # covers: INV-1, ACC-8
    generated = vendor_order_make()
    invoice = invoice_generate(vendor_order=generated)
    requestable = vendor_order_make(vendor=uploading_vendor)
    client.force_login(UserFactory())
    document = reverse("invoices:document", args=[invoice.pk])
    for target in (url(generated), url(requestable), document):
        assert getattr(client, method)(target).status_code == 404
    assert not InvoiceRequest.objects.exists() and mail.outbox == []


def test_invoice_pages_need_login(client):
    vo = vendor_order_make()
    response = client.get(url(vo))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_cancelled_vendor_orders_have_no_invoice(client):
    # covers: INV-1
    vo = vendor_order_make(status=VendorOrder.Status.CANCELLED)
    client.force_login(vo.order.customer)
    html = client.post(url(vo)).content.decode()
    assert "elle n'a pas de facture" in html
    assert not Invoice.objects.exists() and not InvoiceRequest.objects.exists()


def test_the_page_in_english(client):
    # covers: SITE-4
    vo = vendor_order_make(status=VendorOrder.Status.TO_SHIP)
    client.force_login(vo.order.customer)
    html = client.get(f"/en{url(vo)}").content.decode()
    assert "My invoice" in html and "Your order is being prepared" in html


def test_credit_notes_download_for_their_owner_only(client):
    # covers: INV-3
    vo = vendor_order_make()
    invoice_generate(vendor_order=vo)
    note = credit_note_issue(vendor_order=vo, amount="10", reason="Geste commercial")
    client.force_login(vo.order.customer)
    response = client.get(reverse("invoices:document", args=[note.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="avoir-{note.number}.pdf"'
    assert customer_credit_notes(customer=vo.order.customer, order=vo.order) == {vo.pk: [note]}
    assert customer_credit_notes(customer=UserFactory(), order=vo.order) == {}


def test_a_document_whose_pdf_is_gone_answers_a_404_page_and_logs_it(client, caplog):
    # covers: INV-1, INV-3 — a lost file was a 500
    vo = vendor_order_make()
    invoice = invoice_on_shipment(vendor_order=vo)
    note = credit_note_issue(vendor_order=vo, amount="10", reason="Geste commercial")
    client.force_login(vo.order.customer)
    for document, page in (
        (invoice, url(vo)),
        (note, reverse("invoices:document", args=[note.pk])),
    ):
        document.pdf.storage.delete(document.pdf.name)
        with caplog.at_level("ERROR", logger="allies.invoices.views"):
            response = client.get(page)
        assert response.status_code == 404
        html = response.content.decode()
        assert "Document introuvable" in html and document.number in html
        assert reverse("orders:detail", args=[vo.order.reference]) in html
        assert any(document.pdf.name in r.getMessage() for r in caplog.records)
    assert "avoir" in html


def test_the_snippet_shows_ma_facture_for_sold_vendor_orders_only():
    # covers: INV-1
    request = RequestFactory().get("/")
    shipped = vendor_order_make()
    html = render_to_string("invoices/_ma_facture.html", {"vendor_order": shipped}, request=request)
    assert "Ma facture" in html and f'action="{url(shipped)}"' in html
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    for status in ("cancelled", "refused", "awaiting_payment"):
        dead = vendor_order_make(status=status)
        assert "Ma facture" not in render_to_string(
            "invoices/_ma_facture.html", {"vendor_order": dead}, request=request
        )


# --- staff and vendor views of the requests ---------------------------------------------------


def _request_at(vendor, when):
    vo = vendor_order_make(vendor=vendor)
    with time_machine.travel(when, tick=False):
        from allies.invoices.services import invoice_request

        return invoice_request(vendor_order=vo, customer=vo.order.customer)[0]


def test_staff_see_the_overdue_requests(client, uploading_vendor, django_assert_max_num_queries):
    # covers: INV-2
    late = _request_at(uploading_vendor, datetime(2026, 11, 2, 9, 0, tzinfo=PARIS))
    fresh = _request_at(uploading_vendor, datetime(2026, 11, 25, 9, 0, tzinfo=PARIS))
    done = _request_at(uploading_vendor, datetime(2026, 11, 3, 9, 0, tzinfo=PARIS))
    invoice_upload(
        vendor_order=done.vendor_order, vendor=uploading_vendor,
        file=SimpleUploadedFile("f.pdf", minimal_pdf(), content_type="application/pdf"),
    )  # fmt: skip
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, tzinfo=PARIS), tick=False):
        assert list(invoice_requests_overdue()) == [late]
        assert list(vendor_invoice_requests_open(vendor=uploading_vendor)) == [late, fresh]
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        changelist = reverse("admin:invoices_invoicerequest_changelist")
        with django_assert_max_num_queries(15):
            html = client.get(changelist, {"overdue": "yes"}).content.decode()
        assert late.vendor_order.order.reference in html
        assert fresh.vendor_order.order.reference not in html
        assert done.vendor_order.order.reference not in html
        html = client.get(changelist).content.decode()
        assert all(r.vendor_order.order.reference in html for r in (late, fresh, done))
    # Customers are not staff.
    client.force_login(late.vendor_order.order.customer)
    assert client.get(changelist).status_code == 302


def test_vendor_invoices_lists_only_the_vendors_own_in_bounded_queries(
    django_assert_num_queries,
):
    # covers: INV-1, VEN-2
    vendor, other = vendor_make(), vendor_make(name="Atelier Brun")
    for _ in range(3):
        invoice_generate(vendor_order=vendor_order_make(vendor=vendor))
    invoice_generate(vendor_order=vendor_order_make(vendor=other))
    with django_assert_num_queries(1):
        rows = [(i.number, i.vendor_order.order.reference) for i in vendor_invoices(vendor=vendor)]
    assert len(rows) == 3 and all(n.startswith(f"F-V{vendor.pk:04d}-") for n, _ in rows)
