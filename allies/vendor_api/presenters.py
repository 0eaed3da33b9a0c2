"""Rows → the API's dicts (shapes in `schemas`). No query here: `selectors.orders_rows` reads
everything first. The orders app's own rules (Mirakl state, total, where parcels go) are
asked of `VendorOrder` itself (an unsaved one built from the row), so they are written once."""

from __future__ import annotations

from allies.catalog.models import Offer
from allies.orders.models import VendorOrder, delivery_postcode
from allies.shipping.carriers import CARRIERS, carrier_name, tracking_url

ADDRESS_FIELDS = (
    "recipient", "company", "street", "street_extra", "postcode", "city", "country", "phone",
    "instructions",
)  # fmt: skip


def _address(data: dict | None) -> dict:
    data = data or {}
    return {name: str(data.get(name) or "") for name in ADDRESS_FIELDS}


def _model(row: dict) -> VendorOrder:
    return VendorOrder(
        status=row["status"],
        accepted_at=row["accepted_at"],
        lines_total=row["lines_total"],
        shipping_fee=row["shipping_fee"],
        discount_share=row["discount_share"],
        relay_point=row["relay_point"],
    )


def _ship_to(row: dict) -> dict:
    # The rule of VendorOrder.ship_to: changed after ordering (ORD-6), else the order's.
    return row["delivery_address"] or row["order__delivery_address"]


def _postcode(row: dict) -> str:
    # The rule of VendorOrder.delivery_postcode, without an unsaved Order per row.
    return delivery_postcode(relay_point=row["relay_point"], delivery_address=_ship_to(row))


def line_dict(line: dict, shipped: dict[int, int]) -> dict:
    return {
        "id": line["id"],
        "sku": line["sku"],
        "vendor_sku": line["offer__vendor_sku"] or "",
        "title": line["product_title"],
        "variant": line["variant_label"],
        "quantity": line["quantity"],
        "unit_price": line["unit_price"],
        "total": line["unit_price"] * line["quantity"],
        "vat_rate": line["vat_rate"],
        "status": line["status"],
        "refusal_reason": line["refusal_reason"] or None,
        "refusal_note": line["refusal_note"],
        "decided_at": line["decided_at"],
        "shipped_quantity": shipped.get(line["id"], 0),
    }


def shipment_dict(shipment: dict, *, postcode: str) -> dict:
    carrier = shipment["carrier"]
    return {
        "id": shipment["id"],
        "carrier": carrier,
        "carrier_name": carrier_name(carrier),
        "shipped_at": shipment["shipped_at"],
        "estimated_delivery_date": shipment["estimated_delivery_date"],
        "delivered_at": shipment["delivered_at"],
        "parcels": [
            {
                "index": parcel["index"],
                "tracking_number": parcel["tracking_number"],
                "tracking_url": tracking_url(carrier, parcel["tracking_number"], postcode=postcode),
                "tracking_status": parcel["tracking_status"],
                "delivered_at": parcel["delivered_at"],
            }
            for parcel in shipment["parcels"]
        ],
        "lines": [
            {"line_id": item["order_line_id"], "quantity": item["quantity"]}
            for item in shipment["contents"]
        ],
    }


def order_dict(row: dict) -> dict:
    model = _model(row)
    postcode = _postcode(row)
    shipped: dict[int, int] = {}
    for shipment in row["shipments"]:
        for item in shipment["contents"]:
            line_id = item["order_line_id"]
            shipped[line_id] = shipped.get(line_id, 0) + item["quantity"]
    return {
        "id": row["id"],
        "reference": row["order__reference"],
        "state": model.mirakl_state,
        "status": row["status"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "paid_at": row["order__validated_at"],
        "acceptance_deadline": row["acceptance_deadline"],
        "accepted_at": row["accepted_at"],
        "shipped_at": row["shipped_at"],
        "delivered_at": row["delivered_at"],
        "cancelled_at": row["cancelled_at"],
        "currency": "EUR",
        "lines_total": row["lines_total"],
        "shipping_fee": row["shipping_fee"],
        "discount": row["discount_share"],
        "total": model.total,
        "shipping": {
            "mode": row["shipping_mode"],
            "fee": row["shipping_fee"],
            "carrier": row["carrier"],
            "relay_point": row["relay_point"] or None,
            "delivery_min_date": row["delivery_min_date"],
            "delivery_max_date": row["delivery_max_date"],
        },
        "customer": {
            "first_name": row["order__customer__first_name"],
            "last_name": row["order__customer__last_name"],
            "shipping_address": _address(_ship_to(row)),
            "billing_address": _address(row["order__billing_address"]),
        },
        "order_lines": [line_dict(line, shipped) for line in row["lines"]],
        "shipments": [shipment_dict(s, postcode=postcode) for s in row["shipments"]],
    }


def order_shipment_dict(row: dict, shipment_id: int) -> dict:
    """One shipment of the order `row`, as the shipments route answers it."""
    shipment = next(s for s in row["shipments"] if s["id"] == shipment_id)
    return shipment_dict(shipment, postcode=_postcode(row))


def carriers_list() -> list[dict]:
    return [
        {
            "code": c.code,
            "name": c.name,
            "modes": list(c.modes),
            "tracking_url_pattern": c.tracking_url_pattern,
        }
        for c in CARRIERS
    ]


def offer_dict(offer: Offer) -> dict:
    variant = offer.variant
    return {
        "sku": variant.sku,
        "vendor_sku": offer.vendor_sku,
        "product_title": variant.product.title,
        "variant": variant.label,
        "price": offer.price,
        "stock": offer.stock,
        "restock_weeks": offer.restock_weeks,
        "active": offer.is_active,
        "availability": offer.availability.name.lower(),  # in_stock, restocking, out_of_stock
        "updated_at": offer.updated_at,
    }
