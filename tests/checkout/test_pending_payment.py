"""One unpaid order per customer (issue 9 §6) and one order per purchase in "Mes achats"
(issue 8 §5): "Payer" again resumes or replaces the unpaid order, a refused card is retried
on the same order, and one customer cannot hold more than the cap of an offer."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from allies.cart.models import CartLine
from allies.catalog.models import Offer
from allies.checkout.services import (
    MAX_PAYMENT_ATTEMPTS,
    CheckoutChoices,
    CheckoutError,
    order_place,
)
from allies.orders.models import Order
from allies.orders.tasks import order_reservations_expire
from allies.payments.models import Payment
from tests.checkout.test_checkout_flow import add, go_to_payment, login, pay_with

pytestmark = pytest.mark.django_db

REFUSED = "4000 0000 0000 0002"
PAID = "4111 1111 1111 1111"


def stock(offer) -> int:
    return Offer.objects.get(pk=offer.pk).stock


def test_pressing_pay_twice_resumes_the_same_order_and_payment_page(client, shop):
    # covers: issue 9 §6, CHK-8
    login(client, shop["customer"])
    add(client, shop["offers"]["wallet"])
    first_url, _ = go_to_payment(client, shop)
    second_url, _ = go_to_payment(client, shop)
    assert second_url == first_url
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert stock(shop["offers"]["wallet"]) == 0  # held once, not twice


def test_paying_a_changed_cart_replaces_the_unpaid_order_and_releases_its_stock(client, shop):
    # covers: issue 9 §6, ORD-4
    login(client, shop["customer"])
    shirt = shop["offers"]["shirt"]
    add(client, shirt)
    go_to_payment(client, shop)
    first = Order.objects.get()
    assert stock(shirt) == 4
    add(client, shop["offers"]["wallet"])
    go_to_payment(client, shop)
    first.refresh_from_db()
    assert first.status == Order.Status.CANCELLED
    assert first.events.filter(kind="cancelled", data__reason="replaced").exists()
    assert Order.objects.filter(status=Order.Status.AWAITING_PAYMENT).count() == 1
    assert stock(shirt) == 4  # the first hold was given back, the new order holds one
    assert stock(shop["offers"]["wallet"]) == 0


def test_one_customer_cannot_hold_more_than_the_cap_of_an_offer(client, shop, settings):
    # covers: issue 9 §6
    settings.CHECKOUT_MAX_UNITS_PER_OFFER = 2
    login(client, shop["customer"])
    shirt = shop["offers"]["shirt"]
    add(client, shirt, 5)
    line = CartLine.objects.get(offer=shirt)
    assert line.quantity == 2  # limited when added
    # A cart filled before the cap was lowered: "Payer" refuses, and writes nothing.
    CartLine.objects.filter(pk=line.pk).update(quantity=4)
    with pytest.raises(CheckoutError, match="au plus 2"):
        order_place(
            customer=shop["customer"],
            cart=line.cart,
            choices=CheckoutChoices(
                delivery_address_id=shop["address"].pk,
                modes={v.pk: "home" for v in shop["vendors"]},
            ),
        )
    assert not Order.objects.exists()
    assert stock(shirt) == 5


def test_the_cart_counts_the_units_the_customers_unpaid_order_holds(client, shop):
    # covers: CHK-8, issue 9 §6
    login(client, shop["customer"])
    wallet = shop["offers"]["wallet"]
    add(client, wallet)
    go_to_payment(client, shop)
    assert stock(wallet) == 0
    page = client.get(reverse("cart:detail")).content.decode()
    assert "plus disponible" not in page and "Plus que" not in page
    # For anyone else, the held unit is gone.
    other = client.__class__()
    response = other.post(reverse("cart:add"), {"offer": wallet.pk, "quantity": 1}, follow=True)
    assert "plus disponible" in response.content.decode()


def test_a_refused_card_is_retried_on_the_same_order_with_a_fresh_hold(client, shop, time_machine):
    # covers: issue 8 §5, issue 9 §6, CHK-8
    login(client, shop["customer"])
    add(client, shop["offers"]["wallet"])
    card_url, _ = go_to_payment(client, shop)
    time_machine.move_to(timezone.now() + timedelta(minutes=10))
    pay_with(client, card_url, REFUSED)
    order = Order.objects.get()
    assert order.status == Order.Status.AWAITING_PAYMENT
    card_url, _ = go_to_payment(client, shop)
    order.refresh_from_db()
    # The new attempt has its own 15 minutes: the first hold would end in 5.
    assert order.reserved_until > timezone.now() + timedelta(minutes=14)
    pay_with(client, card_url, PAID)
    order.refresh_from_db()
    assert order.status == Order.Status.VALIDATED
    assert [p.status for p in order.payments.order_by("id")] == ["failed", "succeeded"]
    assert Order.objects.count() == 1


def test_failed_attempts_are_capped(client, shop):
    # covers: issue 9 §6
    login(client, shop["customer"])
    add(client, shop["offers"]["wallet"])
    for _ in range(MAX_PAYMENT_ATTEMPTS):
        card_url, _ = go_to_payment(client, shop)
        pay_with(client, card_url, REFUSED)
    client.get(reverse("checkout:review"))
    response = client.post(reverse("checkout:pay"), follow=True)
    assert "Trop de tentatives de paiement" in response.content.decode()
    assert Payment.objects.count() == MAX_PAYMENT_ATTEMPTS


def test_mes_achats_shows_what_was_bought_not_each_abandoned_attempt(
    client, shop, time_machine, django_assert_max_num_queries
):
    # covers: issue 8 §5, ACC-8
    login(client, shop["customer"])
    add(client, shop["offers"]["wallet"])
    card_url, _ = go_to_payment(client, shop)
    pay_with(client, card_url, REFUSED)
    abandoned = Order.objects.get()
    # Listed while it can still be paid, with the way to retry.
    assert abandoned.reference in client.get(reverse("orders:purchases")).content.decode()
    page = client.get(reverse("orders:detail", args=[abandoned.reference])).content.decode()
    assert "Réessayer le paiement" in page and "Historique des paiements" in page
    # The hold ends: nothing was bought, the order leaves "Mes achats".
    time_machine.move_to(timezone.now() + timedelta(minutes=16))
    order_reservations_expire.call()
    abandoned.refresh_from_db()
    assert abandoned.status == Order.Status.PAYMENT_FAILED
    assert stock(shop["offers"]["wallet"]) == 1
    card_url, _ = go_to_payment(client, shop)
    pay_with(client, card_url, PAID)
    bought = Order.objects.get(status=Order.Status.VALIDATED)
    with django_assert_max_num_queries(20):
        purchases = client.get(reverse("orders:purchases")).content.decode()
    assert bought.reference in purchases
    assert abandoned.reference not in purchases
    assert "Paiement refusé" not in purchases
    # Its page stays reachable from the reference.
    assert client.get(reverse("orders:detail", args=[abandoned.reference])).status_code == 200
