"""Commission invoices: each month the operator invoices each vendor the commission it took.

The operator (its identity from `allies.core.operator`) is the seller here, the vendor the
buyer. One invoice per vendor and month (`CommissionInvoice`), issued once the month is over
for every vendor whose commission that month is not zero, in the vendor's portal ("Factures
de commission") and emailed to the vendor with its PDF attached.

Amounts: what the ledger took is what is invoiced
--------------------------------------------------
The ledger's commission entries are the fee the vendor pays, in euros as money actually
moved: `operator_amount` of a `commission` entry is what the operator kept from the sale,
that of a `refund_commission` entry (negative) what it gave back when the sale was refunded.
So the month's commission is

    X = Σ operator_amount of the vendor's COMMISSION and REFUND_COMMISSION entries whose
        `created_at` falls in the month (site time zone)

and the invoice's TOTAL TTC IS X, to the cent: the commission rate is an all-in price, and
the vendor never pays anything beyond what its statement shows. Hence:

- French VAT applies (20 %, `VAT_RATE`): HT = X / 1.20 rounded to the cent, TVA = X − HT.
- Reverse charge (`reverse_charge_applies`): a vendor established in another EU country
  (Belgium today) with a valid VAT number of that country buys a service whose VAT it
  accounts for itself (art. 44 and 196 of Directive 2006/112/EC): HT = X, TVA = 0, and the
  invoice says "Autoliquidation". Without a valid number, French VAT applies.
- A month with more commission given back than charged gives a negative invoice (titled
  "Avoir de commission"), in the same series.

The commission was already withheld from the vendor's sales (set-off): the invoice says so,
nothing is to be paid.

Numbering (CGI art. 242 nonies A)
---------------------------------
The operator's own gapless series, one per calendar year of issue: `COM-2026-00001`. The
number is taken from `CommissionInvoiceSequence` under a row lock in the transaction that
writes the invoice (the mechanism of `invoices.services.invoice_number_next`; that function's
counter rows belong to a vendor's series, this one is the operator's, hence its own table).
A rollback gives the number back; concurrent runs queue on the lock, and the check that the
vendor has no invoice for the month is made once the lock is held, so two runs never invoice
a vendor twice (the unique constraint (vendor, period) backs this).

Email
-----
The outbox (`notifications.notification_send`) carries no attachment, so the invoice is sent
directly with Django's mail API after the commit (`commission_invoice_send`), claimed first
(`email_attempted_at`) so that two processes never send it together; an attempt that fails
is retried by the sweep (`commission_invoices_sweep`, run every minute) ten minutes later,
at most `MAX_EMAIL_ATTEMPTS` times.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from allies.core.errors import AlliesError
from allies.core.money import round_cent
from allies.core.operator import operator
from allies.core.pdf import html_to_pdf
from allies.invoices.models import (
    CommissionInvoice,
    CommissionInvoiceRun,
    CommissionInvoiceSequence,
)
from allies.ledger.models import LedgerEntry
from allies.notifications.services import recipient_may_receive
from allies.vendors import legal
from allies.vendors.models import Vendor

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
VAT_RATE = Decimal("0.200")
SERIES_PREFIX = "COM"
COMMISSION_KINDS = (LedgerEntry.Kind.COMMISSION, LedgerEntry.Kind.REFUND_COMMISSION)
EMAIL_RETRY_AFTER = timedelta(minutes=10)
MAX_EMAIL_ATTEMPTS = 8
SMTP_TIMEOUT_SECONDS = 30


class CommissionInvoiceError(AlliesError):
    """Codes: month_not_over."""


# --- the rules -------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def _month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month as [start, end) aware datetimes of the site's time zone."""
    tz = timezone.get_default_timezone()
    start = datetime.combine(month, time.min, tzinfo=tz)
    end = datetime.combine(next_month(month), time.min, tzinfo=tz)
    return start, end


def reverse_charge_applies(*, country: str, vat_number: str) -> bool:
    """True for a vendor established in another EU country than France with a valid VAT
    number of that country (Belgium: the enterprise number's modulo-97 key holds)."""
    country = (country or "").upper()
    if country == "FR" or country not in legal.VAT_FORMATS:
        return False
    vat = legal.compact(vat_number)
    if vat[:2] != country or legal.vat_number_error(vat, country=country) is not None:
        return False
    if country == "BE":
        return legal.be_enterprise_number_valid(vat[2:])
    return True


@dataclass(frozen=True)
class MonthCommission:
    vendor_id: int
    charged: Decimal  # Σ operator_amount of COMMISSION entries (≥ 0)
    given_back: Decimal  # Σ operator_amount of REFUND_COMMISSION entries (≤ 0)
    vendor_orders: int  # vendor orders charged a commission that month

    @property
    def total(self) -> Decimal:
        return self.charged + self.given_back


def month_commissions(*, month: date, vendor_id: int | None = None) -> list[MonthCommission]:
    """Each vendor's commission of the month from the ledger, in one query (vendors with
    entries only, by id)."""
    start, end = _month_bounds(month_start(month))
    qs = LedgerEntry.objects.filter(
        kind__in=COMMISSION_KINDS, created_at__gte=start, created_at__lt=end
    )
    if vendor_id is not None:
        qs = qs.filter(vendor_id=vendor_id)
    rows = (
        qs.values("vendor_id")
        .annotate(
            charged=Sum("operator_amount", filter=Q(kind=LedgerEntry.Kind.COMMISSION)),
            given_back=Sum("operator_amount", filter=Q(kind=LedgerEntry.Kind.REFUND_COMMISSION)),
            orders=Count(
                "vendor_order_id", filter=Q(kind=LedgerEntry.Kind.COMMISSION), distinct=True
            ),
        )
        .order_by("vendor_id")
    )
    # SQLite sums decimals as floats: back to cents.
    return [
        MonthCommission(
            vendor_id=row["vendor_id"],
            charged=round_cent(Decimal(str(row["charged"] or 0))),
            given_back=round_cent(Decimal(str(row["given_back"] or 0))),
            vendor_orders=row["orders"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Amounts:
    reverse_charge: bool
    vat_rate: Decimal
    charged_ht: Decimal
    given_back_ht: Decimal
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal


def amounts_compute(*, charged: Decimal, given_back: Decimal, reverse_charge: bool) -> Amounts:
    """The invoice's figures for what the ledger took (`charged` + `given_back`): TTC is that
    sum exactly; HT is TTC / 1.20 (or TTC under reverse charge); line HT add up to HT."""
    total = charged + given_back
    if reverse_charge:
        return Amounts(True, Decimal("0.000"), charged, given_back, total, ZERO, total)
    total_ht = round_cent(total / (1 + VAT_RATE))
    charged_ht = round_cent(charged / (1 + VAT_RATE))
    return Amounts(
        reverse_charge=False,
        vat_rate=VAT_RATE,
        charged_ht=charged_ht,
        given_back_ht=total_ht - charged_ht,
        total_ht=total_ht,
        total_vat=total - total_ht,
        total_ttc=total,
    )


# --- numbering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Number:
    number: str
    year: int
    value: int
    issued_at: datetime


def _number_next() -> _Number:
    """The next number of the operator's series of this year; inside a transaction."""
    assert transaction.get_connection().in_atomic_block, "numbers are taken inside a transaction"
    while True:
        year = timezone.localtime(timezone=timezone.get_default_timezone()).year
        CommissionInvoiceSequence.objects.bulk_create(
            [CommissionInvoiceSequence(year=year)], ignore_conflicts=True
        )
        seq = CommissionInvoiceSequence.objects.select_for_update().get(year=year)
        issued_at = timezone.now()
        if timezone.localtime(issued_at, timezone.get_default_timezone()).year != year:
            continue  # waited for the lock across midnight on 31 December: next year's series
        seq.last_value += 1
        seq.save(update_fields=["last_value"])
        number = f"{SERIES_PREFIX}-{year}-{seq.last_value:05d}"
        return _Number(number, year, seq.last_value, issued_at)


# --- the document ----------------------------------------------------------------------------


def _vendor_snapshot(vendor: Vendor) -> dict[str, Any]:
    return {
        "legal_name": vendor.legal_name,
        "trade_name": vendor.name,
        "street": vendor.street,
        "postcode": vendor.postcode,
        "city": vendor.city,
        "country": vendor.country,
        "siret": vendor.siret,
        "vat_number": vendor.vat_number,
    }


def _document_data(
    *, vendor: Vendor, month: date, commission: MonthCommission, amounts: Amounts
) -> dict[str, Any]:
    return {
        "operator": operator(),
        "vendor": _vendor_snapshot(vendor),
        "period": month.isoformat(),
        "vendor_orders": commission.vendor_orders,
        "lines": {
            "charged_ttc": str(commission.charged),
            "given_back_ttc": str(commission.given_back),
            "charged_ht": str(amounts.charged_ht),
            "given_back_ht": str(amounts.given_back_ht),
        },
    }


def _language(vendor: Vendor) -> str:
    return vendor.email_language if vendor.email_language in ("fr", "en") else "fr"


def _context(invoice: CommissionInvoice) -> dict[str, Any]:
    data = invoice.data
    lines = {key: Decimal(value) for key, value in data["lines"].items()}
    rate = (invoice.vat_rate * 100).normalize()
    return {
        "invoice": invoice,
        "number": invoice.number,
        "is_credit": invoice.total_ttc < 0,
        "issued_at": timezone.localtime(invoice.issued_at, timezone.get_default_timezone()),
        "period": date.fromisoformat(data["period"]),
        "op": data["operator"],
        "vendor": data["vendor"],
        "vendor_orders": data["vendor_orders"],
        "lines": lines,
        "reverse_charge": invoice.reverse_charge,
        "vat_label": f"{rate:f}".replace(".", ",") + "\u00a0%",
        "language": invoice.language,
    }


def commission_invoice_html(invoice: CommissionInvoice) -> str:
    with translation.override(invoice.language):
        return render_to_string("invoices/pdf/commission.html", _context(invoice))


def commission_invoice_pdf_render(invoice: CommissionInvoice) -> bytes:
    return html_to_pdf(commission_invoice_html(invoice), identifier=invoice.number)


def _pdf_store(invoice: CommissionInvoice, content: bytes) -> None:
    """Save the PDF under its number; a file left by a rolled-back attempt is replaced."""
    filename = f"{invoice.number}.pdf"
    field = invoice.pdf.field
    name = field.generate_filename(invoice, filename)
    if field.storage.exists(name):
        field.storage.delete(name)
    invoice.pdf.save(filename, ContentFile(content), save=False)


# --- issuing ---------------------------------------------------------------------------------


@transaction.atomic
def _issue_one(*, vendor_id: int, month: date) -> CommissionInvoice | None:
    """Issue the vendor's invoice of `month` unless it exists or the commission is zero."""
    existing_qs = CommissionInvoice.objects.filter(vendor_id=vendor_id, period=month)
    # Take the series lock FIRST: once held, an invoice committed by a concurrent run is seen
    # (each statement reads the latest committed rows), so the vendor is never invoiced twice
    # and no number is taken for nothing.
    number = _number_next()
    existing = existing_qs.first()
    if existing is not None:
        transaction.set_rollback(True)  # give the number back
        return None
    found = month_commissions(month=month, vendor_id=vendor_id)
    if not found or not found[0].total:
        transaction.set_rollback(True)
        return None
    commission = found[0]
    vendor = Vendor.objects.get(pk=vendor_id)
    reverse = reverse_charge_applies(country=vendor.country, vat_number=vendor.vat_number)
    amounts = amounts_compute(
        charged=commission.charged, given_back=commission.given_back, reverse_charge=reverse
    )
    invoice = CommissionInvoice(
        vendor=vendor,
        period=month,
        number=number.number,
        sequence_year=number.year,
        sequence_value=number.value,
        issued_at=number.issued_at,
        language=_language(vendor),
        reverse_charge=amounts.reverse_charge,
        vat_rate=amounts.vat_rate,
        total_ht=amounts.total_ht,
        total_vat=amounts.total_vat,
        total_ttc=amounts.total_ttc,
        data=_document_data(vendor=vendor, month=month, commission=commission, amounts=amounts),
    )
    _pdf_store(invoice, commission_invoice_pdf_render(invoice))
    invoice.save()
    invoice_id = invoice.pk
    transaction.on_commit(lambda: _send_quietly(invoice_id))
    return invoice


def commission_invoices_issue(*, month: date) -> list[CommissionInvoice]:
    """Issue the commission invoices of `month` (any day of it): one per vendor whose
    commission that month is not zero; returns those issued by THIS call (idempotent: a
    second call issues nothing, and issues what a crash left out). Each invoice is emailed
    after its commit. CommissionInvoiceError("month_not_over") for the current or a future
    month: entries still come in."""
    month = month_start(month)
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    if month >= month_start(today):
        raise CommissionInvoiceError(
            _("Le mois n'est pas terminé : ses factures de commission seront émises ensuite."),
            code="month_not_over",
        )
    done = set(CommissionInvoice.objects.filter(period=month).values_list("vendor_id", flat=True))
    issued = []
    for commission in month_commissions(month=month):
        if commission.vendor_id in done or not commission.total:
            continue
        invoice = _issue_one(vendor_id=commission.vendor_id, month=month)
        if invoice is not None:
            issued.append(invoice)
    total = CommissionInvoice.objects.filter(period=month).count()
    CommissionInvoiceRun.objects.update_or_create(
        period=month, defaults={"completed_at": timezone.now(), "issued": total}
    )
    return issued


# --- email -----------------------------------------------------------------------------------


def _send_quietly(invoice_id: int) -> None:
    try:
        commission_invoice_send(invoice_id=invoice_id)
    except Exception:  # the sweep retries; an issued invoice never fails for its email
        logger.exception("commission invoice %s: email failed", invoice_id)


def _recipients(vendor: Vendor) -> list[str]:
    addresses = [vendor.email] if vendor.email else vendor.order_email_addresses
    return [a for a in addresses if a and recipient_may_receive(a)]


def commission_invoice_send(*, invoice_id: int) -> bool:
    """Email the invoice, PDF attached, to the vendor's contact address (its order-email
    addresses when it has none). True if sent now; False if already sent, being sent by
    another process, or given up. A failure is recorded and retried by the sweep."""
    now = timezone.now()
    claimed = (
        CommissionInvoice.objects.filter(
            pk=invoice_id, emailed_at=None, email_attempts__lt=MAX_EMAIL_ATTEMPTS
        )
        .filter(Q(email_attempted_at=None) | Q(email_attempted_at__lt=now - EMAIL_RETRY_AFTER))
        .update(email_attempted_at=now, email_attempts=F("email_attempts") + 1)
    )
    if not claimed:
        return False
    invoice = CommissionInvoice.objects.select_related("vendor").get(pk=invoice_id)
    vendor = invoice.vendor
    to = _recipients(vendor)
    if not to:
        CommissionInvoice.objects.filter(pk=invoice_id).update(emailed_at=now)
        logger.warning("commission invoice %s: no address may receive it", invoice.number)
        return False
    ctx = {
        "invoice": invoice,
        "vendor": vendor,
        "period": invoice.period,
        "site_url": settings.SITE_URL,
        "customer_service_email": settings.CUSTOMER_SERVICE_EMAIL,
        "language": invoice.language,
        "is_credit": invoice.total_ttc < 0,
    }
    with translation.override(invoice.language):
        subject = render_to_string("notifications/commission_invoice_issued/subject.txt", ctx)
        text = render_to_string("notifications/commission_invoice_issued/body.txt", ctx)
        html = render_to_string("notifications/commission_invoice_issued/body.html", ctx)
    with invoice.pdf.open("rb") as handle:
        content = handle.read()
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text.strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        connection=get_connection(timeout=SMTP_TIMEOUT_SECONDS),
    )
    message.attach_alternative(html, "text/html")
    message.attach(f"{invoice.number}.pdf", content, "application/pdf")
    message.send()
    CommissionInvoice.objects.filter(pk=invoice_id).update(emailed_at=timezone.now())
    return True


def commission_invoices_unsent() -> QuerySet[CommissionInvoice]:
    """Invoices whose email is due for a (new) attempt."""
    return CommissionInvoice.objects.filter(
        emailed_at=None, email_attempts__lt=MAX_EMAIL_ATTEMPTS
    ).filter(
        Q(email_attempted_at=None) | Q(email_attempted_at__lt=timezone.now() - EMAIL_RETRY_AFTER)
    )


# --- the periodic sweep ----------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    issued: int
    emailed: int


def commission_invoices_sweep() -> SweepResult:
    """Issue last month's invoices if not done yet, then retry the emails that are due.

    Run every minute (`manage.py commission_invoices_issue`): once last month is done this
    costs two small queries."""
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    last_month = previous_month(month_start(today))
    issued = 0
    if not CommissionInvoiceRun.objects.filter(period=last_month).exists():
        issued = len(commission_invoices_issue(month=last_month))
    emailed = 0
    for invoice_id in list(commission_invoices_unsent().values_list("pk", flat=True)[:200]):
        try:
            emailed += commission_invoice_send(invoice_id=invoice_id)
        except Exception:
            logger.exception("commission invoice %s: email failed", invoice_id)
    return SweepResult(issued=issued, emailed=emailed)


# --- reads -----------------------------------------------------------------------------------


def vendor_commission_invoices(*, vendor: Vendor) -> QuerySet[CommissionInvoice]:
    """The vendor's own commission invoices, newest month first (its portal's only source)."""
    return CommissionInvoice.objects.filter(vendor=vendor).order_by("-period", "-id")
