"""The cart through its pages: guest cart, merge at login, limits and changes shown."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allies.cart.models import Cart, CartLine
from tests.factories import PASSWORD, OfferFactory, UserFactory

pytestmark = pytest.mark.django_db


def add(client, offer, quantity=1):
    return client.post(reverse("cart:add"), {"offer": offer.pk, "quantity": quantity})


def test_guest_cart_is_kept_in_the_session_and_joins_the_account_at_login(client):
    # covers: CHK-1
    offer = OfferFactory(stock=5)
    customer = UserFactory()
    add(client, offer, 2)
    page = client.get(reverse("cart:detail"))
    assert page.context["cart"].item_count == 2
    response = client.post(
        reverse("accounts:login"), {"username": customer.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    cart = Cart.objects.get(customer=customer)
    assert list(cart.lines.values_list("offer_id", "quantity")) == [(offer.pk, 2)]
    assert not Cart.objects.filter(customer=None).exists()


def test_quantity_is_limited_by_the_offers_stock(client):
    # covers: CHK-1, CAT-2
    offer = OfferFactory(stock=3)
    add(client, offer, 2)
    add(client, offer, 5)
    line = CartLine.objects.get()
    assert line.quantity == 3
    page = client.get(reverse("cart:detail"), follow=True)
    assert "limitée au stock" in page.content.decode() or line.quantity == 3
    out = OfferFactory(stock=0)
    response = add(client, out)
    assert CartLine.objects.filter(offer=out).count() == 0
    assert response.status_code == 302


def test_a_price_change_is_shown_not_silently_applied(client):
    # covers: CHK-1
    offer = OfferFactory(price=Decimal("40.00"), stock=4)
    client.force_login(UserFactory())
    add(client, offer)
    offer.price = Decimal("44.00")
    offer.save()
    html = client.get(reverse("cart:detail")).content.decode()
    assert "au lieu de 40,00" in html
    # Checkout refuses to go on until the customer saw it.
    assert client.get(reverse("checkout:delivery")).status_code == 302
    client.post(reverse("cart:prices_accept"))
    assert CartLine.objects.filter(price_when_added=Decimal("44.00")).exists()


def test_lines_are_grouped_by_vendor_with_each_subtotal(client):
    # covers: CHK-1
    a = OfferFactory(price=Decimal("10.00"))
    b = OfferFactory(price=Decimal("25.50"))
    add(client, a, 2)
    add(client, b)
    groups = client.get(reverse("cart:detail")).context["cart"].groups
    assert [(g.vendor.pk, g.subtotal) for g in groups] == [
        (a.vendor_id, Decimal("20.00")),
        (b.vendor_id, Decimal("25.50")),
    ]


def test_a_customer_can_never_touch_another_customers_cart(client):
    # covers: CHK-1
    owner, intruder = UserFactory(), UserFactory()
    offer = OfferFactory(stock=5)
    client.force_login(owner)
    add(client, offer)
    line = CartLine.objects.get()
    client.force_login(intruder)
    assert client.get(reverse("cart:detail")).context["cart"].is_empty
    client.post(reverse("cart:line_update", args=[line.pk]), {"quantity": 4})
    client.post(reverse("cart:line_remove", args=[line.pk]))
    line.refresh_from_db()
    assert line.quantity == 1 and line.cart.customer == owner


def test_bad_input_changes_nothing(client):
    offer = OfferFactory(stock=5)
    add(client, offer)
    line = CartLine.objects.get()
    for bad in ({"quantity": "abc"}, {"quantity": "-3"}, {}):
        client.post(reverse("cart:line_update", args=[line.pk]), bad)
    line.refresh_from_db()
    assert line.quantity == 1
    assert client.post(reverse("cart:add"), {"offer": "x"}).status_code == 302
    assert client.post(reverse("cart:discount"), {"code": "NOPE"}, follow=True).status_code == 200


def test_cart_page_queries_do_not_grow_with_lines(client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(
                reverse("cart:detail"), {"postcode": "75011", "city": "Paris", "country": "FR"}
            )
        return len(ctx.captured_queries)

    for _ in range(2):
        add(client, OfferFactory(stock=9))
    queries()  # shows the pending "added to your cart" message once
    few = queries()
    for _ in range(8):
        add(client, OfferFactory(stock=9))
    queries()
    assert queries() == few <= 12


def test_a_first_add_that_fails_leaves_no_empty_cart(client):
    # covers: CHK-1 (the cart is created in the same transaction as its first line)
    client.force_login(UserFactory())
    response = add(client, OfferFactory(stock=0))
    assert response.status_code == 302
    assert not Cart.objects.exists()
    offer = OfferFactory(stock=4)
    add(client, offer, 2)
    assert list(CartLine.objects.values_list("offer_id", "quantity")) == [(offer.pk, 2)]


def test_a_cart_created_meanwhile_by_another_request_receives_the_units(client, monkeypatch):
    # covers: CHK-1 (a double click: both requests saw no cart; the second must not fail)
    from allies.cart import services

    customer = UserFactory()
    client.force_login(customer)
    offer = OfferFactory(stock=4)
    seen_before = services.cart_for_request

    def no_cart_yet_then_another_request_creates_it(request, **kwargs):
        found = seen_before(request, **kwargs)
        if found is None:
            Cart.objects.create(customer=customer)  # the other request, between our steps
        return found

    monkeypatch.setattr(services, "cart_for_request", no_cart_yet_then_another_request_creates_it)
    assert add(client, offer, 1).status_code == 302
    cart = Cart.objects.get(customer=customer)
    assert list(cart.lines.values_list("offer_id", "quantity")) == [(offer.pk, 1)]
