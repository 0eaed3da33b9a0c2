"""The vendor portal's "Retours": the list and its tabs, one return with its refund deadline,
the vendor's actions through the pages (accept, refuse a late request, parcel received, refund
with a deduction, a deduction too large refused), the dashboard card; another vendor gets 404
on every route; the list costs the same queries whatever the number of returns."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allies.aftersales.models import ReturnRequest
from allies.aftersales.return_states import ReturnStatus
from allies.aftersales.returns import return_accept, return_mark_received
from allies.notifications.models import OutgoingEmail
from allies.orders.events import Actor
from allies.payments.models import Refund
from tests.aftersales.conftest import (  # noqa: F401  (the returns tests' fixtures)
    DELIVERED_AT,
    _fast_passwords,
    _support_storage_in_tmp,
    delivered,
    returned,
)

pytestmark = pytest.mark.django_db

LIST = reverse("vendor_portal:returns")
DAY = timedelta(days=1)


def url(name: str, found) -> str:
    return reverse(f"vendor_portal:{name}", args=[found.pk])


def html(response) -> str:
    return response.content.decode()


def accept(market, found, at):
    with time_machine.travel(at, tick=False):
        return_accept(request=found, actor=Actor.vendor_user(market["verlaine_user"]),
                      vendor=market["verlaine"])  # fmt: skip


def receive(market, found, at):
    with time_machine.travel(at, tick=False):
        return_mark_received(request=found, actor=Actor.vendor_user(market["verlaine_user"]),
                             vendor=market["verlaine"])  # fmt: skip


@pytest.fixture
def three(market):
    """Verlaine's delivered order (a shirt 59,90 €, two belts 35,00 €, shipping 7,00 €) and three
    returns: the shirt asked on day 2 (waiting for an answer), a belt asked on day 3 and
    accepted, a belt asked on day 4, accepted and received on day 8."""
    vo = delivered(market)
    shirt = returned(vo, {"Chemise Oxford bleue": 1}, at=DELIVERED_AT + 2 * DAY,
                     comment="Trop grande aux épaules.")  # fmt: skip
    belt = returned(vo, {"Ceinture en cuir": 1}, at=DELIVERED_AT + 3 * DAY)
    accept(market, belt, DELIVERED_AT + 3 * DAY + timedelta(hours=2))
    back = returned(vo, {"Ceinture en cuir": 1}, at=DELIVERED_AT + 4 * DAY)
    accept(market, back, DELIVERED_AT + 4 * DAY + timedelta(hours=2))
    receive(market, back, DELIVERED_AT + 8 * DAY)
    return {"vo": vo, "shirt": shirt, "belt": belt, "back": back}


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_each_tab_with_its_deadline(verlaine_client, three):
    # covers: VEN-2, RET-1, RET-6
    with time_machine.travel(DELIVERED_AT + 9 * DAY, tick=False):
        to_accept = html(verlaine_client.get(LIST))
        waiting = html(verlaine_client.get(LIST, {"filtre": "en-attente"}))
        inspect = html(verlaine_client.get(LIST, {"filtre": "a-controler"}))
        closed = html(verlaine_client.get(LIST, {"filtre": "termines"}))
        every = verlaine_client.get(LIST, {"filtre": "tous"})
    shirt, belt, back = three["shirt"], three["belt"], three["back"]
    # "À accepter": the shirt, its 48 h answer clock long past (asked on day 2).
    assert shirt.reference in to_accept and belt.reference not in to_accept
    assert "répondre avant le 05/12/2026" in to_accept and "En retard" in to_accept
    assert "Rétractation légale" in to_accept and "Luc" in to_accept
    assert three["vo"].order.reference in to_accept
    assert "luc@example.test" not in to_accept and "Martin" not in to_accept
    assert belt.reference in waiting and "renvoi avant le" in waiting
    assert back.reference in inspect and "À contrôler" in inspect
    assert "à rembourser avant le 19/12/2026" in inspect  # 14 days after the request
    assert "Aucun retour terminé." in closed
    rows = every.context["page"].object_list
    assert [r.pk for r in rows] == [shirt.pk, belt.pk, back.pk]  # the oldest request first
    assert "1 article" in html(every)
    assert verlaine_client.get(LIST, {"page": "x"}).status_code == 404


def test_the_list_is_empty_with_a_word_for_each_tab(verlaine_client):
    # covers: VEN-2
    for slug, words in (
        ("a-accepter", "Aucun retour à accepter."),
        ("en-attente", "Aucun colis de retour attendu."),
        ("a-controler", "Aucun retour à contrôler."),
        ("termines", "Aucun retour terminé."),
        ("tous", "Aucun retour pour le moment."),
    ):
        response = verlaine_client.get(LIST, {"filtre": slug})
        assert response.status_code == 200 and words in html(response)


def test_the_list_costs_the_same_queries_for_1_or_30_returns(
    verlaine_client, market, django_assert_max_num_queries
):
    # covers: VEN-2 (queries constant in the number of returns)
    for offer in (market["shirt"], market["belt"]):
        offer.stock = 40
        offer.save(update_fields=["stock"])
    # Two orders of 10 shirts and 10 belts (a cart line holds 10 at most): 40 units to return.
    units = [
        (vo, title)
        for vo in (delivered(market, [(market["shirt"], 10), (market["belt"], 10)])
                   for _order in range(2))
        for title in ("Chemise Oxford bleue", "Ceinture en cuir")
        for _unit in range(10)
    ]  # fmt: skip
    counted = []
    for total in (1, 30):
        while ReturnRequest.objects.count() < total:
            vo, title = units.pop()
            returned(vo, {title: 1}, at=DELIVERED_AT + DAY)
        verlaine_client.get(LIST)  # the session is warm
        # session · user · vendors · counts · menu's messages · page count · page
        with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as queries:
            response = verlaine_client.get(LIST, {"filtre": "tous"})
        assert response.status_code == 200
        counted.append(len(queries))
    assert counted[0] == counted[1]
    assert len(response.context["page"].object_list) == 20
    page_2 = verlaine_client.get(LIST, {"filtre": "tous", "page": 2})
    assert len(page_2.context["page"].object_list) == 10 and "Page 2 sur 2" in html(page_2)


# --- one return ------------------------------------------------------------------------------


def test_the_detail_shows_items_window_address_and_the_refund_deadline(verlaine_client, three):
    # covers: VEN-2, RET-6
    with time_machine.travel(DELIVERED_AT + 9 * DAY, tick=False):
        page = html(verlaine_client.get(url("return", three["back"])))
    assert "À rembourser avant le 19 décembre 2026" in page
    assert "L221-24" in page
    assert "Ceinture en cuir" in page and "35,00" in page
    assert "Délai de rétractation jusqu'au 15 décembre 2026" in page
    assert three["back"].return_address["city"] in page
    assert url("support_thread", three["back"].thread) in page
    # The refund form with its preview: 35,00 of articles and the belt's shipping share.
    assert "Rembourser" in page and 'data-testid="preview-total"' in page
    assert 'data-testid="reject"' in page and 'data-testid="accept"' not in page
    shirt = html(verlaine_client.get(url("return", three["shirt"])))
    assert "Trop grande aux épaules." in shirt and "Accepter le retour" in shirt
    assert 'data-testid="refuse"' not in shirt  # a legal withdrawal cannot be refused


def test_accepting_emails_the_customer_the_return_address(verlaine_client, three):
    # covers: VEN-2, RET-2
    shirt = three["shirt"]
    before = OutgoingEmail.objects.filter(template="aftersales_return_accepted").count()
    response = verlaine_client.post(url("return_accept", shirt))
    assert response.status_code == 302 and response["Location"] == url("return", shirt)
    shirt.refresh_from_db()
    assert shirt.status == ReturnStatus.ACCEPTED and shirt.send_back_by is not None
    assert OutgoingEmail.objects.filter(template="aftersales_return_accepted").count() == before + 1
    page = html(verlaine_client.get(response["Location"]))
    assert "Retour accepté" in page and "Colis reçu" in page
    # Accepting twice: the service's message, nothing changes.
    again = verlaine_client.post(url("return_accept", shirt))
    assert again.status_code == 422 and "déjà une réponse" in html(again)


def test_a_late_request_is_refused_with_a_reason(verlaine_client, market):
    # covers: VEN-2, RET-1
    vo = delivered(market)
    late = returned(vo, {"Chemise Oxford bleue": 1}, at=DELIVERED_AT + 20 * DAY)
    page = html(verlaine_client.get(url("return", late)))
    assert "Demande hors délai de rétractation" in page and 'data-testid="refuse"' in page
    empty = verlaine_client.post(url("return_refuse", late), {"reason": "  "})
    assert empty.status_code == 422 and "Indiquez la raison du refus." in html(empty)
    late.refresh_from_db()
    assert late.status == ReturnStatus.REQUESTED
    done = verlaine_client.post(url("return_refuse", late), {"reason": "Article porté."})
    assert done.status_code == 302
    late.refresh_from_db()
    assert late.status == ReturnStatus.REFUSED and late.refusal_reason == "Article porté."
    assert OutgoingEmail.objects.filter(template="aftersales_return_refused").count() == 1


def test_received_then_refunded_with_a_deduction_to_the_cent(verlaine_client, three):
    # covers: VEN-2, RET-3, RET-6
    belt = three["belt"]
    assert verlaine_client.post(url("return_received", belt)).status_code == 302
    belt.refresh_from_db()
    assert belt.status == ReturnStatus.RECEIVED
    item = belt.items.get()
    form = {f"retenue-{item.pk}": "5,50", f"motif-{item.pk}": "packaging", "note": "Boîte abîmée"}
    # The preview: 35,00 + its shipping share round(7,00 × 35,00 / 129,90) = 1,89, less 5,50.
    preview = verlaine_client.post(url("return_refund", belt), {**form, "apercu": "1"})
    assert preview.status_code == 200 and "31,39" in html(preview)
    assert not Refund.objects.exists()
    response = verlaine_client.post(url("return_refund", belt), form)
    assert response.status_code == 302
    belt.refresh_from_db()
    assert belt.status == ReturnStatus.REFUNDED
    assert belt.refunded_amount == Decimal("31.39")
    assert Refund.objects.get().amount == Decimal("31.39")
    assert OutgoingEmail.objects.filter(template="aftersales_return_refunded").count() == 1
    page = html(verlaine_client.get(response["Location"]))
    assert "Remboursement de 31,39" in page and "Remboursé" in page


@pytest.mark.parametrize(
    "amount, reason, words",
    [
        ("36", "used", "ne peut pas dépasser"),
        ("12,345", "used", "Indiquez une retenue en euros"),
        ("-3", "used", "Indiquez une retenue en euros"),
        ("abc", "used", "Indiquez une retenue en euros"),
        ("4", "", "Indiquez le motif de la retenue."),
    ],
)
def test_a_bad_deduction_is_refused_with_its_message_and_nothing_changes(
    verlaine_client, three, amount, reason, words
):
    # covers: RET-3
    back = three["back"]
    item = back.items.get()
    response = verlaine_client.post(
        url("return_refund", back), {f"retenue-{item.pk}": amount, f"motif-{item.pk}": reason}
    )
    assert response.status_code == 422 and words in html(response)
    back.refresh_from_db()
    assert back.status == ReturnStatus.RECEIVED and back.refunded_amount == 0
    assert not Refund.objects.exists()
    assert not OutgoingEmail.objects.filter(template="aftersales_return_refunded").exists()


def test_not_compliant_needs_a_reason_then_emails_the_customer(verlaine_client, three):
    # covers: VEN-2, RET-3
    back = three["back"]
    missing = verlaine_client.post(url("return_reject", back), {"rejection_reason": ""})
    assert missing.status_code == 422 and "Indiquez le motif" in html(missing)
    done = verlaine_client.post(url("return_reject", back), {"rejection_reason": "wrong_item"})
    assert done.status_code == 302
    back.refresh_from_db()
    assert back.status == ReturnStatus.REJECTED
    assert OutgoingEmail.objects.filter(template="aftersales_return_rejected").count() == 1


# --- access ----------------------------------------------------------------------------------


def test_another_vendor_gets_404_on_every_route_and_changes_nothing(client, market, three):
    # covers: VEN-2
    client.force_login(market["brun_user"])
    for found in (three["shirt"], three["back"]):
        assert client.get(url("return", found)).status_code == 404
        for name in ("return_accept", "return_refuse", "return_received", "return_refund",
                     "return_reject"):  # fmt: skip
            assert client.post(url(name, found), {"reason": "x"}).status_code == 404, name
    listing = client.get(LIST, {"filtre": "tous"})
    assert list(listing.context["page"].object_list) == []
    assert client.get(reverse("vendor_portal:return", args=[999999])).status_code == 404
    statuses = dict(ReturnRequest.objects.values_list("pk", "status"))
    assert statuses[three["shirt"].pk] == ReturnStatus.REQUESTED
    assert statuses[three["back"].pk] == ReturnStatus.RECEIVED


def test_the_dashboard_card_and_the_menu_count(verlaine_client, market, three):
    # covers: VEN-2
    with time_machine.travel(DELIVERED_AT + 20 * DAY, tick=False):
        verlaine_client.force_login(market["verlaine_user"])
        page = html(verlaine_client.get(reverse("vendor_portal:dashboard")))
    assert 'data-testid="returns"' in page
    assert "1 retour à accepter" in page and "1 retour à contrôler" in page
    assert "1 remboursement en retard" in page  # the belt's refund was due on 19 December
    assert "1 colis de retour attendu" in page
    assert 'data-testid="nav-returns"' in page
