"""Staff suspend a vendor: its offers leave the site at once (product page, search, listings,
cached anonymous pages), its open orders are still handled; reinstating brings them back."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from allies.onboarding.models import VendorStatusEvent
from allies.onboarding.services import VendorStatusError, vendor_reinstate, vendor_suspend
from allies.vendors.models import Vendor
from tests.factories import UserFactory, VendorFactory, VendorMembershipFactory
from tests.onboarding.factories import reviewer, suspender
from tests.orders.conftest import buy, market, vendor_order_of  # noqa: F401
from tests.storefront.conftest import add_product, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    """One product sold by two vendors: Verlaine (the one suspended) at 49,90 €, Brun at
    55,00 €; and a product only Verlaine sells."""
    verlaine = VendorFactory(name="Maison Verlaine")
    brun = VendorFactory(name="Atelier Brun")
    shared = add_product(
        title="Chemise Oxford", offers=[{"vendor": verlaine, "price": "49.90"},
                                        {"vendor": brun, "price": "55.00"}],
    )  # fmt: skip
    alone = add_product(title="Ceinture tressée", offers=[{"vendor": verlaine, "price": "35"}])
    return {"verlaine": verlaine, "brun": brun, "shared": shared, "alone": alone}


def _suspend(shop, capture, reason="Contrefaçons signalées"):
    with capture(execute=True):
        return vendor_suspend(vendor=shop["verlaine"], by=suspender(), reason=reason)


def test_suspension_hides_offers_at_once_on_product_page_and_search(
    client, shop, django_capture_on_commit_callbacks
):
    # covers: VEN-2 (offers hidden at once)
    shared_url = shop["shared"].get_absolute_url()
    search = reverse("storefront:search") + "?q=ceinture"
    assert "Maison Verlaine" in text(client.get(shared_url))
    assert "Ceinture tressée" in text(client.get(search))
    vendor = _suspend(shop, django_capture_on_commit_callbacks)
    assert vendor.is_active is False and vendor.suspended_at is not None
    page = text(client.get(shared_url))
    assert "Maison Verlaine" not in page and "Atelier Brun" in page and "49,90" not in page
    assert "Ceinture tressée" not in text(client.get(search))
    assert client.get(shop["verlaine"].get_absolute_url()).status_code == 404
    shop["shared"].refresh_from_db()
    assert shop["shared"].offer_count == 1  # the listing summary says Brun's only


def test_cached_anonymous_pages_stop_showing_the_offers(
    client, shop, settings, django_capture_on_commit_callbacks
):
    # covers: VEN-2 (the anonymous page cache does not keep the offers)
    settings.PAGE_CACHE_SECONDS = 600
    urls = [
        shop["shared"].get_absolute_url(),
        shop["alone"].get_absolute_url(),
        reverse("storefront:category", kwargs={"slug": shop["alone"].category.slug}),
        reverse("storefront:home"),
        "/en" + shop["shared"].get_absolute_url(),
    ]
    for url in urls:
        client.get(url)
        assert client.get(url)["X-Page-Cache"] == "hit"
    assert "Maison Verlaine" in text(client.get(urls[0]))
    _suspend(shop, django_capture_on_commit_callbacks)
    assert "Maison Verlaine" not in text(client.get(urls[0]))
    assert "Maison Verlaine" not in text(client.get(urls[4]))
    assert "Ceinture tressée" not in text(client.get(urls[2]))
    assert client.get(urls[1]).status_code in (200, 404)
    assert "Maison Verlaine" not in text(client.get(urls[1]))


def test_reinstating_brings_the_offers_back_at_once(
    client, shop, settings, django_capture_on_commit_callbacks
):
    # covers: VEN-2
    settings.PAGE_CACHE_SECONDS = 600
    url = shop["shared"].get_absolute_url()
    search = reverse("storefront:search") + "?q=ceinture"
    _suspend(shop, django_capture_on_commit_callbacks)
    assert "Maison Verlaine" not in text(client.get(url))  # cached without it
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        vendor = vendor_reinstate(vendor=shop["verlaine"], by=suspender())
    assert vendor.is_active and vendor.suspended_at is None and vendor.suspension_reason == ""
    assert "Maison Verlaine" in text(client.get(url))
    assert "Ceinture tressée" in text(client.get(search))
    assert [m.to for m in mail.outbox] == [[vendor.email]]
    actions = list(VendorStatusEvent.objects.filter(vendor=vendor).values_list("action", flat=True))
    assert actions == ["suspended", "reinstated"]


def test_suspension_emails_the_vendor_with_the_reason(shop, django_capture_on_commit_callbacks):
    # covers: VEN-2
    mail.outbox.clear()
    _suspend(shop, django_capture_on_commit_callbacks, reason="Délais d'expédition non tenus")
    [email] = mail.outbox
    assert email.to == [shop["verlaine"].email]
    assert "Délais d'expédition non tenus" in email.body
    assert "commandes en cours" in email.body


def test_suspension_needs_a_reason_permission_and_the_right_state(
    shop, django_capture_on_commit_callbacks
):
    # covers: VEN-2
    verlaine = shop["verlaine"]
    with pytest.raises(VendorStatusError):
        vendor_suspend(vendor=verlaine, by=suspender(), reason=" ")
    for user in (UserFactory(), UserFactory(is_staff=True), reviewer()):
        with pytest.raises(VendorStatusError):
            vendor_suspend(vendor=verlaine, by=user, reason="x")
    verlaine.refresh_from_db()
    assert verlaine.is_active and verlaine.suspended_at is None
    with pytest.raises(VendorStatusError):
        vendor_reinstate(vendor=verlaine, by=suspender())  # not suspended
    _suspend(shop, django_capture_on_commit_callbacks)
    with pytest.raises(VendorStatusError):
        vendor_suspend(vendor=verlaine, by=suspender(), reason="encore")
    closed = VendorFactory(is_active=False)
    with pytest.raises(VendorStatusError):
        vendor_suspend(vendor=closed, by=suspender(), reason="x")
    with pytest.raises(VendorStatusError):
        vendor_reinstate(vendor=closed, by=suspender())  # closed, not suspended


def test_suspended_vendor_still_handles_its_open_orders_in_the_portal(
    client,
    market,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    # covers: VEN-2 (open orders still handled)
    order = buy(market, [(market["shirt"], 1)])
    vendor_order = vendor_order_of(order, market["verlaine"])
    with django_capture_on_commit_callbacks(execute=True):
        vendor_suspend(vendor=market["verlaine"], by=suspender(), reason="Contrôle qualité")
    client.force_login(market["verlaine_user"])
    orders = client.get(reverse("vendor_portal:orders"))
    assert orders.status_code == 200
    assert order.reference in text(orders)
    detail = client.get(reverse("vendor_portal:order", kwargs={"pk": vendor_order.pk}))
    assert detail.status_code == 200


# --- the console --------------------------------------------------------------------------


def test_console_vendor_list_suspends_and_reinstates(
    client, shop, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # covers: VEN-2
    staff = suspender()
    client.force_login(staff)
    url = reverse("backoffice:vendors")
    with django_assert_max_num_queries(10):
        page = client.get(url)
    assert "Maison Verlaine" in text(page) and "Suspendre" in text(page)
    verlaine = shop["verlaine"]
    suspend = reverse("backoffice:vendor_suspend", kwargs={"pk": verlaine.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(suspend, {"reason": "Contrefaçons"})
    assert response.status_code == 302
    verlaine.refresh_from_db()
    assert verlaine.suspended_at and verlaine.suspension_reason == "Contrefaçons"
    for _n in range(15):  # more suspended vendors: the page's queries stay the same
        VendorFactory(is_active=False, suspended_at=verlaine.suspended_at)
    with django_assert_max_num_queries(10):
        listed = text(client.get(url, {"filtre": "suspendus"}))
    assert "Maison Verlaine" in listed and "Contrefaçons" in listed and "Atelier Brun" not in listed
    refused = client.post(suspend, {"reason": "encore"}, follow=True)
    assert "déjà suspendu" in text(refused)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("backoffice:vendor_reinstate", kwargs={"pk": verlaine.pk}))
    verlaine.refresh_from_db()
    assert verlaine.is_active and verlaine.suspended_at is None
    assert client.get(url, {"q": "Verlaine"}).status_code == 200
    assert client.get(url, {"filtre": "x"}).status_code == 404
    assert (
        client.post(reverse("backoffice:vendor_suspend", kwargs={"pk": 10**9})).status_code == 404
    )


@pytest.mark.parametrize(
    "name,method",
    [("backoffice:vendors", "get"), ("backoffice:vendor_suspend", "post"),
     ("backoffice:vendor_reinstate", "post")],
)  # fmt: skip
def test_console_vendor_pages_are_refused_without_the_permission(client, shop, name, method):
    # covers: VEN-2 (staff only, with vendors.change_vendor)
    verlaine = shop["verlaine"]
    url = reverse(name, kwargs={} if name == "backoffice:vendors" else {"pk": verlaine.pk})
    anonymous = getattr(client, method)(url, {"reason": "x"} if method == "post" else {})
    assert anonymous.status_code == 302 and "/compte/connexion/" in anonymous["Location"]
    member = VendorMembershipFactory(vendor=verlaine).user
    for user in (UserFactory(), UserFactory(is_staff=True), reviewer(), member):
        client.force_login(user)
        response = getattr(client, method)(url, {"reason": "x"} if method == "post" else {})
        assert response.status_code == 403
    verlaine.refresh_from_db()
    assert verlaine.is_active and verlaine.suspended_at is None
    assert Vendor.objects.filter(suspended_at__isnull=False).count() == 0
