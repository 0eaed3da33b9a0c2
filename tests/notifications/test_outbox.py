"""The outbox: no email is lost when the mail server is down (issue 9 §7).

Delivery goes through a real SMTP conversation with a local server that the tests stop and
start again; retries are run by the periodic sweep, as the worker's deferred tasks would."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from allies.notifications.models import OutgoingEmail
from allies.notifications.services import (
    MAX_ATTEMPTS,
    notification_send,
    outgoing_emails_retry_due,
)
from tests.factories import UserFactory
from tests.notifications.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db

Status = OutgoingEmail.Status


@pytest.fixture
def smtp(settings):
    """A local SMTP server, down at first; mail goes out over SMTP to it."""
    sink = SmtpSink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = False
    yield sink
    sink.stop()


def retry_when_due(email: OutgoingEmail) -> int:
    """The sweep, run once the email's retry time has come."""
    with time_machine.travel(email.next_attempt_at + timedelta(seconds=1), tick=False):
        return outgoing_emails_retry_due()


def test_a_reset_email_asked_while_the_mail_server_is_down_arrives_once_it_is_back(client, smtp):
    # covers: issue 9 §7, ACC-3
    user = UserFactory(email="jean@example.test")
    page = client.post("/compte/mot-de-passe-oublie/", {"email": user.email}, follow=True)
    assert page.redirect_chain[-1][0] == "/compte/mot-de-passe-oublie/envoye/"

    queued = OutgoingEmail.objects.get(to=user.email)
    assert (queued.status, queued.attempts) == (Status.FAILED, 1)
    assert "Connection refused" in queued.last_error
    assert queued.next_attempt_at > timezone.now()
    assert outgoing_emails_retry_due() == 0  # not due yet: nothing is hammered

    smtp.start()
    assert retry_when_due(queued) == 1
    assert retry_when_due(queued) == 0  # sent: a later sweep sends nothing more

    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received["To"] == user.email
    assert "/compte/" in received.get_payload()[0].get_payload(decode=True).decode()
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (Status.SENT, 2)
    assert queued.sent_at is not None
    assert queued.text == queued.html == ""  # the reset link is not kept once sent


def test_retries_wait_longer_each_time_then_the_email_is_dead_and_staff_send_it_again(smtp):
    # covers: issue 9 §7
    user = UserFactory(first_name="Luc")
    assert notification_send(template="account_welcome", user=user)
    queued = OutgoingEmail.objects.get(to=user.email)
    delays = []
    while queued.status == Status.FAILED:
        delays.append(queued.next_attempt_at - queued.attempted_at)
        retry_when_due(queued)
        queued.refresh_from_db()
    assert queued.status == Status.DEAD
    assert queued.attempts == MAX_ATTEMPTS and queued.next_attempt_at is None
    assert delays == sorted(delays) and delays[0] < delays[-1]
    with time_machine.travel(timezone.now() + timedelta(days=7)):
        assert outgoing_emails_retry_due() == 0  # dead: only staff send it again

    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    listing = staff.get("/admin/notifications/outgoingemail/?status=dead")
    html = listing.content.decode()
    assert user.email in html
    assert "Abandonné après plusieurs échecs" in html
    assert "Renvoyer" in html

    smtp.start()
    page = staff.post(
        "/admin/notifications/outgoingemail/",
        {"action": "replay", "_selected_action": [queued.pk]},
        follow=True,
    )
    assert "1 email remis en file d&#x27;envoi." in page.content.decode()
    queued.refresh_from_db()
    assert queued.status == Status.SENT
    assert [m["To"] for m in smtp.messages] == [user.email]


def test_an_email_whose_worker_died_mid_send_is_sent_again(settings):
    # covers: issue 9 §7 — at least once: a dead worker's attempt is retried
    user = UserFactory()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    assert notification_send(template="account_welcome", user=user)
    queued = OutgoingEmail.objects.get(to=user.email)
    OutgoingEmail.objects.filter(pk=queued.pk).update(
        status=Status.SENDING, attempts=1, attempted_at=timezone.now()
    )
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert outgoing_emails_retry_due() == 0  # maybe still talking to the server
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert outgoing_emails_retry_due() == 1
    assert [m.to for m in mail.outbox] == [[user.email]]
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (Status.SENT, 2)


def test_an_email_whose_task_was_lost_is_sent_by_the_sweep(settings):
    # covers: issue 9 §7 — a crash between the commit and the enqueue
    user = UserFactory()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    assert notification_send(template="account_welcome", user=user)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert outgoing_emails_retry_due() == 1
        assert outgoing_emails_retry_due() == 0
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_the_outbox_in_the_back_office_is_read_only_and_shows_no_body(settings):
    # covers: issue 9 §7 — staff see the failures, never a customer's reset link
    user = UserFactory()
    assert notification_send(template="account_welcome", user=user)
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    email = OutgoingEmail.objects.get(to=user.email)
    page = staff.get(f"/admin/notifications/outgoingemail/{email.pk}/change/")
    assert page.status_code == 200
    assert "Envoyé" in page.content.decode()
    assert staff.get("/admin/notifications/outgoingemail/add/").status_code == 403
