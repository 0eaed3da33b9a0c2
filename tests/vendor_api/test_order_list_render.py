"""Vendor API — the order list (OR11) renders its page itself (`order_cache.order_list_body`)
instead of letting ninja check 100 nested orders against the schema: it must give the very
bytes ninja gives, for every kind of order. And its pages must be the same whichever end of
the sort they are read from (`selectors.api_orders_page`), in a fixed number of queries."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from ninja.responses import NinjaJSONEncoder

from allies.orders.models import Order, OrderLine, Parcel, Shipment, VendorOrder
from allies.vendor_api import selectors
from allies.vendor_api.presenters import order_dict
from allies.vendor_api.schemas import OrderListOut
from allies.vendor_api.selectors import api_orders_page
from tests.vendor_api.conftest import API, paid_vendor_orders_make

pytestmark = pytest.mark.django_db

RELAY = {
    "id": "069001",
    "name": "Tabac de l'Église « Chez Zoé »",
    "street": "2 place Bellecour",
    "postcode": "69002",
    "city": "Lyon",
    "opening": {"lundi": ["09:00", "19:00"]},
    "distance_m": 350,
}


def _mixed_orders(vendor) -> list[VendorOrder]:
    """Orders in every form a vendor meets: waiting, refused line with a note, shipped in two
    parcels (one delivered), relay point, changed address, discount, cancelled, and times
    with and without microseconds (below one millisecond too)."""
    waiting = paid_vendor_orders_make(vendor, 2)
    shipped = paid_vendor_orders_make(vendor, 3, lines=3, shipped=True)
    at = datetime(2026, 3, 29, 0, 59, 59, 500, tzinfo=UTC)  # 0.5 ms: "…59.000Z" in JSON
    VendorOrder.objects.filter(pk=waiting[0].pk).update(
        created_at=at,
        updated_at=at.replace(microsecond=0),
        discount_share=Decimal("3.33"),
        delivery_address={"recipient": "Zoé Müller", "postcode": "13001", "city": "Marseille"},
    )
    line = OrderLine.objects.filter(vendor_order=waiting[1]).order_by("id")[0]
    OrderLine.objects.filter(pk=line.pk).update(
        status=OrderLine.Status.REFUSED,
        refusal_reason="other",
        refusal_note="Plus de taille 42 — désolé",
        decided_at=at + timedelta(microseconds=123456),
        unit_price=Decimal("19.99"),
    )
    VendorOrder.objects.filter(pk=waiting[1].pk).update(
        status=VendorOrder.Status.CANCELLED, cancelled_at=at + timedelta(hours=1)
    )
    VendorOrder.objects.filter(pk=shipped[0].pk).update(
        shipping_mode="relay", carrier="mondial_relay", relay_point=RELAY
    )
    Shipment.objects.filter(vendor_order=shipped[0]).update(
        carrier="mondial_relay", estimated_delivery_date=at.date()
    )
    shipment = Shipment.objects.get(vendor_order=shipped[1])
    Shipment.objects.filter(pk=shipment.pk).update(delivered_at=at + timedelta(days=2))
    Parcel.objects.filter(shipment=shipment, index=1).update(
        tracking_status="delivered", delivered_at=at + timedelta(days=2, microseconds=999)
    )
    VendorOrder.objects.filter(pk=shipped[2].pk).update(
        status=VendorOrder.Status.DELIVERED, delivered_at=at + timedelta(days=3)
    )
    Order.objects.filter(vendor_orders__in=shipped[2:]).update(
        billing_address={"recipient": "SARL Dupont & Fils", "company": "Dupont"}
    )
    return waiting + shipped


def _as_ninja_renders(vendor, **params) -> bytes:
    """The list as ninja would answer it: typed values, checked against OrderListOut, dumped,
    rendered by ninja's JSONRenderer."""
    page = api_orders_page(vendor=vendor, **params)
    data = {
        "total_count": page.total_count,
        "offset": page.offset,
        "limit": page.limit,
        "orders": [order_dict(row) for row in page.orders],
    }
    checked = OrderListOut.model_validate(data).model_dump()
    return json.dumps(checked, cls=NinjaJSONEncoder).encode()


def test_the_list_gives_the_bytes_ninja_gives_for_every_kind_of_order(market, verlaine_api):
    # covers: VEN-3
    vendor = market["verlaine"]
    made = _mixed_orders(vendor)
    paid_vendor_orders_make(market["brun"], 2)  # not Verlaine's: never in her list
    response = verlaine_api.get(f"{API}/orders?limit=100")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.content == _as_ninja_renders(vendor, limit=100)
    listed = response.json()["orders"]
    assert {o["id"] for o in listed} == {vo.pk for vo in made}
    OrderListOut.model_validate_json(response.content)  # the documented shape
    # Each order as the single-order route (ninja-checked) answers it, byte for byte.
    one_by_one = b", ".join(verlaine_api.get(f"{API}/orders/{o['id']}").content for o in listed)
    assert response.content == (
        b'{"total_count": 5, "offset": 0, "limit": 100, "orders": [' + one_by_one + b"]}"
    )
    # The forms the fast path writes itself.
    by_id = {o["id"]: o for o in listed}
    assert by_id[made[0].pk]["created_at"] == "2026-03-29T00:59:59.000Z"
    assert by_id[made[0].pk]["updated_at"] == "2026-03-29T00:59:59Z"
    assert by_id[made[0].pk]["discount"] == "3.33"
    assert by_id[made[1].pk]["order_lines"][0]["decided_at"] == "2026-03-29T00:59:59.123Z"
    assert by_id[made[2].pk]["shipping"]["relay_point"] == RELAY
    assert "\\u00c9glise" in response.content.decode()  # ASCII, as ninja's renderer writes
    assert by_id[made[2].pk]["shipments"][0]["estimated_delivery_date"] == "2026-03-29"


@pytest.mark.parametrize("sort", ["created_desc", "updated_asc"])
@pytest.mark.parametrize("direct_skip", [1000, 2, 0])  # rows in one pass, or ids first
def test_pages_read_from_either_end_are_the_same_rows_in_the_same_order(
    market, sort, direct_skip, monkeypatch
):
    # covers: VEN-3
    monkeypatch.setattr(selectors, "DIRECT_SKIP", direct_skip)
    vendor = market["verlaine"]
    made = paid_vendor_orders_make(vendor, 7)
    for i, vo in enumerate(made):  # distinct times, and two ties broken by id
        moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=(i * 5) % 7 // 2)
        VendorOrder.objects.filter(pk=vo.pk).update(created_at=moment, updated_at=moment)
    order = ("-created_at", "-id") if sort == "created_desc" else ("updated_at", "id")
    expected = list(
        VendorOrder.objects.filter(vendor=vendor).order_by(*order).values_list("pk", flat=True)
    )
    for limit in (1, 2, 3, 7, 100):
        for offset in range(0, 9):
            page = api_orders_page(vendor=vendor, sort=sort, offset=offset, limit=limit)
            assert page.total_count == 7
            assert [row["id"] for row in page.orders] == expected[offset : offset + limit]


def test_the_list_costs_the_same_queries_at_any_size_and_offset(market, verlaine_api, monkeypatch):
    # covers: VEN-3
    monkeypatch.setattr(selectors, "DIRECT_SKIP", 5)  # the middle page: ids picked first
    vendor = market["verlaine"]
    counts = {}
    for more in (3, 37):  # 3 orders, then 40
        paid_vendor_orders_make(vendor, more, shipped=True)
        verlaine_api.get(f"{API}/orders")  # the key's "last used" write, once a minute
        total = VendorOrder.objects.filter(vendor=vendor).count()
        for offset in (0, total // 2, total - 1):
            caches["fragments"].clear()
            for state in ("cold", "warm"):  # no order's JSON cached, then all of them
                with CaptureQueriesContext(connection) as queries:
                    response = verlaine_api.get(f"{API}/orders?limit=10&offset={offset}")
                assert response.status_code == 200
                assert len(response.json()["orders"]) == min(10, total - offset)
                counts[(total, offset, state)] = len(queries)
    assert len(counts) == 12
    # Cold: key and vendor · total · the page's rows (their keys) · its orders with customer ·
    # lines · shipments · parcels · shipment contents. Warm: the first three only.
    assert {n for (_t, _o, state), n in counts.items() if state == "cold"} == {8}
    assert {n for (_t, _o, state), n in counts.items() if state == "warm"} == {3}
    with CaptureQueriesContext(connection) as queries:
        past = verlaine_api.get(f"{API}/orders?offset=1000").json()
    assert past["orders"] == [] and past["total_count"] == 40
    assert len(queries) == 2  # key and vendor · total
