"""The customer cancels articles the vendor has not accepted yet (ORD-5, help page "Gestion de
commande" → "Modification du contenu : suppression d'un/des article(s)"): refunded at once,
article and its shipping share, less its discount part. Once the vendor accepted, it is a
request to the vendor; once shipped, it is impossible (refuse the parcel)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allies.cart.models import DiscountCode
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.cancellations import CancellationError, vendor_order_lines_cancel
from allies.orders.models import OrderEvent, OrderLine, VendorOrder
from allies.orders.shipments import vendor_order_ship
from allies.payments.models import Refund
from tests.factories import OfferFactory, UserFactory
from tests.orders.conftest import (
    TRACKING_1,
    assert_ledger_balanced,
    buy,
    lines_by_title,
    vendor_order_of,
)

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(NBSP, " ")


def cancelled_mails(to):
    return [m for m in mail.outbox if "articles annulés" in m.subject and m.to == [to]]


def page_url(order, vendor_order):
    return reverse("orders:cancel_lines", args=[order.reference, vendor_order.pk])


@pytest.fixture
def discount(db):
    return DiscountCode.objects.create(
        code="ALLIES10", kind=DiscountCode.Kind.PERCENT, value=Decimal("10"),
        valid_from=timezone.now() - timedelta(days=1),
    )  # fmt: skip


@pytest.fixture
def bought(market, discount):
    """Verlaine (7,00 € shipping): shirt 59,90 € and belt 35,00 €, 10 % off with a code."""
    order = buy(market, [(market["shirt"], 1), (market["belt"], 1)], code="ALLIES10")
    vendor_order = vendor_order_of(order, market["verlaine"])
    return order, vendor_order, lines_by_title(vendor_order)


def test_cancelling_one_of_two_pending_lines_refunds_it_with_its_shipping_share(
    client, market, bought
):
    # covers: ORD-5
    order, vendor_order, lines = bought
    belt = lines["Ceinture en cuir"]
    # 10 % of 94,90 € = 9,49 €, split over the lines: the belt's part is 3,50 €.
    assert vendor_order.discount_share == Decimal("9.49")
    assert belt.discount_amount == Decimal("3.50")
    client.force_login(market["customer"])
    detail = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert f'href="{page_url(order, vendor_order)}">Annuler des articles' in detail
    page = text_of(client.get(page_url(order, vendor_order)).content.decode())
    # The preview: 35,00 − 3,50 + 2,58 (7,00 × 35,00 / 94,90) = 34,08 €.
    assert "Remboursement : 34,08 € · dont 2,58 € de frais de port" in page
    mail.outbox.clear()

    response = client.post(page_url(order, vendor_order), {"lines": [str(belt.pk)]})

    assert response.status_code == 302
    assert response["Location"].endswith(f"#vendeur-{vendor_order.pk}")
    detail = text_of(client.get(response["Location"]).content.decode())
    assert "Articles annulés : 34,08 € vous sont remboursés sur votre carte." in detail
    assert "Un article annulé à votre demande · Remboursement de 34,08 €" in detail
    belt.refresh_from_db()
    assert belt.status == OrderLine.Status.CANCELLED
    assert (belt.refunded_amount, belt.refunded_shipping, belt.refunded_discount) == (
        Decimal("34.08"), Decimal("2.58"), Decimal("3.50"),
    )  # fmt: skip
    refund = Refund.objects.get()
    assert refund.amount == Decimal("34.08")
    assert refund.idempotency_key.startswith(f"customer-cancel-{vendor_order.pk}-")
    assert lines["Chemise Oxford bleue"].status == OrderLine.Status.PENDING
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.WAITING_ACCEPTANCE  # the shirt waits
    event = OrderEvent.objects.get(vendor_order=vendor_order, kind="lines_cancelled")
    assert event.actor == market["customer"] and event.data["refunded"] == "34.08"
    # One email to the customer, with the amount and its shipping part; the vendor is told.
    (sent,) = cancelled_mails("luc@example.test")
    body = sent.body.replace(NBSP, " ")
    assert "Ceinture en cuir" in body and "Total remboursé sur votre carte : 34,08 €" in body
    assert "dont 2,58 € de frais de port" in body
    html = sent.alternatives[0][0].replace(NBSP, " ")
    assert "34,08 €" in html and "dont 2,58 € de frais de port" in html
    vendor_mails = [m for m in mail.outbox if m.to != ["luc@example.test"]]
    assert len(vendor_mails) == 1 and "annulés par le client" in vendor_mails[0].subject
    assert_ledger_balanced(order)


def test_cancelling_the_last_pending_line_cancels_and_refunds_the_whole_vendor_order(
    market, bought
):
    # covers: ORD-5
    order, vendor_order, lines = bought
    customer = market["customer"]
    shirt, belt = lines["Chemise Oxford bleue"], lines["Ceinture en cuir"]
    vendor_order_lines_cancel(vendor_order=vendor_order, customer=customer, line_ids=[shirt.pk])
    mail.outbox.clear()
    result = vendor_order_lines_cancel(
        vendor_order=vendor_order.pk, customer=customer, line_ids=[str(belt.pk)]
    )
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.CANCELLED
    assert vendor_order.get_status_display() == "Annulée"
    assert vendor_order.cancelled_at is not None
    # Lines + shipping − discount share, to the cent, over the two refunds.
    whole = Decimal("94.90") + Decimal("7.00") - Decimal("9.49")
    assert sum(r.amount for r in Refund.objects.all()) == whole == vendor_order.total
    assert result.refunded == Refund.objects.get(pk=result.refund.pk).amount
    (sent,) = cancelled_mails("luc@example.test")
    assert "Aucun article de ce vendeur ne vous sera donc envoyé." in sent.body
    # Asking again (the form sent twice) changes nothing.
    again = vendor_order_lines_cancel(
        vendor_order=vendor_order, customer=customer, line_ids=[belt.pk]
    )
    assert again.cancelled == [] and Refund.objects.count() == 2
    assert_ledger_balanced(order)


def test_cancelling_the_last_pending_line_after_the_vendor_accepted_the_rest(market, bought):
    # covers: ORD-5, ORD-8
    order, vendor_order, lines = bought
    shirt, belt = lines["Chemise Oxford bleue"], lines["Ceinture en cuir"]
    vendor_order_lines_decide(
        vendor_order=vendor_order, vendor=market["verlaine"], decisions={shirt.pk: "accept"}
    )
    vendor_order_lines_cancel(
        vendor_order=vendor_order, customer=market["customer"], line_ids=[belt.pk]
    )
    vendor_order.refresh_from_db()
    assert vendor_order.status == VendorOrder.Status.TO_SHIP  # the shirt is to be shipped
    assert_ledger_balanced(order)


def test_a_line_the_vendor_accepted_is_refused_with_the_message(client, market, bought):
    # covers: ORD-5
    order, vendor_order, lines = bought
    belt = lines["Ceinture en cuir"]
    vendor_order_lines_decide(
        vendor_order=vendor_order, vendor=market["verlaine"], decisions={belt.pk: "accept"}
    )
    events = OrderEvent.objects.count()
    mail.outbox.clear()
    client.force_login(market["customer"])

    response = client.post(page_url(order, vendor_order), {"lines": [str(belt.pk)]})

    assert response.status_code == 200
    text = text_of(response.content.decode())
    assert (
        "Le vendeur a déjà accepté cet article : demandez l'annulation au vendeur depuis "
        "l'Assistance en ligne." in text.replace("&#x27;", "'")
    )
    belt.refresh_from_db()
    assert belt.status == OrderLine.Status.ACCEPTED and belt.refunded_amount == 0
    assert not Refund.objects.exists() and OrderEvent.objects.count() == events
    assert mail.outbox == []
    with pytest.raises(CancellationError) as error:
        vendor_order_lines_cancel(
            vendor_order=vendor_order, customer=market["customer"], line_ids=[belt.pk]
        )
    assert error.value.code == "already_decided"


def test_once_accepted_or_shipped_the_page_says_what_is_left_to_do(client, market, bought):
    # covers: ORD-5
    order, vendor_order, lines = bought
    client.force_login(market["customer"])
    vendor_order_lines_decide(
        vendor_order=vendor_order, vendor=market["verlaine"],
        decisions={line.pk: "accept" for line in lines.values()},
    )  # fmt: skip
    detail = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert page_url(order, vendor_order) not in detail  # no more "Annuler des articles"
    text = text_of(client.get(page_url(order, vendor_order)).content.decode())
    assert "une demande à lui adresser, qu'il confirme avant l'expédition" in text.replace(
        "&#x27;", "'"
    )
    assert "Demander l'annulation au vendeur" in text.replace("&#x27;", "'")
    vendor_order_ship(
        vendor_order=vendor_order, vendor=market["verlaine"], carrier="colissimo",
        parcels=[TRACKING_1],
    )  # fmt: skip
    text = text_of(client.get(page_url(order, vendor_order)).content.decode())
    text = text.replace("&#x27;", "'")
    assert "l'annulation n'est plus possible" in text
    assert "refuser le colis à la livraison" in text
    assert "déduire de votre remboursement les frais de retour" in text
    with pytest.raises(CancellationError) as error:
        vendor_order_lines_cancel(
            vendor_order=vendor_order, customer=market["customer"],
            line_ids=[lines["Ceinture en cuir"].pk],
        )  # fmt: skip
    assert error.value.code == "shipped"


def test_another_customer_gets_not_found_and_changes_nothing(client, market, bought):
    # covers: ORD-5
    order, vendor_order, lines = bought
    belt = lines["Ceinture en cuir"]
    other = UserFactory(email="bea@example.test")
    client.force_login(other)
    assert client.get(page_url(order, vendor_order)).status_code == 404
    response = client.post(page_url(order, vendor_order), {"lines": [str(belt.pk)]})
    assert response.status_code == 404
    with pytest.raises(CancellationError) as error:
        vendor_order_lines_cancel(vendor_order=vendor_order, customer=other, line_ids=[belt.pk])
    assert error.value.code == "not_found"
    belt.refresh_from_db()
    assert belt.status == OrderLine.Status.PENDING and not Refund.objects.exists()


def test_bad_choices_get_a_message_and_change_nothing(client, market, bought):
    # covers: ORD-5
    order, vendor_order, lines = bought
    client.force_login(market["customer"])
    for data, message in (
        ({}, "Choisissez au moins un article à annuler."),
        ({"lines": ["abc"]}, "Article inconnu dans cette commande."),
        ({"lines": ["9" * 40]}, "Article inconnu dans cette commande."),
        ({"lines": ["999999"]}, "Article inconnu dans cette commande."),
    ):
        response = client.post(page_url(order, vendor_order), data)
        assert response.status_code == 200
        assert message in text_of(response.content.decode())
    assert not Refund.objects.exists()
    assert set(vendor_order.lines.values_list("status", flat=True)) == {"pending"}


def test_the_page_does_a_bounded_number_of_queries(client, market, django_assert_max_num_queries):
    # covers: ORD-5
    client.force_login(market["customer"])
    small = buy(market, [(market["shirt"], 1)])
    more = [
        OfferFactory(vendor=market["verlaine"], price=Decimal("12.00") + n, stock=5)
        for n in range(6)
    ]
    big = buy(market, [(market["shirt"], 2), (market["belt"], 3), *[(o, 1) for o in more]])
    vendor_order_lines_decide(
        vendor_order=vendor_order_of(big, market["verlaine"]), vendor=market["verlaine"],
        decisions={vendor_order_of(big, market["verlaine"]).lines.first().pk: "accept"},
    )  # fmt: skip
    client.get(reverse("orders:purchases"))  # the session's first request loads caches
    counts = []
    for order in (small, big):
        vendor_order = vendor_order_of(order, market["verlaine"])
        with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as queries:
            response = client.get(page_url(order, vendor_order))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]  # eight lines, one decided, cost what one line costs
