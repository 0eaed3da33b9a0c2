"""Console "Commissions" (issue 13, PAY-2): staff with the ledger's permissions read and
schedule each vendor's rates with their dates of effect; nobody else reaches the pages."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from allies.ledger.commissions import site_today
from allies.ledger.models import CommissionRate
from tests.factories import CategoryFactory, UserFactory, VendorFactory, VendorMembershipFactory

pytestmark = pytest.mark.django_db


def staff_with(*codenames: str):
    user = UserFactory(is_staff=True)
    for codename in codenames:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="ledger", codename=codename)
        )
    return type(user).objects.get(pk=user.pk)  # a fresh instance: no permission cache


@pytest.fixture
def shop(db):
    vendor = VendorFactory(name="Maison Verlaine", commission_rate=Decimal("0.15"))
    watches = CategoryFactory(name="Montres")
    today = site_today()
    CommissionRate.objects.create(vendor=vendor, rate=Decimal("0.12"), valid_from=date(2025, 1, 1))
    CommissionRate.objects.create(
        vendor=vendor, category=watches, rate=Decimal("0.20"), valid_from=date(2025, 6, 1)
    )
    future = CommissionRate.objects.create(
        vendor=vendor, category=watches, rate=Decimal("0.18"),
        valid_from=today + timedelta(days=30),
    )  # fmt: skip
    return {
        "vendor": vendor,
        "watches": watches,
        "future": future,
        "viewer": staff_with("view_commissionrate"),
        "manager": staff_with("view_commissionrate", "change_commissionrate"),
        "today": today,
    }


def vendor_url(shop):
    return reverse("backoffice:commission_vendor", args=[shop["vendor"].pk])


def test_staff_who_may_view_see_each_vendors_rates_and_their_history(client, shop):
    # covers: issue 13 (Commissions), PAY-2
    client.force_login(shop["viewer"])
    listing = client.get(reverse("backoffice:commissions"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Maison Verlaine" in html and "12\u00a0%" in html  # the default in force
    page = client.get(vendor_url(shop)).content.decode()
    for text in ("Taux par défaut du vendeur", "Catégorie « Montres »", "20\u00a0%",
                 "18\u00a0%", "Programmé", "En vigueur"):  # fmt: skip
        assert text in page, text
    assert "Programmer un taux" not in page  # viewing only: no form, no delete button
    assert reverse("backoffice:commission_rate_delete", args=[shop["future"].pk]) not in page


def test_a_manager_schedules_a_rate_typed_with_a_french_comma(client, shop):
    # covers: issue 13 (Commissions: per vendor and per category with dates of effect)
    client.force_login(shop["manager"])
    page = client.get(vendor_url(shop)).content.decode()
    assert "Programmer un taux" in page and "jamais dans le passé" in page
    day = shop["today"] + timedelta(days=10)
    response = client.post(vendor_url(shop), {
        "category": str(shop["watches"].pk), "rate": "12,5", "valid_from": day.isoformat(),
    })  # fmt: skip
    assert response.status_code == 302
    row = CommissionRate.objects.get(vendor=shop["vendor"], valid_from=day)
    assert (row.category, row.rate) == (shop["watches"], Decimal("0.1250"))
    page = client.get(vendor_url(shop)).content.decode()
    assert "Taux de 12,5\u00a0% enregistré" in page
    # The vendor's default from today.
    client.post(vendor_url(shop), {"category": "", "rate": "9",
                                   "valid_from": shop["today"].isoformat()})  # fmt: skip
    assert CommissionRate.objects.get(
        vendor=shop["vendor"], category=None, valid_from=shop["today"]
    ).rate == Decimal("0.0900")


@pytest.mark.parametrize("rate", ["-1", "101", "abc", "Infinity", "NaN", "9" * 60, "1e2", ""])
def test_a_bad_rate_is_refused_in_french_and_nothing_is_saved(client, shop, rate):
    # covers: issue 13, issue 9 (bounded parsing)
    client.force_login(shop["manager"])
    before = CommissionRate.objects.count()
    response = client.post(vendor_url(shop), {
        "category": "", "rate": rate, "valid_from": shop["today"].isoformat(),
    })  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "Corrigez les champs signalés" in html
    assert CommissionRate.objects.count() == before


@pytest.mark.parametrize("day", ["2000-01-01", "yesterday", "9999-12-31", "2026-02-30", ""])
def test_a_rate_cannot_start_in_the_past_or_on_a_bad_date(client, shop, day):
    # covers: issue 13 (history is never rewritten)
    client.force_login(shop["manager"])
    if day == "yesterday":
        day = (shop["today"] - timedelta(days=1)).isoformat()
    before = CommissionRate.objects.count()
    response = client.post(vendor_url(shop), {"category": "", "rate": "10", "valid_from": day})
    assert response.status_code == 400
    assert CommissionRate.objects.count() == before
    if day.startswith("2000") or day == (shop["today"] - timedelta(days=1)).isoformat():
        assert "ne peut pas prendre effet dans le passé" in response.content.decode()


def test_an_unknown_category_is_refused(client, shop):
    client.force_login(shop["manager"])
    response = client.post(vendor_url(shop), {
        "category": "999999", "rate": "10", "valid_from": shop["today"].isoformat(),
    })  # fmt: skip
    assert response.status_code == 400
    assert not CommissionRate.objects.filter(valid_from=shop["today"]).exists()


def test_only_a_rate_not_in_force_yet_may_be_deleted(client, shop):
    # covers: issue 13
    client.force_login(shop["manager"])
    current = CommissionRate.objects.get(vendor=shop["vendor"], category=None)
    response = client.post(reverse("backoffice:commission_rate_delete", args=[current.pk]),
                           follow=True)  # fmt: skip
    assert "ne peut plus être supprimé" in response.content.decode()
    assert CommissionRate.objects.filter(pk=current.pk).exists()
    response = client.post(
        reverse("backoffice:commission_rate_delete", args=[shop["future"].pk]), follow=True
    )
    assert "supprimé" in response.content.decode()
    assert not CommissionRate.objects.filter(pk=shop["future"].pk).exists()
    assert client.get(reverse("backoffice:commission_rate_delete",
                              args=[current.pk])).status_code == 405  # fmt: skip


def test_nobody_else_reaches_the_commission_pages(client, shop):
    # covers: issue 13 (staff only), issue 8 §3 (access)
    urls = [reverse("backoffice:commissions"), vendor_url(shop)]
    delete = reverse("backoffice:commission_rate_delete", args=[shop["future"].pk])
    for url in [*urls, delete]:
        response = client.get(url) if url != delete else client.post(url)
        assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    vendor_user = VendorMembershipFactory(vendor=shop["vendor"]).user
    outsiders = [UserFactory(), vendor_user, UserFactory(is_staff=True),
                 staff_with("view_ledgerentry"),
                 UserFactory(is_staff=False, is_superuser=False)]  # fmt: skip
    for user in outsiders:
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)
        assert client.post(vendor_url(shop), {"rate": "1", "valid_from": "2099-01-01"}
                           ).status_code == 403  # fmt: skip
        assert client.post(delete).status_code == 403
    # Viewing staff may not change anything.
    client.force_login(shop["viewer"])
    assert client.post(vendor_url(shop), {
        "category": "", "rate": "1", "valid_from": shop["today"].isoformat(),
    }).status_code == 403  # fmt: skip
    assert client.post(delete).status_code == 403
    assert CommissionRate.objects.filter(pk=shop["future"].pk).exists()
    assert not CommissionRate.objects.filter(valid_from=shop["today"]).exists()
    # Unknown or absurd ids are not found.
    client.force_login(shop["manager"])
    assert client.get(reverse("backoffice:commission_vendor", args=[2**70])).status_code == 404
    assert client.post(reverse("backoffice:commission_rate_delete", args=[2**70])).status_code \
        == 404  # fmt: skip
    assert client.get(reverse("backoffice:commissions") + "?page=abc").status_code == 404


def test_the_pages_cost_a_bounded_number_of_queries(client, shop, django_assert_max_num_queries):
    # covers: ARCHITECTURE (bounded queries)
    client.force_login(shop["manager"])
    for _n in range(40):
        vendor = VendorFactory()
        CommissionRate.objects.create(
            vendor=vendor, rate=Decimal("0.1"), valid_from=date(2025, 1, 1)
        )
    for n in range(25):
        category = CategoryFactory()
        CommissionRate.objects.create(
            vendor=shop["vendor"], category=category, rate=Decimal("0.1"),
            valid_from=date(2025, 1, 1) + timedelta(days=n),
        )  # fmt: skip
    with django_assert_max_num_queries(10):
        assert client.get(reverse("backoffice:commissions")).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("backoffice:commissions") + "?page=2&q=Maison").status_code \
            == 200  # fmt: skip
    with django_assert_max_num_queries(12):
        assert client.get(vendor_url(shop)).status_code == 200
