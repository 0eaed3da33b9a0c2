"""Shapes of the vendor API's bodies (typed, documented in the OpenAPI at /api/v1/openapi.json).

Money is a string of euros TTC with two decimals ("59.90"), never a float. Dates and times are
ISO 8601 (times in UTC, "Z"). Field names follow Mirakl's seller API where a concept matches
(order `state`, `order_lines`, `total_count`, offers' `sku`/`price`/`quantity`…) so vendors
who already speak OR11/OR21/OR23/OR24/OF24 find their way.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_OFFER_ITEMS = 1000
# Numbers a client sends stay within the columns they are compared with (ids are bigint,
# quantities and offsets int, on PostgreSQL): a larger one is a 422 naming the bound, never a
# database overflow (a 500).
MAX_ID = 9_223_372_036_854_775_807
MAX_OFFSET = 2_147_483_647
MAX_QUANTITY = 2_147_483_647


class Out(BaseModel):
    """Answers are built as dicts by `presenters` and checked against these models. Plain
    pydantic models: ninja's `Schema` adds a wrapper that reads ORM objects field by field,
    which costs half the time of a page of 100 orders and is not needed for dicts."""


Money = Annotated[Decimal, WithJsonSchema({"type": "string", "example": "59.90"})]


# --- errors ---------------------------------------------------------------------------------


class ErrorBody(Out):
    code: str = Field(description="Stable, for programs: not_found, invalid_state, …")
    message: str = Field(description="For people: French, or English with Accept-Language: en")
    details: Any = Field(None, description="What helps fixing the call, or null")


class ErrorOut(Out):
    error: ErrorBody


# --- orders (OR11) --------------------------------------------------------------------------


class AddressOut(Out):
    recipient: str = ""
    company: str = ""
    street: str = ""
    street_extra: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    phone: str = ""
    instructions: str = ""


class CustomerOut(Out):
    """What the vendor needs to ship and invoice; never the customer's email."""

    first_name: str
    last_name: str
    shipping_address: AddressOut
    billing_address: AddressOut


class OrderLineOut(Out):
    id: int
    sku: str = Field(description="Alliés' variant SKU (Mirakl product_sku)")
    vendor_sku: str = Field(description="The vendor's own SKU for the offer (Mirakl offer_sku)")
    title: str
    variant: str
    quantity: int
    unit_price: Money
    total: Money
    vat_rate: Decimal
    status: Literal["pending", "accepted", "refused", "cancelled"]
    refusal_reason: Literal["out_of_stock", "price_error", "other"] | None
    refusal_note: str
    decided_at: datetime | None
    shipped_quantity: int


class ParcelOut(Out):
    index: int
    tracking_number: str
    tracking_url: str
    tracking_status: str
    delivered_at: datetime | None


class ShipmentLineOut(Out):
    line_id: int
    quantity: int


class ShipmentOut(Out):
    id: int
    carrier: str
    carrier_name: str
    shipped_at: datetime
    estimated_delivery_date: date | None
    delivered_at: datetime | None
    parcels: list[ParcelOut]
    lines: list[ShipmentLineOut]


class ShippingOut(Out):
    mode: Literal["home", "express", "relay"]
    fee: Money
    carrier: str = Field(description="The carrier chosen at checkout, if any")
    relay_point: dict[str, Any] | None
    delivery_min_date: date
    delivery_max_date: date


class OrderOut(Out):
    id: int = Field(description="The vendor order's id (Mirakl order_id), used in every URL")
    reference: str = Field(description="The customer's order reference, AL-2026-000123")
    state: str = Field(
        description="Mirakl order_state: WAITING_ACCEPTANCE, SHIPPING, SHIPPED, RECEIVED, "
        "CLOSED, REFUSED, CANCELED"
    )
    status: str = Field(
        description="Alliés' stage: waiting_acceptance, to_ship, partially_shipped, shipped, "
        "delivered, closed, refused, cancelled"
    )
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None
    acceptance_deadline: datetime | None
    accepted_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    currency: Literal["EUR"] = "EUR"
    lines_total: Money
    shipping_fee: Money
    discount: Money
    total: Money
    shipping: ShippingOut
    customer: CustomerOut
    order_lines: list[OrderLineOut]
    shipments: list[ShipmentOut]


class OrderListOut(Out):
    total_count: int
    offset: int
    limit: int
    orders: list[OrderOut]


# --- order writes (OR21, OR23/OR24) ---------------------------------------------------------


class LineDecisionIn(Schema):
    id: int = Field(ge=1, le=MAX_ID, description="Order line id")
    accepted: bool
    reason: Literal["out_of_stock", "price_error", "other"] | None = Field(
        None, description="Why a line is refused (required when accepted is false)"
    )
    note: str = Field("", max_length=500, description="Required with reason 'other'")


class AcceptIn(Schema):
    order_lines: list[LineDecisionIn] = Field(min_length=1)


class ShipLineIn(Schema):
    id: int = Field(ge=1, le=MAX_ID, description="Order line id")
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class ShipmentIn(Schema):
    carrier: str = Field(description="A carrier code of GET /vendor/carriers", max_length=30)
    parcels: list[Annotated[str, Field(max_length=40)]] = Field(
        min_length=1, max_length=50, description="One tracking number per parcel"
    )
    lines: list[ShipLineIn] | None = Field(
        None, description="Units shipped; omitted: every accepted unit not shipped yet"
    )
    estimated_delivery_date: date | None = None


class DeliveredIn(Schema):
    delivered_at: datetime | None = Field(None, description="Default: now")


class InvoiceOut(Out):
    id: int
    order_id: int
    number: str
    source: str
    issued_at: datetime


class CarrierOut(Out):
    code: str
    name: str
    modes: list[str]
    tracking_url_pattern: str


# --- offers (OF24) --------------------------------------------------------------------------


class OfferOut(Out):
    sku: str
    vendor_sku: str
    product_title: str
    variant: str
    price: Money
    stock: int
    restock_weeks: int | None
    active: bool
    availability: Literal["in_stock", "restocking", "out_of_stock"]
    updated_at: datetime


class OfferListOut(Out):
    total_count: int
    offset: int
    limit: int
    offers: list[OfferOut]


class OfferItemIn(Schema):
    """One offer of an OF24-like import (documentation of an item; each item is checked on
    its own by the catalogue's rules, see the route). A key left out leaves that value
    unchanged; null or "" does too for price, stock and active."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(max_length=64, description="Alliés' variant SKU")
    price: Decimal | str | None = Field(
        None, description='Euros TTC, > 0, two decimals at most: 49.9, "49.90" or "49,90"'
    )
    stock: int | None = Field(None, ge=0, le=1_000_000)
    restock_weeks: int | None = Field(
        None, description="Weeks to restock when out of stock, 1–52; null or 0 clears it"
    )
    active: bool | None = None
    vendor_sku: str | None = Field(None, max_length=64, description="The vendor's own SKU")


class StockItemIn(Schema):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(max_length=64)
    stock: int = Field(ge=0, le=1_000_000)


def _items_schema(item: type[Schema]) -> dict:
    return {"type": "array", "maxItems": MAX_OFFER_ITEMS, "items": item.model_json_schema()}


class OffersIn(Schema):
    # Each item is checked on its own (a bad item is an error of that item, not of the
    # call), so the body only needs a list of objects; the documented item is OfferItemIn.
    offers: Annotated[list[dict[str, Any]], WithJsonSchema(_items_schema(OfferItemIn))]


class StockIn(Schema):
    offers: Annotated[list[dict[str, Any]], WithJsonSchema(_items_schema(StockItemIn))]


class OfferItemErrorOut(Out):
    index: int = Field(description="Position of the item in `offers`, from 0")
    sku: str
    code: str
    message: str


class OfferImportOut(Out):
    created: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[OfferItemErrorOut]
