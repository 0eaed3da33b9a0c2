"""The operator runs the marketplace, end to end in a browser (issue 13): a company applies,
staff approve it, the new vendor sets its password and sends its KYC documents (the sandbox
provider validates them), sells, the order is delivered, the withdrawal window passes, the
payout run pays the vendor, who sees the payout on its statement; the operator's dashboard
shows the commission earned."""

import re
from datetime import timedelta
from decimal import Decimal

import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from allies.ledger.models import LedgerEntry
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.shipments import vendor_order_mark_delivered, vendor_order_ship
from allies.payments.models import VendorAccount
from allies.payouts.models import Payout
from allies.vendors.models import Vendor
from tests.browser.test_accounts import path_of
from tests.browser.test_support import _logged_in
from tests.factories import CategoryFactory, UserFactory
from tests.ledger.conftest import buy, offer_of
from tests.onboarding.factories import FR_BIC, FR_IBAN, fr_company
from tests.payments.factories import PDF_BYTES

NEW_PASSWORD = "Atelier-Garance-2026!"


def _fill_application(page, category):
    company = fr_company(7)
    fields = {
        "name": "Atelier Garance",
        "legal_name": "Atelier Garance SAS",
        "legal_form": "SAS",
        "share_capital": "10 000 €",
        "siret": company["siret"],
        "vat_number": company["vat_number"],
        "rcs_city": "Nantes",
        "street": "12 quai de la Fosse",
        "postcode": "44000",
        "city": "Nantes",
        "contact_first_name": "Hélène",
        "contact_last_name": "Garance",
        "contact_email": "helene@garance.test",
        "contact_phone": "02 40 00 00 00",
        "sample_products": "Cravate en soie, 69 €",
        "account_holder": "Atelier Garance SAS",
        "iban": FR_IBAN,
        "bic": FR_BIC,
    }
    for name, value in fields.items():
        page.locator(f"[name={name}]").fill(value)
    # The legal representative, whom the payment provider identifies.
    page.get_by_label("Prénom du représentant légal").fill("Hélène")
    page.get_by_label("Nom du représentant légal", exact=True).fill("Garance")
    page.get_by_label("Nationalité").select_option("FR")
    page.get_by_label("Date de naissance").fill("1984-06-02")
    page.get_by_label("Ville de naissance").fill("Nantes")
    page.get_by_label("Pays de naissance").select_option(label="France")
    page.get_by_label(category.name).check()


def _vendor_logs_in(page, live_server):
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse email").fill("helene@garance.test")
    page.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/compte/")


def test_from_application_to_payout_on_the_statement(browser, live_server, page, settings):
    # covers: VEN-1, PAY-1, PAY-2, VEN-2
    settings.PAYOUT_MIN_AMOUNT = Decimal("10.00")
    category = CategoryFactory(name="Cravates")
    staff = UserFactory(email="finance@allies.test", is_staff=True, is_superuser=True)

    # A company applies from the storefront's footer link.
    page.goto(page.base_url + "/")
    page.get_by_role("link", name="Devenir vendeur").click()
    _fill_application(page, category)
    page.get_by_role("button", name="Envoyer ma candidature").click()
    page.wait_for_url("**/devenir-vendeur/merci/")

    # Staff approve it in the console.
    console = _logged_in(browser, live_server, staff.email)
    console.goto(live_server.url + "/service-client/vendeurs/candidatures/")
    console.get_by_role("link", name=re.compile("Atelier Garance")).first.click()
    representative = console.get_by_test_id("legal-representative")
    expect(representative).to_contain_text("Hélène Garance")
    expect(representative).to_contain_text("Nantes (France)")
    mail.outbox.clear()
    console.get_by_role("button", name="Accepter la candidature").click()
    vendor = Vendor.objects.get(name="Atelier Garance")
    expect(console.locator("body")).to_contain_text("Atelier Garance")

    # The vendor sets its password from the email and sends its three KYC documents.
    [welcome] = [m for m in mail.outbox if "helene@garance.test" in m.to]
    link = re.search(r"https?://\S+/compte/mot-de-passe/\S+", welcome.body).group(0)
    seller = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    seller.set_default_timeout(10_000)
    vendor_page = seller.new_page()
    vendor_page.goto(live_server.url + path_of(link))
    vendor_page.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
    vendor_page.get_by_label("Confirmez le nouveau mot de passe").fill(NEW_PASSWORD)
    vendor_page.get_by_role("button", name="Enregistrer mon nouveau mot de passe").click()
    vendor_page.wait_for_url("**/mot-de-passe/modifie/")
    _vendor_logs_in(vendor_page, live_server)
    vendor_page.goto(live_server.url + "/vendeur/paiements/")
    for kind in ("kbis", "id", "rib"):
        row = vendor_page.locator(f"[data-testid=kyc-{kind}]")
        row.locator("input[type=file]").set_input_files(
            {"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
        )
        row.get_by_role("button", name="Envoyer").click()
        expect(vendor_page.locator(f"[data-testid=kyc-{kind}]")).to_contain_text("Validé")
    # The wallet was opened with the representative given in the application.
    account = VendorAccount.objects.get(vendor=vendor)
    assert (account.representative_first_name, account.representative_last_name) == (
        "Hélène",
        "Garance",
    )
    assert account.status == VendorAccount.Status.VALIDATED

    # It sells; the order is accepted, shipped and delivered.
    offer = offer_of(vendor, price="120.00", category=category)
    order = buy([(offer, 1)])
    vendor_order = order.vendor_orders.get()
    vendor_order_lines_decide(
        vendor_order=vendor_order,
        vendor=vendor,
        decisions={line.pk: "accept" for line in vendor_order.lines.all()},
    )
    vendor_order_ship(
        vendor_order=vendor_order, vendor=vendor, carrier="colissimo", parcels=["6A99999999999"]
    )
    vendor_order_mark_delivered(vendor_order=vendor_order, vendor=vendor)
    commission = -sum(
        e.amount
        for e in LedgerEntry.objects.filter(vendor=vendor, kind=LedgerEntry.Kind.COMMISSION)
    )
    assert commission > 0

    # The withdrawal window passes (the sessions expired meanwhile: both log in again); staff
    # start the payout run.
    with time_machine.travel(timezone.now() + timedelta(days=20), tick=True):
        _logged_in(browser, live_server, staff.email, page=console)
        _vendor_logs_in(vendor_page, live_server)
        console.goto(live_server.url + "/service-client/virements/")
        console.get_by_role("button", name="Lancer les virements").click()
        payout = Payout.objects.get(vendor=vendor)
        expect(console.locator("body")).to_contain_text("Atelier Garance")

        # The vendor sees the payout on its statement, with the order it paid.
        vendor_page.goto(live_server.url + "/vendeur/releve/")
        payout_card = vendor_page.locator("[data-testid=payout]")
        expect(payout_card).to_contain_text(payout.transfer_reference)
        expect(payout_card).to_contain_text(order.reference)
        assert payout.amount == Decimal("120.00") + vendor_order.shipping_fee - commission

        # The operator's dashboard shows the commission earned.
        console.goto(live_server.url + "/service-client/tableau-de-bord/")
        shown = console.locator("[data-testid=kpi-commission]").inner_text()
        assert f"{commission:.2f}".replace(".", ",") in shown.replace("\u202f", "").replace(
            "\xa0", ""
        )
    seller.close()
