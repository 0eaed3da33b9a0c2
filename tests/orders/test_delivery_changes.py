"""Changing the recipient or the delivery address of a vendor order (ORD-6): edited by the
customer within 24 h and before shipping, asked of the vendor later, of the operator once
shipped (the carrier redirects, never at extra cost); each step on the timeline."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from allies.aftersales.address_request_states import AddressRequestStatus
from allies.aftersales.address_requests import (
    address_change_request_apply,
    address_change_request_open,
    address_change_request_refuse,
)
from allies.aftersales.errors import AddressRequestError, AddressRequestForbidden
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.delivery_changes import (
    DeliveryChangeError,
    vendor_order_address_change,
    vendor_order_recipient_change,
    vendor_order_redirect,
)
from allies.orders.events import Actor
from allies.orders.models import OrderEvent, Parcel, VendorOrder
from allies.orders.shipments import vendor_order_ship
from allies.orders.timeline import vendor_order_timeline
from allies.shipping import tracking
from allies.support.models import ThreadKind, ThreadStage
from tests.aftersales.conftest import sent
from tests.factories import UserFactory
from tests.orders.conftest import buy, vendor_order_of

pytestmark = pytest.mark.django_db

LYON = {"recipient": "Luc Martin", "street": "3 quai Saint-Antoine", "postcode": "69002",
        "city": "Lyon", "country": "FR"}  # fmt: skip
NEAR = {**LYON, "street": "8 rue de Brest", "postcode": "75011", "city": "Paris"}


def ordered(market, *, accept=True) -> VendorOrder:
    vo = vendor_order_of(buy(market, [(market["shirt"], 1)]), market["verlaine"])
    if accept:
        vendor_order_lines_decide(vendor_order=vo, vendor=market["verlaine"],
                                  decisions={ln.pk: "accept" for ln in vo.lines.all()})  # fmt: skip
    vo.refresh_from_db()
    return vo


def ship(market, vo, number="6A12345678901"):
    vendor_order_ship(vendor_order=vo, vendor=market["verlaine"], carrier="colissimo",
                      parcels=[number])  # fmt: skip
    vo.refresh_from_db()


def agent_user():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="Agents du service client"))
    return user


def me(market):
    return Actor.customer(market["customer"])


def test_within_24_hours_the_customer_edits_the_address_and_the_vendor_ships_there(market):
    # covers: ORD-6
    vo = ordered(market)
    vendor_order_address_change(vendor_order=vo, actor=me(market), address=LYON)
    vo.refresh_from_db()
    assert vo.ship_to["city"] == "Lyon" and vo.order.delivery_address["city"] == "Paris"
    assert OrderEvent.objects.filter(vendor_order=vo, kind="delivery_address_changed").exists()
    changed = {e.kind: e for e in vendor_order_timeline(vo)}["delivery_address_changed"]
    assert changed.label == "Adresse de livraison modifiée" and changed.detail == "69002 Lyon"
    [told] = sent("vendor_order_delivery_changed")
    assert "3 quai Saint-Antoine" in told.body


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ({**LYON, "postcode": "20000", "city": "Ajaccio"}, "zone_change"),  # Corse: another fee
        ({**LYON, "country": "BE", "postcode": "1000"}, "zone_change"),
        ({**LYON, "postcode": "6900"}, "invalid_address"),
        ({**LYON, "street": ""}, "invalid_address"),
        ({**LYON, "city": "x" * 101}, "invalid_address"),
    ],
)
def test_a_bad_or_dearer_address_is_refused_and_nothing_changes(market, address, code):
    # covers: ORD-6
    vo = ordered(market)
    with pytest.raises(DeliveryChangeError) as refused:
        vendor_order_address_change(vendor_order=vo, actor=me(market), address=address)
    assert refused.value.code == code and refused.value.message
    vo.refresh_from_db()
    assert vo.delivery_address is None


def test_after_24_hours_it_is_a_request_the_vendor_applies(market):
    # covers: ORD-6, CS-1
    vo = ordered(market)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        with pytest.raises(DeliveryChangeError) as late:
            vendor_order_address_change(vendor_order=vo, actor=me(market), address=LYON)
        assert late.value.code == "too_late_to_edit"
        request = address_change_request_open(customer=market["customer"], vendor_order=vo,
                                              address=LYON)  # fmt: skip
        assert request.handler == "vendor"
        assert request.thread.vendor_id == market["verlaine"].pk
        assert "3 quai Saint-Antoine" in request.thread.messages.get().body
        with pytest.raises(AddressRequestError) as twice:
            address_change_request_open(customer=market["customer"], vendor_order=vo,
                                        address=NEAR)  # fmt: skip
        assert twice.value.code == "already_open"
        with pytest.raises(AddressRequestForbidden):
            address_change_request_apply(request=request, vendor=market["brun"],
                                         actor=Actor.vendor_user(market["brun_user"]))  # fmt: skip
        address_change_request_apply(request=request, vendor=market["verlaine"],
                                     actor=Actor.vendor_user(market["verlaine_user"]))  # fmt: skip
    request.refresh_from_db()
    vo.refresh_from_db()
    assert request.status == AddressRequestStatus.APPLIED and vo.ship_to["city"] == "Lyon"
    assert len(sent("aftersales_address_change_applied")) == 1


def test_a_shipment_before_the_vendors_answer_refuses_the_request(market):
    # covers: ORD-6
    vo = ordered(market)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        request = address_change_request_open(customer=market["customer"], vendor_order=vo,
                                              address=LYON)  # fmt: skip
        ship(market, vo)
    request.refresh_from_db()
    assert request.status == AddressRequestStatus.REFUSED
    assert "service client" in request.refusal_reason
    assert len(sent("aftersales_address_change_refused")) == 1


def test_once_shipped_the_operator_has_the_carrier_redirect_within_the_departement(market):
    # covers: ORD-6, CS-2
    vo = ordered(market)
    ship(market, vo)
    request = address_change_request_open(customer=market["customer"], vendor_order=vo,
                                          address=NEAR)  # fmt: skip
    assert request.handler == "operator"
    assert request.thread.kind == ThreadKind.CONTACT
    assert request.thread.stage == ThreadStage.ESCALATED  # in the operator's queue, 24 h
    verlaine = Actor.vendor_user(market["verlaine_user"])
    with pytest.raises(AddressRequestForbidden):  # the vendor can do nothing now
        address_change_request_apply(request=request, actor=verlaine, vendor=market["verlaine"])
    agent = Actor.staff(agent_user())
    address_change_request_apply(request=request, actor=agent, vendor=None)
    vo.refresh_from_db()
    assert vo.ship_to["postcode"] == "75011"
    assert OrderEvent.objects.filter(vendor_order=vo, kind="delivery_redirected").exists()


def test_a_redirection_the_carrier_would_charge_for_is_refused(market):
    # covers: ORD-6
    vo = ordered(market)
    ship(market, vo)
    request = address_change_request_open(customer=market["customer"], vendor_order=vo,
                                          address=LYON)  # fmt: skip
    agent = Actor.staff(agent_user())
    with pytest.raises(AddressRequestError) as refused:
        address_change_request_apply(request=request, actor=agent, vendor=None)
    assert refused.value.code == "extra_cost"
    request.refresh_from_db()
    vo.refresh_from_db()
    assert request.status == AddressRequestStatus.REFUSED and vo.delivery_address is None
    [told] = sent("aftersales_address_change_refused")
    assert "refuser à la livraison" in told.body


def test_the_recipient_changes_before_and_after_shipping_until_out_for_delivery(market):
    # covers: ORD-6
    vo = ordered(market)
    vendor_order_recipient_change(vendor_order=vo, actor=me(market), recipient="Paul Martin")
    vo.refresh_from_db()
    assert vo.ship_to["recipient"] == "Paul Martin" and vo.ship_to["city"] == "Paris"
    ship(market, vo)
    vendor_order_recipient_change(vendor_order=vo, actor=me(market), recipient="Anne Martin")
    event = OrderEvent.objects.filter(vendor_order=vo, kind="recipient_changed").last()
    assert event.data["parcels"] == 1  # told to the carrier
    Parcel.objects.filter(shipment__vendor_order=vo).update(
        tracking_status=tracking.OUT_FOR_DELIVERY
    )
    with pytest.raises(DeliveryChangeError) as late:
        vendor_order_recipient_change(vendor_order=vo, actor=me(market), recipient="Jo Martin")
    assert late.value.code == "too_late"
    vo.refresh_from_db()
    assert vo.ship_to["recipient"] == "Anne Martin"
    with pytest.raises(DeliveryChangeError):
        vendor_order_recipient_change(vendor_order=vo, actor=Actor.customer(UserFactory()),
                                      recipient="Intrus")  # fmt: skip


def test_only_staff_redirect_and_refusals_need_a_reason(market):
    # covers: ORD-6
    vo = ordered(market)
    ship(market, vo)
    with pytest.raises(DeliveryChangeError):
        vendor_order_redirect(vendor_order=vo, actor=me(market), address=NEAR)
    request = address_change_request_open(customer=market["customer"], vendor_order=vo,
                                          address=NEAR)  # fmt: skip
    agent = Actor.staff(agent_user())
    with pytest.raises(AddressRequestError):
        address_change_request_refuse(request=request, actor=agent, vendor=None, reason="")
    address_change_request_refuse(request=request, actor=agent, vendor=None,
                                  reason="Le colis est déjà au centre de tri final.")  # fmt: skip
    request.refresh_from_db()
    assert request.status == AddressRequestStatus.REFUSED
