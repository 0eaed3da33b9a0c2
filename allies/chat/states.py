"""The state machine of a live chat conversation (CS-3): stages, the transition table and
the one function that moves a conversation.

    waiting --an agent takes it--> active --the agent or the customer closes--> closed
       |                                                                         ^
       +--------- the customer leaves, or an agent closes it unanswered ---------+

A closed conversation stays closed: the customer's next question opens a new one (the old
one may have become a support request, `Conversation.thread`). `conversation_transition`
locks the row, checks the table, stamps the moment (`taken_at`, `closed_at`) and writes the
system message that tells both sides what happened; the message is the conversation's
timeline.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from allies.core.errors import AlliesError

if TYPE_CHECKING:
    from allies.accounts.models import User
    from allies.chat.models import Conversation, Message


class TransitionNotAllowed(AlliesError):
    """The table has no such move from the conversation's current stage."""

    code = "invalid_state"


class ConversationStatus(models.TextChoices):
    WAITING = "waiting", _("En attente d'un conseiller")
    ACTIVE = "active", _("En cours")
    CLOSED = "closed", _("Terminée")


class ConversationAction(StrEnum):
    TAKE = "take"
    CLOSE = "close"


S = ConversationStatus
TRANSITIONS: dict[tuple[str, ConversationAction], str] = {
    (S.WAITING, ConversationAction.TAKE): S.ACTIVE,
    (S.WAITING, ConversationAction.CLOSE): S.CLOSED,
    (S.ACTIVE, ConversationAction.CLOSE): S.CLOSED,
}
OPEN_STATUSES = (S.WAITING, S.ACTIVE)
del S


def conversation_transition(
    *,
    conversation: Conversation,
    action: ConversationAction,
    agent: User | None = None,
    system_text: str = "",
    now: datetime | None = None,
) -> Message | None:
    """Move `conversation` by `action` (TransitionNotAllowed if the table has no such move),
    stamp the moment and write `system_text` as a system message; returns that message."""
    from allies.chat.models import Author, Conversation, Message

    now = now or timezone.now()
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        target = TRANSITIONS.get((locked.status, action))
        if target is None:
            raise TransitionNotAllowed(
                gettext("Cette conversation ne peut plus changer ainsi."), code="invalid_state"
            )
        fields = ["status"]
        locked.status = target
        if action == ConversationAction.TAKE:
            locked.agent = agent
            locked.taken_at = now
            fields += ["agent", "taken_at"]
        if target == ConversationStatus.CLOSED:
            locked.closed_at = now
            fields.append("closed_at")
        locked.save(update_fields=fields)
        message = None
        if system_text:
            message = Message.objects.create(
                conversation=locked, author=Author.SYSTEM, body=system_text, created_at=now
            )
        for name in ("status", "agent_id", "taken_at", "closed_at"):
            setattr(conversation, name, getattr(locked, name))
    return message
