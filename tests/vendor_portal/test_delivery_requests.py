"""The vendor's card "Demande de changement d'adresse" on its order's page (ORD-6, VEN-2):
past 24 h and before shipping, the customer's new address waits for the vendor, who applies
it (the order ships there) or refuses it with a reason; another vendor finds nothing."""

import html
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allies.aftersales.address_request_states import AddressRequestStatus
from allies.aftersales.address_requests import address_change_request_open
from allies.aftersales.models import AddressChangeRequest
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.models import VendorOrder
from tests.aftersales.conftest import sent
from tests.orders.conftest import buy, market, vendor_order_of  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

LYON = {"recipient": "Luc Martin", "street": "3 quai Saint-Antoine", "postcode": "69002",
        "city": "Lyon", "country": "FR", "phone": "0601020304"}  # fmt: skip
CARD = "Demande de changement d'adresse"


def requested(shop) -> tuple[VendorOrder, AddressChangeRequest]:
    """Verlaine's accepted order, and the customer's request 25 h later."""
    vo = vendor_order_of(buy(shop, [(shop["shirt"], 1)]), shop["verlaine"])
    vendor_order_lines_decide(vendor_order=vo, vendor=shop["verlaine"],
                              decisions={ln.pk: "accept" for ln in vo.lines.all()})  # fmt: skip
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        request = address_change_request_open(customer=shop["customer"], vendor_order=vo,
                                              address=LYON)  # fmt: skip
    vo.refresh_from_db()
    return vo, request


def text(response) -> str:
    return html.unescape(response.content.decode())


def order_url(vo) -> str:
    return reverse("vendor_portal:order", args=[vo.pk])


def card_of(page: str) -> str:
    card = page[page.index(CARD) :]
    return card[: card.index("</section>")]


def test_the_vendor_sees_the_new_address_and_applies_it(client, market):  # noqa: F811
    # covers: ORD-6, VEN-2
    vo, request = requested(market)
    client.force_login(market["verlaine_user"])
    card = card_of(text(client.get(order_url(vo))))
    assert "3 quai Saint-Antoine" in card and "69002 Lyon" in card
    assert reverse("vendor_portal:support_thread", args=[request.thread_id]) in card
    assert "Appliquer la nouvelle adresse" in card and "Refuser" in card

    response = client.post(reverse("vendor_portal:address_request_apply", args=[request.pk]),
                           follow=True)  # fmt: skip
    assert response.redirect_chain[-1][0] == f"{order_url(vo)}#changement-adresse"
    page = text(response)
    assert "Nouvelle adresse enregistrée : expédiez la commande à cette adresse." in page
    assert CARD not in page  # answered: the card is gone
    request.refresh_from_db()
    vo.refresh_from_db()
    assert request.status == AddressRequestStatus.APPLIED
    assert vo.ship_to["city"] == "Lyon"
    assert len(sent("aftersales_address_change_applied")) == 1


def test_the_vendor_refuses_only_with_a_reason(client, market):  # noqa: F811
    # covers: ORD-6, VEN-2
    vo, request = requested(market)
    client.force_login(market["verlaine_user"])
    refuse = reverse("vendor_portal:address_request_refuse", args=[request.pk])
    page = text(client.post(refuse, {"reason": "  "}, follow=True))
    assert "Indiquez la raison du refus." in page and CARD in page
    request.refresh_from_db()
    assert request.status == AddressRequestStatus.REQUESTED

    page = text(client.post(refuse, {"reason": "Le colis est déjà emballé."}, follow=True))
    assert "Changement d'adresse refusé : le client est prévenu par e-mail." in page
    request.refresh_from_db()
    vo.refresh_from_db()
    assert request.status == AddressRequestStatus.REFUSED
    assert request.refusal_reason == "Le colis est déjà emballé."
    assert vo.delivery_address is None
    assert len(sent("aftersales_address_change_refused")) == 1


def test_another_vendor_gets_404_and_nothing_changes(client, market):  # noqa: F811
    # covers: ORD-6, VEN-2
    vo, request = requested(market)
    client.force_login(market["brun_user"])
    apply = reverse("vendor_portal:address_request_apply", args=[request.pk])
    refuse = reverse("vendor_portal:address_request_refuse", args=[request.pk])
    assert client.post(apply).status_code == 404
    assert client.post(refuse, {"reason": "Non"}).status_code == 404
    assert client.get(order_url(vo)).status_code == 404
    request.refresh_from_db()
    vo.refresh_from_db()
    assert request.status == AddressRequestStatus.REQUESTED and vo.delivery_address is None


def test_the_card_costs_one_query(client, market):  # noqa: F811
    # covers: VEN-2
    vo = vendor_order_of(buy(market, [(market["shirt"], 1)]), market["verlaine"])
    vendor_order_lines_decide(vendor_order=vo, vendor=market["verlaine"],
                              decisions={ln.pk: "accept" for ln in vo.lines.all()})  # fmt: skip
    client.force_login(market["verlaine_user"])
    client.get(order_url(vo))  # warm the session
    with CaptureQueriesContext(connection) as none:
        assert CARD not in text(client.get(order_url(vo)))
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        address_change_request_open(customer=market["customer"], vendor_order=vo, address=LYON)
    with CaptureQueriesContext(connection) as one:
        assert CARD in text(client.get(order_url(vo)))
    assert len(one.captured_queries) == len(none.captured_queries)


def test_the_order_page_with_a_request_stays_within_the_portals_bound(
    client,
    market,  # noqa: F811
    django_assert_max_num_queries,
):
    # covers: VEN-1, VEN-2 (the bound of tests/vendor_portal/test_orders.py)
    for _ in range(8):
        buy(market, [(market["shirt"], 1), (market["belt"], 1)])
    vo = VendorOrder.objects.filter(vendor=market["verlaine"]).first()
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        address_change_request_open(customer=market["customer"], vendor_order=vo, address=LYON)
    client.force_login(market["verlaine_user"])
    client.get(order_url(vo))
    with django_assert_max_num_queries(18):
        assert CARD in text(client.get(order_url(vo)))
