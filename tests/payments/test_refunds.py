"""Refunds (rows, never edits; never more than paid; idempotent) and vendor transfers (sandbox)."""

from decimal import Decimal

import pytest

from allies.payments.models import Payment, Refund, SandboxTransaction
from allies.payments.services import (
    RefundError,
    payment_refund,
    payment_start,
)
from tests.payments.conftest import return_urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(customer_client, order) -> Payment:
    started = payment_start(order=order, **return_urls())
    response = customer_client.post(
        started.redirect_url,
        {"card_number": "4111111111111111", "expiry": "12/30", "cvc": "123", "holder": "J M"},
    )
    customer_client.get(response["Location"])
    payment = Payment.objects.get(pk=started.payment.pk)
    assert payment.status == "succeeded"
    return payment


def bank_refunded(payment) -> int:
    return SandboxTransaction.objects.get(checkout__reference=payment.reference).refunded_cents


def test_partial_refunds_add_up_to_the_paid_amount_and_no_more(paid):
    # covers: PAY-1
    first = payment_refund(payment=paid, amount=Decimal("30.00"), reason="Article retourné")
    second = payment_refund(payment=paid, amount=Decimal("49.90"), reason="Frais de port")
    assert (first.status, second.status) == ("succeeded", "succeeded")
    assert first.provider_refund_id != second.provider_refund_id
    assert bank_refunded(paid) == 7990
    with pytest.raises(RefundError):
        payment_refund(payment=paid, amount=Decimal("50.01"), reason="Trop")
    assert Refund.objects.count() == 2
    last = payment_refund(payment=paid, amount=Decimal("50.00"), reason="Le reste")
    assert last.status == "succeeded" and bank_refunded(paid) == 12990
    with pytest.raises(RefundError):
        payment_refund(payment=paid, amount=Decimal("0.01"), reason="Encore")
    paid.refresh_from_db()
    assert paid.amount == Decimal("129.90")  # the paid amount is never edited
    assert paid.status == "succeeded"


def test_the_same_key_never_refunds_twice(paid):
    # covers: PAY-1
    one = payment_refund(
        payment=paid, amount=Decimal("10"), reason="Retour", idempotency_key="return-7"
    )
    two = payment_refund(
        payment=paid, amount=Decimal("10"), reason="Retour", idempotency_key="return-7"
    )
    assert one.pk == two.pk and Refund.objects.count() == 1
    assert bank_refunded(paid) == 1000
    with pytest.raises(RefundError):
        payment_refund(
            payment=paid, amount=Decimal("11"), reason="Retour", idempotency_key="return-7"
        )


def test_refunds_need_a_paid_payment_and_a_positive_amount(customer_client, order, paid):
    # covers: PAY-1
    with pytest.raises(RefundError):
        payment_refund(payment=paid, amount=Decimal("0"), reason="Rien")
    with pytest.raises(RefundError):
        payment_refund(payment=paid, amount=Decimal("-5"), reason="Négatif")
    from tests.payments.conftest import make_order

    other = make_order(customer=order.customer)
    pending = payment_start(order=other, **return_urls()).payment
    with pytest.raises(RefundError):
        payment_refund(payment=pending, amount=Decimal("1"), reason="Pas payé")
    assert Refund.objects.count() == 0
