""" "Mes achats" names each item with its size and colour, as the order page does (ACC-8)."""

import pytest
from django.urls import reverse

from tests.orders.conftest import buy

pytestmark = pytest.mark.django_db


def test_purchases_list_each_item_with_its_variant(client, market, django_assert_max_num_queries):
    # covers: ACC-8, issue 8 §5
    buy(market, [(market["shirt"], 2), (market["wallet"], 1)])
    client.force_login(market["customer"])
    with django_assert_max_num_queries(20):
        body = client.get(reverse("orders:purchases")).content.decode()
    variant = market["shirt"].variant
    assert variant.label == "M · Bleu"
    assert '2 × Chemise Oxford bleue <span class="muted">(M · Bleu)</span>' in body
    assert '1 × Portefeuille en cuir <span class="muted">(M · Bleu)</span>' in body
