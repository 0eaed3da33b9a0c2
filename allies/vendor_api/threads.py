"""Vendor API — messages (VEN-2, CS-1), after Mirakl's inbox API: M11 lists the threads, M10
reads one with its messages, M12 answers with attachments, M13 downloads an attachment.

Each route parses, calls one selector or service of `allies.support`, and renders. Every
route acts for the key's vendor only: another vendor's thread or attachment answers exactly
like an id that does not exist (404 `not_found`) and changes nothing. The customer is named by
their first name, never by their email address (answers reach them through the thread's
relayed address). The answer (M12) takes an `Idempotency-Key` header (`idempotency`); errors
are the API's JSON shape (`errors`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Path, Query, Router, Schema, Status, UploadedFile
from ninja.decorators import decorate_view
from pydantic import Field

from allies.orders.events import Actor, ActorKind
from allies.support.downloads import AttachmentMissing, attachment_response
from allies.support.errors import (
    AttachmentRefused,
    SupportError,
    SupportForbidden,
    ThreadNotFound,
)
from allies.support.models import Attachment, Channel, Message, Thread, Visibility
from allies.support.selectors import (
    ThreadFilter,
    attachment_for_vendor,
    thread_customer_first_name,
    thread_for_vendor,
    threads_for_vendor,
)
from allies.support.services import message_post
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
    Out,
)

router = Router(auth=vendor_key_auth, tags=["Messages"])

READ_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
WRITE_ERRORS = {**READ_ERRORS, 403: ErrorOut, 409: ErrorOut}
# Support refusals that say "the thread's state forbids it" (the request itself is fine).
CONFLICT_CODES = frozenset({"closed"})

ThreadId = Path(..., ge=1, le=MAX_ID, description="The thread's id")
AttachmentId = Path(..., ge=1, le=MAX_ID, description="The attachment's id")


# --- shapes ---------------------------------------------------------------------------------


class ThreadTopicOut(Out):
    type: Literal["REASON"] = Field("REASON", description="Mirakl's topic type: a reason code")
    value: str = Field(description="The customer's motif: delivery, tracking, size, return…")
    label: str


class ThreadOut(Out):
    id: int = Field(description="The thread's id (Mirakl thread_id), used in every URL")
    kind: Literal["question", "order"] = Field(
        description="question: asked before buying; order: about one of your orders"
    )
    state: Literal["waiting_vendor", "answered", "escalated", "resolved", "closed"] = Field(
        description="waiting_vendor: the customer waits for your answer (see answer_due_at); "
        "answered; escalated: the operator's customer service handles it; resolved; closed"
    )
    state_label: str
    topic: ThreadTopicOut
    subject: str = Field(description="The customer's subject, else the motif's label")
    customer_first_name: str = Field(description="Never the customer's email address")
    order_id: int | None = Field(description="Your vendor order (GET /vendor/orders/{order_id})")
    order_reference: str | None
    product_id: int | None
    product_title: str | None
    answer_due_at: datetime | None = Field(
        description="Answer before this moment (48 h after the customer's message, CS-1)"
    )
    is_late: bool = Field(description="The answer is overdue")
    created_at: datetime
    updated_at: datetime


class ThreadListOut(Out):
    total_count: int
    offset: int
    limit: int
    threads: list[ThreadOut]


class ThreadAttachmentOut(Out):
    id: int
    name: str
    content_type: str
    size: int = Field(description="In bytes")
    url: str = Field(description="Download it with the same key (Mirakl M13)")


class ThreadAuthorOut(Out):
    type: Literal["CUSTOMER", "SHOP_USER", "OPERATOR_USER"]
    display_name: str


class ThreadMessageOut(Out):
    id: int
    author: ThreadAuthorOut
    body: str
    to_customer: bool = Field(
        description="false: a message of the operator's customer service to you only"
    )
    channel: Literal["web", "email", "api"]
    created_at: datetime
    attachments: list[ThreadAttachmentOut]


class ThreadDetailOut(ThreadOut):
    messages: list[ThreadMessageOut]


class ThreadFilters(Schema):
    state: Literal[
        "all", "open", "to_answer", "late", "answered", "escalated", "resolved", "closed"
    ] = Field(  # fmt: skip
        "all",
        description="to_answer: waiting for your answer; late: past their deadline; open: "
        "not resolved nor closed",
    )
    updated_since: datetime | None = Field(
        None, description="Only threads changed after this moment (ISO 8601)"
    )
    sort: Literal["due", "updated_asc"] = Field(
        "due",
        description="due: the next deadline first (the late on top), then the last changed; "
        "updated_asc: by last change, oldest first (for a sync with updated_since)",
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


# --- rendering ------------------------------------------------------------------------------


def thread_dict(thread: Thread) -> dict[str, Any]:
    """A thread as M11 lists it (its related rows joined by the selector: no query)."""
    return {
        "id": thread.pk,
        "kind": thread.kind,
        "state": thread.stage,
        "state_label": thread.vendor_stage_label,
        "topic": {"value": thread.motif, "label": str(thread.get_motif_display())},
        "subject": thread.title,
        "customer_first_name": thread_customer_first_name(thread),
        "order_id": thread.vendor_order_id,
        "order_reference": thread.order.reference if thread.order_id and thread.order else None,
        "product_id": thread.product_id,
        "product_title": thread.product.title if thread.product_id and thread.product else None,
        "answer_due_at": thread.vendor_due_at,
        "is_late": bool(getattr(thread, "is_late", False)),
        "created_at": thread.created_at,
        "updated_at": thread.updated_at,
    }


def _attachment_dict(thread: Thread, attachment: Attachment) -> dict[str, Any]:
    url = reverse(
        "api:vendor_thread_attachment",
        kwargs={"thread_id": thread.pk, "attachment_id": attachment.pk},
    )
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": url,
    }


def _author(thread: Thread, message: Message) -> dict[str, str]:
    if message.author_kind == ActorKind.CUSTOMER:
        return {"type": "CUSTOMER", "display_name": thread_customer_first_name(thread)}
    if message.author_kind in (ActorKind.VENDOR_USER, ActorKind.API_KEY):
        return {"type": "SHOP_USER", "display_name": thread.vendor.name if thread.vendor else ""}
    return {"type": "OPERATOR_USER", "display_name": str(_("Service client Les Alliés"))}


def thread_detail_dict(thread: Thread) -> dict[str, Any]:
    """A thread as M10 reads it: with the messages a vendor reads (never internal notes)."""
    row = thread_dict(thread)
    row["is_late"] = bool(
        thread.stage == Thread.Stage.WAITING_VENDOR
        and thread.vendor_due_at is not None
        and thread.vendor_due_at < timezone.now()
    )
    row["messages"] = [
        {
            "id": message.pk,
            "author": _author(thread, message),
            "body": message.body,
            "to_customer": message.visibility == Visibility.PUBLIC,
            "channel": message.channel,
            "created_at": message.created_at,
            "attachments": [_attachment_dict(thread, a) for a in message.attachments.all()],
        }
        for message in thread.visible_messages  # type: ignore[attr-defined]
    ]
    return row


# --- errors ---------------------------------------------------------------------------------


def _not_found() -> ApiError:
    return ApiError(404, "not_found", _("Demande introuvable."))


def _refusal(exc: SupportError) -> ApiError:
    """A support refusal as the API's error (nothing was written)."""
    if isinstance(exc, ThreadNotFound):
        return _not_found()
    if isinstance(exc, SupportForbidden):
        return ApiError(403, exc.code, exc.message)
    if isinstance(exc, AttachmentRefused):
        return ApiError(422, exc.code, exc.message)
    return ApiError(409 if exc.code in CONFLICT_CODES else 422, exc.code, exc.message)


def _thread(vendor, thread_id: int) -> Thread:
    try:
        return thread_for_vendor(vendor=vendor, thread_id=thread_id)
    except ThreadNotFound as exc:
        raise _not_found() from exc


# --- routes ---------------------------------------------------------------------------------


@router.get(
    "/threads",
    response={200: ThreadListOut, **READ_ERRORS},
    summary="List threads (Mirakl M11)",
    operation_id="vendor_threads_list",
)
def threads_list(request, filters: Query[ThreadFilters]):
    """The key's vendor's customer threads ("Assistance en ligne"): by default the next
    deadline first, `limit` (≤ 100) from `offset`."""
    qs = threads_for_vendor(
        vendor=request.auth.vendor,
        filter=ThreadFilter(filters.state),
        updated_since=_aware(filters.updated_since),
    )
    if filters.sort == "updated_asc":
        qs = qs.order_by("updated_at", "id")
    total = qs.count()
    end = filters.offset + filters.limit
    rows = list(qs[filters.offset : end]) if total > filters.offset else []
    return {
        "total_count": total,
        "offset": filters.offset,
        "limit": filters.limit,
        "threads": [thread_dict(row) for row in rows],
    }


@router.get(
    "/threads/{thread_id}",
    response={200: ThreadDetailOut, **READ_ERRORS},
    summary="Get one thread with its messages (Mirakl M10)",
    operation_id="vendor_thread_get",
)
def thread_get(request, thread_id: int = ThreadId):
    return thread_detail_dict(_thread(request.auth.vendor, thread_id))


@router.post(
    "/threads/{thread_id}/message",
    response={201: ThreadDetailOut, **WRITE_ERRORS},
    summary="Answer a thread (Mirakl M12)",
    description=(
        "multipart/form-data with `body` (the answer, required unless files are sent) and "
        "up to 5 `files` (photos JPEG, PNG, WebP or PDF; their type is read from their "
        "content). The customer is emailed the answer; a thread waiting for you becomes "
        "`answered`. A closed thread takes no message (409 `closed`). Answers the thread "
        "as M10 reads it." + IDEMPOTENCY_DOC
    ),
    operation_id="vendor_thread_reply",
)
@decorate_view(idempotent)
def thread_reply(
    request,
    thread_id: int = ThreadId,
    body: Form[str] = "",
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
):
    vendor = request.auth.vendor
    thread = _thread(vendor, thread_id)
    try:
        message_post(
            thread=thread,
            actor=Actor.api_key(request.auth),
            vendor=vendor,
            body=body,
            attachments=list(files or []),
            channel=Channel.API,
        )
    except SupportError as exc:
        raise _refusal(exc) from exc
    return Status(201, thread_detail_dict(_thread(vendor, thread_id)))


@router.get(
    "/threads/{thread_id}/attachments/{attachment_id}",
    response={200: None, **READ_ERRORS},
    summary="Download an attachment (Mirakl M13)",
    operation_id="vendor_thread_attachment",
    url_name="vendor_thread_attachment",
)
def thread_attachment(request, thread_id: int = ThreadId, attachment_id: int = AttachmentId):
    """The file as a download (`Content-Disposition: attachment`), never cached."""
    try:
        attachment = attachment_for_vendor(vendor=request.auth.vendor, attachment_id=attachment_id)
    except ThreadNotFound as exc:
        raise _not_found() from exc
    if attachment.thread_id != thread_id:
        raise _not_found()
    try:
        return attachment_response(attachment)
    except AttachmentMissing as exc:  # gone from the storage: as if it did not exist
        raise ApiError(404, "not_found", _("Pièce jointe introuvable.")) from exc
