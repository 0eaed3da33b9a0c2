"""The console's live chat pages (CS-3): the agent's availability, the chats waiting with
their wait time, one conversation beside the customer's account and recent orders.

The live part (messages, typing, the waiting list, taking, closing, "Transformer en
demande") goes over the agent's socket (`allies/chat/static/chat/agent.js`): under
`make run` the pages are served by another process than the sockets, and only the socket
process can reach the customers' sockets with the in-memory channel layer. The POST views
below are the same actions for a page without JavaScript; their changes reach the customer
at their next reconnection (immediately with the Redis layer, which every process shares).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from asgiref.sync import async_to_sync
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from allies.backoffice.views import _render, agent_required
from allies.chat import services
from allies.chat.consumers import conversation_changed, presence_broadcast
from allies.chat.models import Author
from allies.chat.states import ConversationStatus
from allies.orders.models import Order

if TYPE_CHECKING:
    from allies.accounts.models import User

RECENT_ORDERS = 5
logger = logging.getLogger(__name__)


def _broadcast(function: Any, **kwargs: Any) -> None:
    """Tell the sockets; a channel layer that cannot be reached must not undo the action."""
    try:
        async_to_sync(function)(**kwargs)
    except Exception:  # pragma: no cover - Redis down: the sockets catch up on reconnection
        logger.exception("chat broadcast failed")


def _agent(request: HttpRequest) -> User:
    """The signed-in agent (`agent_required` let only agents through)."""
    return cast("User", request.user)


@agent_required
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    waiting = services.waiting_conversations()
    mine = services.active_conversations(agent=_agent(request))
    return _render(
        request,
        "chat/console.html",
        {
            "waiting": waiting,
            "mine": mine,
            "me_available": services.agent_presence_get(agent=_agent(request)),
            "now": timezone.now(),
        },
        section="chat",
    )


@agent_required
@require_POST
def availability(request: HttpRequest) -> HttpResponse:
    available = request.POST.get("available") == "1"
    services.agent_presence_set(agent=_agent(request), available=available)
    _broadcast(presence_broadcast)
    return redirect("backoffice:chat")


def _conversation(request: HttpRequest, pk: int) -> Any:
    try:
        return services.conversation_for_agent(agent=_agent(request), pk=pk)
    except services.ChatError as error:
        raise Http404(error.message) from error


@agent_required
@require_GET
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    found = _conversation(request, pk)
    shown = list(found.messages.select_related("author_user").order_by("-id")[:200])[::-1]
    orders: list[Order] = []
    if found.customer_id is not None:
        orders = list(
            Order.objects.filter(customer_id=found.customer_id).order_by("-created_at")[
                :RECENT_ORDERS
            ]
        )
    return _render(
        request,
        "chat/conversation.html",
        {
            "conversation": found,
            "messages_shown": shown,
            "last_id": shown[-1].pk if shown else 0,
            "orders": orders,
            "is_mine": found.agent_id == request.user.pk,
            "Author": Author,
            "Status": ConversationStatus,
        },
        section="chat",
    )


def _action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    found = _conversation(request, pk)
    try:
        if action == "take":
            message = services.conversation_take(agent=_agent(request), conversation=found)
            _broadcast(
                conversation_changed, conversation_id=pk, status=found.status, message=message
            )
        elif action == "close":
            message = services.conversation_close(conversation=found, agent=_agent(request))
            _broadcast(
                conversation_changed, conversation_id=pk, status=found.status, message=message
            )
        else:
            thread = services.conversation_to_thread(agent=_agent(request), conversation=found)
            _broadcast(conversation_changed, conversation_id=pk, status=found.status)
            messages.success(
                request, _("Le chat est devenu la demande n° %(n)d.") % {"n": thread.pk}
            )
            return redirect("backoffice:thread", thread.pk)
    except services.ChatError as error:
        messages.error(request, error.message)
    return redirect("backoffice:chat_conversation", pk)


@agent_required
@require_POST
def take(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, "take")


@agent_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, "close")


@agent_required
@require_POST
def to_thread(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, "convert")
