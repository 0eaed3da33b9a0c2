"""Vendor API — orders (VEN-3), after Mirakl's OR11, OR21, OR23/OR24 and friends.

Each route parses, calls one selector or service of the orders / invoices apps, and renders.
Every route acts for the key's vendor only: another vendor's order id answers exactly like an
id that does not exist (404 `not_found`) and changes nothing. Writes take an
`Idempotency-Key` header (`idempotency`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.decorators import decorate_view
from pydantic import Field

from allies.invoices.services import invoice_upload
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.events import Actor
from allies.orders.models import VendorOrder
from allies.orders.selectors import MIRAKL_FILTERS, vendor_order_get
from allies.orders.shipments import vendor_order_mark_delivered, vendor_order_ship
from allies.orders.states import UNPAID
from allies.vendor_api.auth import vendor_key_auth
from allies.vendor_api.errors import ApiError
from allies.vendor_api.idempotency import idempotent
from allies.vendor_api.order_cache import order_list_body, page_keys
from allies.vendor_api.presenters import (
    carriers_list,
    order_dict,
    order_shipment_dict,
)
from allies.vendor_api.schemas import (
    DEFAULT_PAGE_SIZE,
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    AcceptIn,
    CarrierOut,
    DeliveredIn,
    ErrorOut,
    InvoiceOut,
    OrderListOut,
    OrderOut,
    ShipmentIn,
    ShipmentOut,
)
from allies.vendor_api.selectors import SORTS, api_order_get, api_orders_page

router = Router(auth=vendor_key_auth, tags=["Orders"])

JSON_CONTENT_TYPE = "application/json; charset=utf-8"  # ninja's JSONRenderer's

# Error answers every route may give (documented in the OpenAPI).
READ_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
WRITE_ERRORS = {**READ_ERRORS, 409: ErrorOut}
IDEMPOTENCY_DOC = (
    "\n\nSend an `Idempotency-Key` header (any unique string, ≤ 255 characters) to retry "
    "safely: a retry gets the first answer back (header `Idempotent-Replayed: true`) and "
    "does not act twice."
)

# Unpaid stages never reach a vendor: not offered as filters.
STATUS_VALUES = tuple(MIRAKL_FILTERS) + tuple(
    value for value in VendorOrder.Status.values if value not in UNPAID
)


class OrderFilters(Schema):
    status: str | None = Field(
        None,
        description="Mirakl states (WAITING_ACCEPTANCE, SHIPPING, SHIPPED, RECEIVED, CLOSED, "
        "REFUSED, CANCELED) or Alliés statuses, comma-separated",
    )
    updated_since: datetime | None = Field(
        None, description="Only orders changed at or after this moment (ISO 8601)"
    )
    sort: Literal["created_desc", "updated_asc"] = Field(
        "created_desc",
        description="created_desc: newest first; updated_asc: by last change, oldest first "
        "(for a sync with updated_since)",
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


def _statuses(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    wanted = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [value for value in wanted if value not in STATUS_VALUES]
    if unknown:
        raise ApiError(
            422,
            "invalid_status",
            _("État de commande inconnu : %(values)s.") % {"values": ", ".join(unknown)},
            details={"allowed": list(STATUS_VALUES)},
            before_acting=True,
        )
    return wanted


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment)
    if moment is None:
        return None
    # In UTC: PostgreSQL refuses offsets beyond ±15:59 ("-22:56" was a 500).
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ApiError(
            422,
            "invalid_request",
            _("Une date et heure ISO 8601 est attendue."),
            before_acting=True,
        ) from exc


def _order(vendor, order_id: int) -> dict:
    try:
        return api_order_get(vendor=vendor, pk=order_id)
    except Http404 as exc:
        raise ApiError(404, "not_found", _("Commande introuvable.")) from exc


def _unique_line_ids(ids: list[int]) -> None:
    if len(set(ids)) != len(ids):
        raise ApiError(
            422,
            "duplicate_line",
            _("Un même article est indiqué deux fois."),
            details={"line_ids": sorted({i for i in ids if ids.count(i) > 1})},
            before_acting=True,
        )


def _client(request) -> Actor:
    """Who acts, for the order timeline's audit: the calling key (never a person)."""
    return Actor.api_key(request.auth)


@router.get(
    "/orders",
    response={200: OrderListOut, **READ_ERRORS},
    summary="List orders (Mirakl OR11)",
    operation_id="vendor_orders_list",
)
def orders_list(request, filters: Query[OrderFilters]):
    """The key's vendor's paid orders, newest first, `limit` (≤ 100) from `offset`, with
    lines, shipments and the customer's shipping and billing addresses."""
    vendor = request.auth.vendor
    page = api_orders_page(
        vendor=vendor,
        status=_statuses(filters.status),
        updated_since=_aware(filters.updated_since),
        sort=filters.sort if filters.sort in SORTS else "created_desc",
        offset=filters.offset,
        limit=filters.limit,
        read=page_keys,
    )
    # Rendered here, in the shape and bytes ninja would give OrderListOut (documented above),
    # from the cache where it can be: see order_cache, and tests/vendor_api for the comparison
    # with ninja's own render.
    body = order_list_body(vendor=vendor, page=page)
    return HttpResponse(body, content_type=JSON_CONTENT_TYPE)


@router.get(
    "/orders/{order_id}",
    response={200: OrderOut, **READ_ERRORS},
    summary="Get one order (Mirakl OR11 with order_ids)",
    operation_id="vendor_order_get",
)
def order_get(request, order_id: int):
    return order_dict(_order(request.auth.vendor, order_id))


@router.put(
    "/orders/{order_id}/accept",
    response={200: OrderOut, **WRITE_ERRORS},
    summary="Accept or refuse order lines (Mirakl OR21)",
    description=(
        "Each line is accepted, or refused with a reason (`out_of_stock`, `price_error`, or "
        "`other` with a note). Lines may be decided over several calls; once none is pending "
        "the order is SHIPPING (or REFUSED if every line was refused, refunded)." + IDEMPOTENCY_DOC
    ),
    operation_id="vendor_order_accept",
)
@decorate_view(idempotent)
def order_accept(request, order_id: int, payload: AcceptIn):
    _unique_line_ids([line.id for line in payload.order_lines])
    decisions = {
        line.id: "accept" if line.accepted else ("refuse", line.reason or "", line.note)
        for line in payload.order_lines
    }
    vendor = request.auth.vendor
    vendor_order_lines_decide(
        vendor_order=order_id, vendor=vendor, decisions=decisions, actor=_client(request)
    )
    return order_dict(_order(vendor, order_id))


@router.post(
    "/orders/{order_id}/shipments",
    response={201: ShipmentOut, **WRITE_ERRORS},
    summary="Ship with carrier and tracking (Mirakl OR23 + OR24)",
    description=(
        "Hands accepted units to a carrier in one or more parcels (one tracking number per "
        "parcel). Without `lines`, every accepted unit not shipped yet ships. The order is "
        "SHIPPED once every accepted unit has shipped." + IDEMPOTENCY_DOC
    ),
    operation_id="vendor_order_ship",
)
@decorate_view(idempotent)
def order_ship(request, order_id: int, payload: ShipmentIn):
    lines = None
    if payload.lines is not None:
        _unique_line_ids([line.id for line in payload.lines])
        lines = {line.id: line.quantity for line in payload.lines}
    shipment = vendor_order_ship(
        vendor_order=order_id,
        vendor=request.auth.vendor,
        carrier=payload.carrier,
        parcels=payload.parcels,
        lines=lines,
        estimated_delivery_date=payload.estimated_delivery_date,
        actor=_client(request),
    )
    row = _order(request.auth.vendor, shipment.vendor_order_id)
    return Status(201, order_shipment_dict(row, shipment.pk))


@router.put(
    "/orders/{order_id}/delivered",
    response={200: OrderOut, **WRITE_ERRORS},
    summary="Confirm delivery (Mirakl OR25-like)",
    description=(
        "The vendor confirms that every shipment of a SHIPPED order was delivered (at "
        "`delivered_at`, default now): the order becomes RECEIVED." + IDEMPOTENCY_DOC
    ),
    operation_id="vendor_order_delivered",
)
@decorate_view(idempotent)
def order_delivered(request, order_id: int, payload: DeliveredIn | None = None):
    vendor = request.auth.vendor
    vendor_order_mark_delivered(
        vendor_order=order_id,
        vendor=vendor,
        at=_aware(payload.delivered_at) if payload else None,
        actor=_client(request),
    )
    return order_dict(_order(vendor, order_id))


@router.post(
    "/orders/{order_id}/invoice",
    response={201: InvoiceOut, **WRITE_ERRORS},
    summary="Upload the invoice PDF (Mirakl OR74-like)",
    description=(
        "multipart/form-data with `file` (a PDF, ≤ 5 MB) and optionally `number` (the "
        "vendor's invoice number). Once the order has shipped; one invoice per order."
        + IDEMPOTENCY_DOC
    ),
    operation_id="vendor_order_invoice_upload",
)
@decorate_view(idempotent)
def order_invoice(request, order_id: int, file: File[UploadedFile], number: Form[str] = ""):
    vendor = request.auth.vendor
    try:
        vendor_order = vendor_order_get(vendor=vendor, pk=order_id)
    except Http404 as exc:
        raise ApiError(404, "not_found", _("Commande introuvable.")) from exc
    invoice = invoice_upload(
        vendor_order=vendor_order, vendor=vendor, file=file, number=number, actor=_client(request)
    )
    return Status(
        201,
        {
            "id": invoice.pk,
            "order_id": vendor_order.pk,
            "number": invoice.number,
            "source": invoice.source,
            "issued_at": invoice.issued_at,
        },
    )


@router.get(
    "/carriers",
    response={200: list[CarrierOut], **READ_ERRORS},
    summary="List carriers (Mirakl SH21)",
    operation_id="vendor_carriers_list",
)
def carriers(request):
    """Carrier codes accepted by the shipments route, with their tracking page pattern."""
    return carriers_list()
