"""Vendor order emails go where the vendor chose, in its language, and state the real rules.

The vendor chooses in "Profil et facturation" which addresses receive its order emails (the
contact address by default) and their language; the new-order email states both deadlines
(acceptance, then automatic cancellation) from the settings (issue 8 §5).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from allies.invoices.services import invoice_request
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.shipments import vendor_order_ship
from allies.orders.tasks import vendor_orders_acceptance_overdue
from allies.vendors.models import Vendor
from tests.orders import conftest as orders_conftest
from tests.orders.conftest import TRACKING_1, buy, vendor_order_of

pytestmark = pytest.mark.django_db

market = orders_conftest.market  # the orders' test market, as a fixture
PARIS = ZoneInfo("Europe/Paris")
# Tuesday 1 December 2026, 10:00: acceptance due Thursday 3 (2 working days), automatic
# cancellation on Tuesday 8 (5 working days).
VALIDATED = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)


def _profile(vendor, **changes):
    data = {
        "legal_name": vendor.legal_name, "legal_form": "SAS", "share_capital": "",
        "siret": vendor.siret, "rcs_city": "", "vat_number": vendor.vat_number,
        "street": vendor.street, "postcode": vendor.postcode, "city": vendor.city,
        "country": "FR", "email": vendor.email, "phone": "", "return_street": "",
        "return_postcode": "", "return_city": "", "return_country": "",
        "invoice_mode": "generated", "order_email_recipients": "", "email_language": "fr",
    }  # fmt: skip
    return {**data, **changes}


def _buy_at_validation(market, capture):
    with time_machine.travel(VALIDATED, tick=False), capture(execute=True):
        return buy(market, [(market["shirt"], 1), (market["wallet"], 1)])


def _new_order_emails():
    return [m for m in mail.outbox if "à accepter" in m.subject or "to accept" in m.subject]


def test_new_order_email_states_the_acceptance_deadline_and_the_real_cancellation(
    market, django_capture_on_commit_callbacks
):
    # covers: ORD-8, issue 8 §5 — the order is not cancelled at the 2-working-day deadline.
    _buy_at_validation(market, django_capture_on_commit_callbacks)
    email = next(m for m in _new_order_emails() if m.to == [market["verlaine"].email])
    body = " ".join(email.body.split())
    assert "avant le jeudi 3 décembre 2026 à 10:00." in body
    assert "signalée en retard" in body
    assert "toujours sans réponse le mardi 8 décembre 2026 à 10:00" in body
    assert "annulée automatiquement et le client remboursé" in body


def test_the_cancellation_date_follows_the_setting(
    market, settings, django_capture_on_commit_callbacks
):
    # covers: ORD-8
    settings.ORDER_AUTO_CANCEL_WORKING_DAYS = 7
    _buy_at_validation(market, django_capture_on_commit_callbacks)
    email = next(m for m in _new_order_emails() if m.to == [market["verlaine"].email])
    assert "toujours sans réponse le jeudi 10 décembre 2026 à 10:00" in " ".join(email.body.split())


def test_profile_page_says_where_order_emails_go(client, market):
    # covers: VEN-1, issue 8 §5
    client.force_login(market["verlaine_user"])
    body = client.get(reverse("vendor_portal:profile")).content.decode()
    assert "Emails de commande" in body
    assert f"Envoyés aujourd'hui à : {market['verlaine'].email}" in body


def test_vendor_chooses_the_addresses_and_language_of_its_order_emails(
    client, market, django_capture_on_commit_callbacks
):
    # covers: VEN-1, ORD-8, issue 8 §5
    vendor = market["verlaine"]
    client.force_login(market["verlaine_user"])
    response = client.post(
        reverse("vendor_portal:profile"),
        _profile(
            vendor,
            order_email_recipients="Commandes@verlaine.example ; logistique@verlaine.example",
            email_language="en",
        ),
        follow=True,
    )
    assert "Profil enregistré" in response.content.decode()
    vendor.refresh_from_db()
    assert (
        vendor.order_email_recipients == "commandes@verlaine.example, logistique@verlaine.example"
    )
    assert (
        "Envoyés aujourd'hui à : commandes@verlaine.example, logistique@verlaine.example"
        in response.content.decode()
    )

    order = _buy_at_validation(market, django_capture_on_commit_callbacks)
    new = {m.to[0]: m for m in _new_order_emails()}
    assert set(new) == {
        "commandes@verlaine.example", "logistique@verlaine.example", market["brun"].email,
    }  # fmt: skip
    assert vendor.email not in new  # the contact address was replaced, not added to
    english = new["commandes@verlaine.example"]
    assert english.subject == f"New order {order.reference} to accept"
    assert "Thursday 3 December 2026, 10:00" in english.body and " à " not in english.body
    assert "Nouvelle commande" in new[market["brun"].email].subject  # Brun kept French

    # The late-answer email follows the same choice.
    mail.outbox.clear()
    with time_machine.travel(datetime(2026, 12, 3, 11, 0, tzinfo=PARIS), tick=False):
        vendor_orders_acceptance_overdue.call()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["commandes@verlaine.example", "logistique@verlaine.example", market["brun"].email]
    )


def test_invoice_requested_email_goes_to_the_chosen_addresses(
    market, django_capture_on_commit_callbacks
):
    # covers: INV-2, issue 8 §5
    vendor = market["verlaine"]
    Vendor.objects.filter(pk=vendor.pk).update(
        order_email_recipients="factures@verlaine.example", email_language="en"
    )
    from allies.invoices.models import VendorInvoicing

    VendorInvoicing.objects.create(vendor=vendor, mode=VendorInvoicing.Mode.UPLOADED)
    order = buy(market, [(market["shirt"], 1)])
    vendor_order = vendor_order_of(order, vendor)
    vendor.refresh_from_db()
    vendor_order_lines_decide(
        vendor_order=vendor_order,
        vendor=vendor,
        decisions={line.pk: "accept" for line in vendor_order.lines.all()},
    )
    vendor_order_ship(
        vendor_order=vendor_order, vendor=vendor, carrier="colissimo", parcels=[TRACKING_1]
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invoice_request(vendor_order=vendor_order, customer=market["customer"])
    requested = [m for m in mail.outbox if order.reference in m.subject]
    assert [m.to for m in requested] == [["factures@verlaine.example"]]
    assert requested[0].subject == f"Invoice requested for order {order.reference}"


def test_an_invalid_address_is_refused_and_changes_nothing(client, market):
    # covers: VEN-1
    vendor = market["verlaine"]
    client.force_login(market["verlaine_user"])
    response = client.post(
        reverse("vendor_portal:profile"),
        _profile(vendor, order_email_recipients="ok@verlaine.example, pas-une-adresse"),
    )
    assert response.status_code == 422
    assert "Adresse email invalide : pas-une-adresse." in response.content.decode()
    vendor.refresh_from_db()
    assert vendor.order_email_recipients == ""
    assert vendor.order_email_addresses == [vendor.email]
