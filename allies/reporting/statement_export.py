"""The monthly statement as files a vendor's accountant opens: CSV (French Excel) and PDF.

- CSV: UTF-8 with a byte-order mark (French Excel reads UTF-8 only with it), `;` between
  fields and a decimal comma (Excel in French takes `,` as the decimal separator, so a
  comma-separated file would split every amount), dates dd/mm/yyyy in the site's time zone,
  no thousands separator (a number Excel must still read). Columns: date, order reference,
  kind, label, amount, balance after the entry; the header row in the reader's language; the old
  balance (end of the previous month) and the new one frame the month's rows. Produced row by row
  (`statement_csv_rows`) so a large month streams without being held in memory.
- PDF: WeasyPrint (`allies.core.pdf.html_to_pdf`), the house style of the invoices: the
  vendor's identity, the period, opening balance, the totals by kind group, the payouts and
  the vendor orders each paid, the lines with the running balance, closing balance. The PDF
  lists at most `PDF_MAX_LINES` lines (rendering is linear in lines, and one render runs at
  a time per process); beyond, it says how many more the CSV holds.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import timedelta
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from allies.core.pdf import html_to_pdf
from allies.ledger.models import LedgerEntry
from allies.reporting.statements import (
    Month,
    PeriodSummary,
    StatementLine,
    vendor_month_lines,
    vendor_month_summary,
)
from allies.vendors.models import Vendor

BOM = "\ufeff"
PDF_MAX_LINES = 1500
# A cell Excel would run as a formula (CSV injection): product titles come from vendors.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_amount(value: Decimal) -> str:
    """-1234.5 → "-1234,50": two decimals, decimal comma, no grouping."""
    return f"{value:.2f}".replace(".", ",")


def csv_date(moment) -> str:  # noqa: ANN001 — an aware datetime or a date
    if hasattr(moment, "hour"):
        moment = timezone.localtime(moment, timezone.get_default_timezone())
    return moment.strftime("%d/%m/%Y")


def _text(value: str) -> str:
    value = " ".join((value or "").split())  # one line per row, whatever the description
    return "'" + value if value.startswith(_FORMULA_START) else value


def entry_label(entry: LedgerEntry) -> str:
    """The line's label: its description, or what it was for when it has none."""
    if entry.kind == LedgerEntry.Kind.PAYOUT and entry.payout is not None:
        return _("Virement %(reference)s") % {"reference": entry.payout.transfer_reference}
    if entry.kind == LedgerEntry.Kind.SHIPPING and not entry.description:
        return str(entry.vendor_order.get_shipping_mode_display())
    return entry.description


class _Echo:
    """A file-like object whose `write` returns the line: csv.writer then yields strings."""

    def write(self, value: str) -> str:
        return value


def csv_header() -> list[str]:
    return [
        _("Date"),
        _("Référence commande"),
        _("Nature"),
        _("Libellé"),
        _("Montant (€)"),
        _("Solde (€)"),
    ]


def statement_csv_rows(
    *, summary: PeriodSummary, month: Month, lines: Iterable[StatementLine]
) -> Iterator[str]:
    """The CSV text, one line at a time, the byte-order mark first."""
    writer = csv.writer(_Echo(), delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    yield BOM + writer.writerow(csv_header())
    yield writer.writerow(
        [csv_date(month.first_day - timedelta(days=1)), "", _("Ancien solde"), "", "",
         csv_amount(summary.opening_balance)]
    )  # fmt: skip
    for line in lines:
        e = line.entry
        yield writer.writerow(
            [
                csv_date(e.created_at),
                e.vendor_order.order.reference,
                str(e.get_kind_display()),
                _text(entry_label(e)),
                csv_amount(e.amount),
                csv_amount(line.balance),
            ]
        )
    yield writer.writerow(
        [csv_date(month.last_day), "", _("Nouveau solde"), "", "",
         csv_amount(summary.closing_balance)]
    )  # fmt: skip


def statement_csv(*, vendor: Vendor, month: Month) -> Iterator[str]:
    """The month's CSV for `vendor`, as a stream of lines (three queries, whatever the
    number of entries: the sums, then the entries read in chunks)."""
    summary = vendor_month_summary(vendor=vendor, month=month, payout_lines=0)
    lines = vendor_month_lines(vendor=vendor, month=month, opening=summary.opening_balance)
    return statement_csv_rows(summary=summary, month=month, lines=lines)


def statement_filename(*, vendor: Vendor, month: Month, extension: str) -> str:
    return f"releve-{vendor.slug}-{month.key}.{extension}"


def statement_pdf(*, vendor: Vendor, month: Month, platform_name: str = "Les Alliés") -> bytes:
    """The month's PDF for `vendor`, in the active language."""
    summary = vendor_month_summary(vendor=vendor, month=month)
    lines = list(
        vendor_month_lines(
            vendor=vendor, month=month, opening=summary.opening_balance, limit=PDF_MAX_LINES
        )
    )
    html = render_to_string(
        "reporting/pdf/statement.html",
        {
            "vendor": vendor,
            "month": month,
            "opening_day": month.first_day - timedelta(days=1),
            "summary": summary,
            "lines": lines,
            "lines_hidden": max(0, summary.count - len(lines)),
            "issued_at": timezone.localtime(timezone.now(), timezone.get_default_timezone()),
            "platform_name": platform_name,
            "language": get_language() or "fr",
        },
    )
    return html_to_pdf(html, identifier=f"statement-{vendor.pk}-{month.key}")
