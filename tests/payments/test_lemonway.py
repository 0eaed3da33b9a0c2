"""The LemonWay gateway against a local fake of the DirectKit JSON v2 API."""

from decimal import Decimal

import pytest
from django.urls import reverse

from allies.orders.models import Order
from allies.payments.models import Payment, PaymentNotification, Refund
from allies.payments.services import (
    PaymentStartError,
    payment_abandon,
    payment_refund,
    payment_start,
)
from tests.payments.conftest import events, return_urls, sell_the_last_unit
from tests.payments.fake_lemonway import API_PREFIX

pytestmark = pytest.mark.django_db

URLS = {
    "return_url": "https://allies.example/paiement/retour/",
    "error_url": "https://allies.example/paiement/erreur/",
    "cancel_url": "https://allies.example/paiement/annulation/",
}


def back(client, payment, outcome="return"):
    path = {"return": "payments:return", "error": "payments:error", "cancel": "payments:cancel"}
    return client.get(f"{reverse(path[outcome])}?response_wkToken={payment.reference}")


def notify(client, **fields):
    data = {"NotifCategory": "42", "ExtId": "ALLIES-SC", "IntId": "12", **fields}
    return client.post(reverse("payments:notification", kwargs={"gateway": "lemonway"}), data)


def test_webinit_sends_cents_reference_and_the_three_urls(lemonway, order):
    # covers: PAY-1
    started = payment_start(order=order, **URLS)
    (call,) = lemonway.calls("POST", "/v2/moneyins/card/webinit")
    assert call["path"] == API_PREFIX + "/v2/moneyins/card/webinit"
    assert call["json"] == {
        "accountId": "ALLIES-SC",
        "totalAmount": 12990,
        "commissionAmount": 0,
        "autoCommission": False,
        "registerCard": False,
        "captureDelayedDays": 0,
        "reference": order.reference,
        "comment": f"Commande {order.reference}",
        "returnUrl": URLS["return_url"],
        "errorUrl": URLS["error_url"],
        "cancelUrl": URLS["cancel_url"],
    }
    assert call["headers"]["authorization"] == "Bearer token-1"
    assert call["headers"]["psu-ip-address"] == "203.0.113.7"
    payment = started.payment
    assert payment.gateway == "lemonway" and payment.amount_cents == 12990
    assert payment.provider_transaction_id == "1001"
    assert started.redirect_url == (
        "https://sandbox-webkit.lemonway.fr/allies/dev/?moneyintoken="
        f"{payment.webkit_token}&lang=fr"
    )
    # Token fetched once with the Basic API key, then reused.
    (token_call,) = lemonway.calls("POST", "/oauth/token")
    assert token_call["raw"] == "grant_type=client_credentials"


def test_return_re_reads_the_transaction_and_validates_once(lemonway, order, client):
    # covers: PAY-1, CHK-7
    started = payment_start(order=order, **URLS)
    lemonway.pay(started.payment.provider_transaction_id)
    response = back(client, started.payment)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "checkout:payment_result", kwargs={"reference": order.reference}
    )
    (read,) = lemonway.calls("GET", "/v2/moneyins")
    assert read["query"] == {"transactionId": "1001"}
    order.refresh_from_db()
    assert order.status == Order.Status.VALIDATED
    back(client, started.payment)
    assert events(order, "payment_succeeded") == 1
    assert order.events.get(kind="payment_succeeded").data == {"payment": "1001"}
    assert len(lemonway.calls("POST", "/oauth/token")) == 1


def test_coming_back_on_the_return_url_while_lemonway_says_pending_validates_nothing(
    lemonway, order, client
):
    # covers: PAY-3
    started = payment_start(order=order, **URLS)
    back(client, started.payment, "return")
    payment = Payment.objects.get(pk=started.payment.pk)
    assert payment.status == "pending"
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT


@pytest.mark.parametrize(
    "status,ours,code",
    [
        ("6", "failed", "refused"),
        ("3", "failed", "provider_error"),
        ("7", "cancelled", "cancelled"),
    ],
)
def test_lemonway_failures_fail_the_attempt_and_the_order_can_be_paid_again(
    lemonway, order, client, status, ours, code
):
    # covers: PAY-1, issue 8 §5 (a retry pays the same order)
    started = payment_start(order=order, **URLS)
    lemonway.set_status(started.payment.provider_transaction_id, status)
    back(client, started.payment, "error")
    payment = Payment.objects.get(pk=started.payment.pk)
    assert (payment.status, payment.failure_code) == (ours, code)
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    again = payment_start(order=order, **URLS)
    assert again.payment.pk != payment.pk
    assert again.payment.reference == f"{order.reference}-2"


def test_notification_twice_is_verified_each_time_and_applied_once(lemonway, order, client):
    # covers: PAY-3
    started = payment_start(order=order, **URLS)
    lemonway.pay("1001")
    assert notify(client, IdTransaction="1001", Amount="129.90", Status="0").status_code == 200
    assert notify(client, IdTransaction="1001", Amount="129.90", Status="0").status_code == 200
    assert len(lemonway.calls("GET", "/v2/moneyins")) == 2  # each one re-read from the API
    assert list(PaymentNotification.objects.order_by("id").values_list("outcome", flat=True)) == [
        "applied",
        "duplicate",
    ]
    assert events(order, "payment_succeeded") == 1
    # The buyer's redirect afterwards only shows the result.
    assert back(client, started.payment).status_code == 302
    assert events(order, "payment_succeeded") == 1


def test_notification_that_the_api_contradicts_changes_nothing(lemonway, order, client):
    # covers: PAY-3
    started = payment_start(order=order, **URLS)
    # Claims success while LemonWay still says pending (status 4): forged or stale.
    notify(client, IdTransaction="1001", Amount="129.90", Status="0")
    lemonway.pay("1001")
    # Claims another amount than LemonWay's.
    notify(client, IdTransaction="1001", Amount="12.99", Status="0")
    outcomes = list(PaymentNotification.objects.order_by("id").values_list("outcome", "detail"))
    assert outcomes[0][0] == "mismatch" and "status succeeded vs pending" in outcomes[0][1]
    assert outcomes[1][0] == "mismatch" and "amount 1299 vs 12990" in outcomes[1][1]
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert Payment.objects.get(pk=started.payment.pk).status == "pending"


def test_a_transaction_crediting_another_wallet_is_a_mismatch(lemonway, order, client):
    # covers: PAY-3
    payment_start(order=order, **URLS)
    lemonway.transactions["1001"]["receiverAccountId"] = "SOMEONE-ELSE"
    lemonway.pay("1001")
    notify(client, IdTransaction="1001", Amount="129.90", Status="0")
    assert PaymentNotification.objects.get().outcome == "mismatch"
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT


def test_partial_refund_is_pending_then_confirmed_by_notification(lemonway, order, client):
    # covers: PAY-1, PAY-3
    started = payment_start(order=order, **URLS)
    lemonway.pay("1001")
    back(client, started.payment)
    payment = Payment.objects.get(pk=started.payment.pk)
    lemonway.refund_status = "4"  # card refunds are asynchronous
    refund = payment_refund(payment=payment, amount=Decimal("29.90"), reason="Retour d'un article")
    (call,) = lemonway.calls("PUT", "/v2/refund/")
    assert call["path"] == API_PREFIX + "/v2/refund/1001"
    assert call["json"] == {"amountToRefund": 2990, "comment": "Retour d'un article"}
    assert refund.status == "pending" and refund.provider_refund_id
    # Pending refunds count: no over-refund while waiting.
    from allies.payments.services import RefundError

    with pytest.raises(RefundError):
        payment_refund(payment=payment, amount=Decimal("100.01"), reason="Trop")
    lemonway.complete_refund(refund.provider_refund_id)
    notify(client, IdTransaction=refund.provider_refund_id, Amount="29.90", Status="0")
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert PaymentNotification.objects.get().refund_id == refund.pk
    # A second, immediate refund of the rest.
    lemonway.refund_status = "0"
    rest = payment_refund(payment=payment, amount=Decimal("100.00"), reason="Le reste")
    assert rest.status == "succeeded"
    assert [c["json"]["amountToRefund"] for c in lemonway.calls("PUT", "/v2/refund/")] == [
        2990,
        10000,
    ]


def test_refund_refused_by_lemonway_is_failed_and_frees_the_amount(lemonway, order, client):
    # covers: PAY-1
    started = payment_start(order=order, **URLS)
    lemonway.pay("1001")
    back(client, started.payment)
    payment = Payment.objects.get(pk=started.payment.pk)
    lemonway.fail_next("/v2/refund/", "error")
    refused = payment_refund(payment=payment, amount=Decimal("129.90"), reason="Annulation")
    assert refused.status == "failed" and "221" in refused.failure_message
    again = payment_refund(payment=payment, amount=Decimal("129.90"), reason="Annulation")
    assert again.status == "succeeded"


def test_refund_timeout_stays_pending_and_is_not_retried(lemonway, order, client):
    # covers: PAY-1
    started = payment_start(order=order, **URLS)
    lemonway.pay("1001")
    back(client, started.payment)
    payment = Payment.objects.get(pk=started.payment.pk)
    lemonway.fail_next("/v2/refund/", "timeout")
    refund = payment_refund(
        payment=payment, amount=Decimal("129.90"), reason="Annulation", idempotency_key="k1"
    )
    assert refund.status == "pending"  # it may have been executed: never refund twice
    assert (
        payment_refund(
            payment=payment, amount=Decimal("129.90"), reason="Annulation", idempotency_key="k1"
        ).pk
        == refund.pk
    )
    assert len(lemonway.calls("PUT", "/v2/refund/")) == 1


@pytest.mark.parametrize("mode", ["timeout", "500"])
def test_webinit_failure_is_a_clean_try_again(lemonway, order, mode):
    # covers: PAY-1
    lemonway.fail_next("/v2/moneyins/card/webinit", mode)
    with pytest.raises(PaymentStartError) as error:
        payment_start(order=order, **URLS)
    assert "réessayer" in error.value.message
    failed = Payment.objects.get()
    assert (failed.status, failed.failure_code) == ("failed", "provider_error")
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT  # stock still held, nothing charged
    retry = payment_start(order=order, **URLS)
    assert retry.payment.status == "pending" and retry.payment.reference == f"{order.reference}-2"


@pytest.mark.parametrize("mode", ["timeout", "500"])
def test_status_unavailable_on_return_keeps_the_payment_pending(lemonway, order, client, mode):
    # covers: PAY-3
    started = payment_start(order=order, **URLS)
    lemonway.pay("1001")
    lemonway.fail_next("/v2/moneyins", mode)
    response = back(client, started.payment)
    assert response.status_code == 302
    payment = Payment.objects.get(pk=started.payment.pk)
    assert payment.status == "pending"
    assert "en cours de vérification" in payment.customer_message
    back(client, started.payment)  # later visit, provider back: settled
    order.refresh_from_db()
    assert order.status == Order.Status.VALIDATED


def test_notification_while_lemonway_is_down_asks_for_a_retry(lemonway, order, client):
    # covers: PAY-3
    payment_start(order=order, **URLS)
    lemonway.pay("1001")
    lemonway.fail_next("/v2/moneyins", "500")
    assert notify(client, IdTransaction="1001", Amount="129.90", Status="0").status_code == 503
    assert PaymentNotification.objects.get().outcome == "error"
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert notify(client, IdTransaction="1001", Amount="129.90", Status="0").status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.VALIDATED


def test_abandon_then_late_success_without_stock_is_refunded(lemonway, order, client):
    # covers: CHK-8, PAY-3
    started = payment_start(order=order, **URLS)
    payment = payment_abandon(payment=started.payment)  # LemonWay still says pending
    assert (payment.status, payment.failure_code) == ("failed", "abandoned")
    order.refresh_from_db()
    assert order.status == Order.Status.PAYMENT_FAILED
    sell_the_last_unit(order)
    lemonway.pay("1001")
    notify(client, IdTransaction="1001", Amount="129.90", Status="0")
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("succeeded", "order_closed")
    refund = Refund.objects.get()
    assert refund.amount_cents == 12990 and refund.status == "succeeded"
    (call,) = lemonway.calls("PUT", "/v2/refund/")
    assert call["json"]["amountToRefund"] == 12990
    order.refresh_from_db()
    assert order.status == Order.Status.PAYMENT_FAILED


def test_static_access_token_skips_oauth(lemonway, settings, order):
    # covers: PAY-1
    settings.LEMONWAY_ACCESS_TOKEN = "token-static"
    lemonway.tokens_issued.append("token-static")
    payment_start(order=order, **URLS)
    assert lemonway.calls("POST", "/oauth/token") == []
    (call,) = lemonway.calls("POST", "/v2/moneyins/card/webinit")
    assert call["headers"]["authorization"] == "Bearer token-static"


def test_default_return_urls_are_absolute(rf, settings):
    # covers: PAY-1
    from allies.payments.services import payment_return_urls

    settings.SITE_URL = "https://www.allies.test"
    urls = payment_return_urls()
    assert urls.return_url == "https://www.allies.test/paiement/retour/"
    assert urls.error_url == "https://www.allies.test/paiement/erreur/"
    assert urls.cancel_url == "https://www.allies.test/paiement/annulation/"
    request = rf.get("/", HTTP_HOST="127.0.0.1:8125")
    assert (
        payment_return_urls(request=request).return_url == "http://127.0.0.1:8125/paiement/retour/"
    )
    assert return_urls()["return_url"] == "/paiement/retour/"
