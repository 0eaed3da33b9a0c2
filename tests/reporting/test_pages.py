"""The operator's dashboard page and the vendor portal's charts (issue 13): who may read
them, what they show, bounded queries."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allies.vendors.models import VendorMembership
from tests.factories import CategoryFactory, UserFactory, VendorFactory
from tests.reporting.conftest import ledger_reader
from tests.reporting.factories import history_order, history_payout, offer_in

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
URL = "/service-client/tableau-de-bord/"
NOW = datetime(2026, 11, 20, 15, tzinfo=PARIS)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def shop(n_orders: int, *, vendors=None, days: int = 60):
    vendors = vendors or [VendorFactory(name=f"Vendeur {i}") for i in range(3)]
    categories = [CategoryFactory(name=f"Rayon {i}") for i in range(2)]
    offers = [offer_in(v, categories[i % 2]) for i, v in enumerate(vendors)]
    for i in range(n_orders):
        at = NOW - timedelta(days=i % days, hours=i % 5)
        vendor, offer = vendors[i % len(vendors)], offers[i % len(vendors)]
        order = history_order(
            at=at, parts=[(vendor, [(offer, Decimal("20.00") + i, 1)], Decimal("4.90"))]
        )
        if i % 4 == 0:
            history_payout(
                vendor_order=order.vendor_orders.get(),
                at=at + timedelta(hours=1),
                amount=Decimal("10.00"),
            )
    return vendors, categories


def test_the_url_is_the_consoles(clock):
    assert reverse("backoffice:dashboard") == URL


def test_anonymous_visitors_go_to_the_login_page(client, clock):
    # covers: issue 13 (permissions)
    response = client.get(URL)
    assert (
        response.status_code == 302
        and "connexion" in response["Location"]
        or "login" in response["Location"]
    )


@pytest.mark.parametrize(
    "who", ["customer", "staff_without_permission", "vendor", "reader_not_staff"]
)
def test_only_staff_allowed_to_read_the_ledger_see_the_dashboard(client, clock, who):
    # covers: issue 13 (permissions: staff with ledger.view_ledgerentry only)
    from django.contrib.auth.models import Permission

    if who == "customer":
        user = UserFactory()
    elif who == "staff_without_permission":
        user = UserFactory(is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename="handle_thread"))
    elif who == "vendor":
        user = UserFactory()
        VendorMembership.objects.create(vendor=VendorFactory(), user=user)
    else:
        user = UserFactory(is_staff=False)
        user.user_permissions.add(Permission.objects.get(codename="view_ledgerentry"))
    client.force_login(user)
    assert client.get(URL).status_code == 403


def test_the_dashboard_shows_each_chart_with_its_table(client, clock):
    # covers: issue 13 (charts with the table behind each; euros in French)
    shop(12)
    call_command("reporting_refresh")
    client.force_login(ledger_reader())
    response = client.get(URL, {"granularite": "semaine", "du": "2026-10-01", "au": "2026-11-20"})
    assert response.status_code == 200
    html = response.content.decode()
    for chart in (
        "dash-sales",
        "dash-orders",
        "dash-basket",
        "dash-refunds",
        "dash-commission",
        "dash-payouts",
        "dash-vendors",
        "dash-categories",
        "rank-late_acceptances",
        "rank-claims",
    ):
        assert f'id="{chart}-title"' in html
    for chart in ("dash-sales", "dash-orders", "dash-vendors", "dash-categories"):
        assert f'data-chart="{chart}"' in html
    total = sum(Decimal("24.90") + i for i in range(12))
    assert f"{total:.2f}".replace(".", ",") in html.replace("\xa0", " ")
    assert 'role="img"' in html and "<title>" in html
    assert "style=" not in html.split("<main", 1)[-1]  # CSP: no inline style


def test_bad_filters_get_a_clear_message_and_the_default_period(client, clock):
    # covers: issue 13 (every number from outside parsed with bounds)
    client.force_login(ledger_reader())
    for query, message in (
        (
            {"du": "2026-11-20", "au": "2026-01-01"},
            "La date de début doit précéder la date de fin.",
        ),
        ({"du": "1900-01-01"}, "Choisissez des dates entre 2000 et 2100."),
        ({"du": "2020-01-01", "au": "2026-01-01"}, "Choisissez une période de trois ans au plus."),
        (
            {"du": "2025-01-01", "au": "2026-11-01", "granularite": "jour"},
            "regroupez par semaine ou par mois",
        ),
        ({"vendeur": "abc"}, "Sélectionnez un choix valide"),
        ({"granularite": "siecle"}, "Sélectionnez un choix valide"),
    ):
        response = client.get(URL, query)
        assert response.status_code == 200
        assert message in response.content.decode().replace("&#x27;", "'"), query


@pytest.mark.parametrize(
    "filters", [{}, {"vendor": True}, {"category": True}, {"vendor": True, "category": True}]
)
def test_the_page_makes_as_many_queries_with_10_and_100_orders(client, clock, filters):
    # covers: issue 13 (bounded queries)
    client.force_login(ledger_reader())
    counts = []
    vendors = [VendorFactory(name=f"V{i}") for i in range(3)]
    for n in (10, 100):
        _vendors, categories = shop(n if not counts else n - 10, vendors=vendors)
        call_command("reporting_refresh", "--rebuild")
        query = {"granularite": "jour", "du": "2026-10-01", "au": "2026-11-20"}
        if filters.get("vendor"):
            query["vendeur"] = vendors[0].pk
        if filters.get("category"):
            query["categorie"] = categories[0].pk
        client.get(URL, query)  # warm-up: the per-process caches (content types, session)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, query).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 25


def test_the_vendor_portal_shows_its_sales_and_payouts_charts(client, clock):
    # covers: issue 13 (vendor portal dashboard: sales and payouts over time)
    mine, other = VendorFactory(name="Maison Mienne"), VendorFactory(name="Atelier Autre")
    user = UserFactory()
    VendorMembership.objects.create(vendor=mine, user=user)
    history_order(
        at=NOW - timedelta(days=40),
        parts=[(mine, [(offer_in(mine), Decimal("123.40"), 1)], Decimal("0"))],
    )
    history_order(
        at=NOW - timedelta(days=40),
        parts=[(other, [(offer_in(other), Decimal("777.70"), 1)], Decimal("0"))],
    )
    call_command("reporting_refresh")
    client.force_login(user)
    html = client.get(reverse("vendor_portal:dashboard")).content.decode().replace("\xa0", " ")
    assert 'id="vp-sales-title"' in html and 'id="vp-payouts-title"' in html
    assert "123,40 €" in html
    assert "777,70" not in html


def test_the_vendor_portal_dashboard_makes_bounded_queries(client, clock):
    # covers: issue 13 (bounded queries)
    mine = VendorFactory()
    user = UserFactory()
    VendorMembership.objects.create(vendor=mine, user=user)
    client.force_login(user)
    counts = []
    for n in (10, 100):
        shop(n - (10 if counts else 0), vendors=[mine])
        client.get(reverse("vendor_portal:dashboard"))  # warm-up
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("vendor_portal:dashboard")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_the_refresh_command_says_what_it_froze(clock, capsys):
    vendor = VendorFactory()
    history_order(
        at=NOW - timedelta(days=3),
        parts=[(vendor, [(offer_in(vendor), Decimal("1.00"), 1)], Decimal("0"))],
    )
    call_command("reporting_refresh")
    assert "3 day(s) frozen" in capsys.readouterr().out
    call_command("reporting_refresh")
    assert capsys.readouterr().out == ""
    assert date.today()  # the clock is frozen; nothing else to check
