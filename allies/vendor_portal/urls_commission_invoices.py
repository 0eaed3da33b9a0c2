"""The portal's commission invoices (included by vendor_portal/urls.py at
/vendeur/factures-commission/): see `allies.vendor_portal.commission_invoices`."""

from django.urls import path

from allies.vendor_portal import commission_invoices

urlpatterns = [
    path("", commission_invoices.commission_invoices, name="commission_invoices"),
    path(
        "<int:commission_invoice_id>/pdf/",
        commission_invoices.commission_invoice_pdf,
        name="commission_invoice_pdf",
    ),
]
