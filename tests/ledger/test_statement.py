"""The vendor's "Relevé", a page of the vendor portal: the acting vendor's own entries only,
a running balance, bounded queries; staff read every vendor's in the admin (read-only) and
any vendor's page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from allies.ledger.models import LedgerEntry
from allies.ledger.selectors import vendor_balance, vendor_statement
from tests.factories import UserFactory, VendorMembershipFactory
from tests.ledger.conftest import buy, refund

pytestmark = pytest.mark.django_db
URL = "/vendeur/releve/"


@pytest.fixture
def sold(two_vendors):
    shop = two_vendors
    order = buy([(shop["watch"], 1), (shop["shirt"], 1), (shop["wallet"], 1)])
    vo = order.vendor_orders.get(vendor=shop["verlaine"])
    refund(vo, lines={vo.lines.get(offer=shop["shirt"]): Decimal("59.90")})
    other = buy([(shop["wallet"], 2)])
    return {**shop, "order": order, "brun_only": other}


def member_of(vendor):
    return VendorMembershipFactory(vendor=vendor).user


def test_the_url_is_the_french_one():
    assert reverse("vendor_portal:statement") == URL


def test_a_vendor_member_reads_its_statement_with_a_running_balance(client, sold):
    # covers: PAY-2, VEN-2
    client.force_login(member_of(sold["verlaine"]))
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Relevé" in html and "Maison Verlaine" in html
    assert sold["order"].reference in html
    for label in ("Vente", "Commission", "Frais de port", "Remboursement d&#x27;articles",
                  "Commission restituée", "Disponible pour virement"):  # fmt: skip
        assert label in html, label
    assert "120,00\u00a0€" in html and "-24,00\u00a0€" in html and "20 % de 120,00" in html
    st = response.context["statement"]
    # The balance after each entry is the running sum, and ends on the vendor's balance.
    running = st.opening_balance
    assert st.rows
    for row in st.rows:
        running += row.entry.amount
        assert row.balance == running
    assert running == st.closing_balance == vendor_balance(vendor=sold["verlaine"])
    assert {row.entry.vendor_id for row in st.rows} == {sold["verlaine"].pk}
    # Brun's order, alone, never shows here.
    assert sold["brun_only"].reference not in html
    assert client.get("/en" + URL).status_code == 200


def test_another_vendors_statement_does_not_exist_for_a_member(client, sold):
    # covers: PAY-2, VEN-2
    client.force_login(member_of(sold["verlaine"]))
    response = client.get(URL, {"vendeur": sold["brun"].slug})
    assert response.status_code == 404
    assert sold["brun_only"].reference not in response.content.decode()
    assert client.get(URL, {"vendeur": "nobody"}).status_code == 404


def test_a_user_acting_for_no_vendor_is_refused_and_a_visitor_must_log_in(client, sold):
    # covers: PAY-2, VEN-2
    response = client.get(URL)
    assert response.status_code == 302 and reverse("accounts:login") in response.url
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"vendeur": sold["verlaine"].slug}).status_code == 403
    staff_without_right = UserFactory(is_staff=True)
    client.force_login(staff_without_right)
    assert client.get(URL, {"vendeur": sold["verlaine"].slug}).status_code == 403


def test_a_member_of_two_vendors_reads_the_vendor_it_switched_to(client, sold):
    # covers: PAY-2, issue 8 §3 (the dashboard showed B while "Relevé" showed A)
    user = member_of(sold["verlaine"])
    VendorMembershipFactory(vendor=sold["brun"], user=user)
    client.force_login(user)
    assert client.get(URL).context["vendor"] == sold["brun"]  # "Atelier Brun" comes first
    client.post(reverse("vendor_portal:switch"), {"vendor": sold["verlaine"].pk})
    response = client.get(URL)
    assert response.context["vendor"] == sold["verlaine"]
    assert client.get(reverse("vendor_portal:dashboard")).context["vendor"] == sold["verlaine"]
    html = response.content.decode()
    assert sold["order"].reference in html and sold["brun_only"].reference not in html
    # It is a portal page: the portal's navigation, "Relevé" marked as the current page.
    assert 'aria-current="page">Relevé</a>' in html
    assert reverse("vendor_portal:offers") in html
    assert client.get(URL, {"vendeur": sold["brun"].slug}).status_code == 404


def test_a_deactivated_vendor_no_longer_reads_its_statement(client, sold):
    # covers: issue 8 §3 (a deactivated vendor was refused the portal but read its Relevé)
    client.force_login(member_of(sold["verlaine"]))
    assert client.get(URL).status_code == 200
    sold["verlaine"].is_active = False
    sold["verlaine"].save(update_fields=["is_active"])
    response = client.get(URL)
    assert response.status_code == 403
    assert sold["order"].reference not in response.content.decode()


def test_ledger_staff_read_any_vendors_statement(client, sold):
    # covers: PAY-2
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_ledgerentry"))
    client.force_login(staff)
    response = client.get(URL, {"vendeur": sold["brun"].slug})
    assert response.status_code == 200 and response.context["vendor"] == sold["brun"]


def _many_entries(vendor_order, count, *, start):
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            vendor_id=vendor_order.vendor_id,
            vendor_order=vendor_order,
            kind="sale",
            amount=Decimal("1.00") + i,
            created_at=start + timedelta(minutes=i),
        )  # fmt: skip
        for i in range(count)
    )


def test_the_statement_page_does_a_bounded_number_of_queries(
    client, sold, django_assert_max_num_queries
):
    # covers: PAY-2
    vo = sold["order"].vendor_orders.get(vendor=sold["verlaine"])
    client.force_login(member_of(sold["verlaine"]))
    client.get(URL)  # warm the menu cache
    with django_assert_max_num_queries(14):
        small = client.get(URL)
    _many_entries(vo, 250, start=timezone.now() - timedelta(hours=5))
    with django_assert_max_num_queries(14):
        big = client.get(URL)
    with django_assert_max_num_queries(14):
        page_3 = client.get(URL, {"page": 3})
    assert len(big.context["statement"].rows) == 100 and big.context["pages"] == 3
    assert len(small.context["statement"].rows) < 20
    # The running balance carries across pages and ends on the balance.
    assert page_3.context["statement"].rows[-1].balance == vendor_balance(vendor=vo.vendor)
    assert client.get(URL, {"page": 4}).status_code == 404
    assert client.get(URL, {"page": "x"}).status_code == 404


def test_a_period_starts_from_the_balance_before_it(client, two_vendors):
    # covers: PAY-2
    vo = buy([(two_vendors["wallet"], 1)]).vendor_orders.get()
    now = timezone.now()
    # Local noon: the period's days are the vendor's (Paris) days, whatever the hour of the run.
    start = timezone.localtime(now - timedelta(days=60)).replace(hour=12, minute=0)
    _many_entries(vo, 3, start=start)
    before = vendor_statement(vendor=vo.vendor, until=now - timedelta(days=30))
    st = vendor_statement(vendor=vo.vendor, since=now - timedelta(days=30))
    assert before.closing_balance == Decimal("6.00")  # 1 + 2 + 3
    assert st.opening_balance == Decimal("6.00")
    assert st.closing_balance == vendor_balance(vendor=vo.vendor)
    client.force_login(member_of(vo.vendor))
    day = start.date()
    response = client.get(URL, {"du": day.isoformat(), "au": day.isoformat()})
    assert len(response.context["statement"].rows) == 3
    assert client.get(URL, {"du": "2026-02-10", "au": "2026-01-01"}).status_code == 200


def test_staff_see_every_vendors_entries_and_balances_in_the_admin_read_only(
    client, sold, django_assert_max_num_queries
):
    # covers: PAY-2
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:ledger_ledgerentry_changelist")
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Maison Verlaine" in html and "Atelier Brun" in html
    balances = {row["vendor_id"]: row["balance"] for row in response.context["vendor_balances"]}
    assert balances == {v.pk: vendor_balance(vendor=v) for v in (sold["verlaine"], sold["brun"])}
    summary = response.context["operator_summary"]
    assert summary["customer_money"] == summary["vendors"] + summary["operator"]
    filtered = client.get(url, {"vendor__id__exact": sold["brun"].pk, "kind": "commission"})
    assert [r["vendor_id"] for r in filtered.context["vendor_balances"]] == [sold["brun"].pk]
    entry = LedgerEntry.objects.first()
    assert client.get(reverse("admin:ledger_ledgerentry_add")).status_code == 403
    assert (
        client.get(reverse("admin:ledger_ledgerentry_delete", args=[entry.pk])).status_code == 403
    )
    change = client.post(reverse("admin:ledger_ledgerentry_change", args=[entry.pk]),
                         {"amount": "999"})  # fmt: skip
    assert change.status_code == 403
    assert LedgerEntry.objects.get(pk=entry.pk).amount == entry.amount
