"""Who reaches the vendor portal: only members of a vendor, and only their vendor's data."""

import pytest
from django.urls import reverse

from allies.orders.models import OrderLine, VendorOrder
from allies.vendors.models import VendorApiKey
from allies.vendors.services import api_key_create
from tests.factories import UserFactory

PAGES = [
    ("vendor_portal:dashboard", {}),
    ("vendor_portal:orders", {}),
    ("vendor_portal:offers", {}),
    ("vendor_portal:imports", {}),
    ("vendor_portal:rates", {}),
    ("vendor_portal:profile", {}),
    ("vendor_portal:api_keys", {}),
    ("vendor_portal:invoices", {}),
    ("vendor_portal:team", {}),
    ("vendor_portal:rate", {"mode": "home", "zone": "FR"}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_portal_pages_need_login(client, db, name, kwargs):
    # covers: VEN-1
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 302
    assert "/compte/connexion/" in response["Location"] or "login" in response["Location"]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_a_customer_who_sells_nothing_is_refused(client, db, name, kwargs):
    # covers: VEN-1
    client.force_login(UserFactory())
    assert client.get(reverse(name, kwargs=kwargs)).status_code == 403


def test_another_vendors_order_does_not_exist_for_me(verlaine_client, paid):
    # covers: VEN-1, ORD-8
    brun_vo = paid["brun_vo"]
    line = brun_vo.lines.get()
    for name in ("vendor_portal:order",):
        assert verlaine_client.get(reverse(name, args=[brun_vo.pk])).status_code == 404
    for name, data in (
        ("vendor_portal:order_decide", {f"line-{line.pk}": "accept"}),
        ("vendor_portal:order_ship", {"carrier": "dpd", "parcel": "12345678901234"}),
        ("vendor_portal:order_delivered", {}),
        ("vendor_portal:order_invoice", {}),
    ):
        assert verlaine_client.post(reverse(name, args=[brun_vo.pk]), data).status_code == 404
    line.refresh_from_db()
    brun_vo.refresh_from_db()
    assert line.status == OrderLine.Status.PENDING
    assert brun_vo.status == VendorOrder.Status.WAITING_ACCEPTANCE
    assert not brun_vo.shipments.exists()


def test_another_vendors_offer_and_key_do_not_exist_for_me(verlaine_client, market):
    # covers: VEN-1, VEN-3
    wallet = market["wallet"]
    assert verlaine_client.get(reverse("vendor_portal:offer", args=[wallet.pk])).status_code == 404
    response = verlaine_client.post(
        reverse("vendor_portal:offer", args=[wallet.pk]), {"price": "1,00", "stock": "0"}
    )
    assert response.status_code == 404
    response = verlaine_client.post(
        reverse("vendor_portal:offer_toggle", args=[wallet.pk]), {"active": "0"}
    )
    assert response.status_code == 404
    wallet.refresh_from_db()
    assert wallet.is_active and wallet.price > 1
    key, _raw = api_key_create(vendor=market["brun"], name="ERP Brun")
    response = verlaine_client.post(reverse("vendor_portal:api_key_revoke", args=[key.pk]))
    assert response.status_code == 404
    assert VendorApiKey.objects.get(pk=key.pk).revoked_at is None


def test_order_lists_show_only_my_vendor_orders(verlaine_client, paid):
    # covers: VEN-1
    response = verlaine_client.get(reverse("vendor_portal:orders") + "?onglet=toutes")
    body = response.content.decode()
    assert reverse("vendor_portal:order", args=[paid["verlaine_vo"].pk]) in body
    assert reverse("vendor_portal:order", args=[paid["brun_vo"].pk]) not in body
