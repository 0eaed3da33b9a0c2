"""Withdrawal (RET-1…6) through the services: the request and its window, the vendor's
answer, the parcel, the inspection and the refund to the cent."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from allies.aftersales.errors import ReturnError, ReturnForbidden
from allies.aftersales.models import ReturnRequest
from allies.aftersales.return_states import ReturnStatus
from allies.aftersales.returns import (
    Deduction,
    return_accept,
    return_dispatch_declare,
    return_label_issue,
    return_label_pdf,
    return_mark_received,
    return_refund,
    return_refuse,
    returnable_lines,
)
from allies.ledger.models import LedgerEntry
from allies.notifications.models import OutgoingEmail
from allies.orders.events import Actor
from allies.orders.models import OrderEvent
from allies.payments.models import Refund
from allies.support.models import Motif, ThreadStage
from tests.aftersales.conftest import DELIVERED_AT, delivered, line_of, returned, sent
from tests.orders.conftest import assert_ledger_balanced

pytestmark = pytest.mark.django_db


def vendor_actor(market):
    return Actor.vendor_user(market["verlaine_user"])


def test_a_request_on_day_14_is_a_legal_withdrawal_and_opens_a_thread_to_the_vendor(market):
    # covers: RET-1, CS-1
    vo = delivered(market)
    request = returned(vo, {"Ceinture en cuir": 1}, at=DELIVERED_AT + timedelta(days=14))
    assert request.legal is True
    assert request.withdrawal_until.isoformat() == "2026-12-15"
    assert request.status == ReturnStatus.REQUESTED
    assert request.thread.motif == Motif.RETURN
    assert request.thread.stage == ThreadStage.WAITING_VENDOR
    assert "1 × Ceinture en cuir" in request.thread.messages.get().body
    assert OrderEvent.objects.filter(vendor_order=vo, kind="return_requested").exists()
    # The belt's second unit may still be asked back; the first is held by this request.
    left = {r.line.product_title: r.quantity for r in returnable_lines(vendor_order=vo)}
    assert left == {"Chemise Oxford bleue": 1, "Ceinture en cuir": 1}


def test_on_day_15_the_request_goes_through_as_one_the_vendor_may_refuse(market):
    # covers: RET-1
    vo = delivered(market)
    request = returned(vo, {"Chemise Oxford bleue": 1}, at=DELIVERED_AT + timedelta(days=15))
    assert request.legal is False
    return_refuse(
        request=request, actor=vendor_actor(market), vendor=market["verlaine"],
        reason="Article porté, délai dépassé",
    )  # fmt: skip
    request.refresh_from_db()
    assert request.status == ReturnStatus.REFUSED
    assert OutgoingEmail.objects.filter(template="aftersales_return_refused").count() == 1
    # The vendor answered: its clock stopped.
    assert request.thread.stage == ThreadStage.ANSWERED


def test_a_legal_withdrawal_cannot_be_refused(market):
    # covers: RET-1
    vo = delivered(market)
    request = returned(vo, {"Chemise Oxford bleue": 1}, at=DELIVERED_AT + timedelta(days=2))
    with pytest.raises(ReturnError) as refused:
        return_refuse(request=request, actor=vendor_actor(market), vendor=market["verlaine"],
                      reason="Non")  # fmt: skip
    assert refused.value.code == "legal_withdrawal"
    assert ReturnRequest.objects.get().status == ReturnStatus.REQUESTED


@pytest.mark.parametrize(
    "quantities, code",
    [
        ({}, "no_items"),
        ({"Ceinture en cuir": 3}, "too_many"),
        ({"Ceinture en cuir": "-1"}, "invalid_quantity"),
        ({"Ceinture en cuir": "१"}, "invalid_quantity"),
        ({"Ceinture en cuir": "1e9"}, "invalid_quantity"),
        ({"Ceinture en cuir": "99999999999999999999"}, "invalid_quantity"),
    ],
)
def test_bad_quantities_are_refused_with_a_message_and_write_nothing(market, quantities, code):
    vo = delivered(market)
    with pytest.raises(ReturnError) as refused:
        returned(vo, quantities, at=DELIVERED_AT + timedelta(days=1))
    assert refused.value.code == code and refused.value.message
    assert not ReturnRequest.objects.exists()
    assert not vo.support_threads.exists()


def test_another_customer_cannot_ask_a_return_of_the_order(market):
    vo = delivered(market)
    from tests.factories import UserFactory

    with pytest.raises(ReturnForbidden):
        returned(vo, {"Chemise Oxford bleue": 1}, at=DELIVERED_AT, customer=UserFactory())


def test_a_vendor_cannot_answer_another_vendors_return(market):
    vo = delivered(market)
    request = returned(vo, {"Chemise Oxford bleue": 1}, at=DELIVERED_AT + timedelta(days=1))
    with pytest.raises(ReturnForbidden):
        return_accept(request=request, actor=Actor.vendor_user(market["brun_user"]),
                      vendor=market["brun"])  # fmt: skip
    assert ReturnRequest.objects.get().status == ReturnStatus.REQUESTED


def test_withdrawal_of_one_of_two_items_refunded_partially_to_the_cent(market):
    # covers: RET-2, RET-3, RET-5, RET-6
    vo = delivered(market)  # shirt 59.90 + 2 belts 35.00, shipping 7.00 = 136.90
    request = returned(vo, {"Chemise Oxford bleue": 1}, at=DELIVERED_AT + timedelta(days=13))
    with time_machine.travel(DELIVERED_AT + timedelta(days=13, hours=2), tick=False):
        return_accept(request=request, actor=vendor_actor(market), vendor=market["verlaine"])
    request.refresh_from_db()
    assert request.status == ReturnStatus.ACCEPTED
    assert request.send_back_by.isoformat() == "2026-12-28"  # 14 calendar days after
    [accepted] = sent("aftersales_return_accepted")
    assert "28 décembre 2026" in accepted.body
    assert market["verlaine"].name in accepted.body
    request = return_label_issue(request=request, customer=market["customer"])
    assert request.tracking_number and request.carrier == "colissimo"
    assert return_label_pdf(request=request).startswith(b"%PDF-")
    label = LedgerEntry.objects.get(kind="return_label")
    assert label.amount == Decimal("-5.90") and label.operator_amount == Decimal("5.90")
    return_mark_received(request=request, actor=vendor_actor(market), vendor=market["verlaine"])
    item = request.items.get()
    return_refund(
        request=request, actor=vendor_actor(market), vendor=market["verlaine"],
        deductions={item.pk: Deduction(amount=Decimal("10.00"), reason="used")},
    )  # fmt: skip
    request.refresh_from_db()
    # 59.90 of 129.90 of articles: its shipping share is round(7.00 × 59.90 / 129.90) = 3.23.
    assert request.refunded_amount == Decimal("59.90") + Decimal("3.23") - Decimal("10.00")
    assert request.status == ReturnStatus.REFUNDED
    refund = Refund.objects.get()
    assert refund.amount == request.refunded_amount
    [email] = sent("aftersales_return_refunded")
    assert "53,13" in email.body and "53,13" in email.subject
    shirt = line_of(vo, "Chemise Oxford bleue")
    assert shirt.refunded_quantity == 1 and shirt.refunded_deduction == Decimal("10.00")
    assert_ledger_balanced(vo.order)


def test_own_carrier_needs_a_valid_tracking_number(market):
    # covers: RET-4
    vo = delivered(market)
    request = returned(vo, {"Chemise Oxford bleue": 1}, at=DELIVERED_AT + timedelta(days=1))
    return_accept(request=request, actor=vendor_actor(market), vendor=market["verlaine"])
    with pytest.raises(ReturnError) as refused:
        return_dispatch_declare(request=request, customer=market["customer"],
                                carrier="colissimo", tracking_number="")  # fmt: skip
    assert refused.value.code == "tracking_required"
    return_dispatch_declare(request=request, customer=market["customer"], carrier="colissimo",
                            tracking_number="6a 1234 5678 999")  # fmt: skip
    request.refresh_from_db()
    assert request.status == ReturnStatus.SENT and request.tracking_number == "6A12345678999"
