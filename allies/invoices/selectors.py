"""Reading invoices. A customer reaches only their own orders' documents, a vendor only its own.

Every function does a fixed number of queries whatever the data size.
"""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from allies.invoices.models import Invoice, InvoiceRequest, VendorInvoicing
from allies.invoices.services import (
    INVOICEABLE_STATUSES,
    NEVER_INVOICED_STATUSES,
    vendor_invoicing_mode,
)
from allies.orders.models import VendorOrder


def customer_vendor_order_get(*, customer, vendor_order_id: int) -> VendorOrder:
    """One vendor order of the customer's, or 404 (another customer's does not exist)."""
    vo = (
        VendorOrder.objects.select_related("order", "vendor")
        .filter(pk=vendor_order_id, order__customer=customer)
        .first()
    )
    if vo is None:
        raise Http404
    return vo


@dataclass(frozen=True)
class InvoiceState:
    """What "Ma facture" does for one vendor order.

    state: "available" (serve `invoice`), "generate" (the platform makes it now),
    "preparing" (comes with the shipment), "requested" (vendor asked, `request` tells the due
    date), "requestable" (the vendor's own invoice is missing; a click asks for it),
    "none" (nothing was sold: cancelled, refused, unpaid).
    """

    state: str
    vendor_order: VendorOrder
    invoice: Invoice | None = None
    request: InvoiceRequest | None = None


def invoice_state(*, vendor_order: VendorOrder) -> InvoiceState:
    invoice = Invoice.objects.filter(vendor_order=vendor_order, kind=Invoice.Kind.INVOICE).first()
    if invoice is not None:
        return InvoiceState("available", vendor_order, invoice=invoice)
    if vendor_order.status in NEVER_INVOICED_STATUSES:
        return InvoiceState("none", vendor_order)
    if vendor_order.status not in INVOICEABLE_STATUSES:
        return InvoiceState("preparing", vendor_order)
    if vendor_invoicing_mode(vendor_id=vendor_order.vendor_id) == VendorInvoicing.Mode.GENERATED:
        return InvoiceState("generate", vendor_order)
    request = InvoiceRequest.objects.filter(vendor_order=vendor_order).first()
    if request is not None:
        return InvoiceState("requested", vendor_order, request=request)
    return InvoiceState("requestable", vendor_order)


def customer_document_get(*, customer, invoice_id: int) -> Invoice:
    """An invoice or credit note of one of the customer's orders, or 404."""
    document = (
        Invoice.objects.select_related("vendor_order__order")
        .filter(pk=invoice_id, vendor_order__order__customer=customer)
        .first()
    )
    if document is None:
        raise Http404
    return document


def customer_credit_notes(*, customer, order) -> dict[int, list[Invoice]]:
    """The credit notes of one of the customer's orders, by vendor order id (one query)."""
    notes: dict[int, list[Invoice]] = {}
    for note in Invoice.objects.filter(
        vendor_order__order=order,
        vendor_order__order__customer=customer,
        kind=Invoice.Kind.CREDIT_NOTE,
    ).order_by("issued_at", "id"):
        notes.setdefault(note.vendor_order_id, []).append(note)
    return notes


def vendor_invoices(*, vendor, kind: str | None = None) -> QuerySet:
    """The vendor's invoices and credit notes, newest first (for the vendor portal)."""
    qs = Invoice.objects.filter(vendor=vendor).select_related("vendor_order__order", "credits")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-issued_at", "-id")


def vendor_invoice_requests_open(*, vendor) -> QuerySet:
    """Invoices customers are waiting for from this vendor, the most urgent first."""
    return (
        InvoiceRequest.objects.filter(vendor=vendor, fulfilled_at=None)
        .select_related("vendor_order__order")
        .order_by("due_at", "id")
    )


def invoice_requests_overdue(*, now=None) -> QuerySet:
    """Every vendor's invoice requests past their 48 business hours (for staff)."""
    return (
        InvoiceRequest.objects.filter(fulfilled_at=None, due_at__lt=now or timezone.now())
        .select_related("vendor", "vendor_order__order")
        .order_by("due_at", "id")
    )
