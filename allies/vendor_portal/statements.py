"""The portal's "Relevé" (PAY-2, VEN-2): the vendor's statement by calendar month, with its
CSV and PDF, for the acting vendor's members; the operator's staff who may read the ledger
(`ledger.view_ledgerentry`) open any vendor's with `?vendeur=<slug>`, outside the portal.

The month is `?mois=2026-11` (this month by default, site time zone); `?du=`/`?au=` still
give a custom period on the page (no files for those). Figures come from
`allies.reporting.statements` (months, totals by kind group, payouts) and
`allies.ledger.selectors.vendor_statement` (one page of lines with the running balance);
the files from `allies.reporting.statement_export`. Views only parse, check access and render.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from allies.ledger.selectors import vendor_balance
from allies.payouts.selectors import Blocked, vendor_payable
from allies.reporting.statement_export import statement_csv, statement_filename, statement_pdf
from allies.reporting.statements import (
    Month,
    StatementMonthInvalid,
    vendor_month_summary,
    vendor_period_page,
    vendor_period_summary,
    vendor_statement_months,
)
from allies.vendor_portal.access import vendor_member_required
from allies.vendor_portal.forms import StatementPeriodForm
from allies.vendor_portal.views import _query_without_page, _render
from allies.vendors.models import Vendor

STATEMENT_PER_PAGE = 100


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def _staff_vendor(request) -> Vendor | None:
    """The vendor a ledger reader of the operator asked for (`?vendeur=`), else None."""
    slug = request.GET.get("vendeur")
    user = request.user
    if slug and user.is_staff and user.has_perm("ledger.view_ledgerentry"):
        return get_object_or_404(Vendor, slug=slug)
    return None


def _refuse_another_vendor(request) -> None:
    slug = request.GET.get("vendeur")
    if slug and slug != request.vendor.slug:
        raise Http404  # another vendor's statement does not exist for a member


def _month_or_404(year: int, month: int) -> Month:
    try:
        return Month(year, month)
    except StatementMonthInvalid as exc:
        raise Http404 from exc


def _statement_context(request, *, vendor: Vendor, staff_view: bool = False) -> dict:
    """The statement of `vendor` for the month asked (this month by default), or for a
    custom `du`/`au` period, one page of lines."""
    today = timezone.localdate()
    current = Month.containing()
    form = StatementPeriodForm(
        request.GET if ("du" in request.GET or "au" in request.GET) else None
    )
    month: Month | None = current
    month_error = ""
    if request.GET.get("mois"):
        try:
            month = Month.parse(request.GET["mois"])
        except StatementMonthInvalid as exc:
            month_error = exc.message
    since: datetime | None
    until: datetime | None
    if form.is_bound and form.is_valid() and not request.GET.get("mois"):
        # A custom period: either end may be open.
        month = None
        first, last = form.cleaned_data["du"], form.cleaned_data["au"]
        since = _start_of(first) if first else None
        until = _start_of(last + timedelta(days=1)) if last else None
        last_day = last or today
    else:
        assert month is not None
        since, until = month.start, month.end
        last_day = min(month.last_day, today) if month >= current else month.last_day
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError as exc:
        raise Http404 from exc
    summary = (
        vendor_month_summary(vendor=vendor, month=month)
        if month is not None
        else vendor_period_summary(vendor=vendor, since=since, until=until)
    )
    pages = max(1, -(-summary.count // STATEMENT_PER_PAGE))
    if page > pages:
        raise Http404
    st, _offset = vendor_period_page(
        summary=summary, offset=(page - 1) * STATEMENT_PER_PAGE, limit=STATEMENT_PER_PAGE
    )
    months = set(vendor_statement_months(vendor=vendor)) | {current}
    if month is not None:
        months.add(month)
    vendor_query = {"vendeur": vendor.slug} if staff_view else {}
    payable = vendor_payable(vendor=vendor)

    def month_url(m: Month | None) -> str | None:
        if m is None or m > current:
            return None
        return "?" + urlencode({**vendor_query, "mois": m.key})

    def file_url(name: str) -> str:
        assert month is not None
        url = reverse(name, kwargs={"year": month.year, "month": month.month})
        return url + ("?" + urlencode(vendor_query) if vendor_query else "")

    return {
        "statement": st,
        "summary": summary,
        "form": form,
        "month": month,
        "month_error": month_error,
        "current_month": current,
        "months": sorted(months, reverse=True),
        "previous_url": month_url(month.neighbour(-1)) if month else None,
        "next_url": month_url(month.neighbour(+1)) if month else None,
        "csv_url": file_url("vendor_portal:statement_csv") if month else None,
        "pdf_url": file_url("vendor_portal:statement_pdf") if month else None,
        "staff_view": staff_view,
        "period_start": timezone.localtime(since).date() if since else None,
        # Bank style: the old balance is the one at the end of the day before the period.
        "opening_day": timezone.localtime(since).date() - timedelta(days=1) if since else None,
        "last_day": last_day,
        # A period running to now ends on the balance: no need to sum it again.
        "balance": summary.closing_balance
        if until is None or until > timezone.now()
        else vendor_balance(vendor=vendor),
        # PAY-1: "Disponible pour virement" is the payout run's own rule (one selector).
        "payable": payable,
        "available": payable.amount,
        "payable_blocked": payable.blocked,
        "Blocked": Blocked,
        "page": page,
        "pages": pages,
        "query": _query_without_page(request),
    }


@login_required
@never_cache
@require_GET
def statement(request):
    """The acting vendor's "Relevé". The operator's staff who may read the ledger open any
    vendor's (`?vendeur=<slug>`, linked from the ledger's back office), outside the portal."""
    vendor = _staff_vendor(request)
    if vendor is not None:
        context = {"vendor": vendor,
                   **_statement_context(request, vendor=vendor, staff_view=True)}  # fmt: skip
        status = 400 if context["month_error"] else 200
        return render(request, "vendor_portal/statement_staff.html", context, status=status)
    return _member_statement(request)


@vendor_member_required
def _member_statement(request):
    _refuse_another_vendor(request)
    context = _statement_context(request, vendor=request.vendor)
    status = 400 if context["month_error"] else 200
    return _render(request, "statement.html", context, section="statement", status=status)


# --- the month's files ---------------------------------------------------------------------


def _in_language(lines: Iterator[str], language: str) -> Iterator[str]:
    """Produce the streamed rows in the request's language: they are written after the view
    returned, when the request's language may no longer be active."""
    with translation.override(language):
        yield from lines


def _csv_response(vendor: Vendor, month: Month) -> StreamingHttpResponse:
    lines = _in_language(
        statement_csv(vendor=vendor, month=month), translation.get_language() or "fr"
    )
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in lines), content_type="text/csv; charset=utf-8"
    )
    filename = statement_filename(vendor=vendor, month=month, extension="csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _pdf_response(vendor: Vendor, month: Month) -> HttpResponse:
    response = HttpResponse(statement_pdf(vendor=vendor, month=month),
                            content_type="application/pdf")  # fmt: skip
    filename = statement_filename(vendor=vendor, month=month, extension="pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@never_cache
@require_GET
def statement_csv_download(request, year: int, month: int):
    """The month's statement as CSV (French Excel), streamed."""
    period = _month_or_404(year, month)
    vendor = _staff_vendor(request)
    if vendor is not None:
        return _csv_response(vendor, period)
    return _member_file(request, period, _csv_response)


@login_required
@never_cache
@require_GET
def statement_pdf_download(request, year: int, month: int):
    """The month's statement as PDF."""
    period = _month_or_404(year, month)
    vendor = _staff_vendor(request)
    if vendor is not None:
        return _pdf_response(vendor, period)
    return _member_file(request, period, _pdf_response)


@vendor_member_required
def _member_file(request, period: Month, respond):  # noqa: ANN001, ANN202
    _refuse_another_vendor(request)
    return respond(request.vendor, period)
