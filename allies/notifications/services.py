"""Every email Alliés sends goes through `notification_send`.

It renders the message (subject, text and HTML) in the recipient's language from
`templates/notifications/<name>/{subject.txt,body.txt,body.html}`, writes it to the outbox
(`OutgoingEmail`, in the caller's transaction) and queues its delivery. This is also the one
place that enforces who may receive email: a deactivated account receives nothing, checked
when the message is queued and again when it is delivered (ACC-7).

Delivery (`outgoing_email_deliver`, run by the `email_deliver` task) survives a mail server
that is down: a failed attempt is retried after a growing delay (`RETRY_DELAYS`), then the
email is marked dead for staff to replay ("Renvoyer" in the back office). The periodic sweep
`outgoing_emails_retry_due` (a management command for cron, and `make run`'s supervisor)
sends what is due: retries where the task backend cannot defer, emails whose queueing was
lost (crash between the commit and the enqueue), and emails whose worker died mid-send.

At least once, not at most once: an SMTP conversation cannot be part of a transaction, so
an attempt is recorded as SENDING (committed) before talking to the server and as SENT
after. If the worker dies in between, nobody knows whether the server took the message;
the sweep sends it again after SENDING_TIMEOUT. A rare duplicate (a second identical
password-reset email) is harmless; a lost one leaves a customer locked out. Two workers
never send the same email at the same time: an attempt starts only from PENDING or FAILED,
under a row lock.
"""

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import default_task_backend

from allies.core.text import normalize_email
from allies.notifications.models import OutgoingEmail

Status = OutgoingEmail.Status

# Delay before attempt n+1 after n failures; the last one repeats until MAX_ATTEMPTS.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=20),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
)
MAX_ATTEMPTS = 8  # about 22 hours of trying before staff are asked to step in
SMTP_TIMEOUT_SECONDS = 30
# A SENDING attempt older than this had its worker die mid-send (far above the SMTP timeout).
SENDING_TIMEOUT = timedelta(minutes=10)
# A PENDING email this old lost its queued task (crash between commit and enqueue).
PENDING_GRACE = timedelta(minutes=2)


# Set by `notifications_muted()`: nothing is emailed while it is True.
_MUTED: ContextVar[bool] = ContextVar("notifications_muted", default=False)


@contextmanager
def notifications_muted() -> Iterator[None]:
    """Inside this block `notification_send` writes and sends nothing (returns False).

    For data that imitates real activity (`manage.py demo_data`): its orders must not email
    their made-up customers and vendors, least of all through a real SMTP server."""
    token = _MUTED.set(True)
    try:
        yield
    finally:
        _MUTED.reset(token)


class Recipient(Protocol):
    """Who an email is for: a customer account (`accounts.User`, a layer above this one, so
    named by what is read from it; its `language` is read when it has one)."""

    @property
    def email(self) -> str: ...

    @property
    def is_active(self) -> bool: ...


class TransitionNotAllowed(Exception):
    """A status change that `OutgoingEmail.TRANSITIONS` does not allow."""


def recipient_may_receive(address: str) -> bool:
    """False when the address belongs to a deactivated account."""
    User = get_user_model()
    return not User.objects.filter(email=normalize_email(address), is_active=False).exists()


def notification_send(
    *,
    template: str,
    user: Recipient | None = None,
    to_email: str | None = None,
    context: Mapping[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    language: str | None = None,
) -> bool:
    """Render `template` for `user` (or a bare address) and queue it. Returns False if blocked.

    `to_email` overrides the user's address (e.g. telling the old address of an email change).
    """
    address = to_email or (user.email if user is not None else None)
    if not address:
        raise ValueError("notification_send needs a user or an address")
    if _MUTED.get():
        return False
    if user is not None and not user.is_active:
        return False
    if not recipient_may_receive(address):
        return False
    language = language or getattr(user, "language", None) or settings.LANGUAGE_CODE
    ctx = {
        "user": user,
        "site_url": settings.SITE_URL,
        "customer_service_email": settings.CUSTOMER_SERVICE_EMAIL,
        **(context or {}),
    }
    with translation.override(language):
        ctx["language"] = language
        subject = render_to_string(f"notifications/{template}/subject.txt", ctx)
        text = render_to_string(f"notifications/{template}/body.txt", ctx)
        html = render_to_string(f"notifications/{template}/body.html", ctx)
    email = OutgoingEmail.objects.create(
        template=template,
        to=address,
        subject=" ".join(subject.split()),
        text=text.strip() + "\n",
        html=html,
        headers=headers or {},
    )
    _delivery_queue(email_id=email.pk)
    return True


def _delivery_queue(*, email_id: int, run_after: datetime | None = None) -> None:
    """Queue the delivery task. The database task backend stores the task in the caller's
    transaction, so the email and its task commit together; a backend outside the database
    (RQ) is told after the commit, or its worker could look for a row not committed yet
    (a crash in between is what the sweep covers)."""
    from allies.notifications.tasks import email_deliver

    def enqueue() -> None:
        task = email_deliver
        if run_after is not None:
            if not default_task_backend.supports_defer:
                return  # the sweep sends it when due
            task = email_deliver.using(run_after=run_after)
        task.enqueue(email_id=email_id)

    from django_tasks.backends.immediate import ImmediateBackend
    from django_tasks_db import DatabaseBackend

    if isinstance(email_deliver.get_backend(), DatabaseBackend | ImmediateBackend):
        enqueue()
    else:
        transaction.on_commit(enqueue, robust=True)


def outgoing_email_transition(*, email: OutgoingEmail, to: str, **fields: object) -> OutgoingEmail:
    """Move `email` (locked by the caller) to status `to`, with the other `fields` changed in
    the same write; TransitionNotAllowed if `OutgoingEmail.TRANSITIONS` forbids it."""
    if to not in OutgoingEmail.TRANSITIONS[email.status]:
        raise TransitionNotAllowed(f"{email.status} → {to}")
    email.status = to
    for name, value in fields.items():
        setattr(email, name, value)
    email.save(update_fields=["status", *fields])
    return email


def _retry_delay(attempts: int) -> timedelta:
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def outgoing_email_deliver(*, email_id: int) -> str:
    """Send one outbox email if it is due; returns its status afterwards.

    Not due (already sent, being sent, dead, or failed with its retry later): nothing happens,
    so the task may safely run twice. A recipient deactivated since the email was queued gets
    nothing (ACC-7)."""
    now = timezone.now()
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None:
            return "missing"
        due = email.status == Status.PENDING or (
            email.status == Status.FAILED
            and (email.next_attempt_at is None or email.next_attempt_at <= now)
        )
        if not due:
            return email.status
        if not recipient_may_receive(email.to):
            outgoing_email_transition(email=email, to=Status.BLOCKED, text="", html="")
            return email.status
        outgoing_email_transition(
            email=email, to=Status.SENDING, attempts=email.attempts + 1, attempted_at=now
        )
    # The row lock is released: the SMTP conversation happens outside any transaction.
    try:
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to],
            headers=email.headers or {},
            connection=get_connection(timeout=SMTP_TIMEOUT_SECONDS),
        )
        message.attach_alternative(email.html, "text/html")
        message.send()
    except Exception as exc:
        return _attempt_failed(email_id=email_id, attempted_at=now, error=exc)
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().get(pk=email_id)
        if email.status == Status.SENDING and email.attempted_at == now:
            outgoing_email_transition(
                email=email, to=Status.SENT, sent_at=timezone.now(), text="", html=""
            )
    return email.status


def _attempt_failed(*, email_id: int, attempted_at: datetime, error: Exception) -> str:
    """Record a failed attempt: retry later, or dead after MAX_ATTEMPTS."""
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().get(pk=email_id)
        if email.status != Status.SENDING or email.attempted_at != attempted_at:
            return email.status  # the sweep already took this attempt over
        error_text = f"{type(error).__name__}: {error}"[:2000]
        if email.attempts >= MAX_ATTEMPTS:
            outgoing_email_transition(
                email=email, to=Status.DEAD, last_error=error_text, next_attempt_at=None
            )
            return email.status
        retry_at = timezone.now() + _retry_delay(email.attempts)
        outgoing_email_transition(
            email=email, to=Status.FAILED, last_error=error_text, next_attempt_at=retry_at
        )
        _delivery_queue(email_id=email_id, run_after=retry_at)
    return email.status


def outgoing_emails_retry_due() -> int:
    """Queue the delivery of every email that is due and has no task that will send it:
    failed ones whose retry time has come, pending ones whose task was lost, and attempts
    whose worker died mid-send (sent again: see "at least once" above). Returns how many."""
    now = timezone.now()
    stale = OutgoingEmail.objects.filter(
        status=Status.SENDING, attempted_at__lt=now - SENDING_TIMEOUT
    ).values_list("pk", flat=True)
    for email_id in list(stale):
        with transaction.atomic():
            email = OutgoingEmail.objects.select_for_update().get(pk=email_id)
            if (
                email.status == Status.SENDING
                and email.attempted_at is not None  # always set on SENDING
                and email.attempted_at < now - SENDING_TIMEOUT
            ):
                outgoing_email_transition(
                    email=email,
                    to=Status.FAILED,
                    next_attempt_at=now,
                    last_error="Worker stopped during the attempt; sent again.",
                )
    # Where the backend defers, each retry has its own task: only those overdue by
    # PENDING_GRACE lost it.
    retry_before = now - PENDING_GRACE if default_task_backend.supports_defer else now
    due = OutgoingEmail.objects.filter(
        Q(status=Status.FAILED, next_attempt_at__lte=retry_before)
        | Q(status=Status.PENDING, created_at__lt=now - PENDING_GRACE)
    ).values_list("pk", flat=True)
    queued = 0
    for email_id in list(due.order_by("pk")[:1000]):
        _delivery_queue(email_id=email_id)
        queued += 1
    return queued


def outgoing_emails_replay(*, emails: Iterable[OutgoingEmail]) -> int:
    """Staff's "Renvoyer": put failed and dead emails back in the queue with a fresh set of
    attempts. Sent and blocked emails are left alone. Returns how many were queued."""
    replayed = 0
    for email_id in [e.pk for e in emails]:
        with transaction.atomic():
            email = OutgoingEmail.objects.select_for_update().get(pk=email_id)
            if email.status not in (Status.FAILED, Status.DEAD):
                continue
            outgoing_email_transition(
                email=email, to=Status.PENDING, attempts=0, next_attempt_at=None
            )
            _delivery_queue(email_id=email_id)
        replayed += 1
    return replayed
