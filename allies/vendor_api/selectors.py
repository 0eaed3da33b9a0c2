"""Reads of the vendor API, on top of the orders and catalogue selectors.

The rules stay in those selectors: `orders.selectors.vendor_orders_for` says which vendor
orders a vendor sees (its own, paid) and filters them; `catalog.offers.vendor_offers` its
offers. What is added here is how the API loads a page of orders, with a fixed number of
queries whatever the page size or the vendor's order count (VEN-3):

    the page's ids with the total count · vendor orders (with order and customer) · lines
    (with the offer's vendor SKU) · shipments · parcels · shipment contents

The page's ids come first (a narrow sort; sorting 10,000 joined rows only to skip most of
them cost 20× more on SQLite at a deep offset), then the rows are read with
`values()`: a page of 100 orders is ~800 rows, and building model instances and prefetch
caches for them took three quarters of the request's time (bench/vendor_api.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Window
from django.http import Http404

from allies.orders.models import OrderLine, Parcel, Shipment, ShipmentLine, VendorOrder
from allies.orders.selectors import vendor_orders_for

# Sort orders of the list: newest first (Mirakl's default), or by last change, oldest first —
# the order that never skips a change when syncing with updated_since page after page.
SORTS = {
    "created_desc": ("-created_at", "-id"),
    "updated_asc": ("updated_at", "id"),
}

ORDER_FIELDS = (
    "id", "status", "shipping_mode", "carrier", "shipping_fee", "relay_point", "lines_total",
    "discount_share", "delivery_min_date", "delivery_max_date", "acceptance_deadline",
    "accepted_at", "shipped_at", "delivered_at", "cancelled_at", "created_at", "updated_at",
    "order__reference", "order__validated_at", "order__delivery_address", "delivery_address",
    "order__billing_address", "order__customer__first_name", "order__customer__last_name",
)  # fmt: skip
LINE_FIELDS = (
    "id", "vendor_order_id", "sku", "offer__vendor_sku", "product_title", "variant_label",
    "quantity", "unit_price", "vat_rate", "status", "refusal_reason", "refusal_note",
    "decided_at",
)  # fmt: skip
SHIPMENT_FIELDS = (
    "id", "vendor_order_id", "carrier", "shipped_at", "estimated_delivery_date", "delivered_at",
)  # fmt: skip
PARCEL_FIELDS = ("shipment_id", "index", "tracking_number", "tracking_status", "delivered_at")


@dataclass
class OrderPage:
    total_count: int
    offset: int
    limit: int
    orders: list[dict]


def _scope(vendor):
    """The vendor's vendor orders (the orders app's rule), without its page prefetches."""
    return vendor_orders_for(vendor=vendor).select_related(None).prefetch_related(None)


def orders_rows(*, vendor, ids: list[int], ordering=SORTS["created_desc"]) -> list[dict]:
    """The vendor orders `ids` of `vendor` as rows (dicts of `values()`), each with its
    `lines`, and `shipments` with their `parcels` and `contents`. Six queries at most."""
    if not ids:
        return []
    rows = list(
        VendorOrder.objects.filter(pk__in=ids, vendor=vendor)
        .order_by(*ordering)
        .values(*ORDER_FIELDS)
    )
    by_id = {row["id"]: row for row in rows}
    for row in rows:
        row["lines"], row["shipments"] = [], []
    for line in (
        OrderLine.objects.filter(vendor_order_id__in=list(by_id))
        .order_by("id")
        .values(*LINE_FIELDS)
    ):
        by_id[line["vendor_order_id"]]["lines"].append(line)
    shipments = {}
    for shipment in (
        Shipment.objects.filter(vendor_order_id__in=list(by_id))
        .order_by("shipped_at", "id")
        .values(*SHIPMENT_FIELDS)
    ):
        shipment["parcels"], shipment["contents"] = [], []
        shipments[shipment["id"]] = shipment
        by_id[shipment["vendor_order_id"]]["shipments"].append(shipment)
    if shipments:
        for parcel in (
            Parcel.objects.filter(shipment_id__in=list(shipments))
            .order_by("shipment_id", "index")
            .values(*PARCEL_FIELDS)
        ):
            shipments[parcel["shipment_id"]]["parcels"].append(parcel)
        contents = defaultdict(list)
        for item in (
            ShipmentLine.objects.filter(shipment_id__in=list(shipments))
            .order_by("id")
            .values("shipment_id", "order_line_id", "quantity")
        ):
            contents[item["shipment_id"]].append(item)
        for shipment_id, items in contents.items():
            shipments[shipment_id]["contents"] = items
    return rows


def api_orders_page(
    *,
    vendor,
    status: list[str] | None = None,
    updated_since: datetime | None = None,
    sort: str = "created_desc",
    offset: int = 0,
    limit: int = 20,
) -> OrderPage:
    """One page of the vendor's vendor orders (rows, see `orders_rows`)."""
    qs = vendor_orders_for(vendor=vendor, status=status or None, updated_since=updated_since)
    ordering = SORTS[sort]
    # The page's ids and the total in one pass (COUNT(*) OVER ()): the scope joins each of
    # the vendor's orders to its customer order, and that join is the query's whole cost.
    page = list(
        qs.select_related(None)
        .prefetch_related(None)
        .order_by(*ordering)
        .annotate(total_count=Window(Count("pk")))
        .values_list("pk", "total_count")[offset : offset + limit]
    )
    if page:
        total = page[0][1]
    else:  # past the end (or nothing at all): the total still has to be told
        total = qs.count() if offset else 0
    rows = orders_rows(vendor=vendor, ids=[pk for pk, _total in page], ordering=ordering)
    return OrderPage(total_count=total, offset=offset, limit=limit, orders=rows)


def api_order_get(*, vendor, pk: int) -> dict:
    """One of the vendor's vendor orders as a row, or Http404 (another vendor's order does
    not exist)."""
    if not _scope(vendor).filter(pk=pk).exists():
        raise Http404
    return orders_rows(vendor=vendor, ids=[pk])[0]
