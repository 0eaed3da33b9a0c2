"""Vendor API — incidents: after-sales claims ("demande de SAV", SAV-1…4, VEN-2) in Mirakl's
words (OR62–OR64): the incidents are listed and read one by one, the vendor asks for the item
back (a prepaid label or a home pickup), refuses (OR64), says the item arrived, settles
(OR63: a refund, an exchange, a repair, missing parts, or a refund as a withdrawal) or, after
inspecting an item without defect, sends it back to the customer.

Each route parses, calls one service of `allies.aftersales.claims`, and renders. Every route
acts for the key's vendor only: another vendor's claim answers exactly like an id that does
not exist (404 `not_found`) and changes nothing. The customer is named by their first name
only. Writes take an `Idempotency-Key` header (`idempotency`): a replayed settlement refunds
once.

The read is private to this module, like the returns': a page costs the same queries
whatever its size — the key, the count, the page's claims (with their vendor order, order
and customer), their items (with the line and its offer), the items' photos.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema
from ninja.decorators import decorate_view
from pydantic import ConfigDict, Field

from allies.aftersales.claim_states import (
    CLAIM_STAGES,
    ClaimStatus,
    ClaimTransitionNotAllowed,
    claim_statuses_for_mirakl,
)
from allies.aftersales.claims import (
    PICKUP_DATES_MAX,
    REASON_MAX,
    RESHIPPING,
    claim_mark_received,
    claim_refuse,
    claim_reject,
    claim_return_propose,
    claim_settle,
)
from allies.aftersales.errors import ClaimError
from allies.aftersales.models import (
    Claim,
    ClaimItem,
    ClaimPhoto,
    ClaimProblem,
    ClaimRemedy,
    ClaimResolution,
    ClaimReturnMode,
)
from allies.orders.events import Actor
from allies.vendor_api.auth import vendor_key_auth
from allies.vendor_api.errors import ApiError
from allies.vendor_api.idempotency import idempotent
from allies.vendor_api.orders import IDEMPOTENCY_DOC, _aware
from allies.vendor_api.schemas import (
    DEFAULT_PAGE_SIZE,
    MAX_ID,
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    ErrorOut,
    Money,
    Out,
)

router = Router(auth=vendor_key_auth, tags=["Incidents"])

READ_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
WRITE_ERRORS = {**READ_ERRORS, 409: ErrorOut}
# Claim refusals that say "the claim's stage forbids it" (the same call may succeed later or
# never did make sense at this stage); every other refusal is about the request: 422.
CONFLICT_CODES = frozenset({"invalid_state", "item_not_received"})
MIRAKL_STATES = tuple(dict.fromkeys(stage.mirakl for stage in CLAIM_STAGES.values()))
STATUS_CODES = tuple(status.value for status in ClaimStatus)
TEXT_MAX = 4000  # a bound on the body; the services' own limits (1000) give their message
RAW_DATES_MAX = PICKUP_DATES_MAX * 4  # the service's bound on what it reads

IncidentId = Path(..., ge=1, le=MAX_ID, description="The incident's (claim's) id")
SORTS = {"created_desc": ("-created_at", "-id"), "updated_asc": ("updated_at", "id")}


# --- shapes ---------------------------------------------------------------------------------


class IncidentItemOut(Out):
    id: int = Field(description="The claimed item's id")
    order_line_id: int = Field(description="The order line (order_lines[].id of OR11)")
    sku: str = Field(description="Alliés' variant SKU (Mirakl product_sku)")
    offer_sku: str = Field(description="The vendor's own SKU for the offer (Mirakl offer_sku)")
    product_title: str
    variant: str
    quantity: int = Field(description="Units the claim is about")
    description: str = Field(description="The customer's description of the problem")
    unit_price: Money
    refunded_amount: Money = Field(description="Given back for these units, once refunded")
    photo_count: int
    photo_ids: list[int] = Field(
        description="The photos, attachments of the incident's thread: download each with "
        "GET /vendor/threads/{thread_id}/attachments/{photo_id} (M13)"
    )


class IncidentReturnOut(Out):
    """How the item comes back to the vendor, at its cost (SAV-3)."""

    mode: ClaimReturnMode = Field(
        description="label: prepaid return label; pickup: home pickup on a date you offer"
    )
    pickup_dates: list[date] = Field(description="The pickup dates offered (mode pickup)")
    pickup_date: date | None = Field(description="The date the customer chose, once chosen")
    carrier: str = Field(description="The return parcel's carrier, once the label is issued")
    tracking_number: str
    cost: Money = Field(description="The return's cost, charged to you")
    received_at: datetime | None


class IncidentReshipOut(Out):
    """A replacement, the repaired item or missing parts: a new free shipment (SAV-4)."""

    carrier: str
    tracking_number: str
    shipped_at: datetime | None
    delivered_at: datetime | None


class IncidentOut(Out):
    model_config = ConfigDict(populate_by_name=True)

    id: int = Field(description="The incident's id, used in every URL")
    reference: str = Field(description="SAV-000123, as the customer reads it")
    order_id: int = Field(description="Your vendor order (GET /vendor/orders/{order_id})")
    order_reference: str = Field(description="The customer's order reference, AL-2026-000123")
    thread_id: int = Field(description="The conversation with the customer (M10)")
    state: str = Field(
        description="Mirakl-like incident state: " + ", ".join(MIRAKL_STATES),
        json_schema_extra={"enum": list(MIRAKL_STATES)},
    )
    status: ClaimStatus = Field(description="Alliés' stage")
    state_label: str
    problem: ClaimProblem = Field(description="What is wrong (SAV-1)")
    remedy: ClaimRemedy = Field(description="What the customer wants (SAV-1)")
    customer_first_name: str = Field(description="Never the customer's email address")
    answer_due_at: datetime = Field(description="Answer by then: 48 business hours (SAV-2)")
    decided_at: datetime | None = Field(description="When you first answered")
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    refusal_reason: str
    return_: IncidentReturnOut | None = Field(
        alias="return", description="The item back to you, once you asked for it (SAV-3)"
    )
    defect_confirmed: bool | None = Field(description="Your inspection's finding, once made")
    resolution: ClaimResolution | None = Field(description="How you settled it (SAV-4)")
    inspection_note: str
    reship: IncidentReshipOut | None = Field(description="The new shipment, if any")
    currency: Literal["EUR"] = "EUR"
    refunded_amount: Money = Field(description="Given back to the customer's card")
    items: list[IncidentItemOut]


class IncidentListOut(Out):
    total_count: int
    offset: int
    limit: int
    incidents: list[IncidentOut]


class IncidentFilters(Schema):
    state: str | None = Field(
        None,
        max_length=500,
        description="Incident states, comma-separated: " + ", ".join(MIRAKL_STATES),
    )
    status: str | None = Field(
        None,
        max_length=500,
        description="Alliés' stages, comma-separated: " + ", ".join(STATUS_CODES),
    )
    updated_since: datetime | None = Field(
        None, description="Only incidents changed at or after this moment (ISO 8601)"
    )
    order_id: int | None = Field(None, ge=1, le=MAX_ID, description="Incidents of one order")
    sort: Literal["created_desc", "updated_asc"] = Field(
        "created_desc",
        description="created_desc: newest first; updated_asc: by last change, oldest first "
        "(for a sync with updated_since)",
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class ReturnProposeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    mode: ClaimReturnMode = Field(
        description="label: a prepaid label is issued at once; pickup: a carrier collects "
        "the item at the customer's home on one of `pickup_dates`"
    )
    pickup_dates: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list,
        max_length=RAW_DATES_MAX,
        description=f"With pickup: 1 to {PICKUP_DATES_MAX} working days, ISO dates "
        '("2026-12-22"), from tomorrow to three weeks ahead',
    )
    message: str = Field("", max_length=TEXT_MAX, description="Added for the customer")


class RefuseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=TEXT_MAX, description="Told to the customer (required)")


class ResolveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    resolution: ClaimResolution = Field(
        description="refund, replacement or missing_parts at any time; repair and "
        "withdrawal (no defect, a refund asked: the return's cost is deducted) once RECEIVED"
    )
    carrier: str = Field(
        "", max_length=30, description="With replacement, repair, missing_parts: the carrier"
    )
    tracking_number: str = Field(
        "", max_length=100, description="With replacement, repair, missing_parts (required)"
    )
    note: str = Field("", max_length=TEXT_MAX, description="Told to the customer")


class RejectIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(
        max_length=TEXT_MAX, description="What the inspection found, told to the customer"
    )


# --- reading --------------------------------------------------------------------------------

CLAIM_FIELDS = (
    "id", "vendor_order_id", "vendor_order__order__reference", "thread_id", "status", "problem",
    "remedy", "customer__first_name", "answer_due_at", "decided_at", "created_at", "updated_at",
    "closed_at", "refusal_reason", "return_mode", "pickup_dates", "pickup_date", "carrier",
    "tracking_number", "return_cost", "received_at", "defect_confirmed", "resolution",
    "inspection_note", "reship_carrier", "reship_tracking_number", "reshipped_at",
    "reship_delivered_at", "refunded_amount",
)  # fmt: skip
ITEM_FIELDS = (
    "id", "claim_id", "order_line_id", "order_line__sku", "order_line__offer__vendor_sku",
    "order_line__product_title", "order_line__variant_label", "quantity", "description",
    "order_line__unit_price", "refunded_amount",
)  # fmt: skip


def _scope(vendor) -> QuerySet[Claim]:
    """The vendor's claims: its own rows only (`vendor_id` on every claim)."""
    return Claim.objects.filter(vendor=vendor)


def _rows(ids: list[int], ordering: tuple[str, ...]) -> list[dict[str, Any]]:
    """The claims `ids` as rows with their items and photos: three queries."""
    if not ids:
        return []
    rows = list(Claim.objects.filter(pk__in=ids).order_by(*ordering).values(*CLAIM_FIELDS))
    photos: dict[int, list[int]] = defaultdict(list)
    for item_id, attachment_id in (
        ClaimPhoto.objects.filter(item__claim_id__in=ids)
        .order_by("id")
        .values_list("item_id", "attachment_id")
    ):
        photos[item_id].append(attachment_id)
    items: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for item in ClaimItem.objects.filter(claim_id__in=ids).order_by("id").values(*ITEM_FIELDS):
        item["photo_ids"] = photos[item["id"]]
        items[item["claim_id"]].append(item)
    for row in rows:
        row["items"] = items[row["id"]]
    return rows


def _item_dict(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "order_line_id": item["order_line_id"],
        "sku": item["order_line__sku"],
        "offer_sku": item["order_line__offer__vendor_sku"] or "",
        "product_title": item["order_line__product_title"],
        "variant": item["order_line__variant_label"],
        "quantity": item["quantity"],
        "description": item["description"],
        "unit_price": item["order_line__unit_price"],
        "refunded_amount": item["refunded_amount"],
        "photo_count": len(item["photo_ids"]),
        "photo_ids": item["photo_ids"],
    }


def incident_dict(row: dict[str, Any]) -> dict[str, Any]:
    stage = CLAIM_STAGES[ClaimStatus(row["status"])]
    back = None
    if row["return_mode"]:
        back = {
            "mode": row["return_mode"],
            "pickup_dates": row["pickup_dates"] or [],
            "pickup_date": row["pickup_date"],
            "carrier": row["carrier"],
            "tracking_number": row["tracking_number"],
            "cost": row["return_cost"],
            "received_at": row["received_at"],
        }
    reship = None
    if row["reship_tracking_number"]:
        reship = {
            "carrier": row["reship_carrier"],
            "tracking_number": row["reship_tracking_number"],
            "shipped_at": row["reshipped_at"],
            "delivered_at": row["reship_delivered_at"],
        }
    return {
        "id": row["id"],
        "reference": f"SAV-{row['id']:06d}",  # Claim.reference, without an instance
        "order_id": row["vendor_order_id"],
        "order_reference": row["vendor_order__order__reference"],
        "thread_id": row["thread_id"],
        "state": stage.mirakl,
        "status": row["status"],
        "state_label": str(stage.vendor_label),
        "problem": row["problem"],
        "remedy": row["remedy"],
        "customer_first_name": str(row["customer__first_name"] or "").strip(),
        "answer_due_at": row["answer_due_at"],
        "decided_at": row["decided_at"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "closed_at": row["closed_at"],
        "refusal_reason": row["refusal_reason"],
        "return": back,
        "defect_confirmed": row["defect_confirmed"],
        "resolution": row["resolution"] or None,
        "inspection_note": row["inspection_note"],
        "reship": reship,
        "refunded_amount": row["refunded_amount"],
        "items": [_item_dict(item) for item in row["items"]],
    }


def _values(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def _statuses(state: str | None, status: str | None) -> set[str] | None:
    """The stages the filters keep (both given: those in both), or None for every stage."""
    kept: set[str] | None = None
    if wanted := _values(state):
        unknown = [value for value in wanted if value not in MIRAKL_STATES]
        if unknown:
            raise ApiError(
                422,
                "invalid_state_filter",
                _("État d'incident inconnu : %(values)s. États possibles : %(allowed)s.")
                % {"values": ", ".join(unknown), "allowed": ", ".join(MIRAKL_STATES)},
                details={"allowed": list(MIRAKL_STATES)},
                before_acting=True,
            )
        kept = {s.value for value in wanted for s in claim_statuses_for_mirakl(value)}
    if wanted := _values(status):
        unknown = [value for value in wanted if value not in STATUS_CODES]
        if unknown:
            raise ApiError(
                422,
                "invalid_status_filter",
                _("Étape inconnue : %(values)s. Étapes possibles : %(allowed)s.")
                % {"values": ", ".join(unknown), "allowed": ", ".join(STATUS_CODES)},
                details={"allowed": list(STATUS_CODES)},
                before_acting=True,
            )
        kept = set(wanted) if kept is None else kept & set(wanted)
    return kept


def _not_found() -> ApiError:
    return ApiError(404, "not_found", _("Réclamation introuvable."))


def _claim(vendor, incident_id: int) -> Claim:
    """The vendor's claim, for a service; another vendor's is a 404 like a missing one."""
    found = _scope(vendor).select_related("vendor", "customer", "vendor_order__order")
    claim = found.filter(pk=incident_id).first()
    if claim is None:
        raise _not_found()
    return claim


def _answer(incident_id: int) -> dict[str, Any]:
    return incident_dict(_rows([incident_id], SORTS["created_desc"])[0])


def _refusal(exc: ClaimError | ClaimTransitionNotAllowed) -> ApiError:
    """A service's refusal as the API's error (nothing was written)."""
    if exc.code == "not_found":
        return _not_found()
    if isinstance(exc, ClaimTransitionNotAllowed):  # a race with another answer
        return ApiError(
            409, "invalid_state", _("Cette réclamation a changé entre-temps : relisez-la.")
        )
    if exc.code == "invalid_date":  # the service's message names the portal's format
        return ApiError(
            422, exc.code, _("Indiquez des dates au format AAAA-MM-JJ, par exemple 2026-12-22.")
        )
    return ApiError(409 if exc.code in CONFLICT_CODES else 422, exc.code, exc.message)


def _unread(code: str, message: str) -> ApiError:
    """A refusal while reading the body: not kept for an Idempotency-Key."""
    return ApiError(422, code, message, before_acting=True)


# --- routes ---------------------------------------------------------------------------------


@router.get(
    "/incidents",
    response={200: IncidentListOut, **READ_ERRORS},
    summary="List incidents: after-sales claims (Mirakl incidents, OR62–OR64)",
    operation_id="vendor_incidents_list",
    by_alias=True,
)
def incidents_list(request, filters: Query[IncidentFilters]):
    """The key's vendor's after-sales claims, newest first, `limit` (≤ 100) from `offset`,
    each with its items and their photos, the item's way back and the outcome."""
    statuses = _statuses(filters.state, filters.status)
    qs = _scope(request.auth.vendor)
    if statuses is not None:
        qs = qs.filter(status__in=statuses)
    if filters.order_id is not None:
        qs = qs.filter(vendor_order_id=filters.order_id)
    if (since := _aware(filters.updated_since)) is not None:
        qs = qs.filter(updated_at__gte=since)
    total = qs.count()
    ordering = SORTS[filters.sort]
    end = filters.offset + filters.limit
    ids = (
        list(qs.order_by(*ordering).values_list("pk", flat=True)[filters.offset : end])
        if total > filters.offset
        else []
    )
    return {
        "total_count": total,
        "offset": filters.offset,
        "limit": filters.limit,
        "incidents": [incident_dict(row) for row in _rows(ids, ordering)],
    }


@router.get(
    "/incidents/{incident_id}",
    response={200: IncidentOut, **READ_ERRORS},
    summary="Get one incident (after-sales claim)",
    operation_id="vendor_incident_get",
    by_alias=True,
)
def incident_get(request, incident_id: int = IncidentId):
    if not _scope(request.auth.vendor).filter(pk=incident_id).exists():
        raise _not_found()
    return _answer(incident_id)


@router.put(
    "/incidents/{incident_id}/return",
    response={200: IncidentOut, **WRITE_ERRORS},
    summary="Ask for the item back, at your cost (SAV-3)",
    description=(
        'Your first answer (48 business hours, SAV-2). `{"mode": "label"}` issues a prepaid '
        "return label at once (its tracking number is in `return`); "
        '`{"mode": "pickup", "pickup_dates": ["2026-12-22", "2026-12-23"]}` offers 1 to '
        f"{PICKUP_DATES_MAX} working days for a home pickup, of which the customer picks one. "
        "The return's cost is charged to you. The customer is emailed." + IDEMPOTENCY_DOC
    ),
    operation_id="vendor_incident_return",
    by_alias=True,
)
@decorate_view(idempotent)
def incident_return(request, payload: ReturnProposeIn, incident_id: int = IncidentId):
    vendor = request.auth.vendor
    claim = _claim(vendor, incident_id)
    if payload.mode != ClaimReturnMode.PICKUP and payload.pickup_dates:
        raise _unread(
            "dates_not_expected",
            _("Les dates d'enlèvement ne s'indiquent que pour un enlèvement à domicile."),
        )
    try:
        claim_return_propose(
            claim=claim,
            actor=Actor.api_key(request.auth),
            vendor=vendor,
            mode=str(payload.mode),
            pickup_dates=payload.pickup_dates,
            message=payload.message,
        )
    except (ClaimError, ClaimTransitionNotAllowed) as exc:
        raise _refusal(exc) from exc
    return _answer(incident_id)


@router.put(
    "/incidents/{incident_id}/refuse",
    response={200: IncidentOut, **WRITE_ERRORS},
    summary="Refuse an incident with a reason (Mirakl OR64)",
    description=(
        '`{"reason": "…"}`, told to the customer, who may turn to Alliés\' customer service '
        "from the conversation. Only before any other answer." + IDEMPOTENCY_DOC
    ),
    operation_id="vendor_incident_refuse",
    by_alias=True,
)
@decorate_view(idempotent)
def incident_refuse(request, payload: RefuseIn, incident_id: int = IncidentId):
    vendor = request.auth.vendor
    claim = _claim(vendor, incident_id)
    try:
        claim_refuse(
            claim=claim, actor=Actor.api_key(request.auth), vendor=vendor, reason=payload.reason
        )
    except (ClaimError, ClaimTransitionNotAllowed) as exc:
        raise _refusal(exc) from exc
    return _answer(incident_id)


@router.put(
    "/incidents/{incident_id}/received",
    response={200: IncidentOut, **WRITE_ERRORS},
    summary="Confirm the claimed item reached you",
    description=(
        "The item you asked back arrived: the incident waits for your inspection (resolve or "
        "reject); the customer is told. The carrier's delivery of a prepaid label does it "
        "too." + IDEMPOTENCY_DOC
    ),
    operation_id="vendor_incident_received",
    by_alias=True,
)
@decorate_view(idempotent)
def incident_received(request, incident_id: int = IncidentId):
    vendor = request.auth.vendor
    claim = _claim(vendor, incident_id)
    try:
        claim_mark_received(claim=claim, actor=Actor.api_key(request.auth), vendor=vendor)
    except (ClaimError, ClaimTransitionNotAllowed) as exc:
        raise _refusal(exc) from exc
    return _answer(incident_id)


@router.put(
    "/incidents/{incident_id}/resolve",
    response={200: IncidentOut, **WRITE_ERRORS},
    summary="Settle an incident: refund, exchange, repair or missing parts (Mirakl OR63)",
    description=(
        '`{"resolution": "refund"}` refunds the claimed units with their whole shipping '
        'share. `{"resolution": "replacement"|"repair"|"missing_parts", "carrier": '
        '"colissimo", "tracking_number": "…"}` records a new free shipment. Before the item '
        "is back: refund, replacement or missing_parts only. Once RECEIVED, "
        '`{"resolution": "withdrawal"}` (no defect, the customer asked a refund) refunds as a '
        "withdrawal, the return's cost deducted (SAV-4). The customer is emailed; answers the "
        "incident, with `refunded_amount`." + IDEMPOTENCY_DOC
    ),
    operation_id="vendor_incident_resolve",
    by_alias=True,
)
@decorate_view(idempotent)
def incident_resolve(request, payload: ResolveIn, incident_id: int = IncidentId):
    vendor = request.auth.vendor
    claim = _claim(vendor, incident_id)
    if payload.resolution not in RESHIPPING and (payload.carrier or payload.tracking_number):
        raise _unread(
            "tracking_not_expected",
            _("Le transporteur et le numéro de suivi ne s'indiquent que pour un nouvel envoi."),
        )
    if len(" ".join(payload.note.split())) > REASON_MAX:
        raise _unread("note_too_long", _("Votre explication est trop longue."))
    try:
        claim_settle(
            claim=claim,
            actor=Actor.api_key(request.auth),
            vendor=vendor,
            resolution=str(payload.resolution),
            carrier=payload.carrier.strip(),
            tracking_number=payload.tracking_number,
            note=payload.note,
        )
    except (ClaimError, ClaimTransitionNotAllowed) as exc:
        raise _refusal(exc) from exc
    return _answer(incident_id)


@router.put(
    "/incidents/{incident_id}/reject",
    response={200: IncidentOut, **WRITE_ERRORS},
    summary="No defect found: send the item back to the customer",
    description=(
        'After inspection (RECEIVED), `{"note": "…"}` says what you found; the item goes '
        "back to the customer, who may turn to Alliés' customer service. A refund asked "
        'without defect is settled with `{"resolution": "withdrawal"}` instead.' + IDEMPOTENCY_DOC
    ),
    operation_id="vendor_incident_reject",
    by_alias=True,
)
@decorate_view(idempotent)
def incident_reject(request, payload: RejectIn, incident_id: int = IncidentId):
    vendor = request.auth.vendor
    claim = _claim(vendor, incident_id)
    try:
        claim_reject(
            claim=claim, actor=Actor.api_key(request.auth), vendor=vendor, note=payload.note
        )
    except (ClaimError, ClaimTransitionNotAllowed) as exc:
        raise _refusal(exc) from exc
    return _answer(incident_id)
