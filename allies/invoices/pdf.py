"""PDF of a generated invoice or credit note: an HTML template rendered by WeasyPrint.

The document is rendered once, from the invoice's frozen `data`, in the invoice's language,
and stored; it is never re-rendered (a later template change must not alter an issued
invoice). `pdf_looks_valid` is the structural check applied to PDFs vendors upload.
"""

import re
from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone, translation

from allies.core.money import format_eur
from allies.core.pdf import html_to_pdf


def vat_rate_label(rate, *, language: str) -> str:
    """0.200 → "20 %" (French typography) / "20%"; 0.055 → "5,5 %" / "5.5%"."""
    percent = (Decimal(str(rate)) * 100).normalize()
    text = f"{percent:f}"
    if language == "en":
        return f"{text}%"
    return f"{text.replace('.', ',')}\u00a0%"


def unit_price_label(amount: Decimal, *, language: str) -> str:
    """A unit price HT with all the decimals it was derived with (`amounts.unit_price_derive`,
    at least two): "49,915 €" so that quantity × unit price gives the line's total."""
    exponent = amount.as_tuple().exponent
    # A str exponent marks NaN or infinity, which no invoice amount is.
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return format_eur(amount, language=language, places=places)


def _context(invoice) -> dict:
    data = invoice.data
    language = invoice.language

    def money(value):
        return Decimal(value) if value not in (None, "") else None

    rows = [
        {
            **row,
            "unit_ht": money(row["unit_ht"]),
            "unit_ht_label": unit_price_label(money(row["unit_ht"]), language=language),
            "total_ht": money(row["total_ht"]),
            "total_ttc": money(row["total_ttc"]),
            "rate_label": vat_rate_label(row["vat_rate"], language=language),
        }
        for row in data["amounts"]["rows"]
    ]
    rates = [
        {
            "rate_label": vat_rate_label(rate["vat_rate"], language=language),
            "base_ht": money(rate["base_ht"]),
            "vat": money(rate["vat"]),
            "total_ttc": money(rate["total_ttc"]),
        }
        for rate in data["amounts"]["rates"]
    ]
    order = dict(data["order"])
    for key in ("sold_on", "paid_on", "shipped_on"):
        order[key] = date.fromisoformat(order[key]) if order.get(key) else None
    credited = dict(data["credited"]) if data.get("credited") else None
    if credited:
        credited["issued_on"] = date.fromisoformat(credited["issued_on"])
    seller = data["seller"]
    return {
        "invoice": invoice,
        "is_credit_note": invoice.kind == "credit_note",
        "number": invoice.number,
        "issued_at": timezone.localtime(invoice.issued_at),
        "seller": seller,
        "seller_is_french": seller.get("country", "FR") == "FR",
        "buyer": data["buyer"],
        "delivery": data.get("delivery"),
        "order": order,
        "credited": credited,
        "buyer_is_business": data.get("buyer_is_business", False),
        "reason": invoice.reason,
        "rows": rows,
        "rates": rates,
        "shipping_ttc": money(data["amounts"]["shipping_ttc"]),
        "discount_ttc": money(data["amounts"]["discount_ttc"]),
        "total_ht": invoice.total_ht,
        "total_vat": invoice.total_vat,
        "total_ttc": invoice.total_ttc,
        "platform_name": data.get("platform_name", "Les Alliés"),
        "language": language,
    }


def invoice_html(invoice) -> str:
    with translation.override(invoice.language):
        return render_to_string("invoices/pdf/document.html", _context(invoice))


def invoice_pdf_render(invoice) -> bytes:
    return html_to_pdf(invoice_html(invoice), identifier=invoice.number)


_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF[\s\x00]*$")
_XREF_AT = re.compile(rb"\s*(xref\b|\d+\s+\d+\s+obj\b)")


def pdf_looks_valid(content: bytes) -> bool:
    """A minimal structural check of a PDF (ISO 32000-1 §7.5), without a PDF library.

    - it starts with the `%PDF-1.x` / `%PDF-2.x` header;
    - it ends with `startxref <offset> %%EOF` (trailing whitespace allowed);
    - that offset lies inside the file and points at a cross-reference table (`xref`) or a
      cross-reference stream object (`12 0 obj`);
    - it has a trailer or a cross-reference stream naming the document catalog (`/Root`).
    A text file renamed `.pdf`, an image, or a truncated download fails; a damaged-but-
    well-framed PDF could still pass (a full parse would need a PDF library at runtime).
    """
    if not re.match(rb"%PDF-[12]\.\d", content[:8]):
        return False
    tail = content[-2048:]
    match = _STARTXREF.search(tail)
    if not match:
        return False
    offset = int(match.group(1))
    if not 8 <= offset < len(content):
        return False
    if not _XREF_AT.match(content, offset):
        return False
    return b"/Root" in content
