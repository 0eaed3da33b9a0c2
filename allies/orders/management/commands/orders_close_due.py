"""`manage.py orders_close_due`: close the delivered vendor orders whose withdrawal window has
passed with nothing open (allies.orders.closing). Idempotent: run it any time (cron)."""

from django.core.management.base import BaseCommand

from allies.orders.closing import vendor_orders_close_due


class Command(BaseCommand):
    help = "Close delivered vendor orders whose withdrawal window has passed."

    def handle(self, *args, **options):
        self.stdout.write(f"{vendor_orders_close_due()} vendor order(s) closed.")
