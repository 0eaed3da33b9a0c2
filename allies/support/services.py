"""Every write of "Assistance en ligne": opening a thread, posting a message, escalating,
resolving, closing, reopening, assigning, and the reminder sweep.

Rules every service keeps:

- Keyword-only and typed; the actor is an `Actor` (customer, vendor user, API key, staff) or
  an `EmailIdentity` (a contact-form visitor, a vendor's order-email address), and a vendor
  actor names the `vendor` it acts for (resolved by the portal, the API or the inbound email).
- Who may do what is checked first, against the thread: a customer reaches only their own
  threads, a vendor only its own (its user must be a member, its key its own, its address
  one of its order-email addresses), staff need the `support.handle_thread` permission
  (reassigning an assigned thread needs `support.supervise_thread`). A thread the actor may
  not reach raises `ThreadNotFound` (code "not_found": nothing is revealed); an action the
  actor may not take raises `SupportForbidden` or `SupportError` with a stable code and a
  French message. Attachments are checked before anything is written.
- One transaction per call, the thread row locked; the stage and clocks move only through
  `allies.support.states.thread_transition`, which writes the audit-trail event.
- Emails are written to the outbox in the same transaction (`allies.support.emails`): they
  leave only if the change commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from allies.core.text import normalize_email
from allies.orders.events import Actor, ActorKind
from allies.orders.states import VendorOrderStatus
from allies.support import emails
from allies.support.actors import EmailIdentity, ThreadActor
from allies.support.attachments import (
    CheckedFile,
    attachments_check,
    attachments_store,
    files_removed_on_failure,
)
from allies.support.errors import SupportError, SupportForbidden, ThreadNotFound
from allies.support.models import (
    MOTIFS_BY_KIND,
    Channel,
    Message,
    Thread,
    ThreadKind,
    Visibility,
)
from allies.support.states import (
    CLOCK_FIELDS,
    THREAD_TRANSITIONS,
    AnswerTiming,
    ThreadAction,
    ThreadEventKind,
    ThreadStage,
    answer_timing,
    customer_write_action,
    thread_create,
    thread_event_add,
    thread_transition,
)
from allies.vendors.models import Vendor, VendorApiKey, VendorMembership

if TYPE_CHECKING:
    from allies.accounts.models import User
    from allies.catalog.models import Offer
    from allies.orders.models import Order, VendorOrder

HANDLE_PERMISSION = "support.handle_thread"
SUPERVISE_PERMISSION = "support.supervise_thread"
# A vendor order the customer may write about: paid at some point.
_UNPAID = frozenset({VendorOrderStatus.AWAITING_PAYMENT, VendorOrderStatus.CANCELLED_UNPAID})


class Role(StrEnum):
    CUSTOMER = "customer"
    VENDOR = "vendor"
    STAFF = "staff"


# --- who acts -----------------------------------------------------------------------------


def _user(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    return get_user_model().objects.filter(pk=user_id).first()


def is_agent(user: Any) -> bool:
    """Staff of the customer service: sees every thread and answers (CS-5)."""
    return bool(
        user is not None and user.is_active and user.is_staff and user.has_perm(HANDLE_PERMISSION)
    )


def is_supervisor(user: Any) -> bool:
    """An agent who may also reassign threads (and, later, refund above the agents' limit)."""
    return is_agent(user) and bool(user.has_perm(SUPERVISE_PERMISSION))


def _staff_user(actor: ThreadActor) -> User:
    user = _user(actor.user_id) if isinstance(actor, Actor) else None
    if user is None or not is_agent(user):
        raise SupportForbidden(_("Cette action est réservée au service client."), code="staff_only")
    return user


def _vendor_may_act(thread: Thread, actor: ThreadActor, vendor: Vendor | None) -> bool:
    if vendor is None or thread.vendor_id is None or thread.vendor_id != vendor.pk:
        return False
    if not vendor.is_active:
        return False
    if isinstance(actor, EmailIdentity):
        addresses = {normalize_email(a) for a in [vendor.email, *vendor.order_email_addresses]}
        return actor.email in addresses
    if actor.kind == ActorKind.VENDOR_USER and actor.user_id is not None:
        return VendorMembership.objects.filter(vendor=vendor, user_id=actor.user_id).exists()
    if actor.kind == ActorKind.API_KEY and actor.api_key_id is not None:
        return VendorApiKey.objects.filter(
            pk=actor.api_key_id, vendor=vendor, revoked_at__isnull=True
        ).exists()
    return False


def thread_role(*, thread: Thread, actor: ThreadActor, vendor: Vendor | None = None) -> Role:
    """The part `actor` plays in `thread`, or ThreadNotFound / SupportForbidden."""
    if actor.kind == ActorKind.CUSTOMER:
        if isinstance(actor, EmailIdentity):
            mine = thread.customer_id is None and actor.email == normalize_email(
                thread.contact_email
            )
        else:
            mine = thread.customer_id is not None and thread.customer_id == actor.user_id
        if not mine:
            raise ThreadNotFound()
        return Role.CUSTOMER
    if actor.kind in (ActorKind.VENDOR_USER, ActorKind.API_KEY):
        if not _vendor_may_act(thread, actor, vendor):
            raise ThreadNotFound()
        return Role.VENDOR
    if actor.kind == ActorKind.STAFF:
        _staff_user(actor)
        return Role.STAFF
    raise SupportForbidden(_("Cette action est réservée au service client."), code="staff_only")


# --- input ----------------------------------------------------------------------------------


def _clean_body(body: str, *, required: bool) -> str:
    text = (body or "").replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()
    limit = int(settings.SUPPORT_MESSAGE_MAX_CHARS)
    if len(text) > limit:
        raise SupportError(
            _("Votre message dépasse %(max)s caractères : raccourcissez-le.") % {"max": limit},
            code="too_long",
        )
    if required and not text:
        raise SupportError(_("Écrivez votre message."), code="empty")
    return text


def _clean_line(value: str, *, limit: int) -> str:
    return " ".join((value or "").replace("\x00", "").split())[:limit]


def _due_text(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _lock(thread: Thread) -> Thread:
    return (
        Thread.objects.select_for_update(of=("self",))
        .select_related("customer", "vendor")
        .get(pk=thread.pk)
    )


def _sync(thread: Thread, locked: Thread) -> None:
    """The caller's instance catches up with what the service wrote."""
    for name in (*CLOCK_FIELDS, "updated_at", "assigned_agent_id"):
        setattr(thread, name, getattr(locked, name))


def _author_fields(actor: ThreadActor) -> dict[str, Any]:
    if isinstance(actor, EmailIdentity):
        return {"author_kind": actor.kind, "author_email": actor.email}
    return {
        "author_kind": actor.kind,
        "author_id": actor.user_id,
        "author_api_key_id": actor.api_key_id,
    }


def _message_create(
    *,
    thread: Thread,
    actor: ThreadActor,
    body: str,
    visibility: str,
    channel: str,
    files: Sequence[CheckedFile],
    email_message_id: str = "",
    timing: AnswerTiming | None = None,
) -> Message:
    message = Message.objects.create(
        thread=thread,
        vendor_id=thread.vendor_id,
        body=body,
        visibility=visibility,
        channel=channel,
        email_message_id=email_message_id[:255],
        response_seconds=timing.seconds if timing else None,
        on_time=timing.on_time if timing else None,
        **_author_fields(actor),
    )
    attachments_store(message=message, files=files)
    return message


# --- opening --------------------------------------------------------------------------------


def _requester(actor: ThreadActor) -> tuple[User | None, str, str]:
    """(customer, contact name, contact email) of the person opening a thread."""
    if isinstance(actor, EmailIdentity) and actor.kind == ActorKind.CUSTOMER:
        name = _clean_line(actor.name, limit=150)
        if not name:
            raise SupportError(_("Indiquez votre nom."), code="name_required")
        try:
            validate_email(actor.email)
        except ValidationError:
            raise SupportError(
                _("Indiquez une adresse email valide."), code="invalid_email"
            ) from None
        return None, name, actor.email
    if isinstance(actor, Actor) and actor.kind == ActorKind.CUSTOMER:
        customer = _user(actor.user_id)
        if customer is None or not customer.is_active:
            raise SupportForbidden(_("Ce compte est désactivé."), code="inactive_account")
        return customer, "", ""
    raise SupportForbidden(_("Seul un client peut ouvrir une demande."), code="customer_only")


def thread_open(
    *,
    actor: ThreadActor,
    motif: str,
    body: str,
    offer: Offer | None = None,
    vendor_order: VendorOrder | None = None,
    about_order: bool = True,
    order: Order | None = None,
    subject: str = "",
    attachments: Sequence[Any] = (),
    language: str | None = None,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> Thread:
    """Open a request with its first message.

    - `offer`: a pre-sale question to the offer's vendor ("Posez une question", CAT-4);
    - `vendor_order`: "Contacter le vendeur" / "Assistance en ligne" on one of the customer's
      paid vendor orders (ORD-7, CS-1); `about_order=False` is the help page's "question de
      précommande" asked from there: a pre-sale question to that vendor;
    - neither: the contact form (CS-4), open to visitors (an `EmailIdentity` with their name),
      optionally about one of the customer's `order`s; it goes to the operator's queue.

    The motif must be one the kind offers (`MOTIFS_BY_KIND`). The vendor (or the operator)
    is emailed the question, the customer a confirmation with the date of the answer.
    """
    if offer is not None and vendor_order is not None:
        raise ValueError("a thread is about an offer or a vendor order, not both")
    customer, contact_name, contact_email = _requester(actor)
    vendor: Vendor | None = None
    product = None
    if offer is not None or vendor_order is not None:
        if customer is None:
            raise SupportForbidden(
                _("Connectez-vous ou créez un compte pour écrire au vendeur."),
                code="login_required",
            )
    if offer is not None:
        kind = ThreadKind.QUESTION
        if not offer.is_active or not offer.vendor.is_active:
            raise SupportError(_("Cette offre n'est plus disponible."), code="not_found")
        vendor, product = offer.vendor, offer.variant.product
    elif vendor_order is not None:
        assert customer is not None
        kind = ThreadKind.ORDER if about_order else ThreadKind.QUESTION
        if vendor_order.order.customer_id != customer.pk:
            raise ThreadNotFound(_("Commande introuvable."))
        if vendor_order.status in _UNPAID:
            raise SupportError(
                _("Cette commande n'est pas payée : elle ne peut pas faire l'objet d'une demande."),
                code="not_paid",
            )
        vendor = vendor_order.vendor
        if not vendor.is_active:
            raise SupportError(
                _("Ce vendeur n'est plus actif : écrivez au service client."),
                code="vendor_inactive",
            )
        order = vendor_order.order if about_order else None
        if not about_order:
            vendor_order = None
    else:
        kind = ThreadKind.CONTACT
        if order is not None and (customer is None or order.customer_id != customer.pk):
            raise ThreadNotFound(_("Commande introuvable."))
    if motif not in MOTIFS_BY_KIND[kind]:
        raise SupportError(_("Choisissez un motif dans la liste."), code="invalid_motif")
    text = _clean_body(body, required=True)
    files = attachments_check(list(attachments))
    languages = {code for code, _name in settings.LANGUAGES}
    if customer is not None:
        language = customer.language
    if language not in languages:
        language = translation.get_language() or settings.LANGUAGE_CODE
        language = language[:2] if language[:2] in languages else settings.LANGUAGE_CODE
    now = now or timezone.now()
    with files_removed_on_failure(), transaction.atomic():
        thread = thread_create(
            fields={
                "kind": kind,
                "motif": motif,
                "subject": _clean_line(subject, limit=200),
                "customer": customer,
                "contact_name": contact_name,
                "contact_email": contact_email,
                "language": language,
                "vendor": vendor,
                "order": order,
                "vendor_order": vendor_order if kind == ThreadKind.ORDER else None,
                "offer": offer,
                "product": product,
            },
            actor=actor,
            now=now,
        )
        message = _message_create(
            thread=thread,
            actor=actor,
            body=text,
            visibility=Visibility.PUBLIC,
            channel=channel,
            files=files,
        )
        emails.customer_email_send(thread=thread, template="support_thread_opened", message=message)
        if vendor is not None:
            emails.vendor_email_send(
                thread=thread, template="support_vendor_message", message=message, opened=True
            )
    return thread


# --- messages -------------------------------------------------------------------------------


def _message_action(role: Role, thread: Thread, visibility: str) -> ThreadAction | None:
    if role == Role.CUSTOMER:
        return customer_write_action(thread)
    if role == Role.VENDOR:
        return ThreadAction.VENDOR_WRITE
    if visibility == Visibility.INTERNAL:
        return None  # a note moves nothing
    if visibility == Visibility.VENDOR:
        return ThreadAction.AGENT_WRITE_VENDOR
    return ThreadAction.AGENT_WRITE


def message_post(
    *,
    thread: Thread,
    actor: ThreadActor,
    body: str,
    attachments: Sequence[Any] = (),
    visibility: str = Visibility.PUBLIC,
    vendor: Vendor | None = None,
    channel: str = Channel.WEB,
    email_message_id: str = "",
    now: datetime | None = None,
    notify: bool = True,
) -> Message:
    """Post a message in `thread` and move it (a customer's message starts the vendor's
    clock, a vendor's answer stops it, an agent's answer meets the operator's).

    Customers and vendors write public messages; staff also write to the vendor only
    (`Visibility.VENDOR`) or internal notes (`Visibility.INTERNAL`, never shown to customer
    or vendor, allowed in any stage). A closed thread takes only notes. `email_message_id`
    (a reply by email) makes the post idempotent: the same id posts once, and the existing
    message is returned.
    """
    role = thread_role(thread=thread, actor=actor, vendor=vendor)
    if visibility not in Visibility.values:
        raise SupportError(_("Visibilité inconnue."), code="invalid_visibility")
    if role != Role.STAFF and visibility != Visibility.PUBLIC:
        raise SupportForbidden(
            _("Seul le service client peut écrire une note interne."), code="staff_only"
        )
    if visibility == Visibility.VENDOR and thread.vendor_id is None:
        raise SupportError(_("Cette demande n'a pas de vendeur."), code="no_vendor")
    text = _clean_body(body, required=not attachments)
    files = attachments_check(list(attachments))
    now = now or timezone.now()
    with files_removed_on_failure(), transaction.atomic():
        locked = _lock(thread)
        if email_message_id:
            existing = Message.objects.filter(
                thread=locked, email_message_id=email_message_id[:255]
            ).first()
            if existing is not None:
                return existing
        if locked.stage == ThreadStage.CLOSED and visibility != Visibility.INTERNAL:
            raise SupportError(
                _("Cette demande est clôturée : ouvrez une nouvelle demande."), code="closed"
            )
        action = _message_action(role, locked, visibility)
        if action is not None and (ThreadStage(locked.stage), action) not in THREAD_TRANSITIONS:
            raise SupportError(_("Cette demande ne peut plus recevoir de message."), code="closed")
        timing = answer_timing(locked, action, now) if action is not None else None
        message = _message_create(
            thread=locked,
            actor=actor,
            body=text,
            visibility=visibility,
            channel=channel,
            files=files,
            email_message_id=email_message_id,
            timing=timing,
        )
        if action is None:
            thread_event_add(
                thread=locked, kind=ThreadEventKind.NOTE_ADDED, actor=actor, message=message.pk
            )
        else:
            event: dict[str, Any] = {"message": message.pk, "channel": channel}
            if timing is not None:
                event.update(response_seconds=timing.seconds, on_time=timing.on_time)
            thread_transition(thread=locked, action=action, actor=actor, now=now, **event)
        if notify:  # False: the caller sends its own email (a return's decision…)
            _message_emails(locked, message, role, visibility)
        _sync(thread, locked)
    return message


def _message_emails(thread: Thread, message: Message, role: Role, visibility: str) -> None:
    if visibility == Visibility.INTERNAL:
        return
    if role == Role.CUSTOMER:
        if thread.stage == ThreadStage.WAITING_VENDOR:
            emails.vendor_email_send(
                thread=thread, template="support_vendor_message", message=message, opened=False
            )
        return  # the operator reads its queue
    if visibility == Visibility.PUBLIC:
        emails.customer_email_send(
            thread=thread,
            template="support_customer_message",
            message=message,
            from_operator=role == Role.STAFF,
        )
    if role == Role.STAFF and thread.vendor_id is not None:
        emails.vendor_email_send(
            thread=thread,
            template="support_vendor_message",
            message=message,
            opened=False,
            from_operator=True,
        )


# --- escalation, resolution, closing --------------------------------------------------------


def thread_escalate(*, thread: Thread, actor: ThreadActor, now: datetime | None = None) -> Thread:
    """The customer's "Non" to "Votre demande est-elle en cours de traitement ou résolue ?"
    (CS-2): the thread goes to the operator's customer service, which intervenes within
    24 h. Allowed after a vendor answer, or once the vendor's 48 h passed with none; staff
    may take a thread over at any time."""
    if actor.kind in (ActorKind.VENDOR_USER, ActorKind.API_KEY):
        raise SupportForbidden(
            _("Seul le client ou le service client peut transmettre la demande."),
            code="customer_only",
        )
    role = thread_role(thread=thread, actor=actor)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(thread)
        stage = ThreadStage(locked.stage)
        if stage == ThreadStage.ESCALATED:
            raise SupportError(
                _("Votre demande est déjà entre les mains du service client."),
                code="already_escalated",
            )
        if stage not in (ThreadStage.WAITING_VENDOR, ThreadStage.ANSWERED):
            raise SupportError(
                _("Cette demande est résolue ou clôturée : écrivez un message pour la rouvrir."),
                code="not_open",
            )
        if (
            role == Role.CUSTOMER
            and stage == ThreadStage.WAITING_VENDOR
            and locked.vendor_due_at is not None
            and locked.vendor_due_at > now
        ):
            raise SupportError(
                _(
                    "Le vendeur a jusqu'au %(date)s pour vous répondre : vous pourrez ensuite "
                    "transmettre votre demande au service client."
                )
                % {"date": _due_text(locked.vendor_due_at)},
                code="too_early",
            )
        thread_transition(thread=locked, action=ThreadAction.ESCALATE, actor=actor, now=now)
        emails.customer_email_send(thread=locked, template="support_thread_escalated")
        emails.vendor_email_send(thread=locked, template="support_vendor_escalated")
        _sync(thread, locked)
    return thread


def thread_resolve(
    *,
    thread: Thread,
    actor: ThreadActor,
    vendor: Vendor | None = None,
    now: datetime | None = None,
) -> Thread:
    """Mark the request resolved: the customer's "Oui", the vendor once it answered, or an
    agent. A vendor cannot resolve a thread the operator handles."""
    role = thread_role(thread=thread, actor=actor, vendor=vendor)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(thread)
        stage = ThreadStage(locked.stage)
        if stage == ThreadStage.RESOLVED:
            raise SupportError(_("Cette demande est déjà résolue."), code="already_resolved")
        if stage == ThreadStage.CLOSED:
            raise SupportError(_("Cette demande est clôturée."), code="closed")
        if role == Role.VENDOR and stage == ThreadStage.WAITING_VENDOR:
            raise SupportError(
                _("Répondez au client avant de marquer la demande comme résolue."),
                code="not_answered",
            )
        if role == Role.VENDOR and stage == ThreadStage.ESCALATED:
            raise SupportError(
                _("Le service client traite cette demande : lui seul peut la marquer résolue."),
                code="escalated",
            )
        thread_transition(thread=locked, action=ThreadAction.RESOLVE, actor=actor, now=now)
        if role != Role.CUSTOMER:
            emails.customer_email_send(
                thread=locked, template="support_thread_resolved", by_vendor=role == Role.VENDOR
            )
        _sync(thread, locked)
    return thread


def thread_close(*, thread: Thread, actor: ThreadActor, now: datetime | None = None) -> Thread:
    """Close the request for good (its customer, or staff); a closed thread takes no message
    but staff notes, until staff reopen it."""
    if actor.kind in (ActorKind.VENDOR_USER, ActorKind.API_KEY):
        raise SupportForbidden(
            _("Seul le client ou le service client peut clôturer la demande."),
            code="customer_only",
        )
    thread_role(thread=thread, actor=actor)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(thread)
        if locked.stage == ThreadStage.CLOSED:
            raise SupportError(_("Cette demande est déjà clôturée."), code="closed")
        thread_transition(thread=locked, action=ThreadAction.CLOSE, actor=actor, now=now)
        _sync(thread, locked)
    return thread


def thread_reopen(*, thread: Thread, actor: ThreadActor, now: datetime | None = None) -> Thread:
    """Staff reopen a resolved or closed request: it goes back to the operator's queue with a
    new 24 h clock. (A customer reopens a resolved request by writing in it.)"""
    _staff_user(actor)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(thread)
        if locked.stage not in (ThreadStage.RESOLVED, ThreadStage.CLOSED):
            raise SupportError(_("Cette demande est encore ouverte."), code="still_open")
        thread_transition(thread=locked, action=ThreadAction.REOPEN, actor=actor, now=now)
        _sync(thread, locked)
    return thread


def thread_assign(*, thread: Thread, actor: ThreadActor, agent: User | None) -> Thread:
    """Give the request to an agent (None: to nobody). An agent takes an unassigned request
    for themself; giving it to someone else, or taking it from its agent, is a
    supervisor's."""
    staff = _staff_user(actor)
    if agent is not None and not is_agent(agent):
        raise SupportError(_("Cette personne n'est pas agent du service client."), code="not_agent")
    with transaction.atomic():
        locked = _lock(thread)
        current = locked.assigned_agent_id
        wanted = agent.pk if agent is not None else None
        if current == wanted:
            return thread
        self_service = current is None and wanted == staff.pk
        if not self_service and not is_supervisor(staff):
            raise SupportForbidden(
                _(
                    "Seul un superviseur peut attribuer ou réattribuer une demande "
                    "à un autre agent."
                ),
                code="supervisor_required",
            )
        locked.assigned_agent_id = wanted
        # Not `updated_at`: an assignment is the operator's business, not the vendor's.
        locked.save(update_fields=["assigned_agent"])
        thread_event_add(
            thread=locked,
            kind=ThreadEventKind.ASSIGNED,
            actor=actor,
            **{"from": current, "to": wanted},
        )
        _sync(thread, locked)
    return thread


# --- the reminder sweep ---------------------------------------------------------------------


def support_reminders_send(*, now: datetime | None = None) -> int:
    """Remind each vendor once, SUPPORT_VENDOR_REMINDER_HOURS before its 48 h run out, of a
    question still waiting for its answer. Safe to run at any time and repeatedly (the
    task worker or cron runs it every few minutes); returns how many were reminded."""
    now = now or timezone.now()
    window = now + timedelta(hours=int(settings.SUPPORT_VENDOR_REMINDER_HOURS))
    due_soon = Thread.objects.filter(
        stage=ThreadStage.WAITING_VENDOR,
        vendor_reminded_at__isnull=True,
        vendor_due_at__gt=now,
        vendor_due_at__lte=window,
    ).order_by("vendor_due_at", "id")
    reminded = 0
    for thread_id in list(due_soon.values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            locked = (
                Thread.objects.select_for_update(of=("self",))
                .select_related("vendor", "customer")
                .get(pk=thread_id)
            )
            if (
                locked.stage != ThreadStage.WAITING_VENDOR
                or locked.vendor_reminded_at is not None
                or locked.vendor_due_at is None
                or not now < locked.vendor_due_at <= window
            ):
                continue  # answered or reminded meanwhile
            locked.vendor_reminded_at = now
            locked.save(update_fields=["vendor_reminded_at"])
            thread_event_add(
                thread=locked,
                kind=ThreadEventKind.REMINDER_SENT,
                actor=None,
                due=locked.vendor_due_at.isoformat(),
            )
            emails.vendor_email_send(thread=locked, template="support_vendor_reminder")
            reminded += 1
    return reminded
