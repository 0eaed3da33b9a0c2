"""The customer's return pages: the request form and what it says of the window, one return
with its steps, the label download, and who may reach them."""

import html
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from allies.aftersales.models import ReturnRequest
from allies.aftersales.return_states import ReturnStatus
from allies.aftersales.returns import return_accept
from allies.orders.events import Actor
from tests.aftersales.conftest import DELIVERED_AT, delivered, line_of, returned
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def request_url(vo):
    return reverse("aftersales:request", args=[vo.order.reference, vo.pk])


def test_the_order_page_offers_to_return_a_delivered_vendor_order(client, market):
    # covers: RET-1
    vo = delivered(market)
    client.force_login(market["customer"])
    page = client.get(reverse("orders:detail", args=[vo.order.reference]))
    assert request_url(vo) in page.content.decode()


def test_day_13_says_legal_withdrawal_until_the_date_and_not_to_send_anything(client, market):
    # covers: RET-1, RET-2, RET-4, RET-5
    vo = delivered(market)
    client.force_login(market["customer"])
    with time_machine.travel(DELIVERED_AT + timedelta(days=13), tick=False):
        page = text(client.get(request_url(vo)))
    assert "délai de rétractation : jusqu'au 15 décembre 2026 inclus" in page
    assert "N'envoyez rien avant la réponse du vendeur" in page
    assert "bon de retour prépayé" in page
    assert "sans suivi, un colis que le vendeur ne reçoit pas ne peut pas être remboursé" in page


def test_day_15_says_the_vendor_may_refuse_and_the_request_still_goes_through(client, market):
    # covers: RET-1
    vo = delivered(market)
    client.force_login(market["customer"])
    shirt = line_of(vo, "Chemise Oxford bleue")
    with time_machine.travel(DELIVERED_AT + timedelta(days=15), tick=False):
        page = text(client.get(request_url(vo)))
        assert "le vendeur est libre de l'accepter ou de la refuser" in page
        response = client.post(request_url(vo), {f"qty-{shirt.pk}": "1", "comment": "Trop grand"})
    created = ReturnRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "aftersales:return", args=[created.pk]
    )
    assert created.legal is False and created.comment == "Trop grand"


def test_a_form_without_items_is_refused_with_the_message(client, market):
    vo = delivered(market)
    client.force_login(market["customer"])
    response = client.post(request_url(vo), {"qty-999999": "abc"})
    assert response.status_code == 200
    assert "Indiquez un nombre d'articles entier." in text(response)
    assert not ReturnRequest.objects.exists()


def test_the_accepted_return_offers_the_label_then_downloads_it(client, market):
    # covers: RET-5
    vo = delivered(market)
    request = returned(vo, {"Ceinture en cuir": 2}, at=DELIVERED_AT + timedelta(days=1))
    return_accept(request=request, actor=Actor.vendor_user(market["verlaine_user"]),
                  vendor=market["verlaine"])  # fmt: skip
    client.force_login(market["customer"])
    page = client.get(reverse("aftersales:return", args=[request.pk])).content.decode()
    assert "Obtenir mon bon de retour prépayé" in page
    client.post(reverse("aftersales:label_issue", args=[request.pk]))
    pdf = client.get(reverse("aftersales:label_pdf", args=[request.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    request.refresh_from_db()
    assert request.method == "label" and request.tracking_number


def test_own_carrier_dispatch_with_a_bad_number_shows_the_message(client, market):
    # covers: RET-4
    vo = delivered(market)
    request = returned(vo, {"Ceinture en cuir": 1}, at=DELIVERED_AT + timedelta(days=1))
    return_accept(request=request, actor=Actor.vendor_user(market["verlaine_user"]),
                  vendor=market["verlaine"])  # fmt: skip
    client.force_login(market["customer"])
    response = client.post(
        reverse("aftersales:dispatch", args=[request.pk]),
        {"carrier": "colissimo", "tracking_number": "12"},
        follow=True,
    )
    assert response.status_code == 200
    request.refresh_from_db()
    assert request.status == ReturnStatus.ACCEPTED
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_another_customer_reaches_none_of_the_return_pages(client, market):
    vo = delivered(market)
    request = returned(vo, {"Ceinture en cuir": 1}, at=DELIVERED_AT + timedelta(days=1))
    client.force_login(UserFactory())
    assert client.get(request_url(vo)).status_code == 404
    for name in ("return", "label_pdf"):
        assert client.get(reverse(f"aftersales:{name}", args=[request.pk])).status_code == 404
    for name in ("label_issue", "dispatch", "cancel"):
        assert client.post(reverse(f"aftersales:{name}", args=[request.pk])).status_code == 404
    assert ReturnRequest.objects.get().status == ReturnStatus.REQUESTED


def test_the_return_page_queries_are_bounded(client, market, django_assert_max_num_queries):
    vo = delivered(market)
    request = returned(vo, {"Ceinture en cuir": 2, "Chemise Oxford bleue": 1},
                       at=DELIVERED_AT + timedelta(days=1))  # fmt: skip
    client.force_login(market["customer"])
    with django_assert_max_num_queries(14):
        assert client.get(reverse("aftersales:return", args=[request.pk])).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(request_url(vo)).status_code == 200


def test_the_return_motif_of_assistance_en_ligne_leads_to_the_return_form(client, market):
    vo = delivered(market)
    client.force_login(market["customer"])
    response = client.get(
        reverse("support:order_assistance", args=[vo.order.reference]),
        {"vendor_order": vo.pk, "about": "commande", "motif": "return", "etape": "message"},
    )
    assert response.status_code == 302 and response["Location"] == request_url(vo)
