"""`manage.py returns_expire`: close the accepted returns whose send-back date (RET-2: 14
calendar days after the vendor's acceptance) passed with no parcel sent. Idempotent: run it
any time (cron, daily is enough); `make run` runs it with the other periodic sweeps."""

from typing import Any

from django.core.management.base import BaseCommand

from allies.aftersales.returns import returns_expire


class Command(BaseCommand):
    help = "Close the accepted returns never sent within their 14 days."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{returns_expire()} return(s) expired.")
