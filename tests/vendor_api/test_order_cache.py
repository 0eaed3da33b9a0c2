"""The order list from each order's cached JSON (`vendor_api.order_cache`) equals the fresh
render, before and after changes of every table an order shows, whoever writes them."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allies.accounts.models import User
from allies.catalog.models import Offer
from allies.orders.models import Order, OrderLine, Parcel, Shipment, ShipmentLine, VendorOrder
from allies.shipping.carriers import CARRIERS
from allies.shipping.tracking import EVENTS
from tests.vendor_api.conftest import API, paid_vendor_orders_make
from tests.vendor_api.test_order_list_render import _as_ninja_renders, _mixed_orders

pytestmark = pytest.mark.django_db


def _listed(api) -> str:
    response = api.get(f"{API}/orders?limit=100")
    assert response.status_code == 200
    return response.content.decode()


def _fresh(vendor) -> str:
    return _as_ninja_renders(vendor, limit=100).decode()


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


# --- Property: whatever is written, by whom and in what order, the list never lags. -------

AT = datetime(2026, 11, 3, 14, 30, 15, 250_000, tzinfo=UTC)
TEXT = st.text(alphabet="aZé ßÉ«»&'-0", min_size=0, max_size=12)
SOME_TIME = st.one_of(st.none(), st.integers(0, 10**7).map(lambda s: AT + timedelta(seconds=s)))
STATUSES = [s for s in VendorOrder.Status.values if s != VendorOrder.Status.AWAITING_PAYMENT]


def _nth(model, n: int, **filters):
    rows = list(model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True))
    return rows[n % len(rows)] if rows else None


def _line_update(vendor, n, text, number, when):
    pk = _nth(OrderLine, n, vendor=vendor)
    OrderLine.objects.filter(pk=pk).update(
        refusal_note=text,
        quantity=1 + number % 5,
        unit_price=Decimal(number % 10_000) / 100,
        status=OrderLine.Status.values[number % len(OrderLine.Status.values)],
        decided_at=when,
    )


def _line_insert(vendor, n, text, number, when):
    vo = _nth(VendorOrder, n, vendor=vendor)
    offer = Offer.objects.get(pk=_nth(Offer, number, vendor=vendor))
    OrderLine.objects.create(
        vendor_order_id=vo, vendor=vendor, offer=offer, product_title=text or "Article",
        sku=offer.variant.sku, unit_price=Decimal("12.50"), vat_rate=Decimal("0.200"),
        quantity=1 + number % 3,
    )  # fmt: skip


def _line_delete(vendor, n, text, number, when):
    pk = _nth(OrderLine, n, vendor=vendor)
    ShipmentLine.objects.filter(order_line_id=pk).delete()
    OrderLine.objects.filter(pk=pk).delete()


def _shipment_update(vendor, n, text, number, when):
    Shipment.objects.filter(pk=_nth(Shipment, n, vendor=vendor)).update(
        carrier=CARRIERS[number % len(CARRIERS)].code,
        estimated_delivery_date=when.date() if when else None,
        delivered_at=when,
    )


def _shipment_insert(vendor, n, text, number, when):
    vo = _nth(VendorOrder, n, vendor=vendor)
    shipment = Shipment.objects.create(
        vendor_order_id=vo, vendor=vendor, carrier="dpd", shipped_at=when or AT
    )
    Parcel.objects.create(shipment=shipment, vendor=vendor, index=1, tracking_number=f"T{number}")
    line = OrderLine.objects.filter(vendor_order_id=vo).order_by("pk").first()
    if line:
        ShipmentLine.objects.create(shipment=shipment, order_line=line, vendor=vendor, quantity=1)


def _parcel_update(vendor, n, text, number, when):
    Parcel.objects.filter(pk=_nth(Parcel, n, vendor=vendor)).update(
        tracking_status=[*EVENTS, ""][number % (len(EVENTS) + 1)],
        tracking_number=f"6A{number:011d}",
        delivered_at=when,
    )


def _parcel_delete(vendor, n, text, number, when):
    Parcel.objects.filter(pk=_nth(Parcel, n, vendor=vendor)).delete()


def _content_update(vendor, n, text, number, when):
    ShipmentLine.objects.filter(pk=_nth(ShipmentLine, n, vendor=vendor)).update(
        quantity=1 + number % 4
    )


def _offer_sku(vendor, n, text, number, when):
    Offer.objects.filter(pk=_nth(Offer, n, vendor=vendor)).update(vendor_sku=text)


def _offer_stock(vendor, n, text, number, when):  # not shown: must change nothing listed
    Offer.objects.filter(pk=_nth(Offer, n, vendor=vendor)).update(stock=number % 50)


def _vendor_order_update(vendor, n, text, number, when):
    VendorOrder.objects.filter(pk=_nth(VendorOrder, n, vendor=vendor)).update(
        status=STATUSES[number % len(STATUSES)],
        discount_share=Decimal(number % 500) / 100,
        delivery_address={"recipient": text, "postcode": "13001", "city": "Marseille"},
        cancelled_at=when,
    )


def _order_update(vendor, n, text, number, when):
    Order.objects.filter(pk=_nth(Order, n, vendor_orders__vendor=vendor)).update(
        billing_address={"recipient": text, "company": text[:3]},
        validated_at=when or AT,
    )


def _customer_update(vendor, n, text, number, when):
    User.objects.filter(pk=_nth(User, n, orders__vendor_orders__vendor=vendor)).update(
        first_name=text, last_name=text[::-1]
    )


WRITES = [
    _line_update, _line_insert, _line_delete, _shipment_update, _shipment_insert,
    _parcel_update, _parcel_delete, _content_update, _offer_sku, _offer_stock,
    _vendor_order_update, _order_update, _customer_update,
]  # fmt: skip
WRITE = st.tuples(
    st.sampled_from(WRITES), st.integers(0, 50), TEXT, st.integers(0, 10**6), SOME_TIME
)


@pytest.fixture
def history_market(market):
    vendor = market["verlaine"]
    _mixed_orders(vendor)
    paid_vendor_orders_make(market["brun"], 2, shipped=True)  # writes beside, never listed
    return market


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=st.lists(st.tuples(st.booleans(), WRITE), min_size=1, max_size=6))
def test_the_cached_list_equals_a_fresh_render_after_any_history_of_writes(
    history_market, verlaine_api, history
):
    # covers: VEN-3
    vendor = history_market["verlaine"]
    other = history_market["brun"]
    for on_other_vendor, (write, n, text, number, when) in history:
        write(other if on_other_vendor else vendor, n, text, number, when)
        assert _listed(verlaine_api) == _fresh(vendor)
