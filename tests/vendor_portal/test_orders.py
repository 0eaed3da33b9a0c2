"""The vendor's order screens: dashboard, accept/refuse, ship in parcels, deliver, invoice."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from allies.invoices.models import Invoice
from allies.invoices.services import vendor_invoicing_set
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.models import OrderLine, VendorOrder
from allies.orders.shipments import vendor_order_ship
from tests.invoices.conftest import minimal_pdf
from tests.orders.conftest import TRACKING_1, TRACKING_2, buy


def _lines(vendor_order):
    return {line.product_title: line for line in vendor_order.lines.order_by("id")}


def test_dashboard_counts_orders_to_accept_ship_and_late(verlaine_client, market, paid):
    # covers: VEN-1, ORD-8
    page = verlaine_client.get(reverse("vendor_portal:dashboard")).content.decode()
    assert 'data-testid="to-accept"><strong>1</strong>' in page
    assert 'data-testid="to-ship"><strong>0</strong>' in page
    assert 'data-testid="late"><strong>0</strong>' in page
    # 2 × 59,90 + 35,00 sold this month by Verlaine (shipping is not a sale).
    assert "154,80" in page
    assert paid["order"].reference in page
    # Three working days later nobody answered: the order is late.
    with time_machine.travel(timezone.now() + timedelta(days=5)):
        page = verlaine_client.get(reverse("vendor_portal:dashboard")).content.decode()
        assert 'data-testid="late"><strong>1</strong>' in page
        late = verlaine_client.get(reverse("vendor_portal:orders") + "?onglet=en-retard")
        assert paid["order"].reference in late.content.decode()


def test_dashboard_warns_of_low_stock(verlaine_client, market):
    # covers: VEN-1, CAT-2
    market["belt"].stock = 2
    market["belt"].save()
    page = verlaine_client.get(reverse("vendor_portal:dashboard")).content.decode()
    assert "Ceinture en cuir" in page and "2 en stock" in page


def test_accept_one_line_refuse_the_other_refunds_and_emails(verlaine_client, paid):
    # covers: ORD-8, VEN-1
    vo = paid["verlaine_vo"]
    lines = _lines(vo)
    shirt, belt = lines["Chemise Oxford bleue"], lines["Ceinture en cuir"]
    response = verlaine_client.post(
        reverse("vendor_portal:order_decide", args=[vo.pk]),
        {
            f"line-{shirt.pk}": "accept",
            f"line-{belt.pk}": "refuse",
            f"reason-{belt.pk}": "out_of_stock",
        },  # fmt: skip
        follow=True,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Le client est remboursé de" in body and "prévenu par email" in body
    belt.refresh_from_db()
    shirt.refresh_from_db()
    assert shirt.status == OrderLine.Status.ACCEPTED
    assert belt.status == OrderLine.Status.REFUSED and belt.refunded_amount > 0
    assert any("refusés" in m.subject for m in mail.outbox)
    vo.refresh_from_db()
    assert vo.accepted_at is not None  # now "À expédier"
    assert "Expédier" in body


def test_refusing_without_a_reason_is_explained_and_changes_nothing(verlaine_client, paid):
    # covers: ORD-8
    vo = paid["verlaine_vo"]
    belt = _lines(vo)["Ceinture en cuir"]
    response = verlaine_client.post(
        reverse("vendor_portal:order_decide", args=[vo.pk]), {f"line-{belt.pk}": "refuse"}
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()
    belt.refresh_from_db()
    assert belt.status == OrderLine.Status.PENDING and belt.refunded_amount == 0


def test_a_decision_without_any_choice_is_refused(verlaine_client, paid):
    # covers: ORD-8
    vo = paid["verlaine_vo"]
    response = verlaine_client.post(reverse("vendor_portal:order_decide", args=[vo.pk]), {})
    assert response.status_code == 422
    assert "Accepter" in response.content.decode()


def _accept_all(market, vo):
    vendor_order_lines_decide(
        vendor_order=vo, vendor=market["verlaine"],
        decisions={line.pk: "accept" for line in vo.lines.all()},
    )  # fmt: skip


def test_ship_in_two_parcels_then_deliver(verlaine_client, market, paid):
    # covers: ORD-3, CAT-5
    vo = paid["verlaine_vo"]
    _accept_all(market, vo)
    page = verlaine_client.get(reverse("vendor_portal:order", args=[vo.pk]) + "?colis=2")
    body = page.content.decode()
    assert "Colis 1/2" in body and "Colis 2/2" in body
    response = verlaine_client.post(
        reverse("vendor_portal:order_ship", args=[vo.pk]),
        {"carrier": "colissimo", "parcel": [TRACKING_1, TRACKING_2]},
        follow=True,
    )
    assert "Expédition enregistrée" in response.content.decode()
    vo.refresh_from_db()
    assert vo.status == VendorOrder.Status.SHIPPED
    shipment = vo.shipments.get()
    assert [p.tracking_number for p in shipment.parcels.order_by("index")] == [
        TRACKING_1,
        TRACKING_2,
    ]
    assert TRACKING_2 in response.content.decode()
    response = verlaine_client.post(
        reverse("vendor_portal:order_delivered", args=[vo.pk]), follow=True
    )
    vo.refresh_from_db()
    assert vo.status == VendorOrder.Status.DELIVERED and vo.delivered_at is not None


def test_partial_shipment_keeps_the_rest_to_ship(verlaine_client, market, paid):
    # covers: ORD-3
    vo = paid["verlaine_vo"]
    _accept_all(market, vo)
    lines = _lines(vo)
    shirt, belt = lines["Chemise Oxford bleue"], lines["Ceinture en cuir"]
    verlaine_client.post(
        reverse("vendor_portal:order_ship", args=[vo.pk]),
        {"carrier": "colissimo", "parcel": [TRACKING_1], f"qty-{shirt.pk}": "2",
         f"qty-{belt.pk}": "0"},
    )  # fmt: skip
    vo.refresh_from_db()
    assert vo.status == VendorOrder.Status.PARTIALLY_SHIPPED
    body = verlaine_client.get(reverse("vendor_portal:order", args=[vo.pk])).content.decode()
    assert f'name="qty-{belt.pk}"' in body
    assert f'name="qty-{shirt.pk}"' not in body


def test_a_bad_tracking_number_is_explained_and_ships_nothing(verlaine_client, market, paid):
    # covers: ORD-3
    vo = paid["verlaine_vo"]
    _accept_all(market, vo)
    response = verlaine_client.post(
        reverse("vendor_portal:order_ship", args=[vo.pk]),
        {"carrier": "colissimo", "parcel": ["12"]},
    )
    assert response.status_code == 422
    assert "Colis 1/1" in response.content.decode()
    assert not vo.shipments.exists()


def test_vendor_uploads_its_own_invoice_after_shipment(verlaine_client, market, paid):
    # covers: INV-1
    vo = paid["verlaine_vo"]
    vendor_invoicing_set(vendor=market["verlaine"], mode="uploaded")
    _accept_all(market, vo)
    verlaine_client.post(
        reverse("vendor_portal:order_ship", args=[vo.pk]),
        {"carrier": "colissimo", "parcel": [TRACKING_1]},
    )
    url = reverse("vendor_portal:order_invoice", args=[vo.pk])
    response = verlaine_client.post(
        url, {"file": SimpleUploadedFile("facture.txt", b"pas un pdf", "text/plain")}
    )
    assert response.status_code == 422
    assert not Invoice.objects.filter(vendor_order=vo).exists()
    response = verlaine_client.post(
        url,
        {
            "file": SimpleUploadedFile("facture.pdf", minimal_pdf(), "application/pdf"),
            "number": "F-2026-0042",
        },  # fmt: skip
        follow=True,
    )
    assert "Facture déposée" in response.content.decode()
    assert Invoice.objects.get(vendor_order=vo).number == "F-2026-0042"


@pytest.mark.parametrize("orders", [2, 8])
def test_portal_order_pages_run_a_bounded_number_of_queries(
    verlaine_client, market, orders, django_assert_max_num_queries
):
    # covers: VEN-1
    for _ in range(orders):
        buy(market, [(market["shirt"], 1), (market["belt"], 1)])
    vo = VendorOrder.objects.filter(vendor=market["verlaine"]).first()
    # + the "Messages" card's counts and the messages' response record (3 queries), the
    # "Retours" and "Réclamations" cards' counts (1 each), the "Ventes" and "Virements" charts
    # (frozen days, the live days of the ledger, payouts: 4).
    with django_assert_max_num_queries(22):
        assert verlaine_client.get(reverse("vendor_portal:dashboard")).status_code == 200
    with django_assert_max_num_queries(12):
        assert (
            verlaine_client.get(reverse("vendor_portal:orders") + "?onglet=toutes").status_code
            == 200
        )
    # (the open cancellation and address change requests included, 1 query each)
    with django_assert_max_num_queries(18):
        assert verlaine_client.get(reverse("vendor_portal:order", args=[vo.pk])).status_code == 200


def test_invoices_page_lists_my_documents_and_serves_only_mine(client, market, paid):
    # covers: VEN-2, INV-1
    for vendor, key in ((market["verlaine"], "verlaine_vo"), (market["brun"], "brun_vo")):
        vo = paid[key]
        vendor_order_lines_decide(
            vendor_order=vo, vendor=vendor, decisions={ln.pk: "accept" for ln in vo.lines.all()}
        )
        vendor_order_ship(
            vendor_order=vo, vendor=vendor, carrier="colissimo",
            parcels=[TRACKING_1 if vendor == market["verlaine"] else TRACKING_2],
        )  # fmt: skip
    mine = Invoice.objects.get(vendor_order=paid["verlaine_vo"])
    theirs = Invoice.objects.get(vendor_order=paid["brun_vo"])
    client.force_login(market["verlaine_user"])
    body = client.get(reverse("vendor_portal:invoices")).content.decode()
    assert mine.number in body and theirs.number not in body
    response = client.get(reverse("vendor_portal:invoice_pdf", args=[mine.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content)[:5] == b"%PDF-"
    assert client.get(reverse("vendor_portal:invoice_pdf", args=[theirs.pk])).status_code == 404


def test_dashboard_shows_the_response_record(verlaine_client, market, paid):
    # covers: VEN-1
    _accept_all(market, paid["verlaine_vo"])
    body = verlaine_client.get(reverse("vendor_portal:dashboard")).content.decode()
    record = body.split('data-testid="record"')[1].split("</section>")[0]
    assert "100 %" in record and "Sur 1 commande des 90 derniers jours" in record


def test_an_invoice_whose_pdf_is_gone_answers_a_404_page_and_logs_it(
    verlaine_client, market, paid, caplog
):
    # covers: VEN-2, INV-1 — a lost file was a 500
    vo = paid["verlaine_vo"]
    _accept_all(market, vo)
    vendor_order_ship(
        vendor_order=vo, vendor=market["verlaine"], carrier="colissimo", parcels=[TRACKING_1]
    )
    invoice = Invoice.objects.get(vendor_order=vo)
    invoice.pdf.storage.delete(invoice.pdf.name)
    url = reverse("vendor_portal:invoice_pdf", args=[invoice.pk])
    with caplog.at_level("ERROR", logger="allies.invoices.views"):
        response = verlaine_client.get(url)
    assert response.status_code == 404
    body = response.content.decode()
    assert "Document introuvable" in body and invoice.number in body
    assert reverse("vendor_portal:invoices") in body
    assert any(
        record.levelname == "ERROR" and invoice.pdf.name in record.getMessage()
        for record in caplog.records
    )
    # A row without any file name is the same case.
    Invoice.objects.filter(pk=invoice.pk).update(pdf="")
    assert verlaine_client.get(url).status_code == 404


@pytest.mark.parametrize(("days", "text"), [(3, "sous 3 jours ouvrés"), (1, "sous 1 jour ouvré")])
def test_the_empty_orders_tab_states_the_real_acceptance_delay(
    verlaine_client, settings, days, text
):
    # covers: ORD-8 — the text said "deux jours" whatever the setting
    settings.ORDER_ACCEPTANCE_WORKING_DAYS = days
    page = verlaine_client.get(reverse("vendor_portal:orders")).content.decode()
    assert text in page
