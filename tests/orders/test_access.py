"""A customer never reaches another customer's order, on any page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from allies.orders.models import Order
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def make_order(customer, reference="AL-2026-000042", status=Order.Status.AWAITING_PAYMENT):
    return Order.objects.create(
        reference=reference, customer=customer, status=status, delivery_address={},
        billing_address={}, lines_total=Decimal("30"), shipping_total=Decimal("5"),
        total=Decimal("35"),
    )  # fmt: skip


ORDER_PAGES = [
    ("get", "orders:detail"),
    ("post", "orders:cancel"),
    ("get", "checkout:payment_result"),
]


@pytest.mark.parametrize(("method", "name"), ORDER_PAGES)
def test_another_customers_order_does_not_exist_for_me(client, method, name):
    # covers: ORD-2, ACC-8
    order = make_order(UserFactory())
    client.force_login(UserFactory())
    response = getattr(client, method)(reverse(name, args=[order.reference]))
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT


@pytest.mark.parametrize(("method", "name"), ORDER_PAGES)
def test_order_pages_need_login(client, method, name):
    order = make_order(UserFactory())
    response = getattr(client, method)(reverse(name, args=[order.reference]))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_my_purchases_list_only_my_orders(client, django_assert_max_num_queries):
    # covers: ORD-2, ACC-8
    me, other = UserFactory(), UserFactory()
    make_order(me, "AL-2026-000001", Order.Status.VALIDATED)
    make_order(other, "AL-2026-000002", Order.Status.VALIDATED)
    client.force_login(me)
    with django_assert_max_num_queries(12):
        html = client.get(reverse("orders:purchases")).content.decode()
    assert "AL-2026-000001" in html and "AL-2026-000002" not in html
    assert client.get(reverse("orders:purchases"), {"page": "9"}).status_code == 404


def test_a_validated_order_cannot_be_cancelled_by_the_customer(client):
    # covers: ORD-4
    me = UserFactory()
    order = make_order(me, status=Order.Status.VALIDATED)
    client.force_login(me)
    response = client.post(reverse("orders:cancel", args=[order.reference]), follow=True)
    assert "ne peut plus être annulée" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.VALIDATED
