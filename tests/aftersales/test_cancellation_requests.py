"""Cancelling accepted articles (ORD-5): a request the vendor confirms before shipping (the
articles and their shipping share refunded), refuses, or that a shipment refuses at once."""

from decimal import Decimal

import pytest

from allies.aftersales.cancellation_requests import (
    cancellable_lines,
    cancellation_request_confirm,
    cancellation_request_open,
    cancellation_request_refuse,
)
from allies.aftersales.cancellation_states import CancellationStatus
from allies.aftersales.errors import CancellationRequestError, CancellationRequestForbidden
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.events import Actor
from allies.orders.models import OrderEvent, OrderLine, VendorOrder
from allies.orders.shipments import vendor_order_ship
from allies.payments.models import Refund
from allies.support.models import Motif
from tests.aftersales.conftest import line_of, sent
from tests.factories import UserFactory
from tests.orders.conftest import assert_ledger_balanced, buy, vendor_order_of

pytestmark = pytest.mark.django_db


def accepted(market) -> VendorOrder:
    """Verlaine's vendor order (a shirt 59.90, two belts 35.00, shipping 7.00), accepted."""
    order = buy(market, [(market["shirt"], 1), (market["belt"], 2)])
    vo = vendor_order_of(order, market["verlaine"])
    vendor_order_lines_decide(vendor_order=vo, vendor=market["verlaine"],
                              decisions={ln.pk: "accept" for ln in vo.lines.all()})  # fmt: skip
    vo.refresh_from_db()
    assert vo.status == VendorOrder.Status.TO_SHIP
    return vo


def vendor(market):
    return Actor.vendor_user(market["verlaine_user"]), market["verlaine"]


def test_the_vendor_confirms_and_the_articles_are_refunded_with_their_shipping(market):
    # covers: ORD-5
    vo = accepted(market)
    shirt = line_of(vo, "Chemise Oxford bleue")
    request = cancellation_request_open(customer=market["customer"], vendor_order=vo,
                                        line_ids=[str(shirt.pk)])  # fmt: skip
    assert request.thread.motif == Motif.CANCELLATION
    assert "Chemise Oxford bleue" in request.thread.messages.get().body
    # Asked once: the shirt is not offered again while the request waits.
    assert [ln.product_title for ln in cancellable_lines(vendor_order=vo)] == ["Ceinture en cuir"]
    actor, verlaine = vendor(market)
    cancellation_request_confirm(request=request, actor=actor, vendor=verlaine)
    request.refresh_from_db()
    assert request.status == CancellationStatus.CONFIRMED
    # 59.90 + round(7.00 × 59.90 / 129.90) = 59.90 + 3.23
    assert request.refunded_amount == Decimal("63.13")
    assert Refund.objects.get().amount == Decimal("63.13")
    shirt.refresh_from_db()
    assert shirt.status == OrderLine.Status.CANCELLED
    vo.refresh_from_db()
    assert vo.status == VendorOrder.Status.TO_SHIP  # the belts still go
    [email] = sent("order_lines_cancelled")
    assert "63,13" in email.body
    assert OrderEvent.objects.filter(vendor_order=vo, kind="cancellation_confirmed").exists()
    assert_ledger_balanced(vo.order)
    with pytest.raises(CancellationRequestError):
        cancellation_request_confirm(request=request, actor=actor, vendor=verlaine)
    assert Refund.objects.count() == 1


def test_cancelling_every_article_cancels_the_vendor_order(market):
    # covers: ORD-5
    vo = accepted(market)
    request = cancellation_request_open(
        customer=market["customer"], vendor_order=vo, line_ids=[ln.pk for ln in vo.lines.all()]
    )
    cancellation_request_confirm(request=request, actor=vendor(market)[0], vendor=vendor(market)[1])
    vo.refresh_from_db()
    assert vo.status == VendorOrder.Status.CANCELLED
    assert Refund.objects.get().amount == Decimal("136.90")
    assert_ledger_balanced(vo.order)


def test_a_shipment_refuses_the_open_request_and_the_customer_is_told(market):
    # covers: ORD-5
    vo = accepted(market)
    request = cancellation_request_open(customer=market["customer"], vendor_order=vo,
                                        line_ids=[line_of(vo, "Ceinture en cuir").pk])  # fmt: skip
    vendor_order_ship(vendor_order=vo, vendor=market["verlaine"], carrier="colissimo",
                      parcels=["6A12345678901"])  # fmt: skip
    request.refresh_from_db()
    assert request.status == CancellationStatus.REFUSED
    assert "colis est déjà parti" in request.refusal_reason
    [email] = sent("aftersales_cancellation_refused")
    assert "refuser le colis" in email.body
    with pytest.raises(CancellationRequestError) as late:
        cancellation_request_confirm(request=request, actor=vendor(market)[0],
                                     vendor=vendor(market)[1])  # fmt: skip
    assert late.value.code == "invalid_state"
    assert not Refund.objects.exists()
    with pytest.raises(CancellationRequestError) as shipped:
        cancellation_request_open(customer=market["customer"], vendor_order=vo,
                                  line_ids=[line_of(vo, "Chemise Oxford bleue").pk])  # fmt: skip
    assert shipped.value.code == "shipped"


def test_refusal_needs_a_reason_and_strangers_reach_nothing(market):
    # covers: ORD-5, VEN-2
    vo = accepted(market)
    with pytest.raises(CancellationRequestForbidden):
        cancellation_request_open(customer=UserFactory(), vendor_order=vo,
                                  line_ids=[line_of(vo, "Ceinture en cuir").pk])  # fmt: skip
    for bad, code in ((["x"], "unknown_line"), ([], "no_lines"), (["99999"], "not_cancellable")):
        with pytest.raises(CancellationRequestError) as refused:
            cancellation_request_open(customer=market["customer"], vendor_order=vo, line_ids=bad)
        assert refused.value.code == code
    request = cancellation_request_open(customer=market["customer"], vendor_order=vo,
                                        line_ids=[line_of(vo, "Ceinture en cuir").pk])  # fmt: skip
    with pytest.raises(CancellationRequestForbidden):
        cancellation_request_confirm(request=request, vendor=market["brun"],
                                     actor=Actor.vendor_user(market["brun_user"]))  # fmt: skip
    with pytest.raises(CancellationRequestError) as unexplained:
        cancellation_request_refuse(request=request, actor=vendor(market)[0],
                                    vendor=vendor(market)[1], reason=" ")  # fmt: skip
    assert unexplained.value.code == "reason_required"
    cancellation_request_refuse(request=request, actor=vendor(market)[0],
                                vendor=vendor(market)[1], reason="Colis déjà emballé.")  # fmt: skip
    request.refresh_from_db()
    assert request.status == CancellationStatus.REFUSED and not Refund.objects.exists()
    assert "Colis déjà emballé." in sent("aftersales_cancellation_refused")[0].body
