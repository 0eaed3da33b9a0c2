"""The customer's side of the chat's services (CS-3): a conversation id a socket holds is
only a shortcut, never a key to someone else's conversation."""

# covers: CS-3

from __future__ import annotations

import pytest

from allies.chat import services
from allies.chat.models import Conversation, Message
from allies.chat.states import ConversationStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_held_id_of_another_customers_conversation_writes_in_ones_own():
    luc, marc = UserFactory(), UserFactory()
    lucs = services.conversation_start(identity=services.identity_of(luc, None))
    marcs = services.conversation_start(identity=services.identity_of(marc, None))
    conversation, message = services.customer_message_post(
        identity=services.identity_of(luc, None), body="Bonjour", conversation_id=marcs.pk
    )
    assert conversation.pk == lucs.pk and message.conversation_id == lucs.pk
    assert not Message.objects.filter(conversation=marcs).exists()


def test_a_visitor_cannot_reach_a_conversation_of_another_session_by_its_id():
    theirs = Conversation.objects.create(
        visitor_name="Ana", visitor_email="ana@example.test", session_key="s-ana"
    )
    stranger = services.identity_of(None, "s-stranger")
    assert services.conversation_for(identity=stranger, pk=theirs.pk) is None
    with pytest.raises(services.ChatError):
        services.customer_message_post(identity=stranger, body="Coucou", conversation_id=theirs.pk)
    assert not Message.objects.filter(conversation=theirs).exists()


def test_a_held_id_of_a_closed_conversation_is_not_written_in():
    luc = UserFactory()
    identity = services.identity_of(luc, None)
    closed = services.conversation_start(identity=identity)
    Conversation.objects.filter(pk=closed.pk).update(status=ConversationStatus.CLOSED)
    assert services.conversation_for(identity=identity, pk=closed.pk) is None
    with pytest.raises(services.ChatError):
        services.customer_message_post(
            identity=identity, body="Encore ?", conversation_id=closed.pk
        )
    assert not Message.objects.filter(conversation=closed, body="Encore ?").exists()
