"""One refund service (allies.orders.refunds): what a refused or cancelled line gives back is
exactly what the customer paid for it, computed once, sent once, recorded in the ledger and,
after an invoice, documented by a credit note (issue 8 §2)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from allies.invoices.models import Invoice
from allies.ledger.models import LedgerEntry
from allies.ledger.selectors import order_ledger_total, order_money_captured
from allies.orders.acceptance import vendor_order_cancel, vendor_order_lines_decide
from allies.orders.models import OrderLine, VendorOrder
from allies.orders.refunds import (
    refunds_reconcile,
    vendor_order_lines_refund,
    vendor_order_lines_refund_record,
)
from allies.orders.shipments import vendor_order_ship
from allies.payments.gateways.base import GatewayError
from allies.payments.gateways.sandbox import SandboxGateway
from allies.payments.models import Refund, SandboxTransaction
from allies.payments.services import payment_refund_refresh
from tests.factories import CategoryFactory, UserFactory
from tests.ledger.conftest import buy, discount_code, offer_of, vendor_with_rates

pytestmark = pytest.mark.django_db

Kind = LedgerEntry.Kind
REFUSE = ("refuse", "out_of_stock", "")


@pytest.fixture
def watch_and_shirt(db):
    """The issue's order: a watch 120,00 € (Montres) and a shirt 59,90 € (Chemises) from
    Maison Verlaine (home delivery 4,90 €, 15 % commission), with "10 % on Montres"
    (12,00 € off the watch)."""
    watches, shirts = CategoryFactory(name="Montres"), CategoryFactory(name="Chemises")
    verlaine = vendor_with_rates(
        name="Maison Verlaine", fee=Decimal("4.90"), commission_rate=Decimal("0.15")
    )
    watch = offer_of(verlaine, price="120.00", category=watches)
    shirt = offer_of(verlaine, price="59.90", category=shirts)
    code = discount_code(funded_by="operator", value="10", category=watches)
    order = buy([(watch, 1), (shirt, 1)], code=code)
    vo = order.vendor_orders.get()
    lines = {line.offer_id: line for line in vo.lines.all()}
    return {
        "verlaine": verlaine,
        "watch": watch,
        "shirt": shirt,
        "order": order,
        "vo": vo,
        "watch_line": lines[watch.pk],
        "shirt_line": lines[shirt.pk],
    }


def refused(data, line):
    return vendor_order_lines_decide(
        vendor_order=data["vo"], vendor=data["verlaine"], decisions={line.pk: REFUSE}
    )


def sandbox_refunded(order) -> Decimal:
    tx = SandboxTransaction.objects.get(checkout__reference=order.payments.get().reference)
    return Decimal(tx.refunded_cents) / 100


def test_the_4_euro_case_refunds_the_shirt_and_its_shipping_share_exactly(watch_and_shirt):
    # covers: issue 8 §2, ORD-5, ORD-8
    data = watch_and_shirt
    order = data["order"]
    assert order.total == Decimal("172.80")  # 120,00 + 59,90 + 4,90 − 12,00
    # The discount is recorded per line at placement: all of it on the watch.
    assert data["watch_line"].discount_amount == Decimal("12.00")
    assert data["shirt_line"].discount_amount == Decimal("0.00")

    result = refused(data, data["shirt_line"])

    shirt = OrderLine.objects.get(pk=data["shirt_line"].pk)
    # 59,90 + 4,90 × 59,90 / 179,90 = 1,63 of shipping − no discount (it was never applied).
    assert shirt.refunded_shipping == Decimal("1.63")
    assert shirt.refunded_discount == Decimal("0.00")
    assert shirt.refunded_amount == Decimal("61.53") == result.refunded
    (refund,) = result.refunds
    assert refund.amount == Decimal("61.53") and refund.status == Refund.Status.SUCCEEDED
    assert shirt.refund == refund and shirt.refunded_at is not None
    assert sandbox_refunded(order) == Decimal("61.53")
    # The ledger's split for that refund agrees: the shirt, its shipping share, no discount,
    # and the commission charged on the shirt given back to the vendor.
    entries = LedgerEntry.objects.filter(refund=refund)
    by_kind = {e.kind: e for e in entries}
    assert by_kind[Kind.REFUND_SALE].amount == Decimal("-59.90")
    assert by_kind[Kind.REFUND_SHIPPING].amount == Decimal("-1.63")
    assert Kind.REFUND_DISCOUNT_OPERATOR not in by_kind
    sale_commission = LedgerEntry.objects.get(
        kind=Kind.COMMISSION, order_line=shirt, refund__isnull=True
    )
    assert by_kind[Kind.REFUND_COMMISSION].amount == -sale_commission.amount == Decimal("8.99")
    assert order_ledger_total(order=order) == order_money_captured(order=order) == Decimal("111.27")


def test_cancelling_after_a_refusal_refunds_the_rest_and_the_whole_order_adds_up(watch_and_shirt):
    # covers: issue 8 §2, ORD-5
    data = watch_and_shirt
    order = data["order"]
    refused(data, data["shirt_line"])
    vendor_order_cancel(vendor_order=data["vo"], reason="acceptance_overdue")

    watch = OrderLine.objects.get(pk=data["watch_line"].pk)
    # 120,00 − its 12,00 of discount + the rest of the fee (4,90 − 1,63).
    assert watch.refunded_discount == Decimal("12.00")
    assert watch.refunded_shipping == Decimal("3.27")
    assert watch.refunded_amount == Decimal("111.27")
    cancel_refund = Refund.objects.get(idempotency_key=f"vendor-order-cancelled-{data['vo'].pk}")
    assert cancel_refund.amount == Decimal("111.27")
    # Exactly what was paid, never a cent more.
    assert sandbox_refunded(order) == order.total == Decimal("172.80")
    assert order_ledger_total(order=order) == order_money_captured(order=order) == Decimal("0")
    # The operator's 12,00 € of discount comes back to it with the watch.
    discount_back = LedgerEntry.objects.get(
        refund=cancel_refund, kind=Kind.REFUND_DISCOUNT_OPERATOR
    )
    assert discount_back.operator_amount == Decimal("12.00")


def test_refusing_twice_or_refunding_again_pays_once(watch_and_shirt):
    # covers: issue 8 §2 (idempotent refunds)
    data = watch_and_shirt
    refused(data, data["shirt_line"])
    again = refused(data, data["shirt_line"])
    assert again.refunds == []
    key = f"order-line-refused-{data['shirt_line'].pk}"
    repeat = vendor_order_lines_refund(
        vendor_order=data["vo"], lines=[data["shirt_line"]], reason="x", key=key
    )
    assert repeat.lines == [] and repeat.amount == 0
    assert Refund.objects.count() == 1
    assert sandbox_refunded(data["order"]) == Decimal("61.53")
    assert LedgerEntry.objects.filter(kind=Kind.REFUND_SALE).count() == 1


def test_a_refund_written_but_never_sent_is_sent_once_by_the_reconciliation(watch_and_shirt):
    # covers: issue 8 §2 (a crash between the commit and the provider call)
    data = watch_and_shirt
    with transaction.atomic():
        done = vendor_order_lines_refund_record(
            vendor_order=data["vo"], lines=[data["shirt_line"]], reason="Refus", key="crash-1"
        )
    assert done.refund.status == Refund.Status.PENDING and done.refund.sent_at is None
    assert sandbox_refunded(data["order"]) == 0
    # The ledger already counts it (pending refunds are owed to the customer).
    assert order_ledger_total(order=data["order"]) == order_money_captured(order=data["order"])
    assert refunds_reconcile() == 0  # too fresh: its writer may be sending it right now
    later = timezone.now() + timedelta(hours=1)
    assert refunds_reconcile(now=later) == 1
    assert refunds_reconcile(now=later) == 0
    assert sandbox_refunded(data["order"]) == Decimal("61.53")
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED


def test_a_provider_that_does_not_answer_is_never_asked_twice(watch_and_shirt, monkeypatch):
    # covers: issue 8 §2 (retrying a failed gateway call pays once)
    data = watch_and_shirt
    calls = []

    def timeout(self, *, payment, refund):
        calls.append(refund.pk)
        raise GatewayError("timeout")

    monkeypatch.setattr(SandboxGateway, "refund", timeout)
    result = refused(data, data["shirt_line"])
    (refund,) = result.refunds
    assert refund.status == Refund.Status.PENDING and refund.sent_at is not None
    # Retried by the vendor, by the periodic job, by another service: never sent again.
    refused(data, data["shirt_line"])
    vendor_order_lines_refund(
        vendor_order=data["vo"], lines=[data["shirt_line"]], reason="x", key=refund.idempotency_key
    )
    refunds_reconcile(now=timezone.now() + timedelta(hours=1))
    assert calls == [refund.pk]


def test_a_refund_finally_failed_reverses_its_ledger_entries_and_shows_to_staff(
    watch_and_shirt, monkeypatch, client
):
    # covers: issue 8 §2 (FAILED refunds), PAY-2
    data = watch_and_shirt
    order = data["order"]
    monkeypatch.setattr(
        SandboxGateway, "refund", lambda self, **kw: (_ for _ in ()).throw(GatewayError("timeout"))
    )
    (refund,) = refused(data, data["shirt_line"]).refunds
    assert LedgerEntry.objects.filter(refund=refund, kind=Kind.REFUND_SALE).exists()
    # The provider finally says it never happened (the sandbox knows no such refund).
    refund = payment_refund_refresh(refund=refund)
    assert refund.status == Refund.Status.FAILED
    cancel = LedgerEntry.objects.get(refund=refund, kind=Kind.REFUND_FAILED)
    written = LedgerEntry.objects.filter(refund=refund).exclude(kind=Kind.REFUND_FAILED)
    assert cancel.amount == -sum(e.amount for e in written)
    # Nothing went back: the ledger holds all that was captured again.
    assert order_ledger_total(order=order) == order_money_captured(order=order) == order.total
    assert payment_refund_refresh(refund=refund) == refund  # once
    assert LedgerEntry.objects.filter(refund=refund, kind=Kind.REFUND_FAILED).count() == 1

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:payments_refund_changelist")
    failed = client.get(url, {"status__exact": "failed"}).content.decode()
    assert order.reference in failed and "61,53" in failed
    assert order.reference in client.get(url, {"q": order.reference}).content.decode()
    assert order.reference in client.get(url, {"q": "61,53"}).content.decode()
    assert order.reference not in client.get(url, {"status__exact": "succeeded"}).content.decode()


def test_a_refund_after_the_invoice_issues_a_credit_note_shown_under_ma_facture(
    watch_and_shirt, client, settings, tmp_path
):
    # covers: INV-1 (a refund after invoicing issues a credit note, found in the same place)
    settings.MEDIA_ROOT = tmp_path / "media"
    data = watch_and_shirt
    order, vo = data["order"], data["vo"]
    vendor_order_lines_decide(
        vendor_order=vo, vendor=data["verlaine"],
        decisions={data["watch_line"].pk: "accept", data["shirt_line"].pk: "accept"},
    )  # fmt: skip
    vendor_order_ship(vendor_order=vo, vendor=data["verlaine"], carrier="colissimo",
                      parcels=["6A12345678901"])  # fmt: skip
    vo.refresh_from_db()
    assert vo.status == VendorOrder.Status.SHIPPED
    invoice = Invoice.objects.get(vendor_order=vo, kind=Invoice.Kind.INVOICE)

    done = vendor_order_lines_refund(
        vendor_order=vo, lines=[data["shirt_line"]], reason="Retour : chemise", key="return-1"
    )
    assert done.refund.status == Refund.Status.SUCCEEDED
    note = Invoice.objects.get(vendor_order=vo, kind=Invoice.Kind.CREDIT_NOTE)
    assert note.credits == invoice and note.refund_reference == "return-1"
    assert note.total_ttc == done.amount == Decimal("61.53")
    assert note.number and note.pdf
    # A retry issues nothing more.
    vendor_order_lines_refund(
        vendor_order=vo, lines=[data["shirt_line"]], reason="x", key="return-1"
    )
    assert Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 1

    client.force_login(order.customer)
    html = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert "Ma facture" in html
    assert f"Avoir {note.number}" in html
    assert reverse("invoices:document", args=[note.pk]) in html


def test_a_refund_before_any_invoice_issues_no_credit_note(watch_and_shirt):
    # covers: INV-1 (the invoice, made later, bills only what is left)
    refused(watch_and_shirt, watch_and_shirt["shirt_line"])
    assert not Invoice.objects.exists()
