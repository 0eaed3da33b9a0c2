"""`manage.py commission_invoices_issue`: issue last month's commission invoices if that is not
done yet, and retry the emails of those not sent. Idempotent and cheap once the month is done
(two small queries): `make run`'s supervisor runs it every minute with the other sweeps, and
production from cron. `--month 2026-11` issues (or completes) one given past month."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from allies.invoices.commissions import (
    CommissionInvoiceError,
    commission_invoices_issue,
    commission_invoices_sweep,
)


def _month(text: str) -> date:
    try:
        year, month = text.split("-")
        if not (year.isascii() and year.isdigit() and month.isascii() and month.isdigit()):
            raise ValueError
        return date(int(year[:4]), int(month[:2]), 1)
    except ValueError:
        raise CommandError("--month takes a month as YYYY-MM, e.g. 2026-11") from None


class Command(BaseCommand):
    help = "Issue last month's commission invoices (once) and send the unsent ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="a past month, YYYY-MM (default: last month)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("month"):
            try:
                issued = commission_invoices_issue(month=_month(options["month"]))
            except CommissionInvoiceError as exc:
                raise CommandError(exc.message) from None
            self.stdout.write(f"{len(issued)} commission invoice(s) issued.")
            return
        result = commission_invoices_sweep()
        self.stdout.write(
            f"{result.issued} commission invoice(s) issued, {result.emailed} emailed."
        )
