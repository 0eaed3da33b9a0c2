"""Inbound email benchmark: replies per second through the SMTP endpoint into their threads.

1. makes a throwaway VAR_DIR with its own SQLite database, migrates,
   loads a small demo catalogue (`demo_data --products 60 --without-orders`) and opens
   THREADS pre-sale questions of the demo customer through `support.services.thread_open`
   (in a child process: `--setup`);
2. starts `manage.py support_smtp` on a free port, as `make run` does;
3. sends MESSAGES replies with smtplib over CONNECTIONS concurrent SMTP sessions (each
   session sends several messages, as an MTA reusing its connection does), alternating the
   customer's replies and the vendor's answers, each with its own Message-ID and a quoted
   previous message that the endpoint cuts off;
4. checks every reply became a message of its thread and prints messages per second.

    .venv/bin/python bench/support_inbound.py [--messages 500] [--threads 100]
        [--connections 1,4] [--var-dir DIR]

It measures the whole path of a reply: SMTP dialogue, parsing, quote stripping, sender
check, `message_post` (row lock, stage change, audit event, the relayed email written to
the outbox). It is a benchmark, never a test: it prints figures and fails only if replies
went missing.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import smtplib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MANAGE = str(ROOT / "manage.py")


def log(message: str) -> None:
    print(message, flush=True)


# --- the child: seed the database -----------------------------------------------------------


def setup(threads: int) -> None:
    """Open `threads` questions; print one JSON line: [[reply address, customer, vendor]]."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "allies.settings")
    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command

    from allies.accounts.models import User
    from allies.catalog.models import Offer
    from allies.demo import identities
    from allies.orders.events import Actor
    from allies.support.emails import reply_address
    from allies.support.models import Motif
    from allies.support.services import thread_open
    from allies.vendors.models import VendorMembership

    call_command("demo_data", "--products", "60", "--without-orders", stdout=StringIO())
    customer = User.objects.get(email=identities.CUSTOMER_EMAIL)
    members = {m.vendor_id: m.user.email for m in VendorMembership.objects.select_related("user")}
    offers = list(
        Offer.objects.filter(is_active=True, vendor_id__in=members)
        .select_related("vendor", "variant__product")
        .order_by("id")[:threads]
    )
    rows = []
    for index in range(threads):
        offer = offers[index % len(offers)]
        thread = thread_open(
            actor=Actor.customer(customer), offer=offer, motif=Motif.SIZE,
            body=f"Question {index} : cette taille est-elle disponible ?",
        )  # fmt: skip
        rows.append([reply_address(thread), customer.email, members[offer.vendor_id]])
    print(json.dumps(rows))


# --- the parent -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reply(index: int, address: str, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = address
    message["Subject"] = "Re: Votre question"
    message["Message-ID"] = f"<bench-{index}-{secrets.token_hex(6)}@mail.example.test>"
    message.set_content(
        f"Réponse {index} : merci, c'est parfait.\n\n"
        "Le jeu. 3 déc. 2026 à 10:00, Les Alliés <bonjour@allies.test> a écrit :\n"
        "> ##- Pour répondre, écrivez au-dessus de cette ligne.\n"
        "> Bonjour, voici la réponse à votre question.\n"
    )
    return message


def send_all(port: int, messages: list[EmailMessage], connections: int) -> tuple[float, int]:
    """Send `messages` over `connections` sessions at once; (seconds, refused)."""
    shares = [messages[i::connections] for i in range(connections)]
    refused = [0] * connections

    def session(slot: int) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            smtp.ehlo("bench.example.test")
            for message in shares[slot]:
                try:
                    smtp.send_message(message)
                except smtplib.SMTPException as error:
                    refused[slot] += 1
                    log(f"  refused: {error}")

    workers = [threading.Thread(target=session, args=(i,)) for i in range(connections)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started, sum(refused)


def email_messages(database: Path) -> int:
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT count(*) FROM support_message WHERE channel = 'email'").fetchone()
    return int(row[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--threads", type=int, default=100)
    parser.add_argument("--connections", default="1,4", help="comma-separated, one run each")
    parser.add_argument("--var-dir", help="default: a temporary directory, removed after")
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        setup(args.threads)
        return 0

    var_dir = Path(args.var_dir or tempfile.mkdtemp(prefix="allies-bench-inbound-"))
    var_dir.mkdir(parents=True, exist_ok=True)
    database = var_dir / "bench_inbound.sqlite3"
    database.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        VAR_DIR=str(var_dir), DATABASE_URL=f"sqlite:///{database}", DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50), EMAIL_HOST="", REDIS_URL="",
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "allies.settings"),
    )  # fmt: skip
    port = free_port()
    listener = None
    try:
        started = time.perf_counter()
        subprocess.run([PYTHON, MANAGE, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
        out = subprocess.run(
            [PYTHON, __file__, "--setup", "--threads", str(args.threads)],
            env=env, cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        threads = json.loads(out.strip().splitlines()[-1])
        log(f"setup: {len(threads)} threads in {time.perf_counter() - started:.1f} s")

        listener = subprocess.Popen(
            [PYTHON, MANAGE, "support_smtp", "--port", str(port)],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert listener.stdout is not None
        log(f"listener: {listener.stdout.readline().strip()}")

        sent = 0
        for connections in [int(c) for c in args.connections.split(",")]:
            messages = []
            for index in range(args.messages):
                address, customer, vendor = threads[(sent + index) % len(threads)]
                # Customer and vendor take turns on each thread (round-robin over threads).
                turn = (sent + index) // len(threads)
                messages.append(reply(sent + index, address, vendor if turn % 2 else customer))
            before = email_messages(database)
            seconds, refused = send_all(port, messages, connections)
            posted = email_messages(database) - before
            sent += args.messages
            log(
                f"{connections} connection(s): {args.messages} replies in {seconds:.2f} s = "
                f"{args.messages / seconds:.0f} messages/s ({posted} posted, {refused} refused)"
            )
            if posted != args.messages:
                log("FAILED: replies went missing")
                return 1
        return 0
    finally:
        if listener is not None:
            listener.terminate()
            listener.wait(timeout=15)
        if not args.var_dir:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
