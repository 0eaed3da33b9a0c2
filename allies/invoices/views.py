""" "Ma facture": the customer's invoice of one vendor order (INV-1, INV-2).

GET never changes anything except issuing an invoice the platform owes (the vendor order has
shipped and the platform makes this vendor's invoices): that is idempotent and due anyway.
Asking a vendor for its missing invoice is a POST (the snippet's button), then a redirect.
"""

import logging

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from allies.core.errors import AlliesError
from allies.invoices.models import Invoice
from allies.invoices.selectors import (
    customer_document_get,
    customer_vendor_order_get,
    invoice_state,
)
from allies.invoices.services import InvoiceError, invoice_generate, invoice_request

logger = logging.getLogger(__name__)


class DocumentMissing(AlliesError):
    """The row says the PDF exists but the storage has no file (a lost volume, a restore
    without the media): staff must know, the user gets a page, not a 500."""

    code = "document_missing"


def invoice_pdf_response(invoice: Invoice) -> FileResponse:
    """The document as a private PDF download (customers and vendors).

    Raises `DocumentMissing` (logged) when the file is gone from the storage.
    """
    if not invoice.pdf:
        _missing_log(invoice)
        raise DocumentMissing
    try:
        handle = invoice.pdf.open("rb")
    except FileNotFoundError:
        _missing_log(invoice)
        raise DocumentMissing from None
    if invoice.kind == invoice.Kind.CREDIT_NOTE:
        stem = _("avoir")
    else:
        stem = _("facture")
    label = invoice.number or f"{invoice.vendor_order.order.reference}-{invoice.vendor_order_id}"
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{stem}-{label}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _missing_log(invoice: Invoice) -> None:
    logger.error(
        "invoice %s (vendor order %s): PDF %r missing from storage",
        invoice.pk, invoice.vendor_order_id, invoice.pdf.name,
    )  # fmt: skip


def _customer_pdf(request, invoice: Invoice) -> HttpResponse | FileResponse:
    try:
        return invoice_pdf_response(invoice)
    except DocumentMissing:
        vendor_order = invoice.vendor_order
        return render(
            request,
            "invoices/document_missing.html",
            {
                "document": invoice,
                "vendor_order": vendor_order,
                "order": vendor_order.order,
                "section": "purchases",
            },
            status=404,
        )


@login_required
@require_http_methods(["GET", "POST"])
def download(request, vendor_order_id):
    vendor_order = customer_vendor_order_get(customer=request.user, vendor_order_id=vendor_order_id)
    state = invoice_state(vendor_order=vendor_order)
    if state.state == "available" and state.invoice is not None:
        return _customer_pdf(request, state.invoice)
    if state.state == "generate":
        return _customer_pdf(request, invoice_generate(vendor_order=vendor_order))
    if state.state == "requestable" and request.method == "POST":
        try:
            invoice_request(vendor_order=vendor_order, customer=request.user)
        except InvoiceError:
            pass  # the state changed meanwhile (e.g. the invoice arrived): show the new one
        return redirect("invoices:download", vendor_order_id=vendor_order.pk)
    return render(
        request,
        "invoices/status.html",
        {
            "state": state.state,
            "vendor_order": vendor_order,
            "order": vendor_order.order,
            "invoice_request": state.request,
            "section": "purchases",
        },
    )


@login_required
def document(request, invoice_id):
    return _customer_pdf(
        request, customer_document_get(customer=request.user, invoice_id=invoice_id)
    )
