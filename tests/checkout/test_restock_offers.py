"""An offer "En cours de réapprovisionnement - Livré sous X semaines" can be bought (CAT-2):
the later delivery date (restock weeks + the vendor's delay) is quoted in the cart, at
checkout, in the confirmation email and on the order; no stock is taken or given back."""

from datetime import timedelta

import pytest
from django.core import mail
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone

from allies.catalog.models import Offer
from allies.core.deadlines import add_working_days
from allies.orders.models import Order
from allies.orders.tasks import order_reservations_expire
from tests.checkout.test_checkout_flow import add, go_to_payment, login, pay_with

pytestmark = pytest.mark.django_db

WEEKS = 3
WAIT = WEEKS * 5  # working days


@pytest.fixture
def restocking(shop):
    wallet = shop["offers"]["wallet"]
    Offer.objects.filter(pk=wallet.pk).update(stock=0, restock_weeks=WEEKS)
    wallet.refresh_from_db()
    return wallet


def test_the_product_page_offers_to_buy_a_restocking_offer(client, restocking):
    # covers: CAT-2
    html = client.get(restocking.variant.product.get_absolute_url()).content.decode()
    assert "En cours de réapprovisionnement - Livré sous 3 semaines" in html
    assert f'name="offer" value="{restocking.pk}"' in html
    assert "Ajouter au panier" in html


def test_a_restocking_offer_is_bought_with_its_later_delivery_date(
    client, shop, restocking, time_machine, django_capture_on_commit_callbacks
):
    # covers: CAT-2, CHK-3, CHK-7
    time_machine.move_to(timezone.now().replace(hour=10), tick=False)
    today = timezone.localdate()
    login(client, shop["customer"])
    response = add(client, restocking, 2)
    assert response.status_code == 302
    cart = client.get(reverse("cart:detail")).content.decode()
    assert "En cours de réapprovisionnement - Livré sous 3 semaines" in cart
    assert "plus disponible" not in cart

    page = client.get(reverse("checkout:delivery"))
    vendor_quote = page.context["quote"].vendors[0]
    home = vendor_quote.option("home")
    assert home.restock_days == WAIT
    assert home.earliest == add_working_days(today, home.min_days + WAIT)
    assert home.latest == add_working_days(today, home.max_days + WAIT)

    card_url, review = go_to_payment(client, shop)
    assert "Livré sous 3 semaines" in review.content.decode()
    row = review.context["rows"][0]
    assert row["option"].latest == home.latest
    assert Offer.objects.get(pk=restocking.pk).stock == 0  # nothing to take

    with django_capture_on_commit_callbacks(execute=True):
        pay_with(client, card_url, "4111 1111 1111 1111")
    order = Order.objects.get()
    assert order.status == Order.Status.VALIDATED
    vendor_order = order.vendor_orders.get()
    assert vendor_order.delivery_min_date == add_working_days(today, home.min_days + WAIT)
    assert vendor_order.delivery_max_date == home.latest
    latest = date_filter(home.latest, "MONTH_DAY_FORMAT")
    confirmation = [m for m in mail.outbox if m.to == [shop["customer"].email]]
    assert latest in confirmation[0].body
    page = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert latest in page
    assert Offer.objects.get(pk=restocking.pk).stock == 0
    # Each place names the line that waits for the restock, not only the later date.
    assert vendor_order.lines.get().restock_weeks == WEEKS
    wording = "En cours de réapprovisionnement - Livré sous 3 semaines"
    assert wording in page and wording in confirmation[0].body
    to_vendor = [m for m in mail.outbox if m.to != confirmation[0].to]
    assert to_vendor and all(wording in m.body for m in to_vendor)  # ships once restocked


def test_an_unpaid_restock_order_gives_back_no_stock_it_never_took(
    client, shop, restocking, time_machine
):
    # covers: CAT-2, CHK-8
    shirt = shop["offers"]["shirt"]
    login(client, shop["customer"])
    add(client, restocking)
    add(client, shirt)
    go_to_payment(client, shop)
    assert Offer.objects.get(pk=shirt.pk).stock == 4
    time_machine.move_to(timezone.now() + timedelta(minutes=16))
    assert order_reservations_expire.call() == 1
    assert Offer.objects.get(pk=shirt.pk).stock == 5
    assert Offer.objects.get(pk=restocking.pk).stock == 0  # no phantom unit
