"""Every write of the live chat (CS-3), and the reads the sockets and the console share.

The sockets (`allies.chat.consumers`) and the console's pages call these functions only;
each checks who acts and refuses with a `ChatError` (a French message the client shows)
before anything is written. A message is stored here and only then broadcast by the caller:
what a client shows has been saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.chat.models import (
    MESSAGE_MAX_CHARS,
    NAME_MAX_CHARS,
    AgentPresence,
    Author,
    Conversation,
    Message,
)
from allies.chat.states import (
    OPEN_STATUSES,
    ConversationAction,
    ConversationStatus,
    conversation_transition,
)
from allies.core.errors import AlliesError
from allies.core.text import normalize_email
from allies.notifications.services import notification_send
from allies.orders.events import Actor, ActorKind
from allies.support.actors import EmailIdentity
from allies.support.models import Motif, Visibility
from allies.support.services import (
    is_agent,
    message_post,
    thread_assign,
    thread_open,
)

if TYPE_CHECKING:
    from allies.accounts.models import User
    from allies.support.models import Thread

# How many messages a client gets back at once when it resumes; the rest on its next ask.
RESUME_LIMIT = 500
WAITING_LIMIT = 50


class ChatError(AlliesError):
    """A chat action refused; `message` is French (or the user's language) for the client."""


def presence_timeout() -> timedelta:
    """An agent whose sockets have not been heard of for this long counts as away."""
    return timedelta(seconds=int(getattr(settings, "CHAT_PRESENCE_TIMEOUT_SECONDS", 60)))


# --- presence -------------------------------------------------------------------------------


def agents_available(*, now: datetime | None = None) -> bool:
    """At least one agent said "Disponible" and has a console socket alive."""
    now = now or timezone.now()
    return AgentPresence.objects.filter(
        status=AgentPresence.Status.AVAILABLE, last_seen__gte=now - presence_timeout()
    ).exists()


def agent_presence_get(*, agent: User) -> bool:
    """The agent's own choice (available or away), whatever their sockets."""
    return AgentPresence.objects.filter(agent=agent, status=AgentPresence.Status.AVAILABLE).exists()


def agent_presence_set(*, agent: User, available: bool, now: datetime | None = None) -> None:
    if not is_agent(agent):
        raise ChatError(_("Réservé aux conseillers du service client."), code="forbidden")
    status = AgentPresence.Status.AVAILABLE if available else AgentPresence.Status.AWAY
    AgentPresence.objects.update_or_create(
        agent=agent, defaults={"status": status, "last_seen": now or timezone.now()}
    )


def agent_presence_seen(*, agent_id: int, now: datetime | None = None) -> None:
    """A heartbeat of one of the agent's sockets."""
    AgentPresence.objects.filter(agent_id=agent_id).update(last_seen=now or timezone.now())


# --- who owns which conversation --------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """Who is on a customer socket: an account, or a visitor known by their session."""

    user_id: int | None
    session_key: str

    @property
    def known(self) -> bool:
        return self.user_id is not None or bool(self.session_key)


def identity_of(user: Any, session_key: str | None) -> Identity:
    if user is not None and user.is_authenticated:
        return Identity(user_id=user.pk, session_key="")
    return Identity(user_id=None, session_key=session_key or "")


def conversation_for(*, identity: Identity, pk: int | None = None) -> Conversation | None:
    """The open conversation of this customer or visitor session; never anyone else's.

    `pk`: the one a socket already holds, read by its key and checked here (still open,
    still theirs): a third of the search's cost on the path of every message. Any other
    answer falls back to the search, so the result is the same."""
    if not identity.known:
        return None
    if pk is not None:
        held = Conversation.objects.filter(pk=pk).first()
        if held is not None and held.status in OPEN_STATUSES and _owns(identity, held):
            return held
    rows = Conversation.objects.filter(status__in=OPEN_STATUSES)
    if identity.user_id is not None:
        rows = rows.filter(customer_id=identity.user_id)
    else:
        rows = rows.filter(customer__isnull=True, session_key=identity.session_key)
    return rows.order_by("-id").first()


def _owns(identity: Identity, conversation: Conversation) -> bool:
    """The rule of `conversation_for`'s search, on one row."""
    if identity.user_id is not None:
        return conversation.customer_id == identity.user_id
    return conversation.customer_id is None and conversation.session_key == identity.session_key


def _clean_visitor(name: str, email: str) -> tuple[str, str]:
    name = " ".join(str(name or "").split())
    email = normalize_email(str(email or ""))
    errors = {}
    if not name:
        errors["name"] = _("Indiquez votre nom.")
    elif len(name) > NAME_MAX_CHARS:
        errors["name"] = _("Votre nom est trop long (%(max)d caractères au plus).") % {
            "max": NAME_MAX_CHARS
        }
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        errors["email"] = _("Indiquez une adresse email valide, par exemple nom@exemple.fr.")
    if errors:
        raise VisitorInvalid(errors)
    return name, email


class VisitorInvalid(ChatError):
    code = "invalid_visitor"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def conversation_start(
    *, identity: Identity, name: str = "", email: str = "", now: datetime | None = None
) -> Conversation:
    """Resume this customer's open conversation, or open one (a visitor gives a name and an
    email first). It waits for an agent to take it."""
    if not identity.known:
        raise ChatError(
            _("Votre session a expiré : rechargez la page pour discuter avec nous."),
            code="no_session",
        )
    current = conversation_for(identity=identity)
    if current is not None:
        return current
    fields: dict[str, Any] = {"created_at": now or timezone.now()}
    if identity.user_id is not None:
        fields["customer_id"] = identity.user_id
    else:
        fields["visitor_name"], fields["visitor_email"] = _clean_visitor(name, email)
        fields["session_key"] = identity.session_key
    return Conversation.objects.create(**fields)


def _clean_body(body: Any) -> str:
    text = str(body or "").strip()
    if not text:
        raise ChatError(_("Écrivez votre message."), code="empty")
    if len(text) > MESSAGE_MAX_CHARS:
        raise ChatError(
            _("Votre message est trop long (%(max)d caractères au plus).")
            % {"max": MESSAGE_MAX_CHARS},
            code="too_long",
        )
    return text


def customer_message_post(
    *,
    identity: Identity,
    body: Any,
    conversation_id: int | None = None,
    now: datetime | None = None,
) -> tuple[Conversation, Message]:
    """The customer writes in their own open conversation (stored; the caller broadcasts).

    `conversation_id`: the conversation the socket holds (see `conversation_for`)."""
    text = _clean_body(body)
    conversation = conversation_for(identity=identity, pk=conversation_id)
    if conversation is None:
        raise ChatError(_("Cette conversation est terminée."), code="closed")
    # Two queries (the unread counts only count the other side's messages, so no read
    # marker to move): the path every customer message takes.
    message = Message.objects.create(
        conversation=conversation,
        author=Author.CUSTOMER,
        author_user_id=identity.user_id,
        body=text,
        created_at=now or timezone.now(),
    )
    return conversation, message


def conversation_for_agent(*, agent: User, pk: int) -> Conversation:
    if not is_agent(agent):
        raise ChatError(_("Réservé aux conseillers du service client."), code="forbidden")
    conversation = (
        Conversation.objects.select_related("customer", "agent", "thread").filter(pk=pk).first()
    )
    if conversation is None:
        raise ChatError(_("Conversation introuvable."), code="not_found")
    return conversation


def _agent_may_write(conversation: Conversation, agent: User) -> None:
    if conversation.status != ConversationStatus.ACTIVE:
        raise ChatError(_("Prenez d'abord cette conversation."), code="not_taken")
    if conversation.agent_id != agent.pk:
        raise ChatError(_("Un autre conseiller s'occupe de cette conversation."), code="other")


def agent_message_post(
    *, agent: User, conversation: Conversation, body: Any, now: datetime | None = None
) -> Message:
    text = _clean_body(body)
    _agent_may_write(conversation, agent)
    message = Message.objects.create(
        conversation=conversation,
        author=Author.AGENT,
        author_user=agent,
        body=text,
        created_at=now or timezone.now(),
    )
    return message


def conversation_take(*, agent: User, conversation: Conversation) -> Message | None:
    if not is_agent(agent):
        raise ChatError(_("Réservé aux conseillers du service client."), code="forbidden")
    if conversation.status != ConversationStatus.WAITING:
        raise ChatError(_("Cette conversation a déjà été prise."), code="taken")
    name = agent.first_name or _("Un conseiller")
    return conversation_transition(
        conversation=conversation,
        action=ConversationAction.TAKE,
        agent=agent,
        system_text=_("%(name)s vous répond.") % {"name": name},
    )


def conversation_close(
    *, conversation: Conversation, agent: User | None = None, identity: Identity | None = None
) -> Message | None:
    """Closed by its agent (or any agent while it waits), or by its customer."""
    if agent is not None:
        if not is_agent(agent):
            raise ChatError(_("Réservé aux conseillers du service client."), code="forbidden")
        if conversation.status == ConversationStatus.ACTIVE:
            _agent_may_write(conversation, agent)
        text = _("Le conseiller a terminé la conversation.")
    else:
        owned = identity is not None and conversation_for(identity=identity)
        if not owned or owned.pk != conversation.pk:
            raise ChatError(_("Conversation introuvable."), code="not_found")
        text = _("Vous avez terminé la conversation.")
    if conversation.status == ConversationStatus.CLOSED:
        raise ChatError(_("Cette conversation est terminée."), code="closed")
    return conversation_transition(
        conversation=conversation, action=ConversationAction.CLOSE, system_text=text
    )


def conversation_read(*, conversation_id: int, side: str, upto: int) -> None:
    """What one side has read; only ever moves forward."""
    field = "customer_read_id" if side == Author.CUSTOMER else "agent_read_id"
    Conversation.objects.filter(pk=conversation_id, **{f"{field}__lt": upto}).update(
        **{field: upto}
    )


def messages_after(*, conversation: Conversation, after: int) -> list[Message]:
    return list(
        Message.objects.filter(conversation=conversation, id__gt=max(after, 0))
        .select_related("author_user")
        .order_by("id")[:RESUME_LIMIT]
    )


def unread_count(*, conversation: Conversation, side: str) -> int:
    if side == Author.CUSTOMER:
        return conversation.messages.filter(
            id__gt=conversation.customer_read_id, author=Author.AGENT
        ).count()
    return conversation.messages.filter(
        id__gt=conversation.agent_read_id, author=Author.CUSTOMER
    ).count()


def waiting_conversations() -> list[Conversation]:
    """The chats waiting for an agent, the longest-waiting first."""
    return list(
        Conversation.objects.filter(status=ConversationStatus.WAITING)
        .select_related("customer")
        .order_by("created_at", "id")[:WAITING_LIMIT]
    )


def active_conversations(*, agent: User) -> list[Conversation]:
    return list(
        Conversation.objects.filter(status=ConversationStatus.ACTIVE, agent=agent)
        .select_related("customer")
        .order_by("taken_at", "id")
    )


def message_payload(message: Message) -> dict[str, Any]:
    name = ""
    if message.author == Author.AGENT and message.author_user is not None:
        name = message.author_user.first_name or str(_("Conseiller"))
    return {
        "id": message.pk,
        "conversation": message.conversation_id,
        "author": message.author,
        "name": name,
        "body": message.body,
        "at": message.created_at.isoformat(),
        # The site's time (TIME_ZONE), as the console's server-rendered lines show it.
        "time": f"{timezone.localtime(message.created_at):%H:%M}",
    }


def conversation_payload(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.pk,
        "name": conversation.display_name,
        "email": conversation.email,
        "status": conversation.status,
        "customer": conversation.customer_id is not None,
        "created_at": conversation.created_at.isoformat(),
        "agent": conversation.agent_id,
    }


# --- transcript and conversion ---------------------------------------------------------------


def _transcript_lines(conversation: Conversation) -> list[dict[str, Any]]:
    lines = []
    for message in conversation.messages.select_related("author_user").order_by("id"):
        if message.author == Author.CUSTOMER:
            who = conversation.display_name or str(_("Vous"))
        elif message.author == Author.AGENT:
            who = (message.author_user.first_name if message.author_user else "") or str(
                _("Conseiller")
            )
        else:
            who = ""
        lines.append({"who": who, "at": message.created_at, "body": message.body})
    return lines


def conversation_transcript_send(*, identity: Identity) -> bool:
    """Email the transcript of this customer's current or last conversation to them."""
    if not identity.known:
        raise ChatError(_("Conversation introuvable."), code="not_found")
    rows = Conversation.objects.select_related("customer")
    if identity.user_id is not None:
        rows = rows.filter(customer_id=identity.user_id)
    else:
        rows = rows.filter(customer__isnull=True, session_key=identity.session_key)
    conversation = rows.order_by("-id").first()
    if conversation is None or not conversation.messages.exists():
        raise ChatError(_("Il n'y a encore rien à vous envoyer."), code="empty")
    context = {"lines": _transcript_lines(conversation), "name": conversation.display_name}
    with transaction.atomic():
        if conversation.customer is not None:
            return notification_send(
                template="chat_transcript", user=conversation.customer, context=context
            )
        return notification_send(
            template="chat_transcript", to_email=conversation.visitor_email, context=context
        )


def transcript_text(conversation: Conversation) -> str:
    return "\n".join(
        f"[{timezone.localtime(line['at']):%H:%M}] {line['who'] or '—'} : {line['body']}"
        for line in _transcript_lines(conversation)
    )


def conversation_to_thread(*, agent: User, conversation: Conversation) -> Thread:
    """ "Transformer en demande": the chat becomes a contact request in the console's queue,
    its transcript as the first message (cut in parts at the messages' limit), given to the
    agent; the chat is closed and points to the request."""
    if not is_agent(agent):
        raise ChatError(_("Réservé aux conseillers du service client."), code="forbidden")
    if conversation.thread_id is not None:
        raise ChatError(_("Cette conversation est déjà devenue une demande."), code="done")
    if conversation.status == ConversationStatus.ACTIVE and conversation.agent_id != agent.pk:
        raise ChatError(_("Un autre conseiller s'occupe de cette conversation."), code="other")
    text = transcript_text(conversation)
    if not text:
        raise ChatError(_("Cette conversation est vide."), code="empty")
    limit = settings.SUPPORT_MESSAGE_MAX_CHARS - 100
    header = str(_("Transcription du chat en direct :")) + "\n\n"
    parts = [""]
    for line in text.split("\n"):  # cut between the chat's messages (each fits)
        if parts[-1] and len(parts[-1]) + len(line) + 1 > limit:
            parts.append("")
        parts[-1] += ("\n" if parts[-1] else "") + line
    customer: Any
    if conversation.customer_id is not None:
        customer = Actor.customer(conversation.customer_id)
    else:
        customer = EmailIdentity(
            kind=ActorKind.CUSTOMER,
            email=conversation.visitor_email,
            name=conversation.visitor_name,
        )
    staff = Actor.staff(agent)
    with transaction.atomic():
        thread = thread_open(
            actor=customer,
            motif=Motif.OTHER,
            body=header + parts[0],
            subject=str(_("Chat en direct du %(date)s"))
            % {"date": timezone.localtime(conversation.created_at).strftime("%d/%m/%Y")},
        )
        for part in parts[1:]:
            message_post(thread=thread, actor=staff, body=part, visibility=Visibility.INTERNAL)
        thread_assign(thread=thread, actor=staff, agent=agent)
        if conversation.status != ConversationStatus.CLOSED:
            conversation_transition(
                conversation=conversation,
                action=ConversationAction.CLOSE,
                system_text=_(
                    "Votre conversation devient une demande suivie par le service client : "
                    "vous recevrez la réponse par email."
                ),
            )
        Conversation.objects.filter(pk=conversation.pk).update(thread=thread)
        conversation.thread = thread
    return thread
