"""Reads of the vendor API, on top of the orders and catalogue selectors.

The rules stay in those selectors: `orders.selectors.vendor_orders_for` says which vendor
orders a vendor sees (its own, paid) and filters them; `catalog.offers.vendor_offers` its
offers. What is added here is how the API loads a page of orders, with a fixed number of
queries whatever the page size or the vendor's order count (VEN-3):

    the total count · the page's vendor orders (with order and customer) · lines (with the
    offer's vendor SKU) · shipments · parcels · shipment contents

The total comes first, then the page's rows, whose ids a subquery picks with LIMIT/OFFSET
through the (vendor, -created_at, -id) index: the first pages stop after `offset + limit`
rows. Counting in the same query (`COUNT(*) OVER ()`) made every page materialise and sort
all of the vendor's joined rows (29 ms at 10,000 orders on SQLite, 36 ms on PostgreSQL, where
the count and the first page apart take 4 ms and 9 ms). A page past the middle is read from
the other end (reversed sort, offset from the end): walking an index costs a lookup of the
order row per skipped row, so offset 9,900 of 10,000 costs what the first page does. Rows
are read with `values()`: a page of 100 orders is ~800 rows, and building model instances
and prefetch caches for them took three quarters of the request's time
(bench/vendor_api.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
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
# Up to this many rows skipped, the page is read in one pass along the index (rows and all);
# deeper, its ids are picked first (see api_orders_page).
DIRECT_SKIP = 1000
PARCEL_FIELDS = ("shipment_id", "index", "tracking_number", "tracking_status", "delivered_at")


@dataclass
class OrderPage:
    total_count: int
    offset: int
    limit: int
    orders: list[Any]  # rows (dicts), or what the page's `read` gave


def _scope(vendor):
    """The vendor's vendor orders (the orders app's rule), without its page prefetches."""
    return vendor_orders_for(vendor=vendor).select_related(None).prefetch_related(None)


def orders_rows(*, vendor, ids: list[int], ordering=SORTS["created_desc"]) -> list[dict]:
    """The vendor orders `ids` of `vendor` as rows (dicts of `values()`), each with its
    `lines`, and `shipments` with their `parcels` and `contents`. Five queries at most."""
    if not ids:
        return []
    rows = list(
        VendorOrder.objects.filter(pk__in=ids, vendor=vendor)
        .order_by(*ordering)
        .values(*ORDER_FIELDS)
    )
    return _with_details(rows)


def _with_details(rows: list[dict]) -> list[dict]:
    """Adds to vendor order rows their `lines`, and `shipments` with their `parcels` and
    `contents`: four queries at most, whatever the number of rows."""
    if not rows:
        return rows
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
    read: Callable[[QuerySet], list] | None = None,
) -> OrderPage:
    """One page of the vendor's vendor orders: rows with their details (see `orders_rows`),
    or what `read(queryset of the page)` makes of its rows (`order_cache.page_keys`), in the
    page's order."""
    qs = (
        vendor_orders_for(vendor=vendor, status=status or None, updated_since=updated_since)
        .select_related(None)
        .prefetch_related(None)
    )
    ordering = SORTS[sort]
    total = qs.order_by().count()
    if offset >= total:  # past the end (or nothing at all): no page to read
        return OrderPage(total_count=total, offset=offset, limit=limit, orders=[])
    end = min(offset + limit, total)
    size = end - offset
    # Nearer the end, the same rows are counted from the other end of the sort. (The count and
    # the page are two statements: an order paid in between shifts the page by one, as it
    # would shift the next page a client asks for.)
    from_end = offset > total - end
    skip = total - end if from_end else offset
    sort_by = tuple(f[1:] if f[0] == "-" else f"-{f}" for f in ordering) if from_end else ordering
    page = qs.order_by(*sort_by)
    if skip <= DIRECT_SKIP:
        query = page[skip : skip + size]
    else:
        # Deep in the list the page's ids are picked by a narrow subquery, then only their
        # rows are read: PostgreSQL would otherwise sort every wide row (addresses) to skip
        # most of them (61 ms → 28 ms at offset 4,900 of 10,000).
        from_end = False
        query = VendorOrder.objects.filter(pk__in=page.values("pk")[skip : skip + size]).order_by(
            *ordering
        )
    if read is None:
        rows = _with_details(list(query.values(*ORDER_FIELDS)))
    else:
        rows = read(query)
    if from_end:
        rows.reverse()
    return OrderPage(total_count=total, offset=offset, limit=limit, orders=rows)


def api_order_get(*, vendor, pk: int) -> dict:
    """One of the vendor's vendor orders as a row, or Http404 (another vendor's order does
    not exist)."""
    if not _scope(vendor).filter(pk=pk).exists():
        raise Http404
    return orders_rows(vendor=vendor, ids=[pk])[0]
