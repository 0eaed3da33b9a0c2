"""The sandbox card page end to end, through the Django test client: start → card form →
3-D Secure when asked → back on the return/error/cancel URL → order validated or failed."""

from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation

from allies.orders.models import Order, VendorOrder
from allies.payments.models import Payment, SandboxCheckout, SandboxTransaction
from allies.payments.services import PaymentStateError, payment_start
from tests.payments.conftest import events, return_urls

pytestmark = pytest.mark.django_db

FUTURE = "12/30"


def start(order):
    return payment_start(order=order, **return_urls())


def post_card(client, started, number, *, expiry=FUTURE, cvc="123", holder="Jean Martin"):
    return client.post(
        started.redirect_url,
        {"card_number": number, "expiry": expiry, "cvc": cvc, "holder": holder},
    )


def come_back(client, response):
    """Follow the bank's redirect to our return URL; return checkout's result redirect."""
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/paiement/")
    assert "response_wkToken=" in location
    back = client.get(location)
    assert back.status_code == 302
    return back


def result_url(order):
    return reverse("checkout:payment_result", kwargs={"reference": order.reference})


def payment_of(order) -> Payment:
    return Payment.objects.get(order=order)


def assert_validated(order):
    order.refresh_from_db()
    assert order.status == Order.Status.VALIDATED
    assert order.validated_at is not None
    assert set(order.vendor_orders.values_list("status", flat=True)) == {
        VendorOrder.Status.WAITING_ACCEPTANCE
    }
    assert events(order, "payment_succeeded") == 1


def assert_attempt_failed(order, reason):
    """The attempt failed with `reason`; the order still awaits payment (a retry pays it,
    issue 8 §5) until its hold ends."""
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert set(order.vendor_orders.values_list("status", flat=True)) == {
        VendorOrder.Status.AWAITING_PAYMENT
    }
    assert events(order, "payment_failed") == 0
    assert order.payments.order_by("-id").first().failure_code == reason


@pytest.mark.parametrize(
    "number,brand",
    [("4111 1111 1111 1111", "Visa"), ("5555 5555 5555 4444", "MasterCard")],
)
def test_frictionless_cards_pay_and_validate_the_order(customer_client, order, number, brand):
    # covers: CHK-7
    started = start(order)
    page = customer_client.get(started.redirect_url)
    assert page.status_code == 200
    html = unescape(page.content.decode())
    for label in (
        "Numéro de carte",
        "Expiration",
        "MM/AA",
        "Cryptogramme",
        "Nom du titulaire",
        "Paiement sécurisé",
        "129,90",
    ):
        assert label in html
    response = post_card(customer_client, started, number)
    assert response["Location"].startswith(reverse("payments:return"))
    back = come_back(customer_client, response)
    assert back["Location"] == result_url(order)
    payment = payment_of(order)
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.amount == Decimal("129.90") and payment.amount_cents == 12990
    assert payment.provider_transaction_id.startswith("SBX-")
    tx = SandboxTransaction.objects.get(checkout__reference=payment.reference)
    assert (tx.brand, tx.last4, tx.status) == (brand, number[-4:], "succeeded")
    assert_validated(order)
    with translation.override("fr"):
        assert "Paiement accepté" in payment.customer_message


@pytest.mark.parametrize("number", ["4000 0000 0000 3220", "5200 8282 8282 8210"])
def test_3ds_cards_ask_a_code_and_123456_then_valider_pays(customer_client, order, number):
    # covers: CHK-7
    started = start(order)
    response = post_card(customer_client, started, number)
    challenge_url = reverse(
        "payments:sandbox_challenge", kwargs={"token": started.payment.webkit_token}
    )
    assert response["Location"] == challenge_url
    # Not paid while the code is awaited: the bank says pending.
    assert payment_of(order).status == Payment.Status.PENDING
    page = customer_client.get(challenge_url)
    html = unescape(page.content.decode())
    assert "Authentification 3-D Secure" in html
    assert "Valider" in html and "Annuler" in html and number[-4:] in html
    response = customer_client.post(challenge_url, {"code": "123456", "action": "validate"})
    assert response["Location"].startswith(reverse("payments:return"))
    come_back(customer_client, response)
    assert payment_of(order).status == Payment.Status.SUCCEEDED
    assert_validated(order)


def test_3ds_wrong_code_fails_the_payment(customer_client, order):
    # covers: CHK-7
    started = start(order)
    post_card(customer_client, started, "4000000000003220")
    challenge_url = reverse(
        "payments:sandbox_challenge", kwargs={"token": started.payment.webkit_token}
    )
    response = customer_client.post(challenge_url, {"code": "654321", "action": "validate"})
    assert response["Location"].startswith(reverse("payments:error"))
    come_back(customer_client, response)
    payment = payment_of(order)
    assert (payment.status, payment.failure_code) == ("failed", "authentication_failed")
    assert "3-D Secure" in payment.failure_message
    assert_attempt_failed(order, "authentication_failed")


def test_3ds_annuler_cancels_the_payment(customer_client, order):
    # covers: CHK-7
    started = start(order)
    post_card(customer_client, started, "5200828282828210")
    challenge_url = reverse(
        "payments:sandbox_challenge", kwargs={"token": started.payment.webkit_token}
    )
    response = customer_client.post(challenge_url, {"code": "123456", "action": "cancel"})
    assert response["Location"].startswith(reverse("payments:cancel"))
    come_back(customer_client, response)
    payment = payment_of(order)
    assert (payment.status, payment.failure_code) == ("cancelled", "cancelled")
    with translation.override("fr"):
        assert "Vous avez annulé le paiement" in payment.customer_message
    assert_attempt_failed(order, "cancelled")


@pytest.mark.parametrize(
    "number,code,words",
    [
        ("4000 0000 0000 0002", "refused", "Votre banque a refusé le paiement"),
        ("4000 0000 0000 9995", "insufficient_funds", "provision suffisante"),
        ("4000 0000 0000 0069", "expired_card", "cette carte est expirée"),
        ("4000 0000 0000 0119", "provider_error", "réessayer dans quelques instants"),
    ],
)
def test_declined_cards_fail_with_a_clear_message(customer_client, order, number, code, words):
    # covers: CHK-7
    started = start(order)
    response = post_card(customer_client, started, number)
    assert response["Location"].startswith(reverse("payments:error"))
    back = come_back(customer_client, response)
    assert back["Location"] == result_url(order)
    payment = payment_of(order)
    assert (payment.status, payment.failure_code) == ("failed", code)
    with translation.override("fr"):
        assert words in payment.customer_message
        assert "Aucun montant n'a été débité" in payment.customer_message
    assert words in payment.failure_message  # kept in French on the row for the audit trail
    assert_attempt_failed(order, code)


@pytest.mark.parametrize(
    "fields,error",
    [
        ({"card_number": "4111 1111 1111 1112"}, "Ce numéro de carte n'est pas valide"),
        ({"expiry": "01/20"}, "Cette date d'expiration est dépassée"),
        ({"expiry": "13/30"}, "format MM/AA"),
        ({"card_number": "3782 822463 10005"}, "Seules les cartes Visa et MasterCard"),
        ({"cvc": "12"}, "3 chiffres du cryptogramme"),
        ({"holder": " "}, "obligatoire"),
    ],
)
def test_form_errors_send_nothing_and_record_no_transaction(customer_client, order, fields, error):
    # covers: CHK-7
    started = start(order)
    data = {"card_number": "4111111111111111", "expiry": FUTURE, "cvc": "123", "holder": "J M"}
    data.update(fields)
    with translation.override("fr"):
        response = customer_client.post(started.redirect_url, data, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert error in unescape(response.content.decode())
    assert not SandboxTransaction.objects.exists()
    assert SandboxCheckout.objects.get().status == "open"
    payment = payment_of(order)
    assert payment.status == Payment.Status.PENDING and payment.provider_transaction_id == ""
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    # The customer can still pay after correcting.
    come_back(customer_client, post_card(customer_client, started, "4111111111111111"))
    assert_validated(order)


def test_annuler_on_the_card_page_cancels_without_a_transaction(customer_client, order):
    # covers: CHK-7
    started = start(order)
    response = customer_client.post(started.redirect_url, {"cancel": "1"})
    assert response["Location"].startswith(reverse("payments:cancel"))
    come_back(customer_client, response)
    assert not SandboxTransaction.objects.exists()
    assert payment_of(order).status == Payment.Status.CANCELLED
    assert_attempt_failed(order, "cancelled")


def test_starting_twice_gives_the_same_payment_page(customer_client, order):
    # covers: PAY-3
    first, second = start(order), start(order)
    assert first.payment.pk == second.payment.pk
    assert first.redirect_url == second.redirect_url
    assert Payment.objects.count() == 1 and SandboxCheckout.objects.count() == 1
    assert first.payment.reference == order.reference


def test_a_paid_order_cannot_start_another_payment(customer_client, order):
    # covers: PAY-3
    started = start(order)
    come_back(customer_client, post_card(customer_client, started, "4111111111111111"))
    with pytest.raises(PaymentStateError):
        start(order)
    assert Payment.objects.count() == 1


def test_after_payment_the_card_page_cannot_pay_again(customer_client, order):
    # covers: PAY-3
    started = start(order)
    come_back(customer_client, post_card(customer_client, started, "4111111111111111"))
    again = customer_client.get(started.redirect_url)
    assert again.status_code == 302 and "response_wkToken=" in again["Location"]
    second = post_card(customer_client, started, "5555555555554444")
    assert second.status_code == 302
    assert SandboxTransaction.objects.count() == 1
    customer_client.get(second["Location"])
    assert events(order, "payment_succeeded") == 1


def test_coming_back_twice_settles_once(customer_client, order):
    # covers: PAY-3
    started = start(order)
    response = post_card(customer_client, started, "4111111111111111")
    come_back(customer_client, response)
    come_back(customer_client, response)
    assert_validated(order)


def test_messages_are_translated_to_english(customer_client, order):
    # covers: SITE-4
    started = start(order)
    come_back(customer_client, post_card(customer_client, started, "4000000000000002"))
    payment = payment_of(order)
    with translation.override("en"):
        english = payment.customer_message
    with translation.override("fr"):
        french = payment.customer_message
    assert "Votre banque" in french
    # Until the English catalogue has these strings, English falls back to the French source.
    assert english


def test_the_return_url_decides_nothing_by_itself(customer_client, order):
    # covers: PAY-3
    started = start(order)
    forged = f"{reverse('payments:return')}?response_wkToken={started.payment.reference}"
    response = customer_client.get(forged)  # no card was ever sent
    assert response.status_code == 302
    assert payment_of(order).status == Payment.Status.PENDING
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT


def test_payment_pages_do_a_bounded_number_of_queries(
    customer_client, order, django_assert_max_num_queries
):
    # covers: CHK-7
    started = start(order)
    with django_assert_max_num_queries(8):
        assert customer_client.get(started.redirect_url).status_code == 200
    with django_assert_max_num_queries(14):
        response = post_card(customer_client, started, "4111111111111111")
    # Settling validates the order, transitions each vendor order, writes the ledger and
    # the confirmation email (outbox): bounded whatever the catalogue's size.
    with django_assert_max_num_queries(50):
        come_back(customer_client, response)
