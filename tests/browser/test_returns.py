"""Withdrawal in Chromium (issue 11, "Tests"): a delivered order of two articles; on day 13
the customer sends one back from "Assistance en ligne", the vendor accepts in its portal,
the customer downloads the prepaid label, the carrier reports the parcel delivered to the
vendor, who refunds it with a deduction; the customer's email gives the exact amount, and
the ledger and the credit note say the same.

Emails are read from `mail.outbox` (the live server commits for real; the inline task
backend delivers after the commit)."""

import io
import json
import urllib.request
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from allies.aftersales.models import ReturnRequest
from allies.aftersales.return_states import ReturnStatus
from allies.invoices.models import Invoice
from allies.ledger.models import LedgerEntry
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.models import VendorOrder
from allies.orders.shipments import vendor_order_mark_delivered, vendor_order_ship
from allies.payments.models import Refund
from allies.shipping.models import ShippingRate
from allies.shipping.tracking import SIGNATURE_HEADER, signature_for
from tests.browser.test_support import _emails_to, _logged_in, _offer
from tests.factories import (
    AddressFactory,
    UserFactory,
    VendorFactory,
    VendorMembershipFactory,
)
from tests.orders.conftest import assert_ledger_balanced, buy

SECRET = "browser-carrier-secret"


@pytest.fixture
def delivered_13_days_ago(transactional_db, settings):
    settings.CARRIER_WEBHOOK_SECRETS = {"simulated": SECRET}
    verlaine = VendorFactory(
        name="Maison Verlaine",
        order_email_recipients="commandes@verlaine.test",
        return_label_payer="vendor",
    )
    ShippingRate.objects.create(
        vendor=verlaine, mode="home", zone="FR", carrier="colissimo",
        base_fee=Decimal("7.00"), min_days=2, max_days=4,
    )  # fmt: skip
    customer = UserFactory(email="luc@example.test", first_name="Luc", last_name="Martin")
    AddressFactory(user=customer, recipient="Luc Martin", is_default=True)
    VendorMembershipFactory(vendor=verlaine, user=UserFactory(email="marc@verlaine.test"))
    market = {
        "customer": customer,
        "address": customer.addresses.get(),
        "shirt": _offer(verlaine, "Chemise Oxford bleue", "59.90"),
        "belt": _offer(verlaine, "Ceinture en cuir", "35.00"),
    }
    delivered_at = timezone.now() - timedelta(days=13)
    with time_machine.travel(delivered_at - timedelta(days=3), tick=False):
        order = buy(market, [(market["shirt"], 1), (market["belt"], 1)])
        vo = VendorOrder.objects.get(order=order)
        vendor_order_lines_decide(vendor_order=vo, vendor=verlaine,
                                  decisions={ln.pk: "accept" for ln in vo.lines.all()})  # fmt: skip
    with time_machine.travel(delivered_at - timedelta(days=1), tick=False):
        vendor_order_ship(vendor_order=vo, vendor=verlaine, carrier="colissimo",
                          parcels=["6A12345678901"])  # fmt: skip
    with time_machine.travel(delivered_at, tick=False):
        vendor_order_mark_delivered(vendor_order=vo, vendor=verlaine)
    mail.outbox.clear()
    return vo


def _carrier_event(live_server, number, kind):
    body = json.dumps(
        {
            "events": [
                {
                    "tracking_number": number,
                    "carrier": "colissimo",
                    "event": kind,
                    "at": timezone.now().isoformat(),
                }
            ]
        }  # fmt: skip
    ).encode()
    request = urllib.request.Request(
        live_server.url + "/transporteurs/simulated/webhook/",
        data=body,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature_for(body, SECRET)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_withdrawal_of_one_of_two_articles_refunded_with_a_deduction(
    page, browser, live_server, delivered_13_days_ago
):
    # covers: RET-1, RET-2, RET-3, RET-5, RET-6, INV-1, PAY-2
    vo = delivered_13_days_ago
    customer = _logged_in(browser, live_server, "luc@example.test", page=page)
    customer.goto(live_server.url + f"/compte/achats/{vo.order.reference}/assistance/")
    customer.get_by_label("Objet").select_option(label="Retour ou rétractation")
    customer.get_by_role("button", name="Écrire le message").click()
    customer.get_by_role("heading", name="Retourner des articles").wait_for()
    assert customer.get_by_text("Vous êtes dans le délai de rétractation").is_visible()
    assert customer.get_by_text("N'envoyez rien avant la réponse du vendeur").is_visible()
    shirt = vo.lines.get(product_title="Chemise Oxford bleue")
    customer.locator(f"#qty-{shirt.pk}").select_option("1")
    customer.get_by_role("button", name="Envoyer la demande de retour").click()
    customer.get_by_text("N'envoyez rien pour le moment.").wait_for()
    request = ReturnRequest.objects.get()
    assert request.legal and request.status == ReturnStatus.REQUESTED

    # The vendor accepts in its portal.
    seller = _logged_in(browser, live_server, "marc@verlaine.test")
    seller.goto(live_server.url + "/vendeur/retours/")
    seller.get_by_role("link", name=request.reference).click()
    seller.get_by_test_id("accept").click()
    seller.get_by_text("En attente du colis").first.wait_for()
    request.refresh_from_db()
    assert request.status == ReturnStatus.ACCEPTED
    (accepted,) = [m for m in _emails_to("luc@example.test") if "accepté" in m.subject]
    send_back_by = request.send_back_by
    assert str(send_back_by.day) in accepted.body and str(send_back_by.year) in accepted.body

    # The customer takes the free prepaid label and downloads it.
    customer.reload()
    customer.get_by_role("button", name="Obtenir mon bon de retour prépayé").click()
    with customer.expect_download() as download:
        customer.get_by_role("link", name="Télécharger le bon de retour (PDF)").first.click()
    request.refresh_from_db()
    text = PdfReader(io.BytesIO(open(download.value.path(), "rb").read())).pages[0].extract_text()
    assert request.tracking_number in text.replace(" ", "")
    assert "Maison Verlaine" in text

    # The carrier delivers the parcel to the vendor.
    assert _carrier_event(live_server, request.tracking_number, "delivered")["applied"] == 1
    request.refresh_from_db()
    assert request.status == ReturnStatus.RECEIVED

    # The vendor inspects and refunds, keeping 10,00 € for a worn shirt.
    mail.outbox.clear()
    seller.goto(live_server.url + f"/vendeur/retours/{request.pk}/")
    item = request.items.get()
    seller.locator(f"#retenue-{item.pk}").fill("10,00")
    seller.locator(f"#motif-{item.pk}").select_option("used")
    seller.get_by_test_id("refund").click()
    seller.get_by_text("Remboursé").first.wait_for()
    request.refresh_from_db()
    assert request.status == ReturnStatus.REFUNDED
    # 59,90 + its share of the 7,00 € delivery (59,90 / 94,90 of it: 4,42) − 10,00.
    expected = Decimal("59.90") + Decimal("4.42") - Decimal("10.00")
    assert request.refunded_amount == expected == Refund.objects.get().amount
    (refunded,) = [m for m in _emails_to("luc@example.test") if "Remboursement" in m.subject]
    assert "54,32" in refunded.subject and "54,32" in refunded.body

    # The ledger and the credit note say the same.
    assert_ledger_balanced(vo.order)
    reversal = LedgerEntry.objects.filter(refund=Refund.objects.get())
    assert sum(e.amount + e.operator_amount for e in reversal) == -expected
    note = Invoice.objects.filter(vendor_order=vo, kind=Invoice.Kind.CREDIT_NOTE).get()
    assert note.total_ttc == expected
