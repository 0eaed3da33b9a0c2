"""The guest's cart follows the customer through sign-up too, via the customer_signed_in hook
(accounts sits below the cart and does not import it)."""

import pytest
from django.urls import reverse

from allies.cart.models import Cart
from allies.cart.services import cart_merge
from allies.core.hooks import hook_receivers
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


def test_the_cart_listens_to_sign_ins_from_start_up():
    # covers: issue 8 §4
    assert cart_merge in hook_receivers("customer_signed_in")


def test_a_guest_who_signs_up_keeps_the_cart_filled_as_a_guest(client):
    # covers: CHK-1, ACC-1
    offer = OfferFactory(stock=5)
    client.post(reverse("cart:add"), {"offer": offer.pk, "quantity": 2})
    response = client.post(
        reverse("accounts:sign_up"),
        {
            "email": "nouveau@example.test",
            "password": "Velours-brun-2024!",
            "password_confirm": "Velours-brun-2024!",
        },
    )
    assert response.status_code == 302
    cart = Cart.objects.get(customer__email="nouveau@example.test")
    assert list(cart.lines.values_list("offer_id", "quantity")) == [(offer.pk, 2)]
    assert not Cart.objects.filter(customer=None).exists()
