"""The whole order flow in Chromium: a customer buys from two vendors; vendor A accepts and
ships in two parcels; vendor B refuses one line (the customer is refunded and emailed), ships
the rest and uploads its own invoice; the carrier's webhook delivers; the customer sees both
timelines and both tracking links, and downloads both invoices."""

import json
import re
import urllib.request
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from allies.catalog.services import product_summaries_refresh
from allies.invoices.services import vendor_invoicing_set
from allies.orders.models import Order, OrderLine, VendorOrder
from allies.payments.models import Refund
from allies.shipping.demo import demo_rates_for_vendor
from allies.shipping.models import ShippingRate
from allies.shipping.tracking import signature_for
from tests.browser.test_purchase import add_to_cart, fill_card, log_in
from tests.factories import (
    PASSWORD,
    AddressFactory,
    OfferFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    VendorFactory,
    VendorMembershipFactory,
)
from tests.invoices.conftest import minimal_pdf

SECRET = "browser-test-carrier-secret"
PARCELS_A = ["6A11111111101", "6A11111111102"]
PARCEL_B = "6A22222222201"


def _offer(vendor, title, price):
    product = ProductFactory(title=title, weight_grams=300)
    offer = OfferFactory(
        vendor=vendor, variant=VariantFactory(product=product), price=Decimal(price), stock=5
    )
    product_summaries_refresh(product_ids=[product.pk])
    return offer


@pytest.fixture
def market(transactional_db, settings):
    settings.CARRIER_WEBHOOK_SECRETS = {"simulated": SECRET}
    verlaine = VendorFactory(name="Maison Verlaine")
    brun = VendorFactory(name="Atelier Brun")
    ShippingRate.objects.bulk_create(demo_rates_for_vendor(verlaine, 1))
    ShippingRate.objects.bulk_create(demo_rates_for_vendor(brun, 0))
    vendor_invoicing_set(vendor=brun, mode="uploaded")  # Brun issues its own invoices
    customer = UserFactory(email="luc@example.test", first_name="Luc")
    AddressFactory(user=customer, recipient="Luc Martin", is_default=True)
    return {
        "verlaine": verlaine,
        "brun": brun,
        "verlaine_user": VendorMembershipFactory(
            vendor=verlaine, user=UserFactory(email="marc@verlaine.test")
        ).user,
        "brun_user": VendorMembershipFactory(
            vendor=brun, user=UserFactory(email="anne@brun.test")
        ).user,
        "shirt": _offer(verlaine, "Chemise Oxford bleue", "59.90"),
        "belt": _offer(verlaine, "Ceinture en cuir", "35.00"),
        "wallet": _offer(brun, "Portefeuille en cuir", "45.00"),
        "card_case": _offer(brun, "Porte-cartes en cuir", "25.00"),
    }


def _buy(page, market) -> Order:
    log_in(page, "luc@example.test")
    for name in ("shirt", "belt", "wallet", "card_case"):
        add_to_cart(page, market[name])
    page.get_by_role("link", name="Valider mon panier").click()
    page.get_by_role("button", name="Continuer vers la facturation").click()
    page.get_by_role("button", name="Continuer vers le paiement").click()
    page.get_by_role("button", name=re.compile("^Payer")).click()
    page.wait_for_url("**/paiement/sandbox/**")
    fill_card(page, "4111 1111 1111 1111")
    page.wait_for_url(re.compile(r".*/commande/AL-\d{4}-\d{6}/$"))
    return Order.objects.get(status=Order.Status.VALIDATED)


def _vendor_page(browser, live_server, email):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse email").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/compte/")
    page.get_by_role("link", name="Ouvrir l'espace vendeur").click()
    page.wait_for_url("**/vendeur/")
    return page


def _open_order(page, reference):
    page.get_by_role("link", name=re.compile(r"À accepter")).first.click()
    page.get_by_role("link", name=reference).click()
    page.get_by_role("heading", name=f"Commande {reference}").wait_for()


def _row(page, title):
    return page.locator("tr", has_text=title)


def _webhook(live_server, numbers):
    body = json.dumps(
        {
            "events": [
                {"tracking_number": n, "event": "delivered", "at": timezone.now().isoformat()}
                for n in numbers
            ]
        }
    ).encode()
    request = urllib.request.Request(
        live_server.url + "/transporteurs/simulated/webhook/",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Allies-Signature": signature_for(body, SECRET),
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_order_flows_from_payment_to_delivery_with_both_invoices(
    page, browser, live_server, market
):
    # covers: ORD-2, ORD-3, ORD-8, INV-1, INV-2, CAT-5, VEN-1
    order = _buy(page, market)
    reference = order.reference

    # Vendor A accepts everything and ships in two parcels.
    seller = _vendor_page(browser, live_server, "marc@verlaine.test")
    _open_order(seller, reference)
    for title in ("Chemise Oxford bleue", "Ceinture en cuir"):
        _row(seller, title).get_by_label("Accepter").check()
    seller.get_by_role("button", name="Enregistrer ma décision").click()
    seller.get_by_text("Articles acceptés").wait_for()
    seller.get_by_label("Nombre de colis").fill("2")
    seller.get_by_role("button", name="Mettre à jour").click()
    seller.get_by_label("Transporteur").select_option("colissimo")
    seller.get_by_label("Colis 1/2").fill(PARCELS_A[0])
    seller.get_by_label("Colis 2/2").fill(PARCELS_A[1])
    seller.get_by_role("button", name="Confirmer l'expédition").click()
    seller.get_by_text("Expédition enregistrée").wait_for()
    assert seller.locator(".status", has_text="Expédiée").first.is_visible()
    seller.context.close()

    # Vendor B refuses the card case (out of stock), ships the wallet, uploads its invoice.
    seller = _vendor_page(browser, live_server, "anne@brun.test")
    _open_order(seller, reference)
    _row(seller, "Portefeuille en cuir").get_by_label("Accepter").check()
    refused = _row(seller, "Porte-cartes en cuir")
    refused.get_by_label("Refuser").check()
    refused.get_by_label("Motif du refus").select_option("out_of_stock")
    seller.get_by_role("button", name="Enregistrer ma décision").click()
    seller.get_by_text("Le client est remboursé de").wait_for()
    seller.get_by_label("Transporteur").select_option("colissimo")
    seller.get_by_label("Colis 1/1").fill(PARCEL_B)
    seller.get_by_role("button", name="Confirmer l'expédition").click()
    seller.get_by_text("Expédition enregistrée").wait_for()
    seller.locator("input[type=file]").set_input_files(
        files=[{"name": "facture.pdf", "mimeType": "application/pdf", "buffer": minimal_pdf()}]
    )
    seller.get_by_label("Numéro de facture").fill("BRUN-2026-117")
    seller.get_by_role("button", name="Déposer la facture").click()
    seller.get_by_text("Facture déposée").wait_for()
    seller.context.close()

    refused_line = OrderLine.objects.get(product_title="Porte-cartes en cuir")
    assert refused_line.status == OrderLine.Status.REFUSED
    assert Refund.objects.filter(payment__order=order, status=Refund.Status.SUCCEEDED).exists()
    refusal = [m for m in mail.outbox if "refusés" in m.subject]
    assert refusal and refusal[0].to == ["luc@example.test"]
    assert "Porte-cartes en cuir" in refusal[0].body

    # The carrier reports every parcel delivered.
    assert _webhook(live_server, [*PARCELS_A, PARCEL_B]) == 200
    statuses = set(VendorOrder.objects.filter(order=order).values_list("status", flat=True))
    assert statuses == {VendorOrder.Status.DELIVERED}

    # The customer sees both timelines and tracking links, and downloads both invoices.
    page.goto(live_server.url + f"/compte/achats/{reference}/")
    for vendor in (market["verlaine"], market["brun"]):
        section = page.locator("section.vendor-order", has_text=f"Vendu par {vendor.name}")
        assert section.locator(".timeline", has_text="Livrée").count() == 1
        assert section.locator(".timeline", has_text="Acceptée par le vendeur").count() == 1
    for number in (*PARCELS_A, PARCEL_B):
        link = page.get_by_role("link", name=number)
        assert "laposte.fr" in link.get_attribute("href") and number in link.get_attribute("href")
    assert page.get_by_text("Refusé par le vendeur (Rupture de stock)").is_visible()
    for vendor in (market["verlaine"], market["brun"]):
        section = page.locator("section.vendor-order", has_text=f"Vendu par {vendor.name}")
        with page.expect_download() as download:
            section.get_by_role("button", name="Ma facture").click()
        path = download.value.path()
        with open(path, "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"


def test_portal_pages_are_accessible_and_fit_a_phone(browser, live_server, market, phone_page):
    # covers: VEN-1
    from tests.browser.conftest import axe_serious_violations

    seller = _vendor_page(browser, live_server, "marc@verlaine.test")
    for path in ("/vendeur/", "/vendeur/commandes/", "/vendeur/offres/", "/vendeur/offres/import/",
                 "/vendeur/livraison/", "/vendeur/profil/", "/vendeur/cles-api/"):  # fmt: skip
        seller.goto(live_server.url + path)
        assert axe_serious_violations(seller) == [], path
    seller.context.close()
    phone_page.goto(live_server.url + "/compte/connexion/")
    phone_page.get_by_label("Adresse email").fill("marc@verlaine.test")
    phone_page.get_by_label("Mot de passe").fill(PASSWORD)
    phone_page.get_by_role("button", name="Se connecter").click()
    phone_page.wait_for_url("**/compte/")
    for path in ("/vendeur/", "/vendeur/offres/", "/vendeur/livraison/", "/vendeur/profil/"):
        phone_page.goto(live_server.url + path)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (path, width)
