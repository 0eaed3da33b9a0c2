"""The one place that sends email: rendering, language, opt-outs, files, workers."""

import email
import os
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from django.core import mail
from django.core.mail import EmailMessage

from allies.notifications.backends import EmlFileBackend
from allies.notifications.models import OutgoingEmail
from allies.notifications.services import notification_send
from allies.notifications.tasks import email_deliver
from tests.factories import UserFactory

TEST_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@pytest.fixture(autouse=True)
def _sample_template(settings):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEST_TEMPLATES]}
    ]


@pytest.mark.django_db
def test_email_is_rendered_in_text_and_html_in_the_recipients_language():
    # covers: SITE-4
    fr = UserFactory(first_name="Luc", language="fr")
    en = UserFactory(first_name="Tom", language="en")
    assert notification_send(template="sample", user=fr, context={"amount": Decimal("49.9")})
    assert notification_send(template="sample", user=en, context={"amount": Decimal("49.9")})
    fr_mail, en_mail = mail.outbox
    assert fr_mail.to == [fr.email] and fr_mail.subject == "Paiement sécurisé Luc"
    assert "Bonjour Luc, 49,90\u00a0€" in fr_mail.body
    assert "<p>Bonjour Luc" in fr_mail.alternatives[0][0]
    assert en_mail.subject == "Secure payment Tom"
    assert "Hello Tom, €49.90" in en_mail.body


@pytest.mark.django_db
def test_a_deactivated_account_receives_no_email_at_all():
    # covers: ACC-7
    user = UserFactory(is_active=False)
    assert notification_send(template="sample", user=user, context={}) is False
    # Even addressed by its bare email, the deactivated account gets nothing.
    assert notification_send(template="sample", to_email=user.email.upper(), context={}) is False
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_account_deactivated_after_queueing_is_not_delivered(settings):
    # covers: ACC-7
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    user = UserFactory()
    assert notification_send(template="sample", user=user, context={"amount": Decimal("1")})
    user.is_active = False
    user.save()
    queued = OutgoingEmail.objects.get(to=user.email)
    assert email_deliver.call(email_id=queued.pk) == OutgoingEmail.Status.BLOCKED
    assert mail.outbox == []


def test_local_mail_is_written_one_eml_file_per_message(tmp_path):
    backend = EmlFileBackend(file_path=str(tmp_path))
    messages = [
        EmailMessage("Première", "Corps 1", "a@allies.test", ["x@example.test"]),
        EmailMessage("Deuxième", "Corps 2", "a@allies.test", ["y@example.test"]),
    ]
    assert backend.send_messages(messages) == 2
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    parsed = {email.message_from_bytes(f.read_bytes())["To"] for f in files}
    assert parsed == {"x@example.test", "y@example.test"}


def _redis_or_skip(url: str):
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis on this machine")
    return client


@pytest.mark.django_db
def test_emails_are_delivered_by_a_redis_backed_worker(
    settings, django_capture_on_commit_callbacks
):
    """The production setting: tasks queued in Redis, run by an RQ worker."""
    from django_rq import get_queue
    from rq import SimpleWorker

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    client = _redis_or_skip(url)
    client.flushdb()
    settings.RQ_QUEUES = {"default": {"URL": url, "DEFAULT_TIMEOUT": 60}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    user = UserFactory(first_name="Rémi")
    # Redis is outside the database: the task is queued once the email's row is committed.
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(template="sample", user=user, context={"amount": Decimal("10")})
    assert mail.outbox == []  # queued in Redis, not yet sent
    from django_tasks_rq.backend import Job

    queue = get_queue("default", job_class=Job)
    assert queue.count == 1
    SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
    assert [m.subject for m in mail.outbox] == ["Paiement sécurisé Rémi"]
    client.flushdb()
