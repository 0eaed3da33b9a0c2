"""Generated invoices and credit notes: a valid PDF carrying every legal mention (INV-1, INV-3)."""

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from pypdf import PdfReader

from allies.invoices.models import Invoice, InvoiceSequence
from allies.invoices.services import (
    InvoiceError,
    credit_note_issue,
    invoice_generate,
    invoice_on_shipment,
    invoice_upload,
    vendor_invoicing_set,
)
from allies.orders.models import OrderEvent, OrderLine, VendorOrder
from tests.invoices.conftest import (
    BILLING,
    DELIVERY,
    minimal_pdf,
    pdf_bytes,
    pdf_text,
    vendor_make,
    vendor_order_make,
)

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
MIXED = (
    ("Chemise Oxford bleue", "59.90", 3, "0.200"),
    ("Baume à barbe", "12.99", 1, "0.055"),
    ("Ceinture en cuir tressé", "35.00", 1, "0.200"),
)


@pytest.fixture
def shipped_on_thursday():
    with time_machine.travel(datetime(2026, 11, 26, 10, 30, tzinfo=PARIS), tick=False):
        yield


def test_generated_invoice_is_a_valid_pdf_with_every_legal_mention(shipped_on_thursday):
    # covers: INV-1, INV-3
    vo = vendor_order_make(
        lines=MIXED, discount_share="10.00", delivery=DELIVERY,
        validated_at=datetime(2026, 11, 20, 18, 5, tzinfo=PARIS),
    )  # fmt: skip
    invoice = invoice_on_shipment(vendor_order=vo)

    assert invoice.number == f"F-V{vo.vendor_id:04d}-2026-000001"
    assert invoice.pdf.name == f"invoices/{vo.vendor_id}/2026/{invoice.number}.pdf"
    data = pdf_bytes(invoice)
    assert data.startswith(b"%PDF-") and len(PdfReader(io.BytesIO(data)).pages) == 1
    text = pdf_text(data)
    for mention in [
        # seller identity
        "Verlaine Habillement", "SAS au capital de 50 000 €", "18 rue du Cherche-Midi",
        "75006 Paris", "SIRET 73282932000074", "RCS Paris",
        "N° TVA intracommunautaire FR44732829320",
        "Facture émise par Les Alliés au nom et pour le compte de Verlaine Habillement",
        # buyer (billing address) and the delivery address, which differs
        "Luc Santoni", "3 cours Napoléon", "Bâtiment B", "20000 Ajaccio",
        "Marie Santoni", "8 rue Fesch",
        # number, dates, order
        "FACTURE", f"N° {invoice.number}", "Émise le 26 novembre 2026",
        "Date de facture 26/11/2026",
        f"Commande {vo.order.reference}", "Date de la vente 20/11/2026",
        "Date d'expédition 26/11/2026", "Livraison de biens",
        # lines: designation, quantity, unit price HT, VAT rate, total HT, total TTC
        "PRIX UNIT. HT", "TOTAL HT",
        "Chemise Oxford bleue Taille M · Réf. SKU-0000 3 49,913 € 20 % 149,74 € 179,70 €",
        "Baume à barbe Réf. SKU-0001 1 12,31 € 5,5 % 12,31 € 12,99 €",
        "Ceinture en cuir tressé Réf. SKU-0002 1 29,17 € 20 % 29,17 € 35,00 €",
        # shipping and discount, split by VAT rate
        "Frais de port 1 5,43 € 20 % 5,43 € 6,51 €", "Frais de port 1 0,37 € 5,5 % 0,37 € 0,39 €",
        "Réduction 1 -7,86 € 20 % -7,86 € -9,43 €", "Réduction 1 -0,54 € 5,5 % -0,54 € -0,57 €",
        # VAT per rate, totals
        "20 % 176,48 € 35,30 € 211,78 €", "5,5 % 12,14 € 0,67 € 12,81 €",
        "Total HT 188,62 €", "Total TVA 35,97 €", "Total TTC 224,59 €",
        "Réduction appliquée (TTC) −10,00 €",
        # payment terms
        "Payée par carte bancaire le 20 novembre 2026", "Montant réglé : 224,59 €",
    ]:  # fmt: skip
        assert mention in text, mention
    # Consumers: no B2B late-payment mentions.
    assert "L441-10" not in text
    assert (invoice.total_ht, invoice.total_vat, invoice.total_ttc) == (
        Decimal("188.62"), Decimal("35.97"), Decimal("224.59"),
    )  # fmt: skip
    assert invoice.total_ttc == vo.total
    assert OrderEvent.objects.filter(vendor_order=vo, kind="invoice_issued").count() == 1


def test_invoice_follows_the_orders_language_english(shipped_on_thursday):
    # covers: INV-3, SITE-4
    vo = vendor_order_make(language="en", shipping_fee="0")
    text = pdf_text(pdf_bytes(invoice_generate(vendor_order=vo)))
    for mention in [
        "INVOICE", "Issued on 26 November 2026", "Billed to".upper(), "UNIT PRICE EXCL. VAT",
        "Chemise Oxford bleue Taille M · Ref. SKU-0000 2 €49.915 20% €99.83 €119.80",
        "Free shipping 1 €0.00 20% €0.00 €0.00", "Total excl. VAT €99.83", "Total VAT €19.97",
        "Total incl. VAT €119.80", "Paid by bank card on 26 November 2026",
        "EU VAT no. FR44732829320", "Invoice issued by Les Alliés in the name and on behalf of",
    ]:  # fmt: skip
        assert mention in text, mention
    assert "Facture" not in text


def test_business_buyer_gets_the_b2b_payment_mentions(shipped_on_thursday):
    # covers: INV-3
    vo = vendor_order_make(billing={**BILLING, "company": "Santoni Conseil SARL"})
    text = pdf_text(pdf_bytes(invoice_generate(vendor_order=vo)))
    assert "Santoni Conseil SARL" in text
    assert "aucun escompte pour paiement anticipé" in text
    assert "indemnité forfaitaire pour frais de recouvrement de 40 €" in text


def test_belgian_vendor_shows_its_enterprise_number(shipped_on_thursday):
    # covers: INV-3
    vendor = vendor_make(
        legal_name="Atelier Van Rossem", legal_form="SRL", share_capital="", siret="0456789012",
        vat_number="BE0456789012", street="Rue du Bailli 62", postcode="1050", city="Ixelles",
        country="BE",
    )  # fmt: skip
    text = pdf_text(pdf_bytes(invoice_generate(vendor_order=vendor_order_make(vendor=vendor))))
    assert "N° d'entreprise 0456789012" in text and "BE0456789012" in text
    assert "1050 Ixelles, Belgique" in text and "SIRET" not in text


def test_invoice_on_shipment_is_idempotent_and_respects_the_vendors_mode():
    # covers: INV-1
    vo = vendor_order_make()
    first = invoice_on_shipment(vendor_order=vo)
    assert invoice_on_shipment(vendor_order=vo) == first
    assert invoice_generate(vendor_order=vo) == first
    assert Invoice.objects.filter(vendor_order=vo).count() == 1

    uploading = vendor_make(name="Atelier Brun")
    vendor_invoicing_set(vendor=uploading, mode="uploaded")
    assert invoice_on_shipment(vendor_order=vendor_order_make(vendor=uploading)) is None
    assert Invoice.objects.filter(vendor=uploading).count() == 0


def test_a_failing_pdf_never_breaks_the_shipment_and_leaves_no_gap(monkeypatch):
    # covers: INV-3
    vo = vendor_order_make()

    def broken(invoice):
        raise RuntimeError("renderer down")

    monkeypatch.setattr("allies.invoices.services.invoice_pdf_render", broken)
    with transaction.atomic():  # the shipping service's transaction
        assert invoice_on_shipment(vendor_order=vo) is None
        VendorOrder.objects.filter(pk=vo.pk).update(carrier="colissimo")  # it carries on
    assert Invoice.objects.count() == 0
    assert not InvoiceSequence.objects.filter(last_value__gt=0).exists()
    monkeypatch.undo()
    assert invoice_on_shipment(vendor_order=vo).number.endswith("-000001")


def test_unsold_vendor_orders_get_no_invoice():
    # covers: INV-1
    for status in (VendorOrder.Status.CANCELLED, VendorOrder.Status.REFUSED):
        with pytest.raises(InvoiceError) as error:
            invoice_generate(vendor_order=vendor_order_make(status=status))
        assert error.value.code == "not_invoiceable"


def test_numbers_are_per_vendor_and_consecutive():
    # covers: INV-3
    a, b = vendor_make(), vendor_make(name="Atelier Brun")
    numbers = [invoice_generate(vendor_order=vendor_order_make(vendor=v)).number
               for v in (a, a, b, a)]  # fmt: skip
    assert numbers == [
        f"F-V{a.pk:04d}-2026-000001", f"F-V{a.pk:04d}-2026-000002",
        f"F-V{b.pk:04d}-2026-000001", f"F-V{a.pk:04d}-2026-000003",
    ]  # fmt: skip


def test_the_series_restarts_each_year_with_the_year_in_the_number():
    # covers: INV-3
    vendor = vendor_make()
    with time_machine.travel(datetime(2026, 12, 31, 23, 50, tzinfo=PARIS), tick=False):
        last = invoice_generate(vendor_order=vendor_order_make(vendor=vendor))
    with time_machine.travel(datetime(2027, 1, 1, 0, 10, tzinfo=PARIS), tick=False):
        first = invoice_generate(vendor_order=vendor_order_make(vendor=vendor))
    assert last.number.endswith("-2026-000001") and first.number.endswith("-2027-000001")
    assert first.pdf.name.startswith(f"invoices/{vendor.pk}/2027/")


# --- credit notes ----------------------------------------------------------------------------


def test_credit_note_for_refunded_lines_is_numbered_and_references_the_invoice(
    shipped_on_thursday,
):
    # covers: INV-3
    vo = vendor_order_make(lines=MIXED)
    invoice = invoice_generate(vendor_order=vo)
    shirt = OrderLine.objects.filter(vendor_order=vo).first()
    note = credit_note_issue(
        vendor_order=vo, amount=Decimal("62.20"), reason="Article refusé : rupture de stock",
        lines=[(shirt, 1)],
    )  # fmt: skip
    assert note.kind == Invoice.Kind.CREDIT_NOTE and note.credits == invoice
    assert note.number == f"AV-V{vo.vendor_id:04d}-2026-000001"
    assert (note.total_ht, note.total_vat, note.total_ttc) == (
        Decimal("51.83"), Decimal("10.37"), Decimal("62.20"),
    )  # fmt: skip
    text = pdf_text(pdf_bytes(note))
    for mention in [
        "AVOIR", f"N° {note.number}", "Émis le 26 novembre 2026",
        f"Avoir sur la facture n° {invoice.number} du 26 novembre 2026",
        "Motif : Article refusé : rupture de stock",
        "Chemise Oxford bleue Taille M · Réf. SKU-0000 1 49,91 € 20 % 49,91 € 59,90 €",
        "Frais de port remboursés 1 1,92 € 20 % 1,92 € 2,30 €",
        "Total HT 51,83 €", "Total TVA 10,37 €", "Total TTC de l'avoir 62,20 €",
        "SIRET 73282932000074", "FR44732829320", "Luc Santoni",
        "Avoir émis par Les Alliés au nom et pour le compte de Verlaine Habillement",
    ]:  # fmt: skip
        assert mention in text, mention
    second = credit_note_issue(vendor_order=vo, amount=Decimal("10"), reason="Geste commercial")
    assert second.number == f"AV-V{vo.vendor_id:04d}-2026-000002"
    # The invoice series is not touched by credit notes.
    assert invoice_generate(vendor_order=vendor_order_make(vendor=vo.vendor)).number.endswith(
        "-000002"
    )


def test_credit_note_without_lines_splits_the_amount_over_the_invoice_rates():
    # covers: INV-3
    vo = vendor_order_make(lines=MIXED, shipping_fee="0")
    invoice_generate(vendor_order=vo)  # 214.70 at 20 %, 12.99 at 5.5 %
    note = credit_note_issue(vendor_order=vo, amount=Decimal("50.00"), reason="Geste commercial")
    rates = {r["vat_rate"]: r["total_ttc"] for r in note.data["amounts"]["rates"]}
    assert rates == {"0.200": "47.15", "0.055": "2.85"}
    assert note.total_ttc == Decimal("50.00")
    assert note.total_ht + note.total_vat == note.total_ttc


def test_credit_notes_never_exceed_the_invoice_and_a_retried_refund_is_not_doubled():
    # covers: INV-3
    vo = vendor_order_make(lines=(("Chemise", "50.00", 1, "0.200"),), shipping_fee="0")
    invoice_generate(vendor_order=vo)
    first = credit_note_issue(vendor_order=vo, amount="30", reason="x", refund_reference="R-1")
    assert credit_note_issue(vendor_order=vo, amount="30", reason="x", refund_reference="R-1") == (
        first
    )
    with pytest.raises(InvoiceError) as error:
        credit_note_issue(vendor_order=vo, amount="20.01", reason="trop")
    assert error.value.code == "invalid_amount"
    with pytest.raises(InvoiceError):
        credit_note_issue(vendor_order=vo, amount="0", reason="rien")
    assert Invoice.objects.filter(kind="credit_note").count() == 1


def test_no_credit_note_before_the_invoice_nor_for_a_vendors_own_invoice():
    # covers: INV-3
    vo = vendor_order_make()
    assert credit_note_issue(vendor_order=vo, amount="5", reason="x") is None
    from django.core.files.uploadedfile import SimpleUploadedFile

    invoice_upload(
        vendor_order=vo, vendor=vo.vendor,
        file=SimpleUploadedFile("f.pdf", minimal_pdf(), content_type="application/pdf"),
    )  # fmt: skip
    assert credit_note_issue(vendor_order=vo, amount="5", reason="x") is None
    assert not InvoiceSequence.objects.exists()


def test_credit_note_lines_must_belong_to_the_vendor_order():
    # covers: INV-3
    vo, other = vendor_order_make(), vendor_order_make()
    invoice_generate(vendor_order=vo)
    foreign = OrderLine.objects.filter(vendor_order=other).first()
    own = OrderLine.objects.filter(vendor_order=vo).first()
    for lines in ([{"line": foreign, "quantity": 1}], [{"line": own.pk, "quantity": 3}]):
        with pytest.raises(InvoiceError) as error:
            credit_note_issue(vendor_order=vo, amount="10", reason="x", lines=lines)
        assert error.value.code == "invalid_lines"
    note = credit_note_issue(
        vendor_order=vo, amount="59.90", reason="Retour", lines=[{"line": own.pk, "quantity": 1}]
    )
    assert [r["kind"] for r in note.data["amounts"]["rows"]] == ["goods"]


def test_refused_lines_are_not_billed_nor_their_refunded_shipping_and_discount():
    # covers: INV-1, INV-3
    vo = vendor_order_make(
        lines=(("Chemise Oxford bleue", "59.90", 2, "0.200"), ("Ceinture", "35.00", 1, "0.200")),
        shipping_fee="6.90", discount_share="5.00",
    )  # fmt: skip
    belt = OrderLine.objects.get(vendor_order=vo, product_title="Ceinture")
    # As orders.fulfilment records a refused line: its total + shipping share − discount share.
    OrderLine.objects.filter(pk=belt.pk).update(
        status=OrderLine.Status.REFUSED, refunded_shipping=Decimal("1.56"),
        refunded_discount=Decimal("1.13"), refunded_amount=Decimal("35.43"),
    )  # fmt: skip
    invoice = invoice_generate(vendor_order=vo)
    assert invoice.total_ttc == vo.total - Decimal("35.43") == Decimal("121.27")
    text = pdf_text(pdf_bytes(invoice))
    assert "Ceinture" not in text
    assert "Frais de port 1 4,45 € 20 % 4,45 € 5,34 €" in text
    assert "Réduction 1 -3,23 € 20 % -3,23 € -3,87 €" in text
    assert "Total TTC 121,27 €" in text


def test_a_partial_shipment_makes_no_invoice_yet():
    # covers: INV-1
    vo = vendor_order_make(status=VendorOrder.Status.TO_SHIP)
    assert invoice_on_shipment(vendor_order=vo) is None
    with pytest.raises(InvoiceError) as error:
        invoice_generate(vendor_order=vo)
    assert error.value.code == "not_shipped"
    assert not Invoice.objects.exists()
