"""A parcel refused at delivery (ORD-5): the carrier's "refused" event opens the vendor's
return on its way back, its arrival marks it received, and the refund keeps at most the
return cost of the vendor's policy, which the customer saw before refusing."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from allies.aftersales.errors import ReturnError
from allies.aftersales.models import ReturnRequest
from allies.aftersales.return_states import ReturnStatus
from allies.aftersales.returns import Deduction, return_refund
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.events import Actor
from allies.orders.models import VendorOrder
from allies.orders.shipments import tracking_events_apply, vendor_order_ship
from allies.payments.models import Refund
from allies.shipping import tracking
from tests.aftersales.conftest import DELIVERED_AT, sent
from tests.orders.conftest import assert_ledger_balanced, buy, vendor_order_of

pytestmark = pytest.mark.django_db
NUMBER = "6A55555555555"


def shipped(market) -> VendorOrder:
    verlaine = market["verlaine"]
    verlaine.refused_parcel_cost = Decimal("8.50")
    verlaine.save(update_fields=["refused_parcel_cost"])
    with time_machine.travel(DELIVERED_AT - timedelta(days=3), tick=False):
        vo = vendor_order_of(buy(market, [(market["shirt"], 1), (market["belt"], 2)]), verlaine)
        vendor_order_lines_decide(vendor_order=vo, vendor=verlaine,
                                  decisions={ln.pk: "accept" for ln in vo.lines.all()})  # fmt: skip
        vendor_order_ship(vendor_order=vo, vendor=verlaine, carrier="colissimo", parcels=[NUMBER])
    return vo


def event(kind, at):
    tracking_events_apply(
        adapter=tracking.SimulatedAdapter(),
        events=[tracking.TrackingEvent(tracking_number=NUMBER, event=kind, at=at)],
    )


def test_the_customer_sees_the_return_cost_before_refusing(client, market):
    # covers: ORD-5
    vo = shipped(market)
    client.force_login(market["customer"])
    page = client.get(reverse("orders:cancel_lines", args=[vo.order.reference, vo.pk]))
    text = page.content.decode()
    assert "refuser le colis à la livraison" in text
    assert "Chez Maison Verlaine, ils s'élèvent au plus à 8,50" in text


def test_a_refused_parcel_comes_back_and_is_refunded_less_at_most_the_policys_cost(client, market):
    # covers: ORD-5, RET-3
    vo = shipped(market)
    event(tracking.REFUSED, DELIVERED_AT)
    vo.refresh_from_db()
    assert vo.status == VendorOrder.Status.SHIPPED and vo.delivered_at is None
    request = ReturnRequest.objects.get()
    assert request.status == ReturnStatus.SENT and request.thread_id is None
    assert {i.order_line.product_title: i.quantity for i in request.items.all()} == {
        "Chemise Oxford bleue": 1,
        "Ceinture en cuir": 2,
    }
    assert len(sent("aftersales_vendor_parcel_refused")) == 1
    [told] = sent("aftersales_parcel_refused")
    assert "8,50" in told.body
    # Both sides see it, with no conversation behind it.
    client.force_login(market["customer"])
    assert client.get(reverse("aftersales:return", args=[request.pk])).status_code == 200
    client.force_login(market["verlaine_user"])
    page = client.get(reverse("vendor_portal:return", args=[request.pk])).content.decode()
    assert "vous pouvez retenir au plus 8,50" in page
    event(tracking.REFUSED, DELIVERED_AT + timedelta(hours=1))  # replayed: nothing new
    assert ReturnRequest.objects.count() == 1
    # Back at the vendor's: the carrier's "delivered" is the arrival, not a delivery.
    event(tracking.DELIVERED, DELIVERED_AT + timedelta(days=2))
    request.refresh_from_db()
    vo.refresh_from_db()
    assert request.status == ReturnStatus.RECEIVED
    assert vo.status == VendorOrder.Status.SHIPPED
    actor, verlaine = Actor.vendor_user(market["verlaine_user"]), market["verlaine"]
    first = request.items.order_by("id").first()
    with pytest.raises(ReturnError) as greedy:
        return_refund(request=request, actor=actor, vendor=verlaine,
                      deductions={first.pk: Deduction(Decimal("9.00"), "return_cost")})  # fmt: skip
    assert greedy.value.code == "deduction_too_large"
    return_refund(request=request, actor=actor, vendor=verlaine,
                  deductions={first.pk: Deduction(Decimal("8.50"), "return_cost")})  # fmt: skip
    request.refresh_from_db()
    # Everything back (136.90 with the whole 7.00 standard delivery) less 8.50.
    assert request.refunded_amount == Decimal("128.40") == Refund.objects.get().amount
    assert len(sent("aftersales_return_refunded")) == 1
    assert_ledger_balanced(vo.order)
