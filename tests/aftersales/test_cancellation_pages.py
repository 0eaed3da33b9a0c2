"""The pages of a cancellation request after the vendor's acceptance (ORD-5, VEN-2): the
customer's form from "Annuler des articles", and the card on the vendor's order page where the
vendor accepts (the articles refunded) or refuses with a reason; who may reach them."""

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allies.aftersales.cancellation_requests import cancellation_request_open
from allies.aftersales.cancellation_states import CancellationStatus
from allies.aftersales.models import CancellationRequest
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.models import OrderLine, VendorOrder
from allies.payments.models import Refund
from allies.support.models import Motif
from tests.aftersales.conftest import line_of
from tests.factories import UserFactory
from tests.orders.conftest import buy, vendor_order_of

pytestmark = pytest.mark.django_db


def accepted(market) -> VendorOrder:
    """Verlaine's vendor order (a shirt 59.90, two belts 35.00, shipping 7.00), accepted."""
    order = buy(market, [(market["shirt"], 1), (market["belt"], 2)])
    vo = vendor_order_of(order, market["verlaine"])
    vendor_order_lines_decide(vendor_order=vo, vendor=market["verlaine"],
                              decisions={ln.pk: "accept" for ln in vo.lines.all()})  # fmt: skip
    vo.refresh_from_db()
    return vo


def text(response) -> str:
    return html.unescape(response.content.decode())


def form_url(vo) -> str:
    return reverse("aftersales:cancellation_request", args=[vo.order.reference, vo.pk])


def asked(market, vo, *titles) -> CancellationRequest:
    return cancellation_request_open(
        customer=market["customer"],
        vendor_order=vo,
        line_ids=[line_of(vo, title).pk for title in titles],
    )


# --- the customer ---------------------------------------------------------------------------


def test_cancel_lines_of_an_accepted_order_leads_to_the_request_form(client, market):
    # covers: ORD-5
    vo = accepted(market)
    client.force_login(market["customer"])
    page = client.get(reverse("orders:cancel_lines", args=[vo.order.reference, vo.pk]))
    assert page.status_code == 200
    assert f'href="{form_url(vo)}"' in page.content.decode()
    assert "Demander l'annulation au vendeur" in text(page)


def test_the_customer_asks_to_cancel_an_accepted_article(client, market):
    # covers: ORD-5
    vo = accepted(market)
    shirt = line_of(vo, "Chemise Oxford bleue")
    client.force_login(market["customer"])
    page = text(client.get(form_url(vo)))
    assert page.count('name="lines"') == 2
    assert "1 × Chemise Oxford bleue" in page and "2 × Ceinture en cuir" in page
    assert "il la confirme avant l'expédition" in page
    assert "frais de port qui lui sont rattachés" in page
    assert "vous pouvez refuser le colis à la livraison" in page
    assert "déduire de votre remboursement les frais de retour" in page

    response = client.post(form_url(vo), {"lines": [str(shirt.pk)], "comment": "Erreur de taille"})
    detail = reverse("orders:detail", args=[vo.order.reference])
    assert response.status_code == 302
    assert response["Location"] == f"{detail}#vendeur-{vo.pk}"
    request = CancellationRequest.objects.get()
    assert request.line_ids == [shirt.pk]
    assert request.status == CancellationStatus.REQUESTED
    assert request.thread.motif == Motif.CANCELLATION
    assert "Erreur de taille" in request.thread.messages.get().body
    followed = text(client.get(detail))
    assert "Votre demande d'annulation est envoyée au vendeur." in followed

    # Back on the form: the request waits, with its status and its conversation; the shirt is
    # not offered again.
    page = text(client.get(form_url(vo)))
    assert "En attente de la réponse du vendeur" in page
    assert reverse("support:thread", args=[request.thread_id]) in page
    assert page.count('name="lines"') == 1
    assert f'value="{shirt.pk}"' not in page


def test_a_request_without_any_article_is_refused_with_the_message(client, market):
    # covers: ORD-5
    vo = accepted(market)
    client.force_login(market["customer"])
    response = client.post(form_url(vo), {"comment": "Annulez tout"})
    assert response.status_code == 422
    page = text(response)
    assert "Choisissez au moins un article à annuler." in page
    assert "Annulez tout" in page  # what the customer typed is kept
    assert not CancellationRequest.objects.exists()


def test_another_customer_gets_404_and_nothing_is_asked(client, market):
    # covers: ORD-5
    vo = accepted(market)
    shirt = line_of(vo, "Chemise Oxford bleue")
    client.force_login(UserFactory(email="bea@example.test"))
    assert client.get(form_url(vo)).status_code == 404
    assert client.post(form_url(vo), {"lines": [str(shirt.pk)]}).status_code == 404
    assert not CancellationRequest.objects.exists()


# --- the vendor -----------------------------------------------------------------------------


def order_url(vo) -> str:
    return reverse("vendor_portal:order", args=[vo.pk])


def test_the_vendor_sees_the_request_and_accepts_it(client, market):
    # covers: ORD-5, VEN-2
    vo = accepted(market)
    request = asked(market, vo, "Chemise Oxford bleue")
    client.force_login(market["verlaine_user"])
    page = text(client.get(order_url(vo)))
    assert "Demande d'annulation du client" in page
    card = page[page.index("Demande d'annulation du client") :]
    card = card[: card.index("</section>")]
    assert "1 × Chemise Oxford bleue" in card and "Ceinture en cuir" not in card
    assert "Accepter l'annulation et rembourser" in card and "Refuser" in card

    response = client.post(reverse("vendor_portal:cancellation_confirm", args=[request.pk]),
                           follow=True)  # fmt: skip
    assert response.redirect_chain[-1][0] == f"{order_url(vo)}#annulation"
    page = text(response)
    assert "Annulation acceptée : le client est remboursé de 63,13" in page
    assert "Demande d'annulation du client" not in page  # answered: the card is gone
    request.refresh_from_db()
    assert request.status == CancellationStatus.CONFIRMED
    assert Refund.objects.get().amount == request.refunded_amount
    assert line_of(vo, "Chemise Oxford bleue").status == OrderLine.Status.CANCELLED
    assert line_of(vo, "Ceinture en cuir").status == OrderLine.Status.ACCEPTED


def test_the_vendor_refuses_only_with_a_reason(client, market):
    # covers: ORD-5, VEN-2
    vo = accepted(market)
    request = asked(market, vo, "Ceinture en cuir")
    client.force_login(market["verlaine_user"])
    refuse = reverse("vendor_portal:cancellation_refuse", args=[request.pk])

    page = text(client.post(refuse, {"reason": "   "}, follow=True))
    assert "Indiquez la raison du refus." in page
    assert "Demande d'annulation du client" in page  # still waiting
    request.refresh_from_db()
    assert request.status == CancellationStatus.REQUESTED

    page = text(client.post(refuse, {"reason": "Le colis est déjà préparé."}, follow=True))
    assert "Demande d'annulation refusée : le client est prévenu par e-mail." in page
    request.refresh_from_db()
    assert request.status == CancellationStatus.REFUSED
    assert request.refusal_reason == "Le colis est déjà préparé."
    assert not Refund.objects.exists()
    assert line_of(vo, "Ceinture en cuir").status == OrderLine.Status.ACCEPTED


def test_another_vendor_gets_404_and_nothing_changes(client, market):
    # covers: ORD-5, VEN-2
    vo = accepted(market)
    request = asked(market, vo, "Chemise Oxford bleue")
    client.force_login(market["brun_user"])
    confirm = reverse("vendor_portal:cancellation_confirm", args=[request.pk])
    refuse = reverse("vendor_portal:cancellation_refuse", args=[request.pk])
    assert client.post(confirm).status_code == 404
    assert client.post(refuse, {"reason": "Non"}).status_code == 404
    assert client.get(order_url(vo)).status_code == 404
    request.refresh_from_db()
    assert request.status == CancellationStatus.REQUESTED
    assert not Refund.objects.exists()
    assert line_of(vo, "Chemise Oxford bleue").status == OrderLine.Status.ACCEPTED


def test_the_card_costs_one_query_whatever_the_number_of_requests(client, market):
    # covers: VEN-2
    vo = accepted(market)
    client.force_login(market["verlaine_user"])
    client.get(order_url(vo))  # warm the session
    with CaptureQueriesContext(connection) as none:
        client.get(order_url(vo))
    asked(market, vo, "Chemise Oxford bleue")
    asked(market, vo, "Ceinture en cuir")
    with CaptureQueriesContext(connection) as two:
        page = text(client.get(order_url(vo)))
    assert page.count("Accepter l'annulation et rembourser") == 2
    assert len(two.captured_queries) == len(none.captured_queries)
