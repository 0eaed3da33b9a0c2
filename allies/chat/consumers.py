"""The live chat's sockets (CS-3).

- `CustomerConsumer` (/ws/chat/): every storefront page opens it. It tells whether an agent
  is available (group `chat.presence`, live) and carries the customer's or visitor's own
  conversation: the socket never takes a conversation id from the client, it finds the
  conversation of its account or session (`services.conversation_for`), so nobody can join
  or read another's.
- `AgentConsumer` (/ws/chat/agent/): the console's pages, for users with
  `support.handle_thread` only. Availability, the waiting list, taking, messages, typing,
  closing.

Messages are stored (services) before they are broadcast to the conversation's group, the
sender included: what a screen shows has been saved. A client that comes back sends the id
of the last message it saw and gets every later one.

Presence: an agent is available while they chose so and one of their sockets was heard of
within the presence timeout (a heartbeat every 20 s refreshes `last_seen`). When an agent's
socket closes, the presence is computed again once the timeout has passed and broadcast, so
the bubble goes away about a minute after the agent's last console tab died.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
from typing import Any

from channels.db import database_sync_to_async as _database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer

from allies.chat import services
from allies.chat.models import Author
from allies.support.services import is_agent

logger = logging.getLogger(__name__)

# The sockets' database calls run in the thread pool, each thread with its own connection,
# not all on one shared thread (Channels' default): with a thousand sockets, one thread
# queues every query of the process behind the others (bench/chat_sockets.py). Each call
# is a whole unit (a service), so nothing relies on a thread's state between calls.
database_sync_to_async = functools.partial(_database_sync_to_async, thread_sensitive=False)

PRESENCE_GROUP = "chat.presence"
AGENTS_GROUP = "chat.agents"
FORBIDDEN_CLOSE_CODE = 4403
MAX_FRAME_CHARS = 10_000


def conversation_group(pk: int) -> str:
    return f"chat.conv.{pk}"


def _int(value: Any, *, default: int = 0) -> int:
    """A cursor or an id from the client: a plain non-negative integer, else `default`."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value if 0 <= value < 2**63 else default
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return default


@database_sync_to_async
def _presence_now() -> bool:
    return services.agents_available()


async def presence_broadcast() -> None:
    layer = get_channel_layer()
    available = await _presence_now()
    await layer.group_send(PRESENCE_GROUP, {"type": "chat.presence", "available": available})
    await layer.group_send(AGENTS_GROUP, {"type": "chat.presence", "available": available})


async def _presence_recheck(delay: float) -> None:
    try:
        await asyncio.sleep(delay)
        await presence_broadcast()
    except Exception:  # a broadcast lost is refreshed by the next change; never crash the loop
        logger.exception("chat presence recheck failed")


@database_sync_to_async
def _waiting_payload() -> list[dict[str, Any]]:
    return [services.conversation_payload(c) for c in services.waiting_conversations()]


async def queue_broadcast() -> None:
    await get_channel_layer().group_send(
        AGENTS_GROUP, {"type": "chat.queue", "waiting": await _waiting_payload()}
    )


class _Base(AsyncJsonWebsocketConsumer):
    side: str = ""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > MAX_FRAME_CHARS:
            await self.send_json({"type": "error", "code": "too_long", "message": ""})
            return
        try:
            await super().receive(text_data=text_data)
        except ValueError:  # not JSON
            await self.send_json({"type": "error", "code": "invalid", "message": ""})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        handler = getattr(self, f"do_{content.get('type')}", None)
        if handler is None:
            return
        try:
            await handler(content)
        except services.ChatError as error:
            await self.send_json(
                {
                    "type": "error",
                    "code": error.code,
                    "message": str(error.message),
                    "errors": getattr(error, "errors", {}),
                }
            )

    async def _message_broadcast(self, payload: dict[str, Any]) -> None:
        layer = self.channel_layer
        await layer.group_send(
            conversation_group(payload["conversation"]),
            {"type": "chat.message", "message": payload},
        )

    # group events
    async def chat_presence(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "presence", "available": event["available"]})

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "message", "message": event["message"]})

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event["side"] != self.side:
            await self.send_json(
                {"type": "typing", "conversation": event["conversation"], "side": event["side"]}
            )

    async def chat_status(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "status", **{k: v for k, v in event.items() if k != "type"}})

    async def chat_queue(self, event: dict[str, Any]) -> None:
        pass


class CustomerConsumer(_Base):
    side = Author.CUSTOMER

    async def connect(self) -> None:
        session = self.scope.get("session")
        self.identity = services.identity_of(
            self.scope.get("user"), getattr(session, "session_key", None)
        )
        self.conversation_id: int | None = None
        await self.accept()
        await self.channel_layer.group_add(PRESENCE_GROUP, self.channel_name)
        hello = await self._hello()
        if self.conversation_id is not None:
            await self.channel_layer.group_add(
                conversation_group(self.conversation_id), self.channel_name
            )
        await self.send_json(hello)

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(PRESENCE_GROUP, self.channel_name)
        if self.conversation_id is not None:
            await self.channel_layer.group_discard(
                conversation_group(self.conversation_id), self.channel_name
            )

    @database_sync_to_async
    def _hello(self) -> dict[str, Any]:
        conversation = services.conversation_for(identity=self.identity)
        payload: dict[str, Any] = {
            "type": "hello",
            "available": services.agents_available(),
            "visitor": self.identity.user_id is None,
            "conversation": None,
            "unread": 0,
        }
        if conversation is not None:
            self.conversation_id = conversation.pk
            payload["conversation"] = {"id": conversation.pk, "status": conversation.status}
            payload["unread"] = services.unread_count(
                conversation=conversation, side=Author.CUSTOMER
            )
        return payload

    async def _join(self, pk: int) -> None:
        if self.conversation_id != pk:
            if self.conversation_id is not None:
                await self.channel_layer.group_discard(
                    conversation_group(self.conversation_id), self.channel_name
                )
            self.conversation_id = pk
            await self.channel_layer.group_add(conversation_group(pk), self.channel_name)

    async def do_start(self, content: dict[str, Any]) -> None:
        @database_sync_to_async
        def start() -> tuple[int, str, bool]:
            existing = services.conversation_for(identity=self.identity)
            conversation = existing or services.conversation_start(
                identity=self.identity,
                name=str(content.get("name", ""))[:500],
                email=str(content.get("email", ""))[:500],
            )
            return conversation.pk, conversation.status, existing is None

        pk, status, created = await start()
        await self._join(pk)
        await self.send_json({"type": "started", "conversation": {"id": pk, "status": status}})
        if created:
            await queue_broadcast()

    async def do_resume(self, content: dict[str, Any]) -> None:
        after = _int(content.get("after"))

        @database_sync_to_async
        def fetch() -> tuple[int | None, list[dict[str, Any]], str]:
            conversation = services.conversation_for(identity=self.identity)
            if conversation is None:
                return None, [], ""
            return (
                conversation.pk,
                [
                    services.message_payload(m)
                    for m in services.messages_after(conversation=conversation, after=after)
                ],
                conversation.status,
            )

        pk, messages, status = await fetch()
        if pk is None:
            await self.send_json({"type": "messages", "messages": [], "conversation": None})
            return
        await self._join(pk)
        await self.send_json(
            {"type": "messages", "messages": messages, "conversation": {"id": pk, "status": status}}
        )

    async def do_message(self, content: dict[str, Any]) -> None:
        @database_sync_to_async
        def post() -> dict[str, Any]:
            _conversation, message = services.customer_message_post(
                identity=self.identity,
                body=content.get("body"),
                conversation_id=self.conversation_id,
            )
            payload = services.message_payload(message)
            payload["client_id"] = str(content.get("client_id", ""))[:40]
            return payload

        payload = await post()
        await self._join(payload["conversation"])
        await self._message_broadcast(payload)

    async def do_typing(self, content: dict[str, Any]) -> None:
        if self.conversation_id is not None:
            await self.channel_layer.group_send(
                conversation_group(self.conversation_id),
                {"type": "chat.typing", "conversation": self.conversation_id, "side": self.side},
            )

    async def do_read(self, content: dict[str, Any]) -> None:
        if self.conversation_id is not None:
            await database_sync_to_async(services.conversation_read)(
                conversation_id=self.conversation_id,
                side=Author.CUSTOMER,
                upto=_int(content.get("upto")),
            )

    async def do_close(self, content: dict[str, Any]) -> None:
        @database_sync_to_async
        def close() -> tuple[int, dict[str, Any] | None]:
            conversation = services.conversation_for(identity=self.identity)
            if conversation is None:
                raise services.ChatError("", code="closed")
            message = services.conversation_close(conversation=conversation, identity=self.identity)
            return conversation.pk, services.message_payload(message) if message else None

        pk, payload = await close()
        if payload:
            await self._message_broadcast(payload)
        await self.channel_layer.group_send(
            conversation_group(pk), {"type": "chat.status", "conversation": pk, "status": "closed"}
        )
        await queue_broadcast()

    async def do_transcript(self, content: dict[str, Any]) -> None:
        await database_sync_to_async(services.conversation_transcript_send)(identity=self.identity)
        await self.send_json({"type": "transcript_sent"})


class AgentConsumer(_Base):
    side = Author.AGENT

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not await database_sync_to_async(is_agent)(user):
            await self.close(code=FORBIDDEN_CLOSE_CODE)
            return
        self.agent = user
        self.groups_joined: set[int] = set()
        await self.accept()
        await self.channel_layer.group_add(AGENTS_GROUP, self.channel_name)
        hello = await self._hello()
        for item in hello["active"]:
            await self._join(item["id"])
        await self.send_json(hello)

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "agent"):
            return
        await self.channel_layer.group_discard(AGENTS_GROUP, self.channel_name)
        for pk in self.groups_joined:
            await self.channel_layer.group_discard(conversation_group(pk), self.channel_name)
        # If this was the agent's last socket, they count as away once the timeout passes.
        delay = services.presence_timeout().total_seconds() + 1
        # In a fresh context: this socket's own (its database thread) ends with it.
        asyncio.get_running_loop().create_task(
            _presence_recheck(delay), context=contextvars.Context()
        )

    async def _join(self, pk: int) -> None:
        if pk not in self.groups_joined:
            self.groups_joined.add(pk)
            await self.channel_layer.group_add(conversation_group(pk), self.channel_name)

    @database_sync_to_async
    def _hello(self) -> dict[str, Any]:
        services.agent_presence_seen(agent_id=self.agent.pk)
        active = []
        for conversation in services.active_conversations(agent=self.agent):
            item = services.conversation_payload(conversation)
            item["unread"] = services.unread_count(conversation=conversation, side=Author.AGENT)
            active.append(item)
        return {
            "type": "hello",
            "me": services.agent_presence_get(agent=self.agent),
            "available": services.agents_available(),
            "waiting": [services.conversation_payload(c) for c in services.waiting_conversations()],
            "active": active,
        }

    async def chat_queue(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "queue", "waiting": event["waiting"]})

    async def do_ping(self, content: dict[str, Any]) -> None:
        @database_sync_to_async
        def seen() -> tuple[bool, bool]:
            before = services.agents_available()
            services.agent_presence_seen(agent_id=self.agent.pk)
            return before, services.agents_available()

        before, after = await seen()
        if before != after:
            await presence_broadcast()
        await self.send_json({"type": "pong"})

    async def do_availability(self, content: dict[str, Any]) -> None:
        available = content.get("available") is True
        await database_sync_to_async(services.agent_presence_set)(
            agent=self.agent, available=available
        )
        await self.send_json({"type": "me", "me": available})
        await presence_broadcast()

    async def _conversation(self, content: dict[str, Any]) -> Any:
        pk = _int(content.get("conversation"))
        return await database_sync_to_async(services.conversation_for_agent)(
            agent=self.agent, pk=pk
        )

    async def do_open(self, content: dict[str, Any]) -> None:
        conversation = await self._conversation(content)
        after = _int(content.get("after"))

        @database_sync_to_async
        def fetch() -> list[dict[str, Any]]:
            return [
                services.message_payload(m)
                for m in services.messages_after(conversation=conversation, after=after)
            ]

        await self._join(conversation.pk)
        await self.send_json(
            {
                "type": "messages",
                "conversation": services.conversation_payload(conversation),
                "messages": await fetch(),
            }
        )

    async def do_take(self, content: dict[str, Any]) -> None:
        conversation = await self._conversation(content)
        message = await database_sync_to_async(services.conversation_take)(
            agent=self.agent, conversation=conversation
        )
        await self._join(conversation.pk)
        if message is not None:
            payload = await database_sync_to_async(services.message_payload)(message)
            await self._message_broadcast(payload)
        await self.channel_layer.group_send(
            conversation_group(conversation.pk),
            {"type": "chat.status", "conversation": conversation.pk, "status": "active"},
        )
        await queue_broadcast()

    async def do_message(self, content: dict[str, Any]) -> None:
        conversation = await self._conversation(content)

        @database_sync_to_async
        def post() -> dict[str, Any]:
            message = services.agent_message_post(
                agent=self.agent, conversation=conversation, body=content.get("body")
            )
            payload = services.message_payload(message)
            payload["client_id"] = str(content.get("client_id", ""))[:40]
            return payload

        payload = await post()
        await self._join(conversation.pk)
        await self.channel_layer.group_send(
            conversation_group(conversation.pk), {"type": "chat.message", "message": payload}
        )

    async def do_typing(self, content: dict[str, Any]) -> None:
        pk = _int(content.get("conversation"))
        if pk in self.groups_joined:
            await self.channel_layer.group_send(
                conversation_group(pk),
                {"type": "chat.typing", "conversation": pk, "side": self.side},
            )

    async def do_read(self, content: dict[str, Any]) -> None:
        pk = _int(content.get("conversation"))
        if pk in self.groups_joined:
            await database_sync_to_async(services.conversation_read)(
                conversation_id=pk, side=Author.AGENT, upto=_int(content.get("upto"))
            )

    async def do_close(self, content: dict[str, Any]) -> None:
        conversation = await self._conversation(content)
        message = await database_sync_to_async(services.conversation_close)(
            conversation=conversation, agent=self.agent
        )
        if message is not None:
            payload = await database_sync_to_async(services.message_payload)(message)
            await self._message_broadcast(payload)
        await self.channel_layer.group_send(
            conversation_group(conversation.pk),
            {"type": "chat.status", "conversation": conversation.pk, "status": "closed"},
        )
        await queue_broadcast()

    async def do_convert(self, content: dict[str, Any]) -> None:
        """ "Transformer en demande": the agent's page then opens the request."""
        conversation = await self._conversation(content)

        @database_sync_to_async
        def convert() -> tuple[int, list[dict[str, Any]], str]:
            before = conversation.messages.order_by("-id").values_list("id", flat=True).first()
            thread = services.conversation_to_thread(agent=self.agent, conversation=conversation)
            later = services.messages_after(conversation=conversation, after=before or 0)
            return thread.pk, [services.message_payload(m) for m in later], conversation.status

        thread_id, messages, status = await convert()
        for payload in messages:
            await self._message_broadcast(payload)
        await self.channel_layer.group_send(
            conversation_group(conversation.pk),
            {"type": "chat.status", "conversation": conversation.pk, "status": status},
        )
        await queue_broadcast()
        await self.send_json(
            {"type": "converted", "conversation": conversation.pk, "thread": thread_id}
        )


async def conversation_changed(*, conversation_id: int, status: str, message: Any = None) -> None:
    """Tell both sides of a change made outside a socket (the console's HTTP actions)."""
    layer = get_channel_layer()
    if message is not None:
        payload = await database_sync_to_async(services.message_payload)(message)
        await layer.group_send(
            conversation_group(conversation_id), {"type": "chat.message", "message": payload}
        )
    await layer.group_send(
        conversation_group(conversation_id),
        {"type": "chat.status", "conversation": conversation_id, "status": status},
    )
    await queue_broadcast()
