"""Monthly commission invoices from the operator to each vendor (issue 13, PAY-2): amounts
equal to the ledger's commission of the month, VAT or reverse charge, a gapless series of the
operator's own, idempotent issue, PDF, email with the PDF attached, the portal's page."""

import random
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError, connection
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from allies.core.operator import operator
from allies.invoices.commissions import (
    CommissionInvoiceError,
    amounts_compute,
    commission_invoice_send,
    commission_invoices_issue,
    reverse_charge_applies,
)
from allies.invoices.models import CommissionInvoice, CommissionInvoiceRun
from allies.ledger.models import LedgerEntry
from allies.vendors.legal import be_enterprise_number_make
from tests.factories import UserFactory, VendorMembershipFactory
from tests.invoices.conftest import pdf_bytes, pdf_text, vendor_order_make
from tests.ledger.conftest import buy, offer_of, refund, vendor_with_rates

PARIS = ZoneInfo("Europe/Paris")
K = LedgerEntry.Kind
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


def at(year, month, day, hour=12, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def ledger_commission(vendor, month: date) -> Decimal:
    """What the ledger took from the vendor as commission that month (operator's side)."""
    start = datetime(month.year, month.month, 1, tzinfo=PARIS)
    end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=PARIS)
    total = LedgerEntry.objects.filter(
        vendor=vendor, kind__in=[K.COMMISSION, K.REFUND_COMMISSION],
        created_at__gte=start, created_at__lt=end,
    ).aggregate(t=Sum("operator_amount"))["t"]  # fmt: skip
    return Decimal(str(total or 0)).quantize(Decimal("0.01"))


def belgian_vendor(**kwargs):
    number = be_enterprise_number_make(random.Random(7))
    return vendor_with_rates(
        name="Atelier Liégeois", legal_name="Atelier Liégeois SRL", country="BE",
        siret=number, vat_number=f"BE{number}", street="Rue Léopold 12", postcode="4000",
        city="Liège", **kwargs,
    )  # fmt: skip


@pytest.fixture
def march(db):
    """Two vendors selling in March 2026 (one French, one Belgian), a refund in March; the
    clock then on 2 April."""
    french = vendor_with_rates(name="Maison Verlaine", commission_rate=Decimal("0.15"))
    belgian = belgian_vendor(commission_rate=Decimal("0.10"))
    shirt = offer_of(french, price="59.90")
    watch = offer_of(french, price="120.00")
    lamp = offer_of(belgian, price="80.00")
    with time_machine.travel(at(2026, 3, 5), tick=False):
        first = buy([(shirt, 2), (watch, 1)])
        buy([(lamp, 3)])
    with time_machine.travel(at(2026, 3, 20), tick=False):
        vo = first.vendor_orders.get()
        watch_line = vo.lines.get(offer=watch)
        refund(vo, lines={watch_line.pk: watch_line.unit_price})  # the watch came back
    with time_machine.travel(at(2026, 3, 31, 23, 50), tick=False):
        buy([(shirt, 1)])  # still March in Paris (21:50 UTC)
    return {"french": french, "belgian": belgian, "shirt": shirt, "lamp": lamp}


def test_the_invoice_total_is_the_ledgers_commission_of_the_month_refunds_included(march):
    # covers: issue 13 (commission invoices), PAY-2
    french = march["french"]
    with time_machine.travel(at(2026, 4, 2), tick=False):
        issued = commission_invoices_issue(month=MARCH)
    invoice = CommissionInvoice.objects.get(vendor=french)
    assert invoice in issued
    # 15 % per line (17.97 + 18.00 + 8.99) charged, 15 % of 120 given back.
    assert ledger_commission(french, MARCH) == Decimal("26.96")
    assert invoice.total_ttc == Decimal("26.96")
    assert invoice.data["lines"]["given_back_ttc"] == "-18.00"
    # French vendor: 20 % VAT inside what the ledger took.
    assert not invoice.reverse_charge
    assert invoice.vat_rate == Decimal("0.200")
    assert invoice.total_ht == Decimal("22.47")
    assert invoice.total_vat == Decimal("4.49")
    assert invoice.total_ht + invoice.total_vat == invoice.total_ttc
    assert invoice.period == MARCH


def test_a_belgian_vendor_with_a_valid_vat_number_is_invoiced_under_reverse_charge(march):
    # covers: issue 13 (reverse charge, art. 196 Directive 2006/112/EC)
    belgian = march["belgian"]
    with time_machine.travel(at(2026, 4, 2), tick=False):
        commission_invoices_issue(month=MARCH)
    invoice = CommissionInvoice.objects.get(vendor=belgian)
    assert invoice.reverse_charge
    assert invoice.total_vat == Decimal("0.00")
    assert invoice.total_ht == invoice.total_ttc == ledger_commission(belgian, MARCH)
    assert invoice.total_ttc == Decimal("24.00")  # 10 % of 3 × 80
    text = pdf_text(pdf_bytes(invoice))
    assert "Autoliquidation" in text
    assert "article 196 de la directive 2006/112/CE" in text
    assert belgian.vat_number in text


def test_reverse_charge_needs_a_valid_number_of_the_vendors_country():
    number = be_enterprise_number_make(random.Random(3))
    wrong_key = number[:-2] + f"{(int(number[-2:]) + 1) % 100:02d}"
    assert reverse_charge_applies(country="BE", vat_number=f"BE{number}")
    assert reverse_charge_applies(country="BE", vat_number=f"BE {number[:4]}.{number[4:]}")
    assert not reverse_charge_applies(country="BE", vat_number=f"BE{wrong_key}")
    assert not reverse_charge_applies(country="BE", vat_number="")
    assert not reverse_charge_applies(country="BE", vat_number="FR44732829320")
    assert not reverse_charge_applies(country="FR", vat_number="FR44732829320")
    # Without a valid number, French VAT is charged, still within what the ledger took.
    amounts = amounts_compute(
        charged=Decimal("10.00"), given_back=Decimal("0"), reverse_charge=False
    )
    assert (amounts.total_ht, amounts.total_vat, amounts.total_ttc) == (
        Decimal("8.33"), Decimal("1.67"), Decimal("10.00"),
    )  # fmt: skip


def test_the_pdf_carries_the_number_and_the_operators_legal_mentions(march):
    # covers: issue 13 (the operator's own legal mentions)
    with time_machine.travel(at(2026, 4, 2), tick=False):
        commission_invoices_issue(month=MARCH)
    invoice = CommissionInvoice.objects.get(vendor=march["french"])
    data = pdf_bytes(invoice)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    op = operator()
    for mention in (invoice.number, op["operator_legal_name"], op["operator_siret"],
                    op["operator_vat_number"], op["operator_rcs"], "FACTURE DE COMMISSION",
                    "mars 2026", "20 %", "22,47 €", "4,49 €", "26,96 €",
                    march["french"].legal_name, "40 €"):  # fmt: skip
        assert mention in text, mention
    assert "Autoliquidation" not in text


def test_numbers_are_gapless_across_vendors_and_months_and_a_reissue_changes_nothing(march):
    # covers: issue 13 (numbered gaplessly), CGI art. 242 nonies A
    french, belgian = march["french"], march["belgian"]
    with time_machine.travel(at(2026, 4, 2), tick=False):
        first = commission_invoices_issue(month=MARCH)
        again = commission_invoices_issue(month=date(2026, 3, 17))  # any day of the month
    assert [i.number for i in first] == ["COM-2026-00001", "COM-2026-00002"]
    assert again == []
    assert CommissionInvoice.objects.count() == 2
    with time_machine.travel(at(2026, 4, 10), tick=False):
        buy([(march["lamp"], 1)])
    with time_machine.travel(at(2026, 5, 1, 8), tick=False):
        april = commission_invoices_issue(month=APRIL)
    # Only the vendor that sold in April; the French vendor had no commission then.
    assert [(i.vendor_id, i.number) for i in april] == [(belgian.pk, "COM-2026-00003")]
    assert not CommissionInvoice.objects.filter(vendor=french, period=APRIL).exists()
    values = sorted(CommissionInvoice.objects.values_list("sequence_value", flat=True))
    assert values == [1, 2, 3]


def test_the_current_month_is_not_invoiced_before_it_ends(march):
    with time_machine.travel(at(2026, 3, 31, 22), tick=False):
        with pytest.raises(CommissionInvoiceError) as refused:
            commission_invoices_issue(month=MARCH)
    assert refused.value.code == "month_not_over"
    assert not CommissionInvoice.objects.exists()


def test_a_vendor_without_commission_gets_no_invoice(db):
    vendor = vendor_with_rates(commission_rate=Decimal("0"))
    with time_machine.travel(at(2026, 3, 5), tick=False):
        buy([(offer_of(vendor, price="30.00"), 1)])
    with time_machine.travel(at(2026, 4, 2), tick=False):
        assert commission_invoices_issue(month=MARCH) == []
    assert CommissionInvoiceRun.objects.filter(period=MARCH, issued=0).exists()


def test_each_invoice_is_emailed_to_its_vendor_with_the_pdf_attached(
    march, django_capture_on_commit_callbacks
):
    # covers: issue 13 (emailed)
    mail.outbox.clear()  # the purchases' own emails
    with time_machine.travel(at(2026, 4, 2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            commission_invoices_issue(month=MARCH)
    assert len(mail.outbox) == 2
    invoice = CommissionInvoice.objects.get(vendor=march["french"])
    message = next(m for m in mail.outbox if m.to == [march["french"].email])
    assert invoice.number in message.subject
    assert "mars 2026" in message.subject
    assert "rien à payer" in message.body
    ((name, content, mimetype),) = message.attachments
    assert (name, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF") and content == pdf_bytes(invoice)
    invoice.refresh_from_db()
    assert invoice.emailed_at is not None
    # Sent once: another attempt sends nothing.
    assert commission_invoice_send(invoice_id=invoice.pk) is False
    assert len(mail.outbox) == 2


def test_a_failed_email_is_retried_by_the_sweep(march, monkeypatch):
    # covers: issue 13 (emailed), the sweep `commission_invoices_issue`
    from django.core.mail import EmailMultiAlternatives

    mail.outbox.clear()  # the purchases' own emails

    def down(self, *args, **kwargs):
        raise OSError("SMTP down")

    with time_machine.travel(at(2026, 4, 1, 0, 1), tick=False):
        monkeypatch.setattr(EmailMultiAlternatives, "send", down)
        call_command("commission_invoices_issue")  # issues March, the emails fail
        monkeypatch.undo()
    assert CommissionInvoice.objects.count() == 2
    assert mail.outbox == []
    with time_machine.travel(at(2026, 4, 1, 0, 5), tick=False):
        call_command("commission_invoices_issue")  # too soon to retry
    assert mail.outbox == []
    with time_machine.travel(at(2026, 4, 1, 0, 15), tick=False):
        call_command("commission_invoices_issue")
    assert len(mail.outbox) == 2
    assert not CommissionInvoice.objects.filter(emailed_at=None).exists()


def test_the_minute_sweep_issues_last_month_once_then_costs_two_queries(
    march, django_assert_max_num_queries
):
    # covers: issue 13 (each month), the sweep `commission_invoices_issue`
    with time_machine.travel(at(2026, 4, 1, 0, 1), tick=False):
        call_command("commission_invoices_issue")
        assert CommissionInvoice.objects.filter(period=MARCH).count() == 2
        with django_assert_max_num_queries(2):
            call_command("commission_invoices_issue")
    assert CommissionInvoice.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_issue_each_invoice_once_with_gapless_numbers(settings, tmp_path):
    # covers: issue 13 (gapless even under concurrent runs)
    settings.MEDIA_ROOT = tmp_path / "media"
    today = timezone.localdate()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    when = datetime(last_month.year, last_month.month, 10, 12, tzinfo=PARIS)
    vendors = []
    for n in range(6):
        vo = vendor_order_make()
        LedgerEntry.objects.create(
            vendor_id=vo.vendor_id, vendor_order=vo, kind=K.COMMISSION,
            amount=Decimal(f"-{n + 1}.00"), operator_amount=Decimal(f"{n + 1}.00"),
            created_at=when,
        )  # fmt: skip
        vendors.append(vo.vendor_id)
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def run():
        try:
            start.wait()
            for _attempt in range(100):
                try:
                    commission_invoices_issue(month=last_month)
                    return
                except OperationalError:  # SQLite: the database was busy, try again
                    continue
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert errors == []
    invoices = list(CommissionInvoice.objects.order_by("sequence_value"))
    assert sorted(i.vendor_id for i in invoices) == sorted(vendors)
    assert [i.sequence_value for i in invoices] == list(range(1, 7))
    assert len({i.number for i in invoices}) == 6


# --- the portal ------------------------------------------------------------------------------


@pytest.fixture
def issued(march):
    with time_machine.travel(at(2026, 4, 2), tick=False):
        commission_invoices_issue(month=MARCH)
    return {
        **march,
        "invoice": CommissionInvoice.objects.get(vendor=march["french"]),
        "other": CommissionInvoice.objects.get(vendor=march["belgian"]),
        "member": VendorMembershipFactory(vendor=march["french"]).user,
        "other_member": VendorMembershipFactory(vendor=march["belgian"]).user,
    }


def test_a_vendor_sees_and_downloads_its_own_commission_invoices(
    client, issued, django_assert_max_num_queries
):
    # covers: issue 13 (in the portal), VEN-2
    client.force_login(issued["member"])
    with django_assert_max_num_queries(12):
        page = client.get(reverse("vendor_portal:commission_invoices"))
    assert page.status_code == 200
    html = page.content.decode()
    assert issued["invoice"].number in html
    assert issued["other"].number not in html
    assert "26,96" in html
    pdf = client.get(reverse("vendor_portal:commission_invoice_pdf", args=[issued["invoice"].pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_the_list_costs_the_same_queries_with_many_invoices(
    client, issued, django_assert_max_num_queries
):
    vendor = issued["french"]
    for n in range(30):
        CommissionInvoice.objects.create(
            vendor=vendor, period=date(2020 + n // 12, n % 12 + 1, 1), number=f"COM-2020-9{n:04d}",
            sequence_year=2020, sequence_value=9000 + n, issued_at=timezone.now(),
            vat_rate=Decimal("0.200"), total_ht=1, total_vat=0, total_ttc=1,
        )  # fmt: skip
    client.force_login(issued["member"])
    with django_assert_max_num_queries(12):
        assert client.get(reverse("vendor_portal:commission_invoices")).status_code == 200


def test_another_vendors_member_and_visitors_cannot_reach_an_invoice(client, issued):
    # covers: issue 13, VEN-2 (a vendor never sees another vendor's documents)
    url = reverse("vendor_portal:commission_invoice_pdf", args=[issued["invoice"].pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/compte/connexion/" in anonymous["Location"]
    listing = client.get(reverse("vendor_portal:commission_invoices"))
    assert listing.status_code == 302
    client.force_login(issued["other_member"])
    assert client.get(url).status_code == 404
    huge = reverse("vendor_portal:commission_invoice_pdf", args=[2**70])
    assert client.get(huge).status_code == 404
    client.force_login(UserFactory())  # a customer
    assert client.get(url).status_code == 403
