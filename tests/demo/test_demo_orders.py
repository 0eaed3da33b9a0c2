"""The demo customer's orders: a demo vendor's portal and API have work in every state."""

from io import StringIO

import pytest
from django.core.management import call_command

from allies.aftersales.models import Claim, ReturnRequest
from allies.demo import identities
from allies.orders.models import Order, VendorOrder
from allies.vendor_api.demo import demo_api_key_for
from allies.vendors.services import api_key_authenticate

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo_data")]


def test_demo_orders_cover_every_state_a_vendor_meets():
    # covers: VEN-2, VEN-3
    call_command("demo_data", "--products", "120", stdout=StringIO())
    orders = Order.objects.filter(customer__email=identities.CUSTOMER_EMAIL)
    assert orders.count() == 4
    assert set(orders.values_list("status", flat=True)) == {Order.Status.VALIDATED}
    first = identities.VENDORS[0].slug
    mine = VendorOrder.objects.filter(vendor__slug=first).order_by("id")
    states = [vo.mirakl_state for vo in mine]
    assert states == ["WAITING_ACCEPTANCE", "SHIPPING", "SHIPPED", "RECEIVED"]
    shipped = mine[2]
    assert shipped.shipments.get().parcels.count() == 2  # "Colis 1/2", "Colis 2/2"
    key = api_key_authenticate(demo_api_key_for(first))
    assert key is not None and key.vendor.slug == first
    # The after-sales work: a return waiting for its parcel, a claim with its photo to answer.
    assert ReturnRequest.objects.get(vendor__slug=first).status == "accepted"
    claim = Claim.objects.get(vendor__slug=first)
    assert claim.status == "requested" and claim.items.get().photos.count() == 1
