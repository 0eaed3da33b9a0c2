"""`manage.py support_reminders`: remind each vendor whose 48 h to answer a question end
within SUPPORT_VENDOR_REMINDER_HOURS (once per wait). Idempotent: run it any time (cron);
`make run` runs it every minute.

Nothing else about the clocks needs a periodic run: a thread past its deadline is "late"
by query (`states.vendor_late_q`, `operator_late_q`) and its breach is counted when the
clock stops."""

from typing import Any

from django.core.management.base import BaseCommand

from allies.support.services import support_reminders_send


class Command(BaseCommand):
    help = "Send the vendors' reminders of questions about to pass their 48 h."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{support_reminders_send()} reminder(s) sent.")
