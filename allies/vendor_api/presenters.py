"""Rows → the API's dicts (shapes in `schemas`). No query here: `selectors.orders_rows` reads
everything first. The orders app's own rules (Mirakl state, total, where parcels go) are
asked of `VendorOrder`'s own code, so they are written once.

Values come in one of two forms. `TYPED` (datetimes, dates, Decimals) for the routes whose
answer ninja checks against the schema and renders. `JSON` (the strings ninja's renderer
would write for them, see `json_moment`) for the order list, which renders its page itself
(`orders.orders_list`): checking 100 nested orders against the schema, dumping them and
letting the JSON encoder call back into Python for each of the ~2,000 dates and amounts took
12 ms of CPU a page, the JSON form 5 ms. Both give the same bytes (tests/vendor_api compares
them).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from allies.catalog.models import Offer
from allies.orders.models import VendorOrder, delivery_postcode
from allies.shipping.carriers import CARRIERS, carrier_name, tracking_url

ADDRESS_FIELDS = (
    "recipient", "company", "street", "street_extra", "postcode", "city", "country", "phone",
    "instructions",
)  # fmt: skip


def _same(value: Any) -> Any:
    return value


def json_moment(value: datetime | None) -> str | None:
    """A datetime as ninja's renderer writes it (DjangoJSONEncoder: ECMA-262, milliseconds,
    "Z" for UTC)."""
    if value is None:
        return None
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def json_day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def json_decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class TYPED:
    """Values as Python objects: ninja checks them against the schema and renders them."""

    moment = staticmethod(_same)
    day = staticmethod(_same)
    decimal = staticmethod(_same)


class JSON(TYPED):
    """Values already in the form ninja's renderer gives them (strings)."""

    moment = staticmethod(json_moment)
    day = staticmethod(json_day)
    decimal = staticmethod(json_decimal)


Values = type[TYPED]


class _Rules:
    """The fields `VendorOrder.mirakl_state` and `VendorOrder.total` read, with those very
    properties: the orders app's rules without building a model instance per row (1.5 ms a
    page of 100)."""

    __slots__ = ("status", "lines_total", "shipping_fee", "discount_share")
    mirakl_state = VendorOrder.mirakl_state
    total = VendorOrder.total

    def __init__(self, row: dict) -> None:
        self.status = row["status"]
        self.lines_total = row["lines_total"]
        self.shipping_fee = row["shipping_fee"]
        self.discount_share = row["discount_share"]


def _rules(row: dict) -> VendorOrder:
    # Typed as what it stands for: only those two properties are read from it.
    return cast(VendorOrder, _Rules(row))


def _address(data: dict | None) -> dict:
    data = data or {}
    return {name: str(data.get(name) or "") for name in ADDRESS_FIELDS}


def _ship_to(row: dict) -> dict:
    # The rule of VendorOrder.ship_to: changed after ordering (ORD-6), else the order's.
    return row["delivery_address"] or row["order__delivery_address"]


def _postcode(row: dict) -> str:
    # The rule of VendorOrder.delivery_postcode, without an unsaved Order per row.
    return delivery_postcode(relay_point=row["relay_point"], delivery_address=_ship_to(row))


def line_dict(line: dict, shipped: dict[int, int], values: Values = TYPED) -> dict:
    return {
        "id": line["id"],
        "sku": line["sku"],
        "vendor_sku": line["offer__vendor_sku"] or "",
        "title": line["product_title"],
        "variant": line["variant_label"],
        "quantity": line["quantity"],
        "unit_price": values.decimal(line["unit_price"]),
        "total": values.decimal(line["unit_price"] * line["quantity"]),
        "vat_rate": values.decimal(line["vat_rate"]),
        "status": line["status"],
        "refusal_reason": line["refusal_reason"] or None,
        "refusal_note": line["refusal_note"],
        "decided_at": values.moment(line["decided_at"]),
        "shipped_quantity": shipped.get(line["id"], 0),
    }


def shipment_dict(shipment: dict, *, postcode: str, values: Values = TYPED) -> dict:
    carrier = shipment["carrier"]
    return {
        "id": shipment["id"],
        "carrier": carrier,
        "carrier_name": carrier_name(carrier),
        "shipped_at": values.moment(shipment["shipped_at"]),
        "estimated_delivery_date": values.day(shipment["estimated_delivery_date"]),
        "delivered_at": values.moment(shipment["delivered_at"]),
        "parcels": [
            {
                "index": parcel["index"],
                "tracking_number": parcel["tracking_number"],
                "tracking_url": tracking_url(carrier, parcel["tracking_number"], postcode=postcode),
                "tracking_status": parcel["tracking_status"],
                "delivered_at": values.moment(parcel["delivered_at"]),
            }
            for parcel in shipment["parcels"]
        ],
        "lines": [
            {"line_id": item["order_line_id"], "quantity": item["quantity"]}
            for item in shipment["contents"]
        ],
    }


def order_dict(row: dict, values: Values = TYPED) -> dict:
    rules = _rules(row)
    postcode = _postcode(row)
    shipped: dict[int, int] = {}
    for shipment in row["shipments"]:
        for item in shipment["contents"]:
            line_id = item["order_line_id"]
            shipped[line_id] = shipped.get(line_id, 0) + item["quantity"]
    moment, decimal = values.moment, values.decimal
    return {
        "id": row["id"],
        "reference": row["order__reference"],
        "state": rules.mirakl_state,
        "status": row["status"],
        "created_at": moment(row["created_at"]),
        "updated_at": moment(row["updated_at"]),
        "paid_at": moment(row["order__validated_at"]),
        "acceptance_deadline": moment(row["acceptance_deadline"]),
        "accepted_at": moment(row["accepted_at"]),
        "shipped_at": moment(row["shipped_at"]),
        "delivered_at": moment(row["delivered_at"]),
        "cancelled_at": moment(row["cancelled_at"]),
        "currency": "EUR",
        "lines_total": decimal(row["lines_total"]),
        "shipping_fee": decimal(row["shipping_fee"]),
        "discount": decimal(row["discount_share"]),
        "total": decimal(rules.total),
        "shipping": {
            "mode": row["shipping_mode"],
            "fee": decimal(row["shipping_fee"]),
            "carrier": row["carrier"],
            "relay_point": row["relay_point"] or None,
            "delivery_min_date": values.day(row["delivery_min_date"]),
            "delivery_max_date": values.day(row["delivery_max_date"]),
        },
        "customer": {
            "first_name": row["order__customer__first_name"],
            "last_name": row["order__customer__last_name"],
            "shipping_address": _address(_ship_to(row)),
            "billing_address": _address(row["order__billing_address"]),
        },
        "order_lines": [line_dict(line, shipped, values) for line in row["lines"]],
        "shipments": [shipment_dict(s, postcode=postcode, values=values) for s in row["shipments"]],
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
