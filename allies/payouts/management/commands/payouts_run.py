"""`manage.py payouts_run`: today's scheduled payout run (PAY-1), at most once a day.

Idempotent: a second call the same day does nothing, so the supervisor's sweeps run it every
minute (`serve`'s SWEEPS) and cron may too. `--hour H` waits until that local hour.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from allies.payouts.services import payout_run_scheduled


class Command(BaseCommand):
    help = "Run today's scheduled vendor payouts (once a day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hour", type=int, default=6, help="local hour from which the day's run starts"
        )

    def handle(self, *args, **options):
        hour = options["hour"]
        if not 0 <= hour <= 23:
            raise CommandError("--hour must be between 0 and 23")
        now = timezone.now()
        if timezone.localtime(now).hour < hour:
            self.stdout.write("Payout run: not yet today.")
            return
        run = payout_run_scheduled(now=now)
        if run is None:
            self.stdout.write("Payout run: already done today.")
            return
        self.stdout.write(
            f"Payout run {run.pk}: {run.payouts_made} payout(s), {run.amount} €, "
            f"{run.errors} error(s), {run.vendors_seen} vendor(s) seen."
        )
