"""The live chat's rows (CS-3): a conversation between one customer (or visitor) and one
agent, its messages, and each agent's presence.

A message's id is the cursor: the ids only grow, so a client that saw message n asks for
every message after n when its socket comes back, and loses nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allies.chat.states import ConversationStatus

MESSAGE_MAX_CHARS = 2000
NAME_MAX_CHARS = 100


class Conversation(models.Model):
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_conversations",
    )
    # A visitor without an account: the name and address they gave, and their session.
    visitor_name = models.CharField(max_length=NAME_MAX_CHARS, blank=True)
    visitor_email = models.EmailField(blank=True)
    session_key = models.CharField(max_length=40, blank=True, db_index=True)
    status = models.CharField(
        max_length=10, choices=ConversationStatus.choices, default=ConversationStatus.WAITING
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_conversations_handled",
    )
    created_at = models.DateTimeField(default=timezone.now)
    taken_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # What each side has read (a message id): the unread counts.
    customer_read_id = models.BigIntegerField(default=0)
    agent_read_id = models.BigIntegerField(default=0)
    # The support request this chat became ("Transformer en demande").
    thread = models.OneToOneField(
        "support.Thread",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_conversation",
    )

    class Meta:
        verbose_name = _("conversation de chat")
        verbose_name_plural = _("conversations de chat")
        indexes = [
            models.Index(fields=["status", "created_at"], name="chat_conv_status_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(session_key=""),
                name="chat_conv_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"chat #{self.pk}"

    @property
    def display_name(self) -> str:
        if self.customer_id is not None and self.customer is not None:
            return self.customer.get_full_name() or self.customer.email
        return self.visitor_name

    @property
    def email(self) -> str:
        if self.customer_id is not None and self.customer is not None:
            return str(self.customer.email)
        return self.visitor_email


class Author(models.TextChoices):
    CUSTOMER = "customer", _("Client")
    AGENT = "agent", _("Conseiller")
    SYSTEM = "system", _("Système")


class Message(models.Model):
    id = models.BigAutoField(primary_key=True)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.CharField(max_length=10, choices=Author.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=MESSAGE_MAX_CHARS)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("message de chat")
        verbose_name_plural = _("messages de chat")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"


class AgentPresence(models.Model):
    class Status(models.TextChoices):
        AVAILABLE = "available", _("Disponible")
        AWAY = "away", _("Absent")

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_presence"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AWAY)
    # Refreshed by the agent's open console sockets (heartbeat): when it is older than the
    # presence timeout, every socket of the agent is gone and the agent counts as away.
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("présence d'un conseiller")
        verbose_name_plural = _("présences des conseillers")
        indexes = [models.Index(fields=["status", "last_seen"], name="chat_presence_status_seen")]

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.status}"
