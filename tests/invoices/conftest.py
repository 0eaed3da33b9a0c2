"""Validated orders built straight with the ORM, PDFs written to a temporary MEDIA_ROOT."""

import io
import itertools
import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from allies.orders.models import Order, OrderLine, VendorOrder
from tests.factories import OfferFactory, UserFactory, VendorFactory

_refs = itertools.count(1)

BILLING = {
    "recipient": "Luc Santoni", "company": "", "street": "3 cours Napoléon",
    "street_extra": "Bâtiment B", "postcode": "20000", "city": "Ajaccio", "country": "FR",
    "phone": "0601020304", "instructions": "",
}  # fmt: skip
DELIVERY = {**BILLING, "recipient": "Marie Santoni", "street": "8 rue Fesch", "street_extra": ""}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def vendor_make(**overrides):
    values = {
        "name": "Maison Verlaine",
        "legal_name": "Verlaine Habillement",
        "legal_form": "SAS",
        "share_capital": "50 000 €",
        "siret": "73282932000074",
        "rcs_city": "Paris",
        "vat_number": "FR44732829320",
        "street": "18 rue du Cherche-Midi",
        "postcode": "75006",
        "city": "Paris",
        "email": "contact@verlaine.example.test",
        **overrides,
    }
    return VendorFactory(**values)


def vendor_order_make(
    *,
    vendor=None,
    customer=None,
    status=VendorOrder.Status.SHIPPED,
    language="fr",
    lines=(("Chemise Oxford bleue", "59.90", 2, "0.200"),),
    shipping_fee="6.90",
    discount_share="0",
    billing=None,
    delivery=None,
    validated_at=None,
):
    vendor = vendor or vendor_make()
    customer = customer or UserFactory()
    offer = OfferFactory(vendor=vendor)
    lines_total = sum((Decimal(p) * q for _, p, q, _ in lines), Decimal("0"))
    shipping_fee, discount_share = Decimal(shipping_fee), Decimal(discount_share)
    order = Order.objects.create(
        reference=f"AL-2026-{next(_refs):06d}",
        customer=customer,
        status=Order.Status.VALIDATED,
        language=language,
        delivery_address=delivery or billing or BILLING,
        billing_address=billing or BILLING,
        lines_total=lines_total,
        shipping_total=shipping_fee,
        discount_total=discount_share,
        total=lines_total + shipping_fee - discount_share,
        validated_at=validated_at or timezone.now(),
    )
    vo = VendorOrder.objects.create(
        order=order, vendor=vendor, status=status, shipping_mode="home",
        shipping_fee=shipping_fee, lines_total=lines_total, discount_share=discount_share,
        delivery_min_date=date(2026, 1, 1), delivery_max_date=date(2026, 1, 5),
    )  # fmt: skip
    for index, (title, price, quantity, rate) in enumerate(lines):
        OrderLine.objects.create(
            vendor_order=vo, vendor=vendor, offer=offer, product_title=title,
            variant_label="Taille M" if index == 0 else "", sku=f"SKU-{index:04d}",
            unit_price=Decimal(price), vat_rate=Decimal(rate), quantity=quantity,
        )  # fmt: skip
    return vo


def pdf_text(data: bytes) -> str:
    """The PDF's text, one space for any run of whitespace (NBSP included)."""
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def pdf_bytes(invoice) -> bytes:
    with invoice.pdf.open("rb") as handle:
        return handle.read()


def minimal_pdf(text: str = "Facture du vendeur") -> bytes:
    """A small real PDF, built by hand with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
