"""`manage.py reporting_refresh [--rebuild]`: freeze the dashboards' closed days into
`DailyFact` (allies/reporting/facts.py). Idempotent; one query when no day closed since the
last run, so the supervisor runs it every minute. `--rebuild` recomputes every day from the
ledger (after a bulk import, or to check the frozen rows)."""

from django.core.management.base import BaseCommand

from allies.reporting.facts import facts_refresh


class Command(BaseCommand):
    help = "Freeze the dashboards' closed days (pre-aggregated daily figures from the ledger)."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recompute every day")

    def handle(self, *args, **options):
        result = facts_refresh(rebuild=options["rebuild"])
        if result.days:
            self.stdout.write(
                f"{result.days} day(s) frozen ({result.start} – {result.end}), "
                f"{result.rows} row(s)."
            )
        elif options["verbosity"] > 1:
            self.stdout.write("Nothing to freeze.")
