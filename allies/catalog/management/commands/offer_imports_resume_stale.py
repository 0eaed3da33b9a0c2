"""`manage.py offer_imports_resume_stale`: queue again the offer imports whose worker died
(no heartbeat for OFFER_IMPORT_STALE_SECONDS); each resumes after its last committed chunk.
Idempotent: run it any time (cron); `make run` runs it every minute."""

from django.core.management.base import BaseCommand

from allies.catalog.imports import offer_imports_resume_stale


class Command(BaseCommand):
    help = "Resume the offer imports whose worker stopped."

    def handle(self, *args, **options):
        self.stdout.write(f"{offer_imports_resume_stale()} import(s) resumed.")
