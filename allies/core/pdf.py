"""HTML to PDF with WeasyPrint: the one renderer of invoices, credit notes and return labels.

WeasyPrint (Pango, fontconfig) is not documented as thread-safe: one render at a time per
process (renders take a fraction of a second; processes, not threads, give the
parallelism). The font configuration reads system fonts only, so one is built and reused.
Documents are self-contained: nothing they contain may make the renderer fetch a URL (images
and barcodes are `data:` URLs).
"""

from __future__ import annotations

import threading
from typing import Any

_RENDER_LOCK = threading.Lock()
_FONT_CONFIG: Any = None


def html_to_pdf(html: str, *, identifier: str) -> bytes:
    """The PDF of `html`; `identifier` (an invoice number, a tracking number) becomes the
    PDF's file identifier, so the same document always gets the same one."""
    from weasyprint import HTML  # heavy import, only where PDFs are made
    from weasyprint.urls import URLFetcher

    global _FONT_CONFIG
    fetcher = URLFetcher(allowed_protocols=["data"])
    with _RENDER_LOCK:
        if _FONT_CONFIG is None:
            from weasyprint.text.fonts import FontConfiguration

            _FONT_CONFIG = FontConfiguration()
        pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf(
            font_config=_FONT_CONFIG, pdf_identifier=identifier.encode()
        )
    return pdf
