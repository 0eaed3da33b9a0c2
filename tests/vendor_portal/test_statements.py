"""The portal's "Relevé" by month (allies/vendor_portal/statements.py): month navigation,
the month's summary and payouts, the CSV for French Excel and the PDF, who may read them,
bounded queries."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allies.ledger.models import LedgerEntry
from tests.factories import UserFactory
from tests.invoices.conftest import pdf_text
from tests.ledger.statement_factories import entry, paid_payout
from tests.orders.conftest import buy, vendor_order_of

pytestmark = pytest.mark.django_db
PAGE = "/vendeur/releve/"
CSV = "/vendeur/releve/2025-11.csv"
PDF = "/vendeur/releve/2025-11.pdf"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def history(market):
    """Maison Verlaine's October and November 2025: sales, a commission, a refund, two
    payouts of two and one vendor orders; Atelier Brun's own sale in November."""
    verlaine, brun = market["verlaine"], market["brun"]
    orders = [buy(market, [(market["shirt"], 1), (market["wallet"], 1)]) for _ in range(3)]
    vos = [vendor_order_of(o, verlaine) for o in orders]
    brun_vo = vendor_order_of(orders[0], brun)
    entry(vos[0], amount="100.00", at=utc(2025, 10, 10, 12))
    entry(vos[0], amount="-15.00", kind="commission", at=utc(2025, 10, 10, 12))
    entry(vos[1], amount="59.90", at=utc(2025, 10, 31, 23, 30))  # 1 Nov, 00:30 in Paris
    entry(vos[2], amount="1234.56", at=utc(2025, 11, 12, 9))
    entry(vos[2], amount="-7.00", kind="return_label", at=utc(2025, 11, 12, 9))
    entry(vos[1], amount="-20.00", kind="refund_sale", at=utc(2025, 11, 14, 9),
          description="=HYPERLINK(\"x\")")  # fmt: skip
    first = paid_payout(verlaine, lines=[(vos[0], "85.00"), (vos[1], "39.90")],
                        at=utc(2025, 11, 20, 8))  # fmt: skip
    second = paid_payout(verlaine, lines=[(vos[2], "100.00")], at=utc(2025, 11, 28, 8))
    entry(brun_vo, amount="45.00", at=utc(2025, 11, 3, 9))
    return {"orders": orders, "vos": vos, "payouts": [first, second], "brun_vo": brun_vo}


# October: 100 − 15 = 85. November: 59.90 + 1234.56 − 7 − 20 − 124.90 − 100 = 1042.56.
OCTOBER_CLOSING = Decimal("85.00")
NOVEMBER_CLOSING = Decimal("1127.56")


def test_a_vendor_reads_a_month_with_its_totals_and_payouts(client, market, history):
    # covers: PAY-2, VEN-2, issue 13 STATEMENTS
    client.force_login(market["verlaine_user"])
    response = client.get(PAGE, {"mois": "2025-11"})
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary.opening_balance == OCTOBER_CLOSING
    assert summary.closing_balance == NOVEMBER_CLOSING
    groups = {g.key: g.amount for g in summary.groups}
    assert groups == {"sales": Decimal("1294.46"), "shipping": Decimal("0.00"),
                      "commissions": Decimal("0.00"), "refunds": Decimal("-27.00"),
                      "payouts": Decimal("-224.90")}  # fmt: skip
    html = response.content.decode()
    assert "Novembre 2025" in html and "Synthèse du mois" in html
    assert "85,00\u00a0€" in html and "1\u00a0127,56\u00a0€" in html
    # Each payout with the orders it paid.
    first, second = history["payouts"]
    assert first.transfer_reference in html and second.transfer_reference in html
    payout_block = html[
        html.index(first.transfer_reference) : html.index(second.transfer_reference)
    ]
    assert history["orders"][0].reference in payout_block
    assert history["orders"][1].reference in payout_block
    assert history["orders"][2].reference not in payout_block
    # Navigation: the months with entries, the previous month, the files of this month.
    months = [m.key for m in response.context["months"]]
    assert "2025-11" in months and "2025-10" in months and "2025-09" not in months
    assert "?mois=2025-10" in html
    assert reverse("vendor_portal:statement_csv", kwargs={"year": 2025, "month": 11}) in html
    assert reverse("vendor_portal:statement_pdf", kwargs={"year": 2025, "month": 11}) in html
    # The entry of 23:30 UTC on 31 October is November's (Paris time); October ends on 85.
    october = client.get(PAGE, {"mois": "2025-10"}).context["summary"]
    assert october.count == 2 and october.closing_balance == OCTOBER_CLOSING
    # Brun's sale never shows in Verlaine's month.
    assert summary.count == 7


@pytest.mark.parametrize("value", ["2025-13", "novembre", "1999-12", "2025-11-01", "9" * 40])
def test_a_bad_month_gets_a_clear_message_not_an_error(client, market, history, value):
    # covers: issue 13 STATEMENTS (bad input gets a clear message)
    client.force_login(market["verlaine_user"])
    response = client.get(PAGE, {"mois": value})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="month-error"' in html and "Voici le mois en cours." in html


@pytest.mark.parametrize("path", ["1999-12", "2101-01", "2025-13", "2025-0", "2025-00"])
def test_files_of_a_month_out_of_bounds_do_not_exist(client, market, path):
    # covers: issue 13 STATEMENTS (year 2000..2100, month 1..12)
    client.force_login(market["verlaine_user"])
    assert client.get(f"{PAGE}{path}.csv").status_code == 404
    assert client.get(f"{PAGE}{path}.pdf").status_code == 404


def _csv(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_csv_opens_in_french_excel(client, market, history):
    # covers: issue 13 STATEMENTS (CSV: BOM, semicolons, decimal comma, dd/mm/yyyy)
    client.force_login(market["verlaine_user"])
    response = client.get(CSV)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="releve-' in response["Content-Disposition"]
    data = _csv(response)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Date", "Référence commande", "Nature", "Libellé", "Montant (€)",
                       "Solde (€)"]  # fmt: skip
    assert rows[1][:3] == ["31/10/2025", "", "Ancien solde"] and rows[1][-1] == "85,00"
    assert rows[-1][:3] == ["30/11/2025", "", "Nouveau solde"] and rows[-1][-1] == "1127,56"
    lines = rows[2:-1]
    assert len(lines) == 7 and all(len(r) == 6 for r in rows)
    # The sale of 23:30 UTC on 31 October is dated 1 November (Paris).
    assert lines[0] == ["01/11/2025", history["orders"][1].reference, "Vente", "", "59,90",
                        "144,90"]  # fmt: skip
    assert [
        "12/11/2025",
        history["orders"][2].reference,
        "Vente",
        "",
        "1234,56",
        "1379,46",
    ] in lines
    # A description Excel would run as a formula is neutralised.
    refund = next(r for r in lines if r[2] == "Remboursement d'articles")
    assert refund[3].startswith("'=") and refund[4] == "-20,00"
    payouts = [r for r in lines if r[2] == "Virement au vendeur"]
    assert len(payouts) == 3 and payouts[0][3].startswith("Virement P2P-")
    # Running balance = opening + Σ amounts, ending on the closing balance.
    balance = Decimal("85.00")
    for r in lines:
        balance += Decimal(r[4].replace(",", "."))
        assert Decimal(r[5].replace(",", ".")) == balance
    assert balance == NOVEMBER_CLOSING
    assert history["brun_vo"].order.reference not in {r[1] for r in lines if r[4] == "45,00"}


def test_the_pdf_is_a_statement_with_its_totals_and_payouts(client, market, history):
    # covers: issue 13 STATEMENTS (PDF)
    client.force_login(market["verlaine_user"])
    response = client.get(PDF)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    verlaine = market["verlaine"]
    assert "Relevé" in text and "Novembre 2025" in text and verlaine.legal_name in text
    assert "Ancien solde au 31/10/2025 85,00 €" in text
    assert "Nouveau solde au 30/11/2025 1 127,56 €" in text
    assert "Total des crédits 1 294,46 €" in text
    assert "Virements -224,90 €" in text
    first, second = history["payouts"]
    assert f"Virement {first.transfer_reference}" in text
    assert f"Commande {history['orders'][0].reference} 85,00 €" in text
    assert f"Virement {second.transfer_reference}" in text


def _staff(*, may_read_ledger: bool):
    user = UserFactory(is_staff=True)
    if may_read_ledger:
        user.user_permissions.add(Permission.objects.get(codename="view_ledgerentry"))
    return user


def test_only_the_vendors_members_and_ledger_staff_read_its_statement(client, market, history):
    # covers: PAY-2, VEN-2, issue 13 STATEMENTS (access)
    verlaine = market["verlaine"]
    urls = [PAGE, CSV, PDF]
    for url in urls:  # a visitor logs in first
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response.url
    client.force_login(market["brun_user"])
    for url in urls:  # another vendor's member: Verlaine's statement does not exist
        assert client.get(url, {"vendeur": verlaine.slug}).status_code == 404
    # Brun's own CSV holds its sale only.
    own = _csv(client.get(CSV)).decode("utf-8-sig")
    assert history["orders"][2].reference not in own and "45,00" in own
    client.force_login(_staff(may_read_ledger=False))
    for url in urls:
        assert client.get(url, {"vendeur": verlaine.slug}).status_code == 403
    client.force_login(UserFactory())  # a customer
    for url in urls:
        assert client.get(url).status_code == 403
    client.force_login(_staff(may_read_ledger=True))
    page = client.get(PAGE, {"vendeur": verlaine.slug, "mois": "2025-11"})
    assert page.status_code == 200 and page.context["summary"].closing_balance == NOVEMBER_CLOSING
    html = page.content.decode()
    assert f"2025-11.csv?vendeur={verlaine.slug}" in html and "?vendeur=" in html
    data = _csv(client.get(CSV, {"vendeur": verlaine.slug})).decode("utf-8-sig")
    assert "1127,56" in data
    assert client.get(PDF, {"vendeur": verlaine.slug}).content.startswith(b"%PDF")
    assert client.get(CSV, {"vendeur": "nobody"}).status_code == 404


def _count(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(ctx)


def test_a_month_takes_the_same_queries_for_10_or_200_entries(client, market, history):
    # covers: issue 13 STATEMENTS (bounded queries)
    verlaine = market["verlaine"]
    vos = history["vos"]

    def fill(month, n):
        LedgerEntry.objects.bulk_create(
            LedgerEntry(vendor=verlaine, vendor_order=vos[i % 3], kind="sale",
                        amount=Decimal("1.00"), created_at=utc(2025, month, 2, i // 60, i % 60))
            for i in range(n)
        )  # fmt: skip
        paid_payout(verlaine, lines=[(vos[i], "1.00") for i in range(3)], at=utc(2025, month, 3))

    fill(5, 10)
    fill(6, 200)
    client.force_login(market["verlaine_user"])
    client.get(PAGE, {"mois": "2025-05"})  # warm the menu's caches
    for url, kwargs in [
        (PAGE, {"mois": "2025-{}"}),
        (PAGE + "2025-{}.csv", {}),
        (PAGE + "2025-{}.pdf", {}),
    ]:
        small = _count(client, url.format("05"), **{k: v.format("05") for k, v in kwargs.items()})
        big = _count(client, url.format("06"), **{k: v.format("06") for k, v in kwargs.items()})
        assert small == big, url
    assert _count(client, PAGE, mois="2025-06") <= 18
    assert _count(client, PAGE + "2025-06.csv") <= 8
    assert _count(client, PAGE + "2025-06.pdf") <= 10
    big_page = client.get(PAGE, {"mois": "2025-06"})
    assert len(big_page.context["statement"].rows) == 100 and big_page.context["pages"] == 3
