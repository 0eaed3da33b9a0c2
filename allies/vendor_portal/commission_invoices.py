"""Portal: "Factures de commission", the invoices the operator issues the vendor each month
for its commission (`allies.invoices.commissions`). Only the acting vendor's members see its
own; another vendor's invoice is simply not found (404)."""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from allies.invoices.commissions import vendor_commission_invoices
from allies.vendor_portal.access import vendor_member_required
from allies.vendor_portal.views import _page, _render

PER_PAGE = 24
MAX_ID = 2**63 - 1  # beyond, PostgreSQL's bigint refuses the lookup: not found instead


@vendor_member_required
@require_GET
def commission_invoices(request: HttpRequest) -> HttpResponse:
    page = _page(request, vendor_commission_invoices(vendor=request.vendor), PER_PAGE)  # type: ignore[attr-defined]
    return _render(
        request, "commission_invoices.html", {"page": page}, section="commission_invoices"
    )


@vendor_member_required
@require_GET
def commission_invoice_pdf(request: HttpRequest, commission_invoice_id: int) -> HttpResponseBase:
    if commission_invoice_id > MAX_ID:
        raise Http404
    invoice = (
        vendor_commission_invoices(vendor=request.vendor)  # type: ignore[attr-defined]
        .filter(pk=commission_invoice_id)
        .first()
    )
    if invoice is None or not invoice.pdf:
        raise Http404
    try:
        handle = invoice.pdf.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"facture-commission-{invoice.number}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response
