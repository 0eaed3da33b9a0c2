"""Provider notifications (sandbox gateway, LemonWay-shaped bodies): verified by re-reading
the provider, idempotent, never trusted alone; abandoned payments; late successes."""

import json

import pytest
from django.urls import reverse

from allies.orders.models import Order
from allies.payments.models import Payment, PaymentNotification, Refund, SandboxTransaction
from allies.payments.services import payment_abandon, payment_start
from tests.payments.conftest import events, return_urls, sell_the_last_unit

pytestmark = pytest.mark.django_db


def notify(client, gateway="sandbox", **fields):
    data = {
        "NotifCategory": "42",
        "NotifDate": "2026-11-26T10:00:00.000",
        "ExtId": "ALLIES-SC",
        "IntId": "12",
        **fields,
    }
    return client.post(reverse("payments:notification", kwargs={"gateway": gateway}), data)


def pay_at_bank_without_coming_back(client, order, number="4111111111111111"):
    """The buyer paid on the bank page but never reached our return URL (closed the tab)."""
    started = payment_start(order=order, **return_urls())
    response = client.post(
        started.redirect_url,
        {"card_number": number, "expiry": "12/30", "cvc": "123", "holder": "Jean Martin"},
    )
    assert response.status_code == 302
    tx = SandboxTransaction.objects.get(checkout__reference=started.payment.reference)
    return started.payment, tx, response["Location"]


def test_notification_before_the_redirect_settles_and_the_redirect_just_shows(
    customer_client, order, client
):
    # covers: PAY-3
    payment, tx, return_location = pay_at_bank_without_coming_back(customer_client, order)
    response = notify(client, IdTransaction=tx.provider_id, Amount="129.90", Status="0")
    assert response.status_code == 200
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == "succeeded" and order.status == Order.Status.VALIDATED
    note = PaymentNotification.objects.get()
    assert (note.outcome, note.payment_id, note.provider_transaction_id) == (
        "applied",
        payment.pk,
        tx.provider_id,
    )
    assert note.payload["IdTransaction"] == tx.provider_id
    back = customer_client.get(return_location)
    assert back.status_code == 302
    assert events(order, "payment_succeeded") == 1


def test_the_same_notification_twice_changes_nothing_the_second_time(
    customer_client, order, client
):
    # covers: PAY-3
    payment, tx, _ = pay_at_bank_without_coming_back(customer_client, order)
    for _ in range(2):
        assert (
            notify(client, IdTransaction=tx.provider_id, Amount="129.90", Status="0").status_code
            == 200
        )
    assert list(PaymentNotification.objects.order_by("id").values_list("outcome", flat=True)) == [
        "applied",
        "duplicate",
    ]
    assert events(order, "payment_succeeded") == 1
    order.refresh_from_db()
    validated_at = order.validated_at
    notify(client, IdTransaction=tx.provider_id, Amount="129.90", Status="0")
    order.refresh_from_db()
    assert order.validated_at == validated_at


def test_a_notification_claiming_success_for_a_refused_card_is_recorded_and_ignored(
    customer_client, order, client
):
    # covers: PAY-3
    payment, tx, _ = pay_at_bank_without_coming_back(customer_client, order, "4000000000000002")
    response = notify(client, IdTransaction=tx.provider_id, Amount="129.90", Status="0")
    assert response.status_code == 200
    note = PaymentNotification.objects.get()
    assert note.outcome == "mismatch" and "status succeeded vs failed" in note.detail
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == "pending"
    assert order.status == Order.Status.AWAITING_PAYMENT


def test_a_notification_with_another_amount_does_not_validate_the_order(
    customer_client, order, client
):
    # covers: PAY-3
    payment, tx, _ = pay_at_bank_without_coming_back(customer_client, order)
    notify(client, IdTransaction=tx.provider_id, Amount="1.00", Status="0")
    note = PaymentNotification.objects.get()
    assert note.outcome == "mismatch" and "amount 100 vs 12990" in note.detail
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    # The genuine one, later, is applied.
    notify(client, IdTransaction=tx.provider_id, Amount="129.90", Status="0")
    order.refresh_from_db()
    assert order.status == Order.Status.VALIDATED


def test_a_refusal_notification_fails_the_attempt_once(customer_client, order, client):
    # covers: PAY-3, issue 8 §5 (the order waits for another attempt until its hold ends)
    payment, tx, _ = pay_at_bank_without_coming_back(customer_client, order, "4000000000009995")
    notify(client, IdTransaction=tx.provider_id, Amount="129.90", Status="6")
    notify(client, IdTransaction=tx.provider_id, Amount="129.90", Status="6")
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("failed", "insufficient_funds")
    assert list(PaymentNotification.objects.values_list("outcome", flat=True)) == [
        "duplicate",
        "applied",
    ]
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert events(order, "payment_failed") == 0


def test_json_notifications_are_read_too(customer_client, order, client):
    # covers: PAY-3
    payment, tx, _ = pay_at_bank_without_coming_back(customer_client, order)
    body = {
        "NotifCategory": "42",
        "IdTransaction": tx.provider_id,
        "Amount": "129.90",
        "Status": "0",
    }
    response = client.post(
        reverse("payments:notification", kwargs={"gateway": "sandbox"}),
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.VALIDATED


def test_unknown_unreadable_and_foreign_notifications_are_recorded_only(client, order):
    # covers: PAY-3
    notify(client, IdTransaction="SBX-99999999", Amount="10.00", Status="0")
    notify(client, Amount="10.00", Status="0")
    assert list(PaymentNotification.objects.order_by("id").values_list("outcome", flat=True)) == [
        "unknown",
        "invalid",
    ]
    assert notify(client, gateway="paypal", IdTransaction="1").status_code == 404
    assert (
        client.get(reverse("payments:notification", kwargs={"gateway": "sandbox"})).status_code
        == 405
    )
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT


def test_abandoning_an_unpaid_payment_fails_it_and_closes_the_bank_page(customer_client, order):
    # covers: CHK-8
    started = payment_start(order=order, **return_urls())
    payment = payment_abandon(payment=started.payment)
    assert (payment.status, payment.failure_code) == ("failed", "abandoned")
    order.refresh_from_db()
    assert order.status == Order.Status.PAYMENT_FAILED
    assert order.events.get(kind="payment_failed").data == {"reason": "abandoned"}
    # The bank page no longer takes a card.
    response = customer_client.post(
        started.redirect_url,
        {"card_number": "4111111111111111", "expiry": "12/30", "cvc": "123", "holder": "J"},
    )
    assert response.status_code == 302 and reverse("payments:error") in response["Location"]
    assert not SandboxTransaction.objects.exists()
    assert payment_abandon(payment=payment).status == "failed"  # twice: no change
    assert events(order, "payment_failed") == 1


def test_abandon_of_a_payment_that_went_through_validates_instead(customer_client, order):
    # covers: CHK-8
    payment, tx, _ = pay_at_bank_without_coming_back(customer_client, order)
    payment = payment_abandon(payment=payment)
    assert payment.status == "succeeded"
    order.refresh_from_db()
    assert order.status == Order.Status.VALIDATED


def test_abandon_during_3ds_fails_the_challenge(customer_client, order):
    # covers: CHK-8
    payment, tx, challenge = pay_at_bank_without_coming_back(
        customer_client, order, "4000000000003220"
    )
    payment_abandon(payment=payment)
    response = customer_client.post(challenge, {"code": "123456", "action": "validate"})
    assert response.status_code == 302
    tx.refresh_from_db()
    assert (tx.status, tx.failure_code) == ("failed", "abandoned")
    order.refresh_from_db()
    assert order.status == Order.Status.PAYMENT_FAILED


def test_a_success_after_abandon_validates_the_order_if_the_stock_is_still_there(
    customer_client, order, client
):
    # covers: PAY-3, CHK-8
    payment, tx, _ = pay_at_bank_without_coming_back(customer_client, order, "4000000000003220")
    payment_abandon(payment=payment)  # the hold lapsed while the buyer was on 3-D Secure
    order.refresh_from_db()
    assert order.status == Order.Status.PAYMENT_FAILED
    SandboxTransaction.objects.filter(pk=tx.pk).update(status="succeeded", failure_code="")
    notify(client, IdTransaction=tx.provider_id, Amount="129.90", Status="0")
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("succeeded", "")
    order.refresh_from_db()
    assert order.status == Order.Status.VALIDATED
    assert not Refund.objects.exists()


def test_a_success_after_the_stock_was_sold_again_is_refunded_in_full(
    customer_client, order, client
):
    # covers: PAY-3, CHK-8
    payment, tx, _ = pay_at_bank_without_coming_back(customer_client, order, "4000000000003220")
    payment_abandon(payment=payment)  # the hold lapsed while the buyer was on 3-D Secure
    order.refresh_from_db()
    assert order.status == Order.Status.PAYMENT_FAILED
    sell_the_last_unit(order)
    # The bank accepted after all (a provider may report it late).
    SandboxTransaction.objects.filter(pk=tx.pk).update(status="succeeded", failure_code="")
    notify(client, IdTransaction=tx.provider_id, Amount="129.90", Status="0")
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("succeeded", "order_closed")
    assert "remboursé" in payment.customer_message
    refund = Refund.objects.get(payment=payment)
    assert (refund.amount_cents, refund.status) == (12990, "succeeded")
    tx.refresh_from_db()
    assert tx.refunded_cents == 12990
    order.refresh_from_db()
    assert order.status == Order.Status.PAYMENT_FAILED
    notify(client, IdTransaction=tx.provider_id, Amount="129.90", Status="0")
    assert Refund.objects.count() == 1


def test_only_one_live_payment_per_order_in_the_database(order):
    # covers: PAY-3
    from django.db import IntegrityError, transaction

    started = payment_start(order=order, **return_urls())
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            order=order,
            gateway="sandbox",
            amount=started.payment.amount,
            amount_cents=started.payment.amount_cents,
            reference=order.reference + "-bis",
            return_url="/",
            error_url="/",
            cancel_url="/",
        )
