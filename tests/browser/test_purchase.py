"""The purchase, in Chromium: two vendors, Corsica, a relay point, a code, 3-D Secure."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from allies.cart.models import DiscountCode
from allies.catalog.models import Offer
from allies.catalog.services import product_summaries_refresh
from allies.orders.models import Order
from allies.orders.tasks import order_reservations_expire
from allies.shipping.demo import demo_rates_for_vendor
from allies.shipping.models import ShippingRate
from tests.factories import (
    PASSWORD,
    AddressFactory,
    OfferFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    VendorFactory,
)


@pytest.fixture
def market(transactional_db):
    verlaine = VendorFactory(name="Maison Verlaine")
    brun = VendorFactory(name="Atelier Brun")
    ShippingRate.objects.bulk_create(demo_rates_for_vendor(verlaine, 1))
    ShippingRate.objects.bulk_create(demo_rates_for_vendor(brun, 0))
    shirt = ProductFactory(title="Chemise Oxford bleue", weight_grams=400)
    wallet = ProductFactory(title="Portefeuille en cuir", weight_grams=200)
    shirt_offer = OfferFactory(
        vendor=verlaine, variant=VariantFactory(product=shirt), price=Decimal("59.90"), stock=4
    )
    wallet_offer = OfferFactory(
        vendor=brun, variant=VariantFactory(product=wallet), price=Decimal("45.00"), stock=1
    )
    product_summaries_refresh(product_ids=[shirt.pk, wallet.pk])
    customer = UserFactory(email="luc@example.test", first_name="Luc")
    AddressFactory(
        user=customer, recipient="Luc Santoni", street="3 cours Napoléon", postcode="20000",
        city="Ajaccio", is_default=True,
    )  # fmt: skip
    DiscountCode.objects.create(
        code="ALLIES10", kind=DiscountCode.Kind.PERCENT, value=Decimal("10"),
        valid_from=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    return {"shirt": shirt_offer, "wallet": wallet_offer, "brun": brun, "customer": customer}


def log_in(page, email):
    page.goto(page.base_url + "/compte/connexion/")
    page.get_by_label("Adresse email").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/compte/")


def add_to_cart(page, offer):
    page.goto(page.base_url + offer.variant.product.get_absolute_url())
    page.get_by_role("button", name=f"Ajouter au panier — {offer.vendor.name}").click()
    page.wait_for_url("**/panier/")


def checkout_to_card_page(page, relay_vendor=None):
    page.get_by_role("link", name="Valider mon panier").click()
    page.wait_for_url("**/commande/livraison/")
    if relay_vendor is not None:
        group = page.locator("section.vendor-group", has_text=relay_vendor.name)
        group.get_by_role("radio", name=re.compile("Point relais")).check()
        group.locator(".relay-choice input").first.check()
    page.get_by_role("button", name="Continuer vers la facturation").click()
    page.wait_for_url("**/commande/facturation/")
    page.get_by_role("button", name="Continuer vers le paiement").click()
    page.wait_for_url("**/commande/paiement/")
    total = page.locator(".grand-total dd").inner_text()
    page.get_by_role("button", name=re.compile("^Payer")).click()
    page.wait_for_url("**/paiement/sandbox/**")
    return total


def fill_card(page, number):
    page.get_by_label("Numéro de carte").fill(number)
    page.get_by_label("Expiration").fill("12/30")
    page.get_by_label("Cryptogramme").fill("123")
    page.get_by_label("Nom du titulaire").fill("Luc Santoni")
    page.locator("button.bank-pay").click()


def test_full_purchase_across_two_vendors_with_3d_secure(page, market):
    # covers: CHK-1, CHK-2, CHK-3, CHK-5, CHK-7, ORD-1
    log_in(page, "luc@example.test")
    add_to_cart(page, market["shirt"])
    add_to_cart(page, market["wallet"])
    page.get_by_label("Code de réduction").fill("allies10")
    page.get_by_role("button", name="Appliquer").click()
    assert page.get_by_text("Le code de réduction a été appliqué.").is_visible()
    page.get_by_label("Code postal").fill("20000")
    page.get_by_label("Ville").fill("Ajaccio")
    page.get_by_role("button", name="Calculer les frais de port").click()
    page.get_by_text("Livraison : Corse").wait_for()

    total = checkout_to_card_page(page, relay_vendor=market["brun"])
    fill_card(page, "4000 0000 0000 3220")
    page.wait_for_url("**/3ds/")
    assert page.get_by_role("heading", name=re.compile("3-D Secure")).is_visible()
    page.get_by_label(re.compile("Code")).fill("123456")
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url(re.compile(r".*/commande/AL-\d{4}-\d{6}/$"))
    assert page.get_by_role("heading", name="Merci, votre commande est validée").is_visible()

    order = Order.objects.get()
    assert order.status == Order.Status.VALIDATED
    assert page.locator(".order-ref").inner_text() == order.reference
    assert total.replace("\u00a0", " ") == f"{order.total:.2f} €".replace(".", ",")
    assert order.discount_total == Decimal("10.49")
    assert order.vendor_orders.get(vendor=market["brun"]).relay_point
    email = next(m for m in mail.outbox if order.reference in m.subject)
    assert email.to == ["luc@example.test"]
    for amount in (order.total, order.shipping_total, order.discount_total):
        assert f"{amount:.2f}".replace(".", ",") in email.body
    assert "Maison Verlaine" in email.body and "Atelier Brun" in email.body


def test_refused_card_charges_nothing_and_the_retry_pays_the_same_order(page, market):
    # covers: CHK-7, issue 8 §5 (one order in "Mes achats", its attempts on its page)
    log_in(page, "luc@example.test")
    add_to_cart(page, market["wallet"])
    checkout_to_card_page(page)
    fill_card(page, "4000 0000 0000 0002")
    page.get_by_role("heading", name="Le paiement n'a pas abouti").wait_for()
    assert page.get_by_role("alert").inner_text().startswith("Votre banque a refusé le paiement.")
    assert "Aucun montant n'a été débité" in page.get_by_role("alert").inner_text()
    order = Order.objects.get()
    # The order waits for another attempt and keeps the article meanwhile.
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert Offer.objects.get(pk=market["wallet"].pk).stock == 0
    page.get_by_role("link", name="Réessayer le paiement").click()
    page.wait_for_url("**/commande/paiement/")
    page.get_by_role("button", name=re.compile("^Payer")).click()
    page.wait_for_url("**/paiement/sandbox/**")
    fill_card(page, "4111 1111 1111 1111")
    page.get_by_role("heading", name="Merci, votre commande est validée").wait_for()
    assert Order.objects.get().status == Order.Status.VALIDATED
    assert page.locator(".order-ref").inner_text() == order.reference
    page.goto(page.base_url + f"/compte/achats/{order.reference}/")
    assert page.get_by_role("heading", name="Historique des paiements").is_visible()


def test_abandoned_3d_secure_page_releases_the_stock(page, market, time_machine):
    # covers: CHK-8
    log_in(page, "luc@example.test")
    add_to_cart(page, market["wallet"])
    checkout_to_card_page(page)
    fill_card(page, "5200 8282 8282 8210")
    page.wait_for_url("**/3ds/")
    # The customer walks away; the unit is held, then released after 15 minutes.
    assert Offer.objects.get(pk=market["wallet"].pk).stock == 0
    time_machine.move_to(timezone.now() + timedelta(minutes=16), tick=True)
    assert order_reservations_expire.call() == 1
    assert Offer.objects.get(pk=market["wallet"].pk).stock == 1
    assert Order.objects.get().status == Order.Status.PAYMENT_FAILED
    # Coming back to the bank page afterwards cannot pay the dead order.
    page.get_by_label(re.compile("Code")).fill("123456")
    page.get_by_role("button", name="Valider").click()
    page.wait_for_load_state()
    assert Order.objects.get().status == Order.Status.PAYMENT_FAILED
