"""`manage.py emails_retry_due`: queue every outbox email due for an attempt (failed ones
whose retry time has come, lost tasks, attempts cut short by a dead worker). Idempotent: run
it any time (cron); `make run` runs it every minute."""

from django.core.management.base import BaseCommand

from allies.notifications.services import outgoing_emails_retry_due


class Command(BaseCommand):
    help = "Queue the delivery of every outbox email due for an attempt."

    def handle(self, *args, **options):
        self.stdout.write(f"{outgoing_emails_retry_due()} email(s) queued.")
