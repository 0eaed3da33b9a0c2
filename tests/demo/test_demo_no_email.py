"""The demo orders email nobody unless asked: with EMAIL_HOST set, the first `make run` would
otherwise mail made-up customers and vendors through a real server (issue 8 §5)."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from allies.demo import identities
from allies.notifications.models import OutgoingEmail
from allies.orders.models import Order

# transaction=True: the services' after-commit emails run as they do under `make run`.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("demo_data")]


def test_demo_data_sends_no_email():
    # covers: issue 8 §5
    call_command("demo_data", "--products", "120", stdout=StringIO())
    assert Order.objects.filter(customer__email=identities.CUSTOMER_EMAIL).count() == 4
    assert mail.outbox == []
    assert not OutgoingEmail.objects.exists()  # not even written, so no worker sends them


def test_demo_data_sends_the_orders_emails_when_asked():
    # covers: issue 8 §5
    call_command("demo_data", "--products", "120", "--send-emails", stdout=StringIO())
    recipients = {address for message in mail.outbox for address in message.to}
    assert identities.CUSTOMER_EMAIL in recipients  # order confirmations
    assert any(subject.startswith("Nouvelle commande") for subject in
               (m.subject for m in mail.outbox))  # fmt: skip
