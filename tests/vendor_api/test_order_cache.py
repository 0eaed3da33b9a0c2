"""The order list from each order's cached JSON (`vendor_api.order_cache`) equals the fresh
render, before and after changes of every table an order shows, whoever writes them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from allies.catalog.models import Offer
from allies.orders.models import OrderLine, Parcel
from allies.vendor_api.presenters import order_list_json
from allies.vendor_api.selectors import api_orders_page
from tests.vendor_api.conftest import API
from tests.vendor_api.test_order_list_render import _mixed_orders

pytestmark = pytest.mark.django_db


def _listed(api) -> str:
    response = api.get(f"{API}/orders?limit=100")
    assert response.status_code == 200
    return response.content.decode()


def _fresh(vendor) -> str:
    page = api_orders_page(vendor=vendor, limit=100)
    return order_list_json(total_count=page.total_count, offset=0, limit=100, rows=page.orders)


def test_cached_page_follows_every_change(market, verlaine_api):
    # covers: VEN-3
    vendor = market["verlaine"]
    made = _mixed_orders(vendor)
    assert _listed(verlaine_api) == _fresh(vendor)
    with CaptureQueriesContext(connection) as queries:
        again = _listed(verlaine_api)
    assert again == _fresh(vendor)
    assert len(queries) == 3  # key · total · the page's keys: every order from the cache
    shipped = made[2]
    Parcel.objects.filter(shipment__vendor_order=shipped).update(tracking_status="in_transit")
    assert _listed(verlaine_api) == _fresh(vendor)
    line = OrderLine.objects.filter(vendor_order=shipped).first()
    Offer.objects.filter(pk=line.offer_id).update(vendor_sku="SKU-CHANGED")
    assert "SKU-CHANGED" in _listed(verlaine_api)
    assert _listed(verlaine_api) == _fresh(vendor)
    shipped.order.customer.__class__.objects.filter(pk=shipped.order.customer_id).update(
        last_name="Nouveau-Nom"
    )
    assert "Nouveau-Nom" in _listed(verlaine_api)
    assert _listed(verlaine_api) == _fresh(vendor)
