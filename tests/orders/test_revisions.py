"""Vendor order revisions (`orders.revisions`): database triggers move a vendor order's
revision with every write of a row it shows (its own, its order's, its customer's name, its
lines, shipments, parcels, their contents, offers' SKUs), whoever writes it; the vendor
API's cached order JSON is keyed by it."""

import pytest
from django.db import connection

from allies.accounts.models import User
from allies.catalog.models import Offer
from allies.orders.models import (
    Order,
    OrderLine,
    Parcel,
    Shipment,
    ShipmentLine,
    VendorOrder,
    VendorOrderRevision,
)
from allies.orders.revisions import revision_triggers_ensure
from tests.vendor_api.conftest import paid_vendor_orders_make

pytestmark = pytest.mark.django_db


def _revision(vendor_order) -> int:
    return (
        VendorOrderRevision.objects.filter(vendor_order_id=vendor_order.pk)
        .values_list("number", flat=True)
        .first()
        or 0
    )


def test_every_write_of_a_shown_row_moves_the_revision_and_nothing_else_does(market):
    # covers: VEN-3
    vo = paid_vendor_orders_make(market["verlaine"], 1, lines=2, shipped=True)[0]
    other = paid_vendor_orders_make(market["verlaine"], 1, lines=2, shipped=True)[0]
    line = OrderLine.objects.filter(vendor_order=vo).order_by("id").first()
    order, customer = vo.order, vo.order.customer
    writes = [
        lambda: VendorOrder.objects.filter(pk=vo.pk).update(status="to_ship"),
        lambda: Order.objects.filter(pk=order.pk).update(billing_address={"city": "Nantes"}),
        lambda: User.objects.filter(pk=customer.pk).update(last_name="Santoni"),
        lambda: OrderLine.objects.filter(pk=line.pk).update(refusal_note="Taille épuisée"),
        lambda: Shipment.objects.filter(vendor_order=vo).update(carrier="colissimo"),
        lambda: Parcel.objects.filter(shipment__vendor_order=vo, index=1).update(
            tracking_status="in_transit"
        ),
        lambda: ShipmentLine.objects.filter(order_line=line).update(quantity=1),
        lambda: Parcel.objects.filter(shipment__vendor_order=vo, index=2).delete(),
    ]
    for write in writes:
        before, untouched = _revision(vo), _revision(other)
        write()
        assert _revision(vo) > before
        assert _revision(other) == untouched  # other vendor orders keep theirs
    # The offer's vendor SKU shows on every order with a line of it.
    sharing = [
        o
        for o in (vo, other)
        if OrderLine.objects.filter(vendor_order=o, offer_id=line.offer_id).exists()
    ]
    before = {o.pk: _revision(o) for o in sharing}
    Offer.objects.filter(pk=line.offer_id).update(vendor_sku="VERL-NEW-1")
    assert all(_revision(o) > before[o.pk] for o in sharing)
    # Not shown with an order: no move (the offer's stock, or its SKU set to the same value).
    before = _revision(vo)
    Offer.objects.filter(pk=line.offer_id).update(stock=3)
    Offer.objects.filter(pk=line.offer_id).update(vendor_sku="VERL-NEW-1")
    # Nor the customer's login or an order's column no vendor order shows.
    User.objects.filter(pk=customer.pk).update(last_login=order.validated_at)
    User.objects.filter(pk=customer.pk).update(last_name="Santoni")  # the same name again
    Order.objects.filter(pk=order.pk).update(shipping_total=order.shipping_total + 1)
    assert _revision(vo) == before


def test_a_new_vendor_order_has_a_revision_from_its_first_row(market):
    # covers: VEN-3
    vo = paid_vendor_orders_make(market["verlaine"], 1, lines=1)[0]
    assert _revision(vo) >= 1


def test_missing_triggers_are_put_back_and_every_revision_moves(market):
    # covers: VEN-3 (Django's SQLite table rebuilds drop triggers; post_migrate restores them)
    vo = paid_vendor_orders_make(market["verlaine"], 1)[0]
    assert revision_triggers_ensure(connection) is False  # all in place: nothing done
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER orders_revision_v2_orders_parcel ON orders_parcel")
        else:
            cursor.execute("DROP TRIGGER orders_revision_v2_orders_parcel_update")
    before = _revision(vo)
    assert revision_triggers_ensure(connection) is True
    assert _revision(vo) == before + 1  # what was written meanwhile cannot be trusted
    line = OrderLine.objects.filter(vendor_order=vo).first()
    OrderLine.objects.filter(pk=line.pk).update(refusal_note="x")
    assert _revision(vo) == before + 2
