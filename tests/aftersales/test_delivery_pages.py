"""The customer's "Modifier la livraison" page (ORD-6, the help page's "Comment modifier mon
adresse de livraison ?"): a new recipient at any time before delivery; the address edited
directly within 24 h of ordering, later a request to the vendor, once shipped a request to
the customer service; a relay point keeps its address; a delivered order has nothing left
to change; another customer's order does not exist."""

import html
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from allies.aftersales.address_requests import address_change_request_open
from allies.aftersales.models import AddressChangeRequest
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.delivery_changes import address_edit_deadline
from allies.orders.models import OrderEvent, VendorOrder
from allies.orders.shipments import vendor_order_ship
from tests.aftersales.conftest import delivered
from tests.factories import UserFactory
from tests.orders.conftest import buy, vendor_order_of

pytestmark = pytest.mark.django_db

LYON = {"recipient": "Luc Martin", "street": "3 quai Saint-Antoine", "postcode": "69002",
        "city": "Lyon", "country": "FR", "phone": "0601020304"}  # fmt: skip
NEAR = {**LYON, "street": "8 rue de Brest", "postcode": "75011", "city": "Paris"}
AJACCIO = {**LYON, "street": "2 cours Napoléon", "postcode": "20000", "city": "Ajaccio"}


def ordered(market, *, accept=True) -> VendorOrder:
    vo = vendor_order_of(buy(market, [(market["shirt"], 1)]), market["verlaine"])
    if accept:
        vendor_order_lines_decide(vendor_order=vo, vendor=market["verlaine"],
                                  decisions={ln.pk: "accept" for ln in vo.lines.all()})  # fmt: skip
    vo.refresh_from_db()
    return vo


def ship(market, vo):
    vendor_order_ship(vendor_order=vo, vendor=market["verlaine"], carrier="colissimo",
                      parcels=["6A12345678901"])  # fmt: skip
    vo.refresh_from_db()


def page_url(vo) -> str:
    return reverse("aftersales:delivery_change", args=[vo.order.reference, vo.pk])


def detail_url(vo) -> str:
    return reverse("orders:detail", args=[vo.order.reference])


def text(response) -> str:
    return html.unescape(response.content.decode())


def address_post(action, address, **extra) -> dict:
    data = {"action": action, **{f"adresse-{k}": v for k, v in address.items()}}
    data.update(extra)
    return data


def later(hours):
    return time_machine.travel(timezone.now() + timedelta(hours=hours))


def test_the_order_page_links_to_modifier_la_livraison_while_the_order_is_on_its_way(
    client, market
):
    # covers: ORD-6
    vo = ordered(market)
    client.force_login(market["customer"])
    page = client.get(detail_url(vo)).content.decode()
    assert f'href="{page_url(vo)}"' in page and "Modifier la livraison" in page
    done = delivered(market, [(market["belt"], 1)])
    page = client.get(detail_url(done)).content.decode()
    assert f'href="{page_url(done)}"' not in page


def test_within_24_hours_the_customer_edits_the_address_directly(client, market):
    # covers: ORD-6
    vo = ordered(market)
    client.force_login(market["customer"])
    with later(23):
        page = text(client.get(page_url(vo)))
        assert "Adresse de livraison actuelle" in page and "Paris" in page
        with translation.override("fr"):
            deadline = formats.date_format(
                timezone.localtime(address_edit_deadline(vo)), "DATETIME_FORMAT"
            )
        assert f"Vous pouvez modifier l'adresse vous-même jusqu'au {deadline}" in page
        assert 'name="action" value="address"' in page
        assert "Envoyer la demande au vendeur" not in page
        response = client.post(page_url(vo), address_post("address", LYON))
    assert response.status_code == 302
    assert response["Location"] == f"{detail_url(vo)}#vendeur-{vo.pk}"
    vo.refresh_from_db()
    assert vo.ship_to["city"] == "Lyon" and vo.order.delivery_address["city"] == "Paris"
    followed = text(client.get(detail_url(vo)))
    assert "Votre nouvelle adresse de livraison est enregistrée" in followed
    assert "Livraison modifiée :" in followed and "3 quai Saint-Antoine" in followed
    assert not AddressChangeRequest.objects.exists()


def test_after_24_hours_the_change_is_a_request_to_the_vendor(client, market):
    # covers: ORD-6, CS-1
    vo = ordered(market)
    client.force_login(market["customer"])
    with later(25):
        page = text(client.get(page_url(vo)))
        assert "Vous pouvez modifier l'adresse vous-même" not in page
        assert "une demande au vendeur" in page and "48 heures" in page
        assert "Envoyer la demande au vendeur" in page
        # The direct edit is refused now, and says why.
        refused = client.post(page_url(vo), address_post("address", LYON))
        assert refused.status_code == 422
        assert "Plus de 24 heures après la commande" in text(refused)
        response = client.post(page_url(vo), address_post("request", LYON, comment="Je déménage."))
    assert response.status_code == 302
    request = AddressChangeRequest.objects.get()
    assert request.handler == "vendor" and request.address["city"] == "Lyon"
    assert "Je déménage." in request.thread.messages.get().body
    vo.refresh_from_db()
    assert vo.delivery_address is None  # the vendor has not applied it yet
    assert "envoyée au vendeur" in text(client.get(detail_url(vo)))
    page = text(client.get(page_url(vo)))
    assert "Votre demande de changement d'adresse" in page
    assert "Demande en cours de traitement" in page
    assert reverse("support:thread", args=[request.thread_id]) in page
    assert "Envoyer la demande au vendeur" not in page  # one request at a time


def test_once_shipped_the_request_goes_to_the_customer_service(client, market):
    # covers: ORD-6, CS-2
    vo = ordered(market)
    ship(market, vo)
    client.force_login(market["customer"])
    page = text(client.get(page_url(vo)))
    assert "service client Les Alliés" in page and "24 heures" in page
    assert "Demander la réexpédition au service client" in page
    assert "transmis au transporteur" in page  # the recipient, too
    response = client.post(page_url(vo), address_post("request", NEAR))
    assert response.status_code == 302
    assert AddressChangeRequest.objects.get().handler == "operator"


def test_an_address_in_corsica_is_refused_as_a_zone_change_and_nothing_changes(client, market):
    # covers: ORD-6, CHK-4
    vo = ordered(market)
    client.force_login(market["customer"])
    response = client.post(page_url(vo), address_post("address", AJACCIO))
    assert response.status_code == 422
    page = text(response)
    assert "autre zone de livraison : les frais de port changeraient" in page
    assert "2 cours Napoléon" in page  # what the customer typed is kept
    vo.refresh_from_db()
    assert vo.delivery_address is None
    with later(25):
        response = client.post(page_url(vo), address_post("request", AJACCIO))
    assert response.status_code == 422
    assert not AddressChangeRequest.objects.exists()


def test_the_recipient_changes_before_and_after_shipping(client, market):
    # covers: ORD-6
    vo = ordered(market)
    client.force_login(market["customer"])
    page = text(client.get(page_url(vo)))
    assert "Changer de destinataire" in page and "le vendeur lit le nouveau destinataire" in page
    response = client.post(page_url(vo), {"action": "recipient", "recipient": "Paul Martin"})
    assert response.status_code == 302
    vo.refresh_from_db()
    assert vo.ship_to["recipient"] == "Paul Martin" and vo.ship_to["city"] == "Paris"
    ship(market, vo)
    response = client.post(page_url(vo), {"action": "recipient", "recipient": "Anne Martin"},
                           follow=True)  # fmt: skip
    assert "Le nouveau destinataire est transmis au transporteur." in text(response)
    event = OrderEvent.objects.filter(vendor_order=vo, kind="recipient_changed").last()
    assert event.data["parcels"] == 1
    empty = client.post(page_url(vo), {"action": "recipient", "recipient": "  "})
    assert empty.status_code == 422
    assert "Indiquez le prénom et le nom du destinataire." in text(empty)


def test_a_relay_point_order_keeps_its_address(client, market):
    # covers: ORD-6
    vo = ordered(market)
    VendorOrder.objects.filter(pk=vo.pk).update(
        relay_point={
            "name": "Tabac du Port",
            "street": "1 quai",
            "postcode": "75011",
            "city": "Paris",
        }  # fmt: skip
    )
    client.force_login(market["customer"])
    page = text(client.get(page_url(vo)))
    assert "Cette commande est livrée en point relais : son adresse ne change pas." in page
    assert 'name="adresse-street"' not in page
    assert "Changer de destinataire" in page
    response = client.post(page_url(vo), address_post("address", NEAR))
    assert response.status_code == 422
    vo.refresh_from_db()
    assert vo.delivery_address is None


def test_a_delivered_order_has_nothing_left_to_change(client, market):
    # covers: ORD-6
    vo = delivered(market)
    client.force_login(vo.order.customer)
    page = text(client.get(page_url(vo)))
    assert "il n'y a plus rien à modifier" in page
    assert 'name="action"' not in page


def test_another_customer_gets_404_and_nothing_changes(client, market):
    # covers: ORD-6
    vo = ordered(market)
    client.force_login(UserFactory(email="bea@example.test"))
    assert client.get(page_url(vo)).status_code == 404
    assert client.post(page_url(vo), address_post("address", LYON)).status_code == 404
    assert client.post(page_url(vo), {"action": "recipient", "recipient": "X"}).status_code == 404
    vo.refresh_from_db()
    assert vo.delivery_address is None
    client.logout()
    assert client.get(page_url(vo)).status_code == 302  # to the login page


def test_the_order_page_costs_no_more_queries_with_a_changed_address(client, market):
    # covers: ORD-6
    vo = ordered(market)
    client.force_login(market["customer"])
    client.get(detail_url(vo))
    with CaptureQueriesContext(connection) as before:
        client.get(detail_url(vo))
    client.post(page_url(vo), address_post("address", LYON))
    with CaptureQueriesContext(connection) as after:
        page = text(client.get(detail_url(vo)))
    assert "Livraison modifiée :" in page and "3 quai Saint-Antoine" in page
    assert len(after.captured_queries) == len(before.captured_queries)


def test_an_open_request_stays_shown_with_its_thread(client, market):
    # covers: ORD-6
    vo = ordered(market)
    with later(25):
        request = address_change_request_open(customer=market["customer"], vendor_order=vo,
                                              address=LYON)  # fmt: skip
    client.force_login(market["customer"])
    page = text(client.get(page_url(vo)))
    assert reverse("support:thread", args=[request.thread_id]) in page
    assert "3 quai Saint-Antoine" in page
