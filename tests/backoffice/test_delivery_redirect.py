"""The console's card for a shipped parcel the customer wants delivered elsewhere (ORD-6,
CS-2): the agent sees the current and the requested address with the parcels' tracking, and
has the carrier redirect the parcels, or refuses with a reason; the carrier refuses a paid
redirection, and the agent reads why; staff outside customer service are refused."""

import html
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from allies.aftersales.address_request_states import AddressRequestStatus
from allies.aftersales.address_requests import address_change_request_open
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.models import OrderEvent, VendorOrder
from allies.orders.shipments import vendor_order_ship
from tests.aftersales.conftest import sent
from tests.orders.conftest import buy, vendor_order_of

pytestmark = pytest.mark.django_db

NEAR = {"recipient": "Luc Martin", "street": "8 rue de Brest", "postcode": "75011",
        "city": "Paris", "country": "FR", "phone": "0601020304"}  # fmt: skip
LYON = {**NEAR, "street": "3 quai Saint-Antoine", "postcode": "69002", "city": "Lyon"}
TRACKING = "6A12345678901"
CARD = "Changement d'adresse d'un colis expédié"


def shipped_request(market, address):
    vo = vendor_order_of(buy(market, [(market["shirt"], 1)]), market["verlaine"])
    vendor_order_lines_decide(vendor_order=vo, vendor=market["verlaine"],
                              decisions={ln.pk: "accept" for ln in vo.lines.all()})  # fmt: skip
    vendor_order_ship(vendor_order=vo, vendor=market["verlaine"], carrier="colissimo",
                      parcels=[TRACKING])  # fmt: skip
    request = address_change_request_open(customer=market["customer"],
                                          vendor_order=vo, address=address)  # fmt: skip
    vo.refresh_from_db()
    return vo, request


def text(response) -> str:
    return html.unescape(response.content.decode())


def thread_url(request) -> str:
    return reverse("backoffice:thread", args=[request.thread_id])


def test_the_agent_has_the_carrier_redirect_the_parcel(client, market, people):
    # covers: ORD-6, CS-2
    vo, request = shipped_request(market, NEAR)
    client.force_login(people["agent"])
    page = text(client.get(thread_url(request)))
    card = page[page.index(CARD) :]
    card = card[: card.index("</section>")]
    assert vo.ship_to["street"] in card  # the current address
    assert "8 rue de Brest" in card and "75011 Paris" in card  # the requested one
    assert TRACKING in card and "Colis 1/1" in card
    assert "Faire réexpédier par le transporteur" in card and "Refuser" in card

    response = client.post(reverse("backoffice:thread_redirect", args=[request.thread_id]),
                           follow=True)  # fmt: skip
    assert response.redirect_chain[-1][0] == thread_url(request)
    page = text(response)
    assert "Le transporteur réexpédie le colis à la nouvelle adresse" in page
    assert CARD not in page
    request.refresh_from_db()
    vo.refresh_from_db()
    assert request.status == AddressRequestStatus.APPLIED
    assert vo.ship_to["street"] == "8 rue de Brest"
    assert OrderEvent.objects.filter(vendor_order=vo, kind="delivery_redirected").exists()
    assert len(sent("aftersales_address_change_applied")) == 1


def test_a_paid_redirection_is_refused_by_the_carrier_and_the_agent_reads_why(
    client, market, people
):
    # covers: ORD-6, CS-2
    vo, request = shipped_request(market, LYON)
    client.force_login(people["agent"])
    response = client.post(reverse("backoffice:thread_redirect", args=[request.thread_id]),
                           follow=True)  # fmt: skip
    page = text(response)
    assert "Réexpédition impossible : Le transporteur facturerait cette réexpédition" in page
    assert "La demande est refusée et le client prévenu." in page
    request.refresh_from_db()
    vo.refresh_from_db()
    assert request.status == AddressRequestStatus.REFUSED
    assert vo.delivery_address is None
    assert len(sent("aftersales_address_change_refused")) == 1


def test_the_agent_refuses_with_a_reason(client, market, people):
    # covers: ORD-6, CS-2
    vo, request = shipped_request(market, NEAR)
    client.force_login(people["agent"])
    refuse = reverse("backoffice:thread_redirect_refuse", args=[request.thread_id])
    page = text(client.post(refuse, {"reason": ""}, follow=True))
    assert "Indiquez la raison du refus." in page and CARD in page
    page = text(client.post(refuse, {"reason": "Colis déjà au dépôt final."}, follow=True))
    assert "Changement d'adresse refusé : le client est prévenu par e-mail." in page
    request.refresh_from_db()
    assert request.status == AddressRequestStatus.REFUSED
    assert request.refusal_reason == "Colis déjà au dépôt final."
    assert VendorOrder.objects.get(pk=vo.pk).delivery_address is None


def test_staff_outside_customer_service_and_vendors_are_refused(client, market, people):
    # covers: ORD-6, CS-5
    vo, request = shipped_request(market, NEAR)
    redirect = reverse("backoffice:thread_redirect", args=[request.thread_id])
    refuse = reverse("backoffice:thread_redirect_refuse", args=[request.thread_id])
    for who in ("plain_staff", "vendor", "customer"):
        client.force_login(people[who])
        assert client.post(redirect).status_code == 403
        assert client.post(refuse, {"reason": "Non"}).status_code == 403
    request.refresh_from_db()
    vo.refresh_from_db()
    assert request.status == AddressRequestStatus.REQUESTED and vo.delivery_address is None


def test_a_request_the_vendor_handles_has_no_redirect_card(client, market, people):
    # covers: ORD-6
    vo = vendor_order_of(buy(market, [(market["shirt"], 1)]), market["verlaine"])
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        request = address_change_request_open(customer=market["customer"], vendor_order=vo,
                                              address=NEAR)  # fmt: skip
    assert request.handler == "vendor"
    client.force_login(people["agent"])
    assert CARD not in text(client.get(thread_url(request)))
    response = client.post(reverse("backoffice:thread_redirect", args=[request.thread_id]))
    assert response.status_code == 404
