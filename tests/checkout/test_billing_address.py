"""The billing address (CHK-6, INV-4, ACC-9): checkout preselects the address book's billing
address, may bill elsewhere, and the order keeps a frozen copy of both addresses."""

import pytest
from django.urls import reverse

from allies.accounts.models import Address
from allies.accounts.services import address_save
from allies.checkout.services import CheckoutChoices, order_place
from allies.orders.models import Order
from tests.checkout.test_checkout_flow import add, login, pay_with
from tests.factories import AddressFactory

pytestmark = pytest.mark.django_db

LYON = {
    "recipient": "Luc Santoni",
    "company": "Santoni Conseil",
    "street": "8 quai Saint-Antoine",
    "street_extra": "",
    "postcode": "69002",
    "city": "Lyon",
    "country": "FR",
    "phone": "0478000000",
}


@pytest.fixture
def lyon(shop):
    """Like the demo customer: delivered in one place, billed in Lyon."""
    return AddressFactory(user=shop["customer"], kind=Address.Kind.BILLING, **LYON)


def _to_billing(client, shop):
    data = {"action": "choose_modes"}
    data.update({f"mode_{v.pk}": "home" for v in shop["vendors"]})
    client.get(reverse("checkout:delivery"))
    response = client.post(reverse("checkout:delivery"), data)
    assert response.url == reverse("checkout:billing")
    return client.get(reverse("checkout:billing"))


def _billing_form(page) -> dict:
    form = page.context["form"]
    return {f"billing-{name}": form[name].value() or "" for name in form.fields}


def test_checkout_preselects_the_saved_billing_address_and_the_order_keeps_it(client, shop, lyon):
    # covers: CHK-6, INV-4, ACC-9
    login(client, shop["customer"])
    add(client, shop["offers"]["wallet"])
    page = _to_billing(client, shop)
    assert page.context["same_form"]["same"].value() is False
    assert page.context["form"]["city"].value() == "Lyon"
    response = client.post(reverse("checkout:billing"), _billing_form(page))
    assert response.url == reverse("checkout:review")
    review = client.get(reverse("checkout:review"))
    assert review.context["billing_address"].city == "Lyon"
    card_url = client.post(reverse("checkout:pay")).url
    pay_with(client, card_url, "4111 1111 1111 1111")
    order = Order.objects.get()
    assert order.status == Order.Status.VALIDATED
    assert order.billing_address["city"] == "Lyon"
    assert order.billing_address["company"] == "Santoni Conseil"
    assert order.delivery_address["city"] == "Ajaccio"

    # The address book changes afterwards: the order (and its invoices) keep the copies.
    address_save(
        user=shop["customer"], kind=Address.Kind.BILLING, address=lyon,
        **{**LYON, "city": "Villeurbanne", "postcode": "69100"},
    )  # fmt: skip
    address_save(
        user=shop["customer"], kind=Address.Kind.DELIVERY, address=shop["address"],
        **{**LYON, "street": "1 place Foch", "postcode": "20000", "city": "Ajaccio-Centre"},
    )  # fmt: skip
    order.refresh_from_db()
    assert order.billing_address["city"] == "Lyon"
    assert order.delivery_address["street"] == "3 cours Napoléon"
    detail = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert "69002 Lyon" in detail and "Villeurbanne" not in detail


def test_the_customer_may_bill_to_the_delivery_address_instead(client, shop, lyon):
    # covers: CHK-6
    login(client, shop["customer"])
    add(client, shop["offers"]["wallet"])
    _to_billing(client, shop)
    client.post(reverse("checkout:billing"), {"same": "on"})
    assert client.get(reverse("checkout:review")).context["billing_address"].city == "Ajaccio"
    client.post(reverse("checkout:pay"))
    order = Order.objects.get()
    assert order.billing_address == order.delivery_address


def test_a_different_billing_address_typed_at_checkout_is_billed(client, shop):
    # covers: CHK-6
    login(client, shop["customer"])
    add(client, shop["offers"]["wallet"])
    page = _to_billing(client, shop)
    assert page.context["same_form"]["same"].value() is True  # no billing address saved yet
    data = {f"billing-{k}": v for k, v in LYON.items()}
    assert client.post(reverse("checkout:billing"), data).url == reverse("checkout:review")
    client.post(reverse("checkout:pay"))
    assert Order.objects.get().billing_address["city"] == "Lyon"


def test_an_order_placed_without_a_billing_choice_bills_the_saved_billing_address(shop, lyon):
    # covers: CHK-6, ACC-9 (the demo customer's orders are placed this way)
    from allies.cart.models import Cart, CartLine

    wallet = shop["offers"]["wallet"]
    cart = Cart.objects.create(customer=shop["customer"])
    CartLine.objects.create(cart=cart, offer=wallet, quantity=1, price_when_added=wallet.price)
    order = order_place(
        customer=shop["customer"],
        cart=cart,
        choices=CheckoutChoices(
            delivery_address_id=shop["address"].pk, modes={wallet.vendor_id: "home"}
        ),
    )
    assert order.billing_address["city"] == "Lyon"
    assert order.delivery_address["city"] == "Ajaccio"
