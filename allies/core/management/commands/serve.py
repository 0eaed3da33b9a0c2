"""`manage.py serve`: what `make run` runs — prepare the database, then web + worker together.

Prepares (migrate, cache table, static files, demo data when the catalogue is empty), then
starts gunicorn and the background worker as child processes and stops both when either
ends or when interrupted.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, load demo data if empty, then serve the site and its background worker."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="Do not load demo data.")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 3)))

    def handle(self, *args, no_demo=False, workers=3, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        from allies.catalog.models import Product

        if not no_demo and not Product.objects.exists():
            self.stdout.write("Loading demo data (first start)…")
            call_command("demo_data")

        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        worker_cmd = (
            [
                python,
                manage,
                "rqworker",
                "default",
                "--with-scheduler",
                "--job-class",
                "django_tasks_rq.Job",
            ]
            if settings.REDIS_URL
            else [python, manage, "db_worker", "--interval", "0.5"]
        )
        host = os.environ.get("HOST", "127.0.0.1")
        web_cmd = [
            python, "-m", "gunicorn", "allies.wsgi:application",
            "--bind", f"{host}:{settings.PORT}",
            "--workers", str(workers),
            "--access-logfile", "-",
        ]  # fmt: skip
        children = [subprocess.Popen(worker_cmd), subprocess.Popen(web_cmd)]
        self.stdout.write(f"Alliés is served on {settings.SITE_URL} (Ctrl-C to stop).")

        def stop(*_):
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
