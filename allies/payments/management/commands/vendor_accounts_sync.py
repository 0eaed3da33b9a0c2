"""`manage.py vendor_accounts_sync`: finish the vendors' payment accounts a provider failure
left half-open (wallet, IBAN, documents not sent) and re-read the IBANs still being checked.
Idempotent; `serve` runs it every minute (SWEEPS), production from cron (README)."""

from django.core.management.base import BaseCommand

from allies.payments.accounts import vendor_accounts_unfinished_sync


class Command(BaseCommand):
    help = "Finish the vendors' payment accounts left half-open by a provider failure."

    def handle(self, *args, **options) -> None:
        done = vendor_accounts_unfinished_sync()
        if done:
            self.stdout.write(f"{done} vendor account(s) completed")
