"""Support lists benchmark: the vendor's "Messages" inbox and the console's queue with 100,000
threads, on each database.

For each database (a SQLite file in a throwaway VAR_DIR, and a throwaway PostgreSQL database
`allies_bench_support` on 127.0.0.1:5432, user `postgres`), in a child process of its own:

1. creates the database, runs `migrate`, `createcachetable`, `collectstatic` and
   `demo_data --products 200` (vendors, their logins, the staff login, demo orders);
2. writes threads with `bulk_create`, straight into the tables (the product never does: its
   writes go through `support.services`; a benchmark only needs the rows, with the clocks'
   sort keys from `states.sort_keys`): 2,000 customers,
   30 % of the threads for Maison Verlaine (whose login reads the portal), the rest spread
   unevenly over the other vendors, 5 % contact-form requests with no vendor; every stage
   (waiting for the vendor, half of them past their 48 h; answered; escalated, four in five
   with the operator's 24 h running, half of those past it, a third assigned to the staff
   login; resolved; closed), created over 180 days, each with 1–3 messages;
3. first with SMALL threads (default 100), then with THREADS (default 100,000), after
   `ANALYZE`: requests every page through Django's test client in-process (DEBUG=0, the
   production middleware and cached templates; no network, no server), logged in as the
   vendor (portal) or the staff superuser (console):
   - the number of SQL queries of one request (it must not change with the number of
     threads), with the slowest query of that request;
   - REQUESTS timed requests per page after a warm-up: p50, p95, p99 in ms;
4. prints a table per database, and EXPLAIN of the slowest query of each page that misses
   the goal.

    .venv/bin/python bench/support_inbox.py [--threads 100000] [--small 100] [--requests 200]
        [--db sqlite|postgres|both] [--var-dir DIR] [--keep-db] [--profile N]

`--profile N` also prints, per page at the full size, the N functions with the most cumulative
time over one profiled request (cProfile), and the SQL time of that request.

Goal: every first page (the inbox and the queue, each filter) p99 < 100 ms, with the same
number of queries at SMALL and at THREADS threads. The deep pages (a page far down "Toutes")
are printed for information.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "allies_bench_support"
GOAL_P99_MS = 100.0
SEED = 10
BIG_VENDOR_SLUG = "maison-verlaine"
BIG_VENDOR_SHARE = 0.30
CONTACT_SHARE = 0.05
CUSTOMERS = 2000


def log(message: str) -> None:
    print(message, flush=True)


# --- the parent: one child process per database ---------------------------------------------


def child_env(db: str, var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="allies.settings",
        DEBUG="0",  # production templates (cached loader); no SQL kept in memory
        SECRET_KEY=secrets.token_urlsafe(50),
        VAR_DIR=str(var_dir),
        DATABASE_URL=(
            f"sqlite:///{var_dir / 'allies_bench_support.sqlite3'}"
            if db == "sqlite"
            else f"postgres://postgres@127.0.0.1:5432/{PG_DATABASE}"
        ),
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="ERROR",
        PYTHONDONTWRITEBYTECODE="1",
        CARRIER_SIMULATION="0",
    )
    for name in ("REDIS_URL", "EMAIL_HOST", "SITE_URL"):
        env.pop(name, None)
    return env


def run_child(db: str, args) -> dict:
    var_dir = Path(args.var_dir) / db
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    cmd = [
        PYTHON, __file__, "--child", db, "--threads", str(args.threads),
        "--small", str(args.small), "--requests", str(args.requests),
        "--profile", str(args.profile),
    ]  # fmt: skip
    process = subprocess.Popen(
        cmd, cwd=ROOT, env=child_env(db, var_dir), stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    result = None
    for line in process.stdout:
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
        else:
            print(line, end="", flush=True)
    if process.wait() != 0 or result is None:
        raise RuntimeError(f"[{db}] the benchmark failed (exit {process.returncode})")
    return result


def pg_drop() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# --- the child: seed, measure at SMALL threads, seed more, measure at THREADS ----------------


def child(db: str, *, threads: int, small: int, requests: int, profile: int = 0) -> None:
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    quiet = {"verbosity": 0, "stdout": io.StringIO()}
    call_command("migrate", skip_checks=True, **quiet)
    call_command("createcachetable", **quiet)
    call_command("collectstatic", interactive=False, **quiet)
    call_command("demo_data", products=200, **quiet)
    log(f"[{db}] migrate + collectstatic + demo_data: {time.perf_counter() - started:.1f} s")

    seeder = Seeder()
    results = {}
    for target, count in (("small", small), ("large", threads)):
        started = time.perf_counter()
        seeder.fill_up_to(count)
        analyze()
        total = seeder.thread_count()
        log(
            f"[{db}] {total} threads ({seeder.big_share():.0%} for {BIG_VENDOR_SLUG}), "
            f"{seeder.message_count()} messages; seeded + ANALYZE in "
            f"{time.perf_counter() - started:.1f} s; load average {load_average()}"
        )
        results[target] = {
            "threads": total,
            "load_before": load_average(),
            "pages": measure(
                db,
                seeder,
                requests=requests if target == "large" else 20,
                profile=profile if target == "large" else 0,
            ),
            "load_after": load_average(),
        }
    misses = [
        page
        for page in results["large"]["pages"]
        if not page["info"] and page["p99"] >= GOAL_P99_MS
    ]
    explains = {page["name"]: explain(page["slowest_sql"]) for page in misses}
    print(
        "RESULT " + json.dumps({"db": db, **results, "explains": explains}, default=str),
        flush=True,
    )


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


class Seeder:
    """Writes threads and messages with bulk_create, back-dated as a real history would be."""

    def __init__(self) -> None:
        from django.contrib.auth.hashers import make_password
        from django.utils import timezone

        from allies.accounts.models import User
        from allies.catalog.models import Offer
        from allies.demo import identities
        from allies.orders.models import VendorOrder
        from allies.vendors.models import Vendor

        self.rng = random.Random(SEED)
        self.now = timezone.now()
        self.staff = User.objects.get(email=identities.STAFF_EMAIL)
        vendors = list(Vendor.objects.order_by("id"))
        self.big = next(v for v in vendors if v.slug == BIG_VENDOR_SLUG)
        self.others = [v for v in vendors if v.pk != self.big.pk]
        # Uneven: the first of the others get several times the share of the last.
        self.other_weights = [len(self.others) - i for i in range(len(self.others))]
        unusable = make_password(None)
        User.objects.bulk_create(
            [
                User(
                    email=f"client-{i:05d}@bench.allies.test",
                    password=unusable,
                    first_name=self.rng.choice(["Louis", "Hugo", "Jules", "Arthur", "Paul"]),
                    last_name=f"Banc{i}",
                )
                for i in range(CUSTOMERS)
            ],
            batch_size=1000,
        )
        self.customers = list(
            User.objects.filter(email__endswith="@bench.allies.test").values_list("pk", flat=True)
        )
        self.offers: dict[int, list[tuple[int, int]]] = {}
        for offer_id, vendor_id, product_id in Offer.objects.filter(is_active=True).values_list(
            "pk", "vendor_id", "variant__product_id"
        ):
            self.offers.setdefault(vendor_id, []).append((offer_id, product_id))
        self.vendor_orders: dict[int, list[tuple[int, int]]] = {}
        for vo_id, vendor_id, order_id in VendorOrder.objects.filter(
            order__validated_at__isnull=False
        ).values_list("pk", "vendor_id", "order_id"):
            self.vendor_orders.setdefault(vendor_id, []).append((order_id, vo_id))

    def thread_count(self) -> int:
        from allies.support.models import Thread

        return Thread.objects.count()

    def message_count(self) -> int:
        from allies.support.models import Message

        return Message.objects.count()

    def big_share(self) -> float:
        from allies.support.models import Thread

        total = Thread.objects.count()
        return Thread.objects.filter(vendor=self.big).count() / total if total else 0.0

    def fill_up_to(self, target: int) -> None:
        from django.db import transaction

        from allies.support.models import Message, Thread

        missing = target - self.thread_count()
        timestamps = [
            Thread._meta.get_field("created_at"),
            Thread._meta.get_field("updated_at"),
            Message._meta.get_field("created_at"),
        ]
        saved = [(f, f.auto_now, f.auto_now_add) for f in timestamps]
        for field in timestamps:  # keep the back-dated moments bulk_create would overwrite
            field.auto_now = field.auto_now_add = False  # type: ignore[attr-defined]
        try:
            while missing > 0:
                batch = min(missing, 5000)
                with transaction.atomic():
                    rows, plans = zip(*(self._thread() for _ in range(batch)), strict=True)
                    created = Thread.objects.bulk_create(rows, batch_size=1000)
                    messages = [
                        self._message(thread, when, author)
                        for thread, plan in zip(created, plans, strict=True)
                        for when, author in plan
                    ]
                    Message.objects.bulk_create(messages, batch_size=2000)
                missing -= batch
        finally:
            for field, auto_now, auto_now_add in saved:
                field.auto_now, field.auto_now_add = auto_now, auto_now_add  # type: ignore[attr-defined]

    def _thread(self):
        from datetime import timedelta

        from allies.support.models import Motif, Thread, ThreadKind
        from allies.support.states import ThreadStage as S
        from allies.support.states import sort_keys

        rng, now = self.rng, self.now
        hours = lambda h: timedelta(hours=h)  # noqa: E731
        draw = rng.random()
        if draw < CONTACT_SHARE:
            vendor = None
        elif draw < CONTACT_SHARE + BIG_VENDOR_SHARE:
            vendor = self.big
        else:
            vendor = rng.choices(self.others, weights=self.other_weights)[0]
        fields: dict = {"vendor": vendor, "language": "fr"}
        if vendor is None:
            fields["kind"] = ThreadKind.CONTACT
            fields["motif"] = rng.choice(
                [Motif.DELIVERY, Motif.PAYMENT, Motif.ACCOUNT, Motif.OTHER]
            )
            if rng.random() < 0.5:
                fields["contact_name"] = "Visiteur Banc"
                fields["contact_email"] = f"visiteur-{rng.randrange(10**6)}@example.test"
            else:
                fields["customer_id"] = rng.choice(self.customers)
            stage = rng.choices([S.ESCALATED, S.RESOLVED, S.CLOSED], weights=[40, 35, 25])[0]
        else:
            fields["customer_id"] = rng.choice(self.customers)
            orders = self.vendor_orders.get(vendor.pk)
            if orders and rng.random() < 0.6:
                fields["kind"] = ThreadKind.ORDER
                fields["order_id"], fields["vendor_order_id"] = rng.choice(orders)
                fields["motif"] = rng.choice(
                    [Motif.DELIVERY, Motif.TRACKING, Motif.INVOICE, Motif.RETURN, Motif.OTHER]
                )
            else:
                fields["kind"] = ThreadKind.QUESTION
                offers = self.offers.get(vendor.pk) or [(None, None)]
                fields["offer_id"], fields["product_id"] = rng.choice(offers)
                fields["motif"] = rng.choice([Motif.SIZE, Motif.PRODUCT, Motif.OTHER])
            stage = rng.choices(
                [S.WAITING_VENDOR, S.ANSWERED, S.ESCALATED, S.RESOLVED, S.CLOSED],
                weights=[22, 18, 10, 30, 20],
            )[0]
        if rng.random() < 0.3:
            fields["subject"] = f"Demande n° {rng.randrange(10**5)}"
        plan = []  # (moment, author kind) of each message
        if stage == S.WAITING_VENDOR:
            created = now - hours(rng.uniform(0.1, 96))  # past 48 h: late (about half)
            due = created + hours(48)
            fields.update(
                vendor_due_at=due, answer_owed_since=created, vendor_breaches=int(due < now)
            )
            if created + hours(40) < now:
                fields["vendor_reminded_at"] = created + hours(40)
            plan = [(created, "customer")]
            updated = created
        else:
            created = now - hours(rng.uniform(24, 180 * 24))
            answered = created + hours(rng.uniform(0.5, 60))
            plan = [(created, "customer")]
            if vendor is not None:
                plan.append((min(answered, now), "vendor_user"))
                fields["vendor_breaches"] = int(answered > created + hours(48))
            updated = min(answered, now)
            if stage == S.ESCALATED:
                escalated = now - hours(rng.uniform(0, 48))  # past 24 h: late (about half)
                created = min(created, escalated - hours(1))
                fields["escalated_at"] = escalated
                if rng.random() < 0.8:  # else an agent answered: the customer has the turn
                    fields.update(operator_due_at=escalated + hours(24),
                                  answer_owed_since=escalated)  # fmt: skip
                if rng.random() < 1 / 3:
                    fields["assigned_agent_id"] = self.staff.pk
                updated = escalated
            elif stage == S.RESOLVED:
                fields["resolved_at"] = updated = min(updated + hours(rng.uniform(1, 72)), now)
            elif stage == S.CLOSED:
                fields["closed_at"] = updated = min(updated + hours(rng.uniform(1, 400)), now)
            if rng.random() < 0.3 and vendor is not None:
                plan.append((min(updated, now), "customer"))
        # The lists' sort keys, as thread_transition sets them with the clocks.
        fields.update(sort_keys(fields.get("vendor_due_at"), fields.get("operator_due_at")))
        thread = Thread(stage=stage, created_at=created, updated_at=updated, **fields)
        return thread, plan

    def _message(self, thread, when, author):
        from allies.support.models import Channel, Message, Visibility

        return Message(
            thread=thread,
            vendor_id=thread.vendor_id,
            author_kind=author,
            author_id=thread.customer_id if author == "customer" else None,
            body="Bonjour, pouvez-vous me répondre au sujet de cette commande ? Merci.",
            visibility=Visibility.PUBLIC,
            channel=Channel.WEB,
            created_at=when,
        )


# --- measuring ------------------------------------------------------------------------------


def pages(seeder: Seeder) -> list[tuple[str, str, str, bool]]:
    """(name, who, url, info): the portal's inbox and the console's queue with their filters;
    `info`: printed, outside the goal (a page far down the longest list)."""
    from django.urls import reverse

    inbox = reverse("vendor_portal:support_inbox")
    queue = reverse("backoffice:queue")
    return [
        ("inbox (default: à répondre)", "vendor", inbox, False),
        ("inbox en-retard", "vendor", f"{inbox}?filtre=en-retard", False),
        ("inbox transmises", "vendor", f"{inbox}?filtre=transmises", False),
        ("inbox toutes", "vendor", f"{inbox}?filtre=toutes", False),
        ("inbox toutes page 2", "vendor", f"{inbox}?filtre=toutes&page=2", False),
        ("inbox toutes, deep page", "vendor", f"{inbox}?filtre=toutes&page=DEEP", True),
        ("queue (default: à traiter)", "staff", queue, False),
        ("queue en-retard", "staff", f"{queue}?filtre=en-retard", False),
        ("queue transmises", "staff", f"{queue}?filtre=transmises", False),
        ("queue formulaire", "staff", f"{queue}?filtre=formulaire", False),
        ("queue ouvertes", "staff", f"{queue}?filtre=ouvertes", False),
        ("queue resolues", "staff", f"{queue}?filtre=resolues", False),
        ("queue cloturees", "staff", f"{queue}?filtre=cloturees", False),
        ("queue toutes", "staff", f"{queue}?filtre=toutes", False),
        ("queue vendeur=big, ouvertes", "staff",
         f"{queue}?filtre=ouvertes&vendeur={seeder.big.pk}", False),
        ("queue agent=moi", "staff", f"{queue}?filtre=a-traiter&agent=moi", False),
        ("queue agent=aucun", "staff", f"{queue}?filtre=a-traiter&agent=aucun", False),
        ("queue toutes, deep page", "staff", f"{queue}?filtre=toutes&page=DEEP", True),
    ]  # fmt: skip


def measure(db: str, seeder: Seeder, *, requests: int, profile: int = 0) -> list[dict]:
    from django.db import connection
    from django.test import Client

    from allies.accounts.models import User
    from allies.demo import identities
    from allies.support.models import Thread

    vendor_user = User.objects.get(email=next(
        s.user_email for s in identities.VENDORS if s.slug == BIG_VENDOR_SLUG
    ))  # fmt: skip
    clients = {"vendor": Client(), "staff": Client()}
    clients["vendor"].force_login(vendor_user)
    clients["staff"].force_login(seeder.staff)
    # The deep pages: half-way down "Toutes" (25 per page).
    deep = {
        "vendor": max(1, Thread.objects.filter(vendor=seeder.big).count() // 25 // 2),
        "staff": max(1, Thread.objects.count() // 25 // 2),
    }
    rows = []
    for name, who, url, info in pages(seeder):
        url = url.replace("DEEP", str(deep[who]))
        client = clients[who]
        for _ in range(3):  # warm-up: templates compiled, connection open, caches filled
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {response.status_code}")
        captured: list[tuple[float, str, object]] = []
        with connection.execute_wrapper(Recorder(captured)):
            client.get(url)
        slowest = max(captured, key=lambda q: q[0])
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()

        def pct(p: float, times=times) -> float:
            return times[min(len(times) - 1, int(round(p / 100 * len(times))) - 1)]

        rows.append({
            "name": name, "url": url, "info": info, "queries": len(captured),
            "p50": pct(50), "p95": pct(95), "p99": pct(99), "max": times[-1],
            "slowest_ms": slowest[0], "slowest_sql": [slowest[1], slowest[2]],
            "rows_shown": response.content.count(b"<tr") - 1,
        })  # fmt: skip
        log(f"[{db}]   {name}: {len(captured)} queries, p50 {pct(50):.0f} ms, p99 {pct(99):.0f} ms")
        if profile:
            profile_one(client, url, profile)
    return rows


def profile_one(client, url: str, top: int) -> None:
    """One request under cProfile: the `top` functions by cumulative time, and the SQL time."""
    import cProfile
    import pstats

    from django.db import connection

    captured: list[tuple[float, str, object]] = []
    profiler = cProfile.Profile()
    with connection.execute_wrapper(Recorder(captured)):
        profiler.enable()
        client.get(url)
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    sql_ms = sum(q[0] for q in captured)
    log(f"      SQL: {len(captured)} queries, {sql_ms:.1f} ms\n{out.getvalue()}")


class Recorder:
    """An execute wrapper keeping (ms, sql, params) of every query of a request."""

    def __init__(self, into: list) -> None:
        self.into = into

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            ms = (time.perf_counter() - started) * 1000
            self.into.append((ms, sql, list(params) if params is not None else None))


def explain(query: list) -> str:
    from django.db import connection

    sql, params = query

    prefix = (
        "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    )
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


# --- main ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=100, help="threads of the first measure")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--var-dir", default=str(ROOT / "var" / "bench-support"))
    parser.add_argument("--keep-db", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions")
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(
            args.child,
            threads=args.threads,
            small=args.small,
            requests=args.requests,
            profile=args.profile,
        )
        return 0

    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    log(
        f"Machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; load average {load_average()}; "
        f"{args.threads} threads, {args.requests} requests per page"
    )
    results = []
    try:
        for db in dbs:
            results.append(run_child(db, args))
    finally:
        if not args.keep_db:
            shutil.rmtree(args.var_dir, ignore_errors=True)
            if "postgres" in dbs:
                pg_drop()

    ok = True
    for r in results:
        small, large = r["small"], r["large"]
        print(
            f"\n{r['db']}: {large['threads']} threads (queries also at {small['threads']}); "
            f"load average {large['load_before']} before, {large['load_after']} after"
        )
        print(
            f"{'page':<30} {'queries':>9} {'rows':>4} {'p50 ms':>7} {'p95 ms':>7} "
            f"{'p99 ms':>7} {'max ms':>7}  slowest query (ms)"
        )
        for s_page, page in zip(small["pages"], large["pages"], strict=True):
            same = s_page["queries"] == page["queries"]
            # An empty list reads no rows: one query fewer, the empty state, not growth.
            empty_then = s_page["rows_shown"] <= 0 and page["queries"] - s_page["queries"] == 1
            met = page["p99"] < GOAL_P99_MS
            if not page["info"]:
                ok &= (same or empty_then) and met
            queries = f"{s_page['queries']}/{page['queries']}"
            flag = "" if same else ("  (empty list at the small size)" if empty_then
                                    else "  QUERIES GROW")  # fmt: skip
            flag += "" if met else ("  (info)" if page["info"] else "  MISSES p99 goal")
            print(
                f"{page['name']:<30} {queries:>9} {page['rows_shown']:>4} {page['p50']:>7.1f} "
                f"{page['p95']:>7.1f} {page['p99']:>7.1f} {page['max']:>7.1f}  "
                f"{page['slowest_ms']:.1f}{flag}"
            )
        for name, plan in r["explains"].items():
            print(f"\nEXPLAIN of the slowest query of «{name}» ({r['db']}):\n{plan}")
    print(
        f"\nqueries: at {results[0]['small']['threads'] if results else '?'} threads / at the "
        f"full size. Goal: every first page p99 < {GOAL_P99_MS:.0f} ms with the same number "
        "of queries: " + ("met." if ok else "NOT met.")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
