"""Who may see a payment page: the sandbox pages only with their token and only for the
order's customer; the result page only for the order's customer."""

import pytest
from django.urls import reverse

from allies.payments.models import SandboxTransaction
from allies.payments.services import payment_start
from tests.factories import UserFactory
from tests.payments.conftest import return_urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(order):
    return payment_start(order=order, **return_urls())


def challenge_url(started):
    return reverse("payments:sandbox_challenge", kwargs={"token": started.payment.webkit_token})


def test_the_card_page_needs_its_exact_token(customer_client, started):
    # covers: CHK-7
    assert customer_client.get(started.redirect_url).status_code == 200
    wrong = reverse("payments:sandbox_card", kwargs={"token": "x" * 43})
    assert customer_client.get(wrong).status_code == 404
    by_reference = reverse("payments:sandbox_card", kwargs={"token": started.payment.reference})
    assert customer_client.get(by_reference).status_code == 404
    assert len(started.payment.webkit_token) >= 40  # unguessable


def test_another_customer_never_sees_nor_uses_the_payment_pages(client, customer, started):
    # covers: CHK-7
    client.force_login(UserFactory())
    assert client.get(started.redirect_url).status_code == 403
    data = {"card_number": "4000000000003220", "expiry": "12/30", "cvc": "123", "holder": "X"}
    assert client.post(started.redirect_url, data).status_code == 403
    assert not SandboxTransaction.objects.exists()
    # Once the customer reached 3-D Secure, the stranger still cannot answer it.
    client.force_login(customer)
    client.post(started.redirect_url, data)
    client.force_login(UserFactory())
    assert client.get(challenge_url(started)).status_code == 403
    response = client.post(challenge_url(started), {"code": "123456", "action": "validate"})
    assert response.status_code == 403
    assert SandboxTransaction.objects.get().status == "challenge"


def test_an_anonymous_visitor_is_sent_to_log_in(client, started):
    # covers: CHK-7
    response = client.get(started.redirect_url)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    assert client.get(challenge_url(started)).status_code == 302


def test_unknown_return_token_is_a_404(client):
    # covers: PAY-3
    assert (
        client.get(reverse("payments:return") + "?response_wkToken=AL-2099-999999").status_code
        == 404
    )
    assert client.get(reverse("payments:return")).status_code == 404
