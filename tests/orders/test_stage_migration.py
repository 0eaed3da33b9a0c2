"""The data migration that gives existing vendor orders their real stages and events their
typed actor (orders 0005): what was implicit in "preparing" + `accepted_at` + shipments, or
in an empty `cancellation_reason`, or in an event's JSON, becomes explicit."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from allies.orders.models import Order, OrderEvent, Shipment, VendorOrder
from tests.factories import UserFactory, VendorFactory

pytestmark = pytest.mark.django_db
migration = importlib.import_module("allies.orders.migrations.0005_vendor_order_stages")


def _vendor_order(order, vendor, **fields) -> VendorOrder:
    today = timezone.localdate()
    return VendorOrder.objects.create(
        order=order, vendor=vendor, shipping_mode="home", shipping_fee=Decimal("5"),
        lines_total=Decimal("20"), delivery_min_date=today, delivery_max_date=today, **fields,
    )  # fmt: skip


def test_old_statuses_map_to_the_stages_and_api_keys_leave_the_json():
    # covers: issue 8 §1 (migration of the implicit stages)
    customer, vendor_user = UserFactory(), UserFactory()
    order = Order.objects.create(
        reference="AL-2026-000001", customer=customer, status="validated",
        delivery_address={}, billing_address={}, lines_total=Decimal("80"),
        shipping_total=Decimal("20"), total=Decimal("100"),
    )  # fmt: skip
    now = timezone.now()
    # Old values, written as the old code left them (the column takes any string).
    waiting = _vendor_order(order, VendorFactory(), status="preparing")
    to_ship = _vendor_order(order, VendorFactory(), status="preparing", accepted_at=now)
    partial = _vendor_order(order, VendorFactory(), status="preparing", accepted_at=now)
    Shipment.objects.create(
        vendor_order=partial, vendor=partial.vendor, carrier="colissimo", shipped_at=now
    )
    unpaid = _vendor_order(order, VendorFactory(), status="cancelled")
    cancelled = _vendor_order(
        order, VendorFactory(), status="cancelled", cancellation_reason="acceptance_overdue"
    )
    key = to_ship.vendor.api_keys.create(name="ERP", prefix="alk_1", digest="d" * 64)
    by_key = OrderEvent.objects.create(
        order=order, vendor_order=to_ship, kind="accepted",
        data={"api_key": {"id": key.pk, "label": "ERP (alk_1…)"}},
    )  # fmt: skip
    by_customer = OrderEvent.objects.create(order=order, kind="created", actor=customer)
    by_vendor = OrderEvent.objects.create(order=order, kind="shipped", actor=vendor_user)
    by_system = OrderEvent.objects.create(order=order, kind="delivered")

    migration.stages_forward(apps, None)
    migration.actors_forward(apps, None)

    stages = {vo.pk: vo.status for vo in VendorOrder.objects.all()}
    assert stages == {
        waiting.pk: "waiting_acceptance",
        to_ship.pk: "to_ship",
        partial.pk: "partially_shipped",
        unpaid.pk: "cancelled_unpaid",
        cancelled.pk: "cancelled",
    }
    by_key.refresh_from_db()
    assert (by_key.actor_kind, by_key.api_key_id, by_key.data) == ("api_key", key.pk, {})
    kinds = {
        e.pk: e.actor_kind
        for e in OrderEvent.objects.filter(pk__in=[by_customer.pk, by_vendor.pk, by_system.pk])
    }
    assert kinds == {
        by_customer.pk: "customer",
        by_vendor.pk: "vendor_user",
        by_system.pk: "system",
    }
