"""`manage.py orders_acceptance_check`: flag vendor orders past their acceptance deadline and
cancel (with refund) those past the operator's limit. Idempotent: run it any time (cron)."""

from django.core.management.base import BaseCommand

from allies.orders.acceptance import vendor_orders_acceptance_check


class Command(BaseCommand):
    help = "Flag overdue vendor orders and cancel those past the auto-cancel limit."

    def handle(self, *args, **options):
        outcome = vendor_orders_acceptance_check()
        self.stdout.write(
            "{flagged} flagged, {cancelled} cancelled, {refunds_resent} refund(s) re-sent.".format(
                **outcome
            )
        )
