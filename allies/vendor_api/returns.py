"""Vendor API — returns (withdrawals, RET-1…6, VEN-2), after Mirakl's return calls: RT11 lists
the returns, one is read by id, RT21 accepts or refuses a request, RT25 says the parcel
arrived, RT26 gives the inspection's outcome (compliant: refund, whole or with deductions per
item; not compliant: rejected).

Each route parses, calls one service of `allies.aftersales.returns`, and renders. Every route
acts for the key's vendor only: another vendor's return answers exactly like an id that does
not exist (404 `not_found`) and changes nothing. The customer is named by their first name
only. Writes take an `Idempotency-Key` header (`idempotency`): a replayed RT26 refunds once.

The read is private to this module (the returns app's selectors are not there yet): a page
costs the same queries whatever its size — the key, the count, the page's returns (with
their vendor order, order and customer), their items (with the line and its offer).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema
from ninja.decorators import decorate_view
from pydantic import ConfigDict, Field, WithJsonSchema, field_validator

from allies.aftersales.errors import ReturnError
from allies.aftersales.models import (
    DeductionReason,
    RejectionReason,
    ReturnItem,
    ReturnMethod,
    ReturnRequest,
)
from allies.aftersales.return_states import (
    RETURN_STAGES,
    ReturnStatus,
    ReturnTransitionNotAllowed,
    return_statuses_for_mirakl,
)
from allies.aftersales.returns import (
    Deduction,
    parse_deduction,
    return_accept,
    return_mark_received,
    return_refund,
    return_refuse,
    return_reject,
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

router = Router(auth=vendor_key_auth, tags=["Returns"])

READ_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
WRITE_ERRORS = {**READ_ERRORS, 409: ErrorOut}
# Return refusals that say "the return's state forbids it" (the request itself is fine).
CONFLICT_CODES = frozenset({"invalid_state"})
MIRAKL_STATES = tuple(dict.fromkeys(stage.mirakl for stage in RETURN_STAGES.values()))
MAX_ITEMS = 200  # far more than a return holds: a bound on the body, not a rule

ReturnId = Path(..., ge=1, le=MAX_ID, description="The return's id")
SORTS = {"created_desc": ("-created_at", "-id"), "updated_asc": ("updated_at", "id")}


# --- shapes ---------------------------------------------------------------------------------


class ReturnItemOut(Out):
    id: int = Field(description="The return item's id (used by the compliance call)")
    order_line_id: int = Field(description="The order line (order_lines[].id of OR11)")
    sku: str = Field(description="Alliés' variant SKU (Mirakl product_sku)")
    offer_sku: str = Field(description="The vendor's own SKU for the offer (Mirakl offer_sku)")
    product_title: str
    variant: str
    quantity: int = Field(description="Units sent back")
    unit_price: Money
    refunded_amount: Money = Field(description="Given back for these units, once refunded")
    deduction: Money = Field(description="Kept of these units' price after inspection")
    deduction_reason: DeductionReason | None


class ReturnOut(Out):
    id: int = Field(description="The return's id, used in every URL")
    reference: str = Field(description="RET-000123, as the customer reads it")
    order_id: int = Field(description="Your vendor order (GET /vendor/orders/{order_id})")
    order_reference: str = Field(description="The customer's order reference, AL-2026-000123")
    thread_id: int | None = Field(
        description="The conversation with the customer (M10); null for a parcel the customer "
        "refused at delivery (nobody wrote)"
    )
    state: str = Field(
        description="Mirakl-like return state: " + ", ".join(MIRAKL_STATES),
        json_schema_extra={"enum": list(MIRAKL_STATES)},
    )
    status: ReturnStatus = Field(description="Alliés' stage")
    state_label: str
    legal_withdrawal: bool = Field(
        description="Asked within 14 days of delivery: a withdrawal you must accept (RET-1)"
    )
    withdrawal_until: date = Field(description="Last day of the legal withdrawal period")
    customer_first_name: str = Field(description="Never the customer's email address")
    comment: str = Field(description="The customer's comment")
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None
    refusal_reason: str
    send_back_by: date | None = Field(description="The customer sends the parcel by then")
    refund_due_by: date = Field(description="Refund before this day (L221-24, RET-6)")
    method: ReturnMethod | None = Field(
        description="label: prepaid return label; own: the customer's carrier, with tracking"
    )
    carrier: str
    tracking_number: str
    sent_at: datetime | None
    received_at: datetime | None
    closed_at: datetime | None
    rejection_reason: RejectionReason | None
    inspection_note: str
    currency: Literal["EUR"] = "EUR"
    refunded_amount: Money = Field(description="Given back to the customer's card")
    items: list[ReturnItemOut]


class ReturnListOut(Out):
    total_count: int
    offset: int
    limit: int
    returns: list[ReturnOut]


class ReturnFilters(Schema):
    state: str | None = Field(
        None,
        max_length=500,
        description="Return states, comma-separated: " + ", ".join(MIRAKL_STATES),
    )
    updated_since: datetime | None = Field(
        None, description="Only returns changed at or after this moment (ISO 8601)"
    )
    order_id: int | None = Field(None, ge=1, le=MAX_ID, description="Returns of one order")
    sort: Literal["created_desc", "updated_asc"] = Field(
        "created_desc",
        description="created_desc: newest first; updated_asc: by last change, oldest first "
        "(for a sync with updated_since)",
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class ReturnAcceptIn(Schema):
    model_config = ConfigDict(extra="forbid")

    accepted: bool = Field(description="false refuses (only a request made after the 14 days)")
    reason: str = Field(
        "", max_length=4000, description="Why you refuse, told to the customer (required)"
    )


# Euros as a string ("12.50"); a JSON number is read the same way, never as a float's value.
DeductionAmount = Annotated[
    str | int | float | None,
    WithJsonSchema({"type": "string", "example": "10.00", "nullable": True}),
]


class ComplianceItemIn(Schema):
    model_config = ConfigDict(extra="forbid")

    id: int = Field(ge=1, le=MAX_ID, description="The return item's id (items[].id)")
    deduction: DeductionAmount = Field(
        None, description='Euros kept of these units\' price, two decimals at most: "10.00"'
    )
    deduction_reason: DeductionReason | None = Field(None, description="Required with a deduction")

    @field_validator("deduction", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("not an amount")
        return value


class ComplianceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    compliant: bool = Field(
        description="true: refund (deductions optional); false: not compliant, no refund"
    )
    items: list[ComplianceItemIn] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Deductions, item by item"
    )
    reason: RejectionReason | None = Field(None, description="Required when not compliant")
    note: str = Field("", max_length=1000, description="Told to the customer")


# --- reading --------------------------------------------------------------------------------

RETURN_FIELDS = (
    "id", "vendor_order_id", "vendor_order__order__reference", "thread_id", "status", "legal",
    "withdrawal_until", "customer__first_name", "comment", "created_at", "updated_at",
    "decided_at", "refusal_reason", "send_back_by", "refund_due_by", "method", "carrier",
    "tracking_number", "sent_at", "received_at", "closed_at", "rejection_reason",
    "inspection_note", "refunded_amount",
)  # fmt: skip
ITEM_FIELDS = (
    "id", "request_id", "order_line_id", "order_line__sku", "order_line__offer__vendor_sku",
    "order_line__product_title", "order_line__variant_label", "quantity",
    "order_line__unit_price", "refunded_amount", "deduction", "deduction_reason",
)  # fmt: skip


def _scope(vendor) -> QuerySet[ReturnRequest]:
    """The vendor's returns: its own rows only (`vendor_id` on every return)."""
    return ReturnRequest.objects.filter(vendor=vendor)


def _rows(ids: list[int], ordering: tuple[str, ...]) -> list[dict[str, Any]]:
    """The returns `ids` as rows with their items: two queries."""
    if not ids:
        return []
    rows = list(ReturnRequest.objects.filter(pk__in=ids).order_by(*ordering).values(*RETURN_FIELDS))
    items: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for item in ReturnItem.objects.filter(request_id__in=ids).order_by("id").values(*ITEM_FIELDS):
        items[item["request_id"]].append(item)
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
        "unit_price": item["order_line__unit_price"],
        "refunded_amount": item["refunded_amount"],
        "deduction": item["deduction"],
        "deduction_reason": item["deduction_reason"] or None,
    }


def return_dict(row: dict[str, Any]) -> dict[str, Any]:
    stage = RETURN_STAGES[ReturnStatus(row["status"])]
    return {
        "id": row["id"],
        "reference": f"RET-{row['id']:06d}",  # ReturnRequest.reference, without an instance
        "order_id": row["vendor_order_id"],
        "order_reference": row["vendor_order__order__reference"],
        "thread_id": row["thread_id"],
        "state": stage.mirakl,
        "status": row["status"],
        "state_label": str(stage.vendor_label),
        "legal_withdrawal": row["legal"],
        "withdrawal_until": row["withdrawal_until"],
        "customer_first_name": str(row["customer__first_name"] or "").strip(),
        "comment": row["comment"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "decided_at": row["decided_at"],
        "refusal_reason": row["refusal_reason"],
        "send_back_by": row["send_back_by"],
        "refund_due_by": row["refund_due_by"],
        "method": row["method"] or None,
        "carrier": row["carrier"],
        "tracking_number": row["tracking_number"],
        "sent_at": row["sent_at"],
        "received_at": row["received_at"],
        "closed_at": row["closed_at"],
        "rejection_reason": row["rejection_reason"] or None,
        "inspection_note": row["inspection_note"],
        "refunded_amount": row["refunded_amount"],
        "items": [_item_dict(item) for item in row["items"]],
    }


def _statuses(raw: str | None) -> list[ReturnStatus] | None:
    if not raw:
        return None
    wanted = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [value for value in wanted if value not in MIRAKL_STATES]
    if unknown:
        raise ApiError(
            422,
            "invalid_state_filter",
            _("État de retour inconnu : %(values)s. États possibles : %(allowed)s.")
            % {"values": ", ".join(unknown), "allowed": ", ".join(MIRAKL_STATES)},
            details={"allowed": list(MIRAKL_STATES)},
            before_acting=True,
        )
    return [status for state in wanted for status in return_statuses_for_mirakl(state)]


def _not_found() -> ApiError:
    return ApiError(404, "not_found", _("Retour introuvable."))


def _return(vendor, return_id: int) -> ReturnRequest:
    """The vendor's return, for a service; another vendor's is a 404 like a missing one."""
    found = _scope(vendor).select_related("vendor", "vendor_order__order").filter(pk=return_id)
    request = found.first()
    if request is None:
        raise _not_found()
    return request


def _answer(return_id: int) -> dict[str, Any]:
    return return_dict(_rows([return_id], SORTS["created_desc"])[0])


def _refusal(exc: ReturnError | ReturnTransitionNotAllowed) -> ApiError:
    """A service's refusal as the API's error (nothing was written)."""
    if exc.code == "not_found":
        return _not_found()
    if isinstance(exc, ReturnTransitionNotAllowed):  # a race with another answer
        return ApiError(409, "invalid_state", _("Ce retour a changé entre-temps : relisez-le."))
    return ApiError(409 if exc.code in CONFLICT_CODES else 422, exc.code, exc.message)


def _unread(code: str, message: str, **details: Any) -> ApiError:
    """A refusal while reading the body: not kept for an Idempotency-Key."""
    return ApiError(422, code, message, details=details or None, before_acting=True)


# --- routes ---------------------------------------------------------------------------------


@router.get(
    "/returns",
    response={200: ReturnListOut, **READ_ERRORS},
    summary="List returns (Mirakl RT11)",
    operation_id="vendor_returns_list",
)
def returns_list(request, filters: Query[ReturnFilters]):
    """The key's vendor's returns, newest first, `limit` (≤ 100) from `offset`, each with
    its items, deadlines and refund."""
    statuses = _statuses(filters.state)
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
        "returns": [return_dict(row) for row in _rows(ids, ordering)],
    }


@router.get(
    "/returns/{return_id}",
    response={200: ReturnOut, **READ_ERRORS},
    summary="Get one return (Mirakl RT11 with return_ids)",
    operation_id="vendor_return_get",
)
def return_get(request, return_id: int = ReturnId):
    if not _scope(request.auth.vendor).filter(pk=return_id).exists():
        raise _not_found()
    return _answer(return_id)


@router.put(
    "/returns/{return_id}/accept",
    response={200: ReturnOut, **WRITE_ERRORS},
    summary="Accept or refuse a return request (Mirakl RT21)",
    description=(
        '`{"accepted": true}` accepts: the customer is emailed your return address and has '
        '14 days to send the parcel (RET-2). `{"accepted": false, "reason": "…"}` refuses a '
        "request made after the 14-day legal withdrawal period; a legal withdrawal cannot "
        "be refused (422 `legal_withdrawal`)." + IDEMPOTENCY_DOC
    ),
    operation_id="vendor_return_accept",
)
@decorate_view(idempotent)
def return_decide(request, payload: ReturnAcceptIn, return_id: int = ReturnId):
    vendor = request.auth.vendor
    ret = _return(vendor, return_id)
    actor = Actor.api_key(request.auth)
    try:
        if payload.accepted:
            return_accept(request=ret, actor=actor, vendor=vendor)
        else:
            return_refuse(request=ret, actor=actor, vendor=vendor, reason=payload.reason)
    except (ReturnError, ReturnTransitionNotAllowed) as exc:
        raise _refusal(exc) from exc
    return _answer(return_id)


@router.put(
    "/returns/{return_id}/received",
    response={200: ReturnOut, **WRITE_ERRORS},
    summary="Confirm the returned parcel arrived (Mirakl RT25)",
    description=(
        "The parcel of an accepted return reached you: the return is RECEIVED and waits for "
        "your inspection (compliance call); the customer is told." + IDEMPOTENCY_DOC
    ),
    operation_id="vendor_return_received",
)
@decorate_view(idempotent)
def return_received(request, return_id: int = ReturnId):
    vendor = request.auth.vendor
    ret = _return(vendor, return_id)
    try:
        return_mark_received(request=ret, actor=Actor.api_key(request.auth), vendor=vendor)
    except (ReturnError, ReturnTransitionNotAllowed) as exc:
        raise _refusal(exc) from exc
    return _answer(return_id)


def _deductions(items: list[ComplianceItemIn]) -> dict[int, Deduction]:
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise _unread(
            "duplicate_item",
            _("Un même article est indiqué deux fois."),
            item_ids=sorted({i for i in ids if ids.count(i) > 1}),
        )
    deductions = {}
    for index, item in enumerate(items):
        field = f"items.{index}.deduction"
        try:
            deductions[item.id] = parse_deduction(item.deduction, item.deduction_reason or "")
        except ReturnError as exc:
            raise _unread(exc.code, exc.message, field=field) from exc
        except ArithmeticError as exc:
            # parse_deduction rounds before its bound: "1e999" overflows the rounding.
            raise _unread(
                "invalid_amount",
                _("Indiquez une retenue en euros, par exemple 12,50."),
                field=field,
            ) from exc
    return deductions


@router.put(
    "/returns/{return_id}/compliance",
    response={200: ReturnOut, **WRITE_ERRORS},
    summary="Give the inspection's outcome: refund or not compliant (Mirakl RT26)",
    description=(
        '`{"compliant": true}` refunds the returned units with their share of the standard '
        "delivery fee (L221-24); `items` may keep part of an item's price, with a reason "
        '(`{"id": <items[].id>, "deduction": "10.00", "deduction_reason": "used"}`, RET-3). '
        '`{"compliant": false, "reason": "not_resaleable"|"wrong_item"|"other", "note": "…"}` '
        "refuses the refund: the item goes back to the customer (a note is required with "
        "`other`). Once the parcel is RECEIVED (or SHIPPED with tracking, for a refund); the "
        "customer is emailed. Answers the return, with `refunded_amount`." + IDEMPOTENCY_DOC
    ),
    operation_id="vendor_return_compliance",
)
@decorate_view(idempotent)
def return_compliance(request, payload: ComplianceIn, return_id: int = ReturnId):
    vendor = request.auth.vendor
    ret = _return(vendor, return_id)
    actor = Actor.api_key(request.auth)
    if payload.compliant:
        if payload.reason is not None:
            raise _unread(
                "reason_not_expected",
                _("Un motif de non-conformité ne s'indique que pour un retour non conforme."),
            )
        deductions = _deductions(payload.items)
    elif payload.items:
        raise _unread(
            "items_not_expected",
            _("Les retenues ne s'indiquent que pour un retour conforme, qui est remboursé."),
        )
    try:
        if payload.compliant:
            return_refund(
                request=ret, actor=actor, vendor=vendor, deductions=deductions, note=payload.note
            )
        else:
            return_reject(
                request=ret,
                actor=actor,
                vendor=vendor,
                reason=str(payload.reason or ""),
                note=payload.note,
            )
    except (ReturnError, ReturnTransitionNotAllowed) as exc:
        raise _refusal(exc) from exc
    return _answer(return_id)
