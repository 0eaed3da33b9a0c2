"""The live chat's sockets (CS-3), through the real ASGI application."""

# covers: CS-3

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.core import mail

from allies.chat.models import Author, Conversation, Message
from allies.chat.states import ConversationStatus
from allies.notifications.models import OutgoingEmail
from tests.chat.conftest import (
    WebsocketCommunicator,
    agent_user,
    communicator,
    connected,
    next_of,
    run,
    session_cookie_of,
    visitor_session,
)
from tests.factories import UserFactory

# The sockets' database calls run on their own threads: committed data, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def stored(**filters) -> list[Message]:
    return list(Message.objects.filter(**filters).order_by("id"))


def test_presence_is_broadcast_live_when_an_agent_comes_and_goes(agent):
    agent_cookie = session_cookie_of(agent)

    async def scenario():
        page, hello = await connected("/ws/chat/")  # an anonymous storefront page
        assert hello["available"] is False
        console, agent_hello = await connected("/ws/chat/agent/", agent_cookie)
        assert agent_hello["me"] is False
        await console.send_json_to({"type": "availability", "available": True})
        assert (await next_of(page, "presence"))["available"] is True
        # A page opened now learns it at once.
        late, late_hello = await connected("/ws/chat/")
        assert late_hello["available"] is True
        await console.send_json_to({"type": "availability", "available": False})
        assert (await next_of(page, "presence"))["available"] is False
        assert (await next_of(late, "presence"))["available"] is False
        for socket in (page, late, console):
            await socket.disconnect()

    run(scenario)


def test_an_agent_whose_sockets_all_dropped_counts_as_away(agent, settings):
    settings.CHAT_PRESENCE_TIMEOUT_SECONDS = 1
    agent_cookie = session_cookie_of(agent)

    async def scenario():
        page, _hello = await connected("/ws/chat/")
        console, _ = await connected("/ws/chat/agent/", agent_cookie)
        await console.send_json_to({"type": "availability", "available": True})
        assert (await next_of(page, "presence"))["available"] is True
        await console.disconnect()  # the console tab died, without saying "absent"
        # Recomputed after the timeout and pushed to the pages: the bubble goes away.
        assert (await next_of(page, "presence", timeout=5))["available"] is False
        await page.disconnect()

    run(scenario)


def test_messages_are_stored_before_shown_and_a_reconnection_loses_nothing(agent, customer):
    customer_cookie = session_cookie_of(customer)
    agent_cookie = session_cookie_of(agent)

    async def scenario():
        page, hello = await connected("/ws/chat/", customer_cookie)
        assert hello["conversation"] is None and hello["visitor"] is False
        await page.send_json_to({"type": "start"})
        started = await next_of(page, "started")
        conversation_id = started["conversation"]["id"]
        assert started["conversation"]["status"] == "waiting"
        await page.send_json_to({"type": "message", "body": "Bonjour, ma commande ?"})
        echo = (await next_of(page, "message"))["message"]
        # What the customer sees has been saved, with its cursor id.
        rows = await stored(conversation_id=conversation_id)
        assert [(m.pk, m.body) for m in rows] == [(echo["id"], "Bonjour, ma commande ?")]

        console, agent_hello = await connected("/ws/chat/agent/", agent_cookie)
        assert [w["id"] for w in agent_hello["waiting"]] == [conversation_id]
        await console.send_json_to({"type": "take", "conversation": conversation_id})
        joined = (await next_of(page, "message"))["message"]
        assert joined["author"] == "system" and "Inès" in joined["body"]
        assert (await next_of(page, "status"))["status"] == "active"
        last_seen = joined["id"]

        await page.disconnect()  # the customer's connection drops
        for text in ("Je regarde.", "Elle part demain."):
            await console.send_json_to(
                {"type": "message", "conversation": conversation_id, "body": text}
            )
            while (await next_of(console, "message"))["message"]["body"] != text:
                pass

        page, hello = await connected("/ws/chat/", customer_cookie)
        assert hello["conversation"]["id"] == conversation_id
        assert hello["unread"] == 2
        await page.send_json_to({"type": "resume", "after": last_seen})
        resumed = await next_of(page, "messages")
        assert [(m["author"], m["body"]) for m in resumed["messages"]] == [
            ("agent", "Je regarde."),
            ("agent", "Elle part demain."),
        ]
        assert resumed["messages"][0]["name"] == "Inès"
        # Typing, both ways.
        await page.send_json_to({"type": "typing"})
        assert (await next_of(console, "typing"))["side"] == "customer"
        await console.send_json_to({"type": "typing", "conversation": conversation_id})
        assert (await next_of(page, "typing"))["side"] == "agent"
        await page.send_json_to({"type": "read", "upto": resumed["messages"][-1]["id"]})
        await page.disconnect()
        page, hello = await connected("/ws/chat/", customer_cookie)
        assert hello["unread"] == 0
        # Bad cursors are read as "from the start", never an error.
        for cursor in ("1e999", "∞", "١٢", 10**40, -5, True, None):
            await page.send_json_to({"type": "resume", "after": cursor})
            assert len((await next_of(page, "messages"))["messages"]) == 4
        for socket in (page, console):
            await socket.disconnect()

    run(scenario)


def test_a_visitor_gives_a_name_and_a_valid_email_first():
    session = visitor_session()

    async def scenario():
        nobody, hello = await connected("/ws/chat/")  # no session cookie yet
        assert hello["visitor"] is True
        await nobody.send_json_to({"type": "start", "name": "Ana", "email": "ana@example.test"})
        assert (await next_of(nobody, "error"))["code"] == "no_session"
        await nobody.disconnect()

        page, _ = await connected("/ws/chat/", session)
        await page.send_json_to({"type": "start", "name": "  ", "email": "pas-une-adresse"})
        error = await next_of(page, "error")
        assert error["errors"] == {
            "name": "Indiquez votre nom.",
            "email": "Indiquez une adresse email valide, par exemple nom@exemple.fr.",
        }
        await page.send_json_to({"type": "start", "name": "A" * 101, "email": "ana@example.test"})
        assert "trop long" in (await next_of(page, "error"))["errors"]["name"]
        assert await database_sync_to_async(Conversation.objects.count)() == 0

        await page.send_json_to({"type": "start", "name": "Ana Lima", "email": "Ana@Example.TEST"})
        conversation_id = (await next_of(page, "started"))["conversation"]["id"]
        await page.send_json_to({"type": "message", "body": "Vous livrez en Corse ?"})
        await next_of(page, "message")
        conversation = await database_sync_to_async(Conversation.objects.get)(pk=conversation_id)
        assert (conversation.visitor_name, conversation.visitor_email) == (
            "Ana Lima",
            "ana@example.test",
        )
        assert conversation.customer_id is None and conversation.session_key == session
        # Too long a message: a French refusal, nothing stored.
        await page.send_json_to({"type": "message", "body": "x" * 2001})
        assert "trop long" in (await next_of(page, "error"))["message"]
        await page.send_json_to({"type": "message", "body": "   "})
        assert (await next_of(page, "error"))["message"] == "Écrivez votre message."
        assert len(await stored(conversation_id=conversation_id)) == 1
        await page.disconnect()

    run(scenario)


def test_nobody_else_can_join_or_read_a_conversation(customer, other_customer):
    mine = session_cookie_of(customer)
    theirs = session_cookie_of(other_customer)
    visitor = visitor_session()

    async def scenario():
        page, _ = await connected("/ws/chat/", mine)
        await page.send_json_to({"type": "start"})
        conversation_id = (await next_of(page, "started"))["conversation"]["id"]
        await page.send_json_to({"type": "message", "body": "Mon adresse est 3 rue Haute."})
        await next_of(page, "message")

        for cookie in (theirs, visitor, None):
            other, hello = await connected("/ws/chat/", cookie)
            assert hello["conversation"] is None and hello["unread"] == 0
            # The socket takes no conversation id from the client: asking for one is ignored.
            await other.send_json_to(
                {"type": "resume", "after": 0, "conversation": conversation_id}
            )
            assert (await next_of(other, "messages"))["messages"] == []
            await other.send_json_to(
                {"type": "message", "body": "Je lis ?", "conversation": conversation_id}
            )
            assert (await next_of(other, "error"))["code"] == "closed"
            await other.send_json_to({"type": "transcript"})
            await next_of(other, "error")
            await other.send_json_to({"type": "close"})
            await next_of(other, "error")
            await page.send_json_to({"type": "message", "body": "Toujours là ?"})
            await next_of(page, "message")
            assert await other.receive_nothing(timeout=0.2)
            await other.disconnect()

        rows = await stored(conversation_id=conversation_id)
        assert [m.author for m in rows] == [Author.CUSTOMER] * 4
        conversation = await database_sync_to_async(Conversation.objects.get)(pk=conversation_id)
        assert conversation.status == ConversationStatus.WAITING
        await page.disconnect()

    run(scenario)


def test_the_agent_socket_refuses_anyone_without_the_permission(customer):
    staff = UserFactory(is_staff=True, email="compta@allies.test")
    cookies = [None, session_cookie_of(customer), session_cookie_of(staff)]

    async def scenario():
        for cookie in cookies:
            socket = communicator("/ws/chat/agent/", cookie)
            ok, code = await socket.connect()
            assert not ok and code == 4403

    run(scenario)


def test_an_agent_takes_answers_and_closes_and_only_its_agent_writes(agent, customer):
    other_agent = agent_user(email="karim@allies.test", first_name="Karim")
    customer_cookie = session_cookie_of(customer)
    cookies = session_cookie_of(agent), session_cookie_of(other_agent)

    async def scenario():
        page, _ = await connected("/ws/chat/", customer_cookie)
        console, _ = await connected("/ws/chat/agent/", cookies[0])
        other, _ = await connected("/ws/chat/agent/", cookies[1])
        await page.send_json_to({"type": "start"})
        conversation_id = (await next_of(page, "started"))["conversation"]["id"]
        queue = await next_of(console, "queue")
        assert [w["name"] for w in queue["waiting"]] == ["Luc Roux"]
        await console.send_json_to({"type": "take", "conversation": conversation_id})
        assert (await next_of(console, "queue"))["waiting"] == []
        await other.send_json_to({"type": "take", "conversation": conversation_id})
        assert (await next_of(other, "error"))["message"] == "Cette conversation a déjà été prise."
        await other.send_json_to({"type": "message", "conversation": conversation_id, "body": "Hé"})
        assert "autre conseiller" in (await next_of(other, "error"))["message"]
        await other.send_json_to({"type": "take", "conversation": "∞"})
        assert (await next_of(other, "error"))["code"] == "not_found"

        await console.send_json_to(
            {"type": "message", "conversation": conversation_id, "body": "Bonjour Luc"}
        )
        assert (await next_of(page, "message"))["message"]["body"].endswith("vous répond.")
        assert (await next_of(page, "message"))["message"]["body"] == "Bonjour Luc"
        await console.send_json_to({"type": "close", "conversation": conversation_id})
        closed = (await next_of(page, "message"))["message"]
        assert closed["author"] == "system"
        assert (await next_of(page, "status"))["status"] == "closed"
        await page.send_json_to({"type": "message", "body": "Encore une chose"})
        assert (await next_of(page, "error"))["code"] == "closed"
        # A new question opens a new conversation.
        await page.send_json_to({"type": "start"})
        assert (await next_of(page, "started"))["conversation"]["id"] != conversation_id
        for socket in (page, console, other):
            await socket.disconnect()

    run(scenario)


def test_the_customer_gets_the_transcript_by_email(agent, customer):
    customer_cookie = session_cookie_of(customer)
    agent_cookie = session_cookie_of(agent)

    async def scenario():
        page, _ = await connected("/ws/chat/", customer_cookie)
        await page.send_json_to({"type": "transcript"})
        assert (await next_of(page, "error"))["message"] == "Il n'y a encore rien à vous envoyer."
        await page.send_json_to({"type": "start"})
        conversation_id = (await next_of(page, "started"))["conversation"]["id"]
        await page.send_json_to({"type": "message", "body": "Quelle taille pour 1m80 ?"})
        console, _ = await connected("/ws/chat/agent/", agent_cookie)
        await console.send_json_to({"type": "take", "conversation": conversation_id})
        await console.send_json_to(
            {"type": "message", "conversation": conversation_id, "body": "Prenez un M."}
        )
        while (await next_of(console, "message"))["message"]["body"] != "Prenez un M.":
            pass
        await page.send_json_to({"type": "transcript"})
        await next_of(page, "transcript_sent")
        await page.disconnect()
        await console.disconnect()

    run(scenario)
    assert OutgoingEmail.objects.get(template="chat_transcript").to == "luc@example.test"
    (email,) = [m for m in mail.outbox if m.to == ["luc@example.test"]]
    assert email.subject == "La transcription de votre chat avec Les Alliés"
    assert "Quelle taille pour 1m80 ?" in email.body and "Inès : Prenez un M." in email.body
    assert "Prenez un M." in email.alternatives[0][0]


def test_a_visitor_gets_the_transcript_at_the_address_they_gave():
    session = visitor_session()

    async def scenario():
        page, _ = await connected("/ws/chat/", session)
        await page.send_json_to({"type": "start", "name": "Ana", "email": "ana@example.test"})
        await next_of(page, "started")
        await page.send_json_to({"type": "message", "body": "Bonjour"})
        await next_of(page, "message")
        await page.send_json_to({"type": "transcript"})
        await next_of(page, "transcript_sent")
        await page.disconnect()

    run(scenario)
    (email,) = [m for m in mail.outbox if m.to == ["ana@example.test"]]
    assert "Ana : Bonjour" in email.body


def test_a_frame_that_is_not_json_or_too_big_is_refused_politely(customer):
    cookie = session_cookie_of(customer)

    async def scenario():
        page, _ = await connected("/ws/chat/", cookie)
        await page.send_to(text_data="{pas du json")
        assert (await next_of(page, "error"))["code"] == "invalid"
        await page.send_to(text_data="x" * 20_000)
        assert (await next_of(page, "error"))["code"] == "too_long"
        await page.send_json_to(["a", "list"])
        await page.send_json_to({"type": "start"})
        await next_of(page, "started")
        await page.disconnect()

    run(scenario)


def test_the_origin_must_be_the_sites():
    from allies.asgi import application

    async def scenario():
        socket = WebsocketCommunicator(  # no session, a foreign origin
            application, "/ws/chat/", headers=[(b"origin", b"https://evil.example")]
        )
        ok, _ = await socket.connect()
        assert not ok
        await asyncio.sleep(0)

    run(scenario)
