"""The vendor portal's "Messages" (VEN-2, CS-1): the inbox of the vendor's "Assistance en
ligne" threads, one thread with its order and customer context, the answer with attachments,
"Marquer comme résolue", and attachment downloads.

Views only parse, call one selector or service of `allies.support`, and render. Every read
goes through the support selectors for the acting vendor (`request.vendor`, set by
`vendor_member_required`): another vendor's thread or attachment is "not found" (404), exactly
like one that does not exist. The vendor reads the customer's first name, never their email
address (the support emails relay addresses; the pages never print one).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from allies.orders.events import Actor, ActorKind
from allies.support import attachments
from allies.support.downloads import attachment_response
from allies.support.errors import SupportError, ThreadNotFound
from allies.support.models import Message, Thread
from allies.support.selectors import (
    ThreadFilter,
    attachment_for_vendor,
    thread_customer_first_name,
    thread_for_vendor,
    threads_for_vendor,
    vendor_inbox_counts,
)
from allies.support.services import message_post, thread_resolve
from allies.support.states import ThreadStage
from allies.vendor_portal.access import vendor_member_required
from allies.vendor_portal.views import _page, _query_without_page, _render

THREADS_PER_PAGE = 25
# The inbox filters, by their slug in the URL (`?filtre=`), in the order the tabs show them.
FILTERS: dict[str, tuple[ThreadFilter, Any]] = {
    "a-repondre": (ThreadFilter.TO_ANSWER, gettext_lazy("À répondre")),
    "en-retard": (ThreadFilter.LATE, gettext_lazy("En retard")),
    "transmises": (ThreadFilter.ESCALATED, gettext_lazy("Transmises au service client")),
    "toutes": (ThreadFilter.ALL, gettext_lazy("Toutes")),
}
DEFAULT_FILTER = "a-repondre"
# The stages in which the vendor may still write (the core refuses a closed thread).
WRITABLE = frozenset({ThreadStage.WAITING_VENDOR, ThreadStage.ANSWERED, ThreadStage.ESCALATED,
                      ThreadStage.RESOLVED})  # fmt: skip


def customer_first_name(thread: Thread) -> str:
    """How the portal names the customer: the first name only (never the email address)."""
    return thread_customer_first_name(thread) or str(_("Client"))


def _mark_rows(threads: list[Thread]) -> None:
    for thread in threads:
        thread.customer_first_name = customer_first_name(thread)  # type: ignore[attr-defined]


@vendor_member_required
def inbox(request):
    slug = request.GET.get("filtre") or DEFAULT_FILTER
    if slug not in FILTERS:
        slug = DEFAULT_FILTER
    counts = vendor_inbox_counts(vendor=request.vendor)
    page = _page(
        request,
        threads_for_vendor(vendor=request.vendor, filter=FILTERS[slug][0]),
        THREADS_PER_PAGE,
    )
    _mark_rows(page.object_list)
    tab_counts = {"a-repondre": counts.to_answer, "en-retard": counts.late,
                  "transmises": counts.escalated}  # fmt: skip
    tabs = [(key, label, tab_counts.get(key)) for key, (_filter, label) in FILTERS.items()]
    return _render(
        request,
        "messages.html",
        {
            "page": page,
            "filter": slug,
            "tabs": tabs,
            "inbox_counts": counts,
            "query": _query_without_page(request),
        },  # fmt: skip
        section="messages",
    )


def _mark_messages(thread: Thread, vendor_name: str) -> list[Message]:
    """Each message with who wrote it, as the vendor reads it (`author_label`) and the side
    it comes from (`side`: customer, vendor, operator)."""
    customer = customer_first_name(thread)
    shown: list[Message] = list(thread.visible_messages)  # type: ignore[attr-defined]
    for message in shown:
        if message.author_kind == ActorKind.CUSTOMER:
            side, label = "customer", customer
        elif message.author_kind in (ActorKind.VENDOR_USER, ActorKind.API_KEY):
            side, label = "vendor", vendor_name
            if message.author_kind == ActorKind.API_KEY:
                label = _("%(vendor)s (API)") % {"vendor": vendor_name}
            elif message.author is not None and message.author.first_name:
                label = f"{vendor_name} · {message.author.first_name}"
        else:
            side, label = "operator", str(_("Service client Les Alliés"))
        message.side = side  # type: ignore[attr-defined]
        message.author_label = label  # type: ignore[attr-defined]
    return shown


def _thread_context(request, thread: Thread, **extra) -> dict:
    vendor_order = thread.vendor_order
    stage = ThreadStage(thread.stage)
    return {
        "thread": thread,
        "customer_name": customer_first_name(thread),
        "vendor_order": vendor_order,
        # The order's lines (one query): what the customer bought, for context.
        "lines": list(vendor_order.lines.all()) if vendor_order is not None else [],
        "thread_messages": _mark_messages(thread, request.vendor.name),
        "can_write": stage in WRITABLE,
        "max_chars": settings.SUPPORT_MESSAGE_MAX_CHARS,
        "max_files": attachments.max_count(),
        "max_mb": f"{attachments.max_bytes() / (1024 * 1024):g}",
        "can_resolve": stage == ThreadStage.ANSWERED,
        "is_late": stage == ThreadStage.WAITING_VENDOR
        and thread.vendor_due_at is not None
        and thread.vendor_due_at < timezone.now(),
        **extra,
    }


def _thread_or_404(request, pk: int) -> Thread:
    try:
        return thread_for_vendor(vendor=request.vendor, thread_id=pk)
    except ThreadNotFound:
        raise Http404 from None


@vendor_member_required
def thread_detail(request, pk: int):
    thread = _thread_or_404(request, pk)
    return _render(
        request, "messages_thread.html", _thread_context(request, thread), section="messages"
    )


@vendor_member_required
@require_POST
def thread_reply(request, pk: int):
    thread = _thread_or_404(request, pk)
    body = request.POST.get("body") or ""
    try:
        message_post(
            thread=thread,
            actor=Actor.vendor_user(request.user),
            vendor=request.vendor,
            body=body,
            attachments=request.FILES.getlist("attachments"),
        )
    except ThreadNotFound:
        raise Http404 from None
    except SupportError as exc:
        context = _thread_context(request, thread, error=exc.message, body=body)
        return _render(request, "messages_thread.html", context, section="messages", status=422)
    messages.success(request, _("Réponse envoyée : le client la reçoit par e-mail."))
    return redirect("vendor_portal:support_thread", pk=thread.pk)


@vendor_member_required
@require_POST
def thread_resolve_view(request, pk: int):
    thread = _thread_or_404(request, pk)
    try:
        thread_resolve(thread=thread, actor=Actor.vendor_user(request.user), vendor=request.vendor)
    except ThreadNotFound:
        raise Http404 from None
    except SupportError as exc:
        context = _thread_context(request, thread, error=exc.message)
        return _render(request, "messages_thread.html", context, section="messages", status=422)
    messages.success(request, _("Demande marquée comme résolue : le client est prévenu."))
    return redirect("vendor_portal:support_thread", pk=thread.pk)


@vendor_member_required
def attachment_download(request, pk: int):
    try:
        attachment = attachment_for_vendor(vendor=request.vendor, attachment_id=pk)
        return attachment_response(attachment)
    except ThreadNotFound:  # not this vendor's, or the file is gone (AttachmentMissing)
        raise Http404 from None
