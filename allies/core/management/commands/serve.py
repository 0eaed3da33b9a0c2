"""`manage.py serve`: what `make run` runs — prepare the database, then web + worker together.

Prepares (migrate, cache table, static files, demo data when the catalogue is empty), then
supervises its child processes, gunicorn, the chat's socket server (uvicorn on CHAT_PORT),
the background worker and (SUPPORT_SMTP_ENABLED)
the inbound mail endpoint `support_smtp`: when one dies it is started again (after a pause
that grows while it keeps dying at once, so a broken setup does not spin), and the others go
on serving. SIGTERM or SIGINT (Ctrl-C) stops them all. Every minute it also runs the periodic
sweeps (`SWEEPS`): emails due for a retry, offer imports whose worker died, vendors'
reminders of support questions, the daily payout run, last month's commission invoices,
the dashboards' figures of the days just closed.
Production runs these as cron jobs instead (README).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

# Management commands run every SWEEP_SECONDS; each is idempotent.
SWEEPS = (
    "emails_retry_due",
    "offer_imports_resume_stale",
    "support_reminders",
    "returns_expire",
    "vendor_accounts_sync",  # wallets, IBANs, KYC documents a provider failure left half-done
    "payouts_run",  # once a day from 06:00 (Paris), PAY-1
    "commission_invoices_issue",  # last month's, once; then unsent emails
    "reporting_refresh",  # the dashboards' closed days, once each (1 query when idle)
)
SWEEP_SECONDS = 60.0
# Pause before restarting a child: doubles while it dies within STABLE_SECONDS of its start.
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
STABLE_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


@dataclass
class _Child:
    name: str
    command: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff: float = FIRST_BACKOFF_SECONDS
    restart_at: float | None = None
    restarts: int = 0


class Supervisor:
    """Keep each command running until `stop()`; restart those that exit. `log` gets one
    line per event (start, death, restart, stop)."""

    def __init__(
        self,
        commands: dict[str, list[str]],
        *,
        log: Callable[[str], None],
        sweep: Callable[[], None] | None = None,
        sweep_seconds: float = SWEEP_SECONDS,
    ):
        self.children = [_Child(name, command) for name, command in commands.items()]
        self.log = log
        self.sweep = sweep
        self.sweep_seconds = sweep_seconds
        self._stopping = threading.Event()

    def stop(self, *_args: object) -> None:
        self._stopping.set()

    def run(self) -> None:
        for child in self.children:
            self._start(child)
        if self.sweep is not None:
            threading.Thread(target=self._sweep_loop, name="sweeps", daemon=True).start()
        try:
            while not self._stopping.wait(0.2):
                now = time.monotonic()
                for child in self.children:
                    self._watch(child, now)
        finally:
            self._stop_all()

    def _start(self, child: _Child) -> None:
        child.process = subprocess.Popen(child.command)
        child.started_at = time.monotonic()
        child.restart_at = None
        self.log(f"{child.name} started (pid {child.process.pid})")

    def _watch(self, child: _Child, now: float) -> None:
        if child.restart_at is not None:
            if now >= child.restart_at:
                child.restarts += 1
                self._start(child)
                self.log(f"{child.name} restarted ({child.restarts} time(s) so far)")
            return
        process = child.process
        code = process.poll() if process is not None else None
        if process is None or code is None:
            return
        # A child that ran a while gets a quick restart; one that keeps dying waits longer.
        if now - child.started_at >= STABLE_SECONDS:
            child.backoff = FIRST_BACKOFF_SECONDS
        else:
            child.backoff = min(child.backoff * 2, MAX_BACKOFF_SECONDS)
        child.restart_at = now + child.backoff
        self.log(
            f"{child.name} (pid {process.pid}) exited with {code}; "
            f"restarting in {child.backoff:.1f} s"
        )

    def _stop_all(self) -> None:
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log("stopped")

    def _sweep_loop(self) -> None:
        sweep = self.sweep
        if sweep is None:
            return
        while not self._stopping.wait(self.sweep_seconds):
            try:
                sweep()
            except Exception as exc:  # a sweep failing must not stop the site
                self.log(f"periodic sweep failed: {exc!r}")


class Command(BaseCommand):
    help = "Migrate, load demo data if empty, then serve the site and its background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-demo", action="store_true", help="Do not load demo data.")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 3)))

    def handle(
        self, *args: object, no_demo: bool = False, workers: int = 3, **options: object
    ) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if not no_demo:
            # The demo app decides what "empty" means (no product yet) and says when it loads.
            call_command("demo_data", "--if-empty", stdout=self.stdout)
        connections.close_all()  # the children open their own

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
            else [python, manage, "db_worker", "--interval", "0.5", "--no-reload"]
        )
        host = os.environ.get("HOST", "127.0.0.1")
        web_cmd = [
            python, "-m", "gunicorn", "allies.wsgi:application",
            "--bind", f"{host}:{settings.PORT}",
            "--workers", str(workers),
            "--access-logfile", "-",
        ]  # fmt: skip
        # The live chat's WebSockets (CS-3): one ASGI process, since the channel layer is in
        # memory without Redis; with REDIS_URL, production runs as many as it needs (README).
        # The children (gunicorn's pages, uvicorn) all read the chat's port from CHAT_PORT.
        chat_port = settings.CHAT_PORT or settings.PORT + 1
        os.environ["CHAT_PORT"] = str(chat_port)
        chat_cmd = [
            python, "-m", "uvicorn", "allies.asgi:application",
            "--host", host, "--port", str(chat_port),
            "--ws", "websockets-sansio", "--lifespan", "off", "--no-access-log",
        ]  # fmt: skip
        children = {"worker": worker_cmd, "web": web_cmd, "chat": chat_cmd}
        if settings.SUPPORT_SMTP_ENABLED:  # replies by email to support threads
            children["smtp"] = [python, manage, "support_smtp"]
        supervisor = Supervisor(children, log=self._log, sweep=self._sweep)
        signal.signal(signal.SIGTERM, supervisor.stop)
        signal.signal(signal.SIGINT, supervisor.stop)
        self.stdout.write(f"Alliés is served on {settings.SITE_URL} (Ctrl-C to stop).")
        supervisor.run()

    def _log(self, message: str) -> None:
        self.stdout.write(f"[serve] {message}")
        self.stdout.flush()

    def _sweep(self) -> None:
        try:
            for command in SWEEPS:
                call_command(command, verbosity=0, stdout=io.StringIO())
        finally:
            connections.close_all()  # this thread's connection: not kept between sweeps
