"""After-sales lists benchmark: the vendor's "Retours" and "Réclamations" with 100,000 returns
and 100,000 claims, on each database.

For each database (a SQLite file in a throwaway VAR_DIR, and a throwaway PostgreSQL database
`allies_bench_aftersales` on 127.0.0.1:5432, user `postgres`), in a child process of its own:

1. creates the database, runs `migrate`, `createcachetable`, `collectstatic` and
   `demo_data --products 200` (vendors, their logins, demo orders);
2. writes returns and claims with `bulk_create`, straight into the tables (the product never
   does: its writes go through `aftersales.returns` and `aftersales.claims`; a benchmark only
   needs the rows), each with its support thread (motif "return", or the claim's problem;
   the clocks' sort keys from `support.states.sort_keys`) and the customer's first message,
   and 1–2 items on lines of a demo vendor order (the lists do not check quantities; a
   vendor without a demo order borrows another's, only its own list reads the row):
   30 % for Maison Verlaine (whose login reads the portal), the rest spread unevenly over
   the other vendors; every stage, created over 180 days with the deadlines of their stage
   (a return's `refund_due_by` 14 days after the request and `send_back_by` 14 days after
   the acceptance, a claim's `answer_due_at` 48 business hours after it), the open ones
   recent and about half of the running clocks past;
3. first with SMALL rows of each (default 100), then with ROWS (default 100,000), after
   `ANALYZE`: requests every page through Django's test client in-process (DEBUG=0, the
   production middleware and cached templates; no network, no server), logged in as
   Maison Verlaine's demo user:
   - the number of SQL queries of one request (it must not change with the number of
     rows), with the slowest query of that request;
   - REQUESTS timed requests per page after a warm-up (20 for the deep pages): p50, p95,
     p99 in ms;
4. prints a table per database, and EXPLAIN of the slowest query of each page that misses
   the goal.

    .venv/bin/python bench/aftersales_lists.py [--rows 100000] [--small 100] [--requests 200]
        [--db sqlite|postgres|both] [--var-dir DIR] [--keep-db]

Goal: every first page ("Retours" and "Réclamations", each tab, page 2 of "Tous" / "Toutes",
one return and one claim) p99 < 100 ms, with the same number of queries at SMALL and at ROWS
rows. The deep pages (half-way down "Tous" / "Toutes") are printed for information.
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
PG_DATABASE = "allies_bench_aftersales"
GOAL_P99_MS = 100.0
SEED = 11
BIG_VENDOR_SLUG = "maison-verlaine"
BIG_VENDOR_SHARE = 0.30
INFO_REQUESTS = 20


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
            f"sqlite:///{var_dir / 'allies_bench_aftersales.sqlite3'}"
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
        PYTHON, __file__, "--child", db, "--rows", str(args.rows),
        "--small", str(args.small), "--requests", str(args.requests),
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


# --- the child: seed, measure at SMALL rows, seed more, measure at ROWS ----------------------


def child(db: str, *, rows: int, small: int, requests: int) -> None:
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
    for target, count in (("small", small), ("large", rows)):
        started = time.perf_counter()
        seeder.fill_up_to(count)
        analyze()
        returns, claims = seeder.counts()
        log(
            f"[{db}] {returns} returns, {claims} claims ({seeder.big_share():.0%} for "
            f"{BIG_VENDOR_SLUG}); seeded + ANALYZE in {time.perf_counter() - started:.1f} s; "
            f"load average {load_average()}"
        )
        results[target] = {
            "returns": returns,
            "claims": claims,
            "load_before": load_average(),
            "pages": measure(db, seeder, requests=requests if target == "large" else 20),
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
    """Statistics, and on PostgreSQL the visibility map autovacuum keeps in production:
    without it, bulk-inserted rows make every index-only scan read the table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


class Seeder:
    """Writes returns and claims, their threads, first messages and items with bulk_create,
    back-dated as a real history would be."""

    def __init__(self) -> None:
        from django.utils import timezone

        from allies.orders.models import OrderLine, VendorOrder
        from allies.vendors.models import Vendor

        self.rng = random.Random(SEED)
        self.now = timezone.now()
        vendors = list(Vendor.objects.order_by("id"))
        self.big = next(v for v in vendors if v.slug == BIG_VENDOR_SLUG)
        self.others = [v for v in vendors if v.pk != self.big.pk]
        # Uneven: the first of the others get several times the share of the last.
        self.other_weights = [len(self.others) - i for i in range(len(self.others))]
        lines: dict[int, list[int]] = {}
        for vo_id, line_id in OrderLine.objects.order_by("id").values_list("vendor_order_id", "pk"):
            lines.setdefault(vo_id, []).append(line_id)
        # (order, vendor order, customer, its lines) of each validated demo vendor order.
        self.vendor_orders: dict[int, list[tuple[int, int, int, list[int]]]] = {}
        for vo_id, vendor_id, order_id, customer_id in VendorOrder.objects.filter(
            order__validated_at__isnull=False
        ).values_list("pk", "vendor_id", "order_id", "order__customer_id"):
            if vo_id in lines:
                self.vendor_orders.setdefault(vendor_id, []).append(
                    (order_id, vo_id, customer_id, lines[vo_id])
                )
        if self.big.pk not in self.vendor_orders:
            raise RuntimeError(f"demo_data made no order for {BIG_VENDOR_SLUG}")
        self.any_orders = [vo for rows in self.vendor_orders.values() for vo in rows]

    def counts(self) -> tuple[int, int]:
        from allies.aftersales.models import Claim, ReturnRequest

        return ReturnRequest.objects.count(), Claim.objects.count()

    def big_share(self) -> float:
        from allies.aftersales.models import Claim, ReturnRequest

        total = sum(self.counts())
        big = (
            ReturnRequest.objects.filter(vendor=self.big).count()
            + Claim.objects.filter(vendor=self.big).count()
        )
        return big / total if total else 0.0

    def fill_up_to(self, target: int) -> None:
        from django.db import transaction

        from allies.aftersales.models import Claim, ClaimItem, ReturnItem, ReturnRequest
        from allies.support.models import Message, Thread

        returns, claims = self.counts()
        timestamps = [
            model._meta.get_field(name)
            for model in (Thread, ReturnRequest, Claim)
            for name in ("created_at", "updated_at")
        ] + [Message._meta.get_field("created_at")]
        saved = [(f, f.auto_now, f.auto_now_add) for f in timestamps]
        for field in timestamps:  # keep the back-dated moments bulk_create would overwrite
            field.auto_now = field.auto_now_add = False  # type: ignore[attr-defined]
        try:
            for make, model, item_model, missing in (
                (self._return, ReturnRequest, ReturnItem, target - returns),
                (self._claim, Claim, ClaimItem, target - claims),
            ):
                while missing > 0:
                    batch = min(missing, 5000)
                    with transaction.atomic():
                        made = [make() for _ in range(batch)]
                        threads = Thread.objects.bulk_create(
                            [thread for thread, _row, _items in made], batch_size=1000
                        )
                        Message.objects.bulk_create(
                            [self._message(thread) for thread in threads], batch_size=2000
                        )
                        for thread, row, _items in made:
                            row.thread = thread
                        rows = model.objects.bulk_create(
                            [row for _thread, row, _items in made], batch_size=1000
                        )
                        items = []
                        for row, (_thread, _row, row_items) in zip(rows, made, strict=True):
                            for item in row_items:
                                setattr(item, "request" if model is ReturnRequest else "claim",
                                        row)  # fmt: skip
                                items.append(item)
                        item_model.objects.bulk_create(items, batch_size=2000)
                    missing -= batch
        finally:
            for field, auto_now, auto_now_add in saved:
                field.auto_now, field.auto_now_add = auto_now, auto_now_add  # type: ignore[attr-defined]

    # --- one row of each ---------------------------------------------------------------------

    def _vendor_order(self):
        """(vendor, (order, vendor order, customer, lines)): 30 % Maison Verlaine."""
        rng = self.rng
        if rng.random() < BIG_VENDOR_SHARE:
            vendor = self.big
        else:
            vendor = rng.choices(self.others, weights=self.other_weights)[0]
        return vendor, rng.choice(self.vendor_orders.get(vendor.pk) or self.any_orders)

    def _thread(self, vendor, placed, *, motif: str, created, stage, vendor_due=None,
                closed=None):  # fmt: skip
        from allies.support.models import Thread, ThreadKind
        from allies.support.states import ThreadStage as TS
        from allies.support.states import sort_keys

        order_id, vo_id, customer_id, _lines = placed
        fields: dict = {
            "kind": ThreadKind.ORDER, "motif": motif, "stage": stage, "vendor": vendor,
            "customer_id": customer_id, "order_id": order_id, "vendor_order_id": vo_id,
            "language": "fr", "created_at": created, "updated_at": closed or created,
        }  # fmt: skip
        if stage == TS.WAITING_VENDOR:
            fields.update(vendor_due_at=vendor_due, answer_owed_since=created,
                          vendor_breaches=int(vendor_due < self.now))  # fmt: skip
        elif stage == TS.RESOLVED:
            fields["resolved_at"] = closed
        elif stage == TS.CLOSED:
            fields["closed_at"] = closed
        fields.update(sort_keys(fields.get("vendor_due_at"), None))
        return Thread(**fields)

    def _message(self, thread):
        from allies.support.models import Channel, Message, Visibility

        return Message(
            thread=thread,
            vendor_id=thread.vendor_id,
            author_kind="customer",
            author_id=thread.customer_id,
            body="Bonjour, je souhaite vous renvoyer cet article. Merci.",
            visibility=Visibility.PUBLIC,
            channel=Channel.WEB,
            created_at=thread.created_at,
        )

    def _items(self, model, vendor, lines, **fields):
        picked = self.rng.sample(lines, k=min(len(lines), self.rng.choice([1, 1, 1, 2])))
        return [model(vendor=vendor, order_line_id=line, quantity=1, **fields) for line in picked]

    def _return(self):
        from datetime import timedelta

        from allies.aftersales.models import ReturnItem, ReturnMethod, ReturnRequest
        from allies.aftersales.return_states import ReturnStatus as S
        from allies.aftersales.return_states import list_sort_at
        from allies.support.models import Motif
        from allies.support.states import ThreadStage as TS
        from allies.support.states import vendor_due

        rng, now = self.rng, self.now
        hours = lambda h: timedelta(hours=h)  # noqa: E731
        days = lambda d: timedelta(days=d)  # noqa: E731
        vendor, placed = self._vendor_order()
        status = rng.choices(
            [S.REQUESTED, S.ACCEPTED, S.SENT, S.RECEIVED, S.REFUNDED, S.REFUSED, S.REJECTED,
             S.CANCELLED, S.EXPIRED],
            weights=[6, 6, 4, 4, 55, 5, 3, 10, 7],
        )[0]  # fmt: skip
        fields: dict = {"status": status, "legal": rng.random() < 0.85, "vendor": vendor,
                        "vendor_order_id": placed[1], "customer_id": placed[2]}  # fmt: skip
        due = closed = None
        if status == S.REQUESTED:  # the 48 h answer clock: past for about half
            created = now - hours(rng.uniform(0.1, 96))
            due = vendor_due(created, motif=Motif.RETURN)
            stage = TS.WAITING_VENDOR
        else:
            if status == S.ACCEPTED:  # send back within 14 days of the acceptance
                created = now - hours(rng.uniform(2, 16 * 24))
            elif status in (S.SENT, S.RECEIVED):  # the refund due 14 days after the request
                created = now - hours(rng.uniform(3 * 24, 24 * 24))
            else:
                created = now - hours(rng.uniform(24, 180 * 24))
            decided = min(created + hours(rng.uniform(0.5, 60)), now)
            fields["decided_at"] = decided
            stage = TS.ANSWERED
            if status not in (S.REFUSED, S.CANCELLED) or rng.random() < 0.5:
                fields.update(
                    return_address={"name": vendor.name, "street": "18 rue du Cherche-Midi",
                                    "postcode": "75006", "city": "Paris", "country": "FR"},
                    send_back_by=(decided + days(14)).date(),
                    method=rng.choice([ReturnMethod.PREPAID_LABEL, ReturnMethod.OWN_CARRIER]),
                )  # fmt: skip
            if status in (S.SENT, S.RECEIVED, S.REFUNDED, S.REJECTED):
                sent = min(decided + hours(rng.uniform(2, 10 * 24)), now)
                fields.update(sent_at=sent, carrier="colissimo",
                              tracking_number=f"6R{rng.randrange(10**11):011d}")  # fmt: skip
                if status != S.SENT:
                    fields["received_at"] = min(sent + hours(rng.uniform(24, 96)), now)
            if status not in (S.ACCEPTED, S.SENT, S.RECEIVED):
                closed = min(decided + hours(rng.uniform(1, 20 * 24)), now)
                fields["closed_at"] = closed
                stage = rng.choice([TS.RESOLVED, TS.CLOSED])
                if status == S.REFUNDED:
                    fields["refunded_amount"] = rng.choice([29, 49, 89, 129])
        fields.update(
            created_at=created, updated_at=closed or fields.get("received_at") or created,
            answer_due_at=created + hours(48),
            list_sort_at=list_sort_at(created_at=created, closed_at=closed),
            withdrawal_until=(created + days(rng.uniform(0, 14))).date(),
            refund_due_by=(created + days(14)).date(),
            comment="La taille ne convient pas." if rng.random() < 0.4 else "",
        )  # fmt: skip
        thread = self._thread(vendor, placed, motif=Motif.RETURN, created=created, stage=stage,
                              vendor_due=due, closed=closed)  # fmt: skip
        return thread, ReturnRequest(**fields), self._items(ReturnItem, vendor, placed[3])

    def _claim(self):
        from datetime import timedelta

        from allies.aftersales.claim_states import ClaimStatus as S
        from allies.aftersales.claims import REMEDIES_BY_PROBLEM
        from allies.aftersales.models import (
            Claim,
            ClaimItem,
            ClaimProblem,
            ClaimResolution,
            ClaimReturnMode,
        )
        from allies.aftersales.return_states import list_sort_at
        from allies.support.states import ThreadStage as TS
        from allies.support.states import vendor_due

        rng, now = self.rng, self.now
        hours = lambda h: timedelta(hours=h)  # noqa: E731
        vendor, placed = self._vendor_order()
        status = rng.choices(
            [S.REQUESTED, S.AWAITING_RETURN, S.RECEIVED, S.REFUNDED, S.RESHIPPED, S.REFUSED,
             S.REJECTED, S.CANCELLED],
            weights=[8, 6, 4, 32, 25, 8, 5, 12],
        )[0]  # fmt: skip
        problem = rng.choice(list(ClaimProblem))
        if status == S.REQUESTED:  # 48 business hours: past for about half
            created = now - hours(rng.uniform(0.1, 5 * 24))
        elif status in (S.AWAITING_RETURN, S.RECEIVED):
            created = now - hours(rng.uniform(2 * 24, 25 * 24))
        else:
            created = now - hours(rng.uniform(24, 180 * 24))
        due = vendor_due(created, motif=problem)
        fields: dict = {
            "status": status, "problem": problem, "vendor": vendor,
            "remedy": rng.choice(REMEDIES_BY_PROBLEM[problem]), "answer_due_at": due,
            "vendor_order_id": placed[1], "customer_id": placed[2], "created_at": created,
        }  # fmt: skip
        stage, closed = TS.WAITING_VENDOR, None
        if status != S.REQUESTED:
            decided = min(created + hours(rng.uniform(0.5, 60)), now)
            stage = TS.ANSWERED
            if status != S.CANCELLED or rng.random() < 0.5:
                fields["decided_at"] = decided
            if status in (S.AWAITING_RETURN, S.RECEIVED, S.REJECTED) or rng.random() < 0.4:
                mode = rng.choice([ClaimReturnMode.LABEL, ClaimReturnMode.PICKUP])
                fields.update(return_mode=mode, carrier="colissimo", return_cost=9,
                              tracking_number=f"6S{rng.randrange(10**11):011d}")  # fmt: skip
                if mode == ClaimReturnMode.PICKUP:
                    day = (decided + hours(72)).date()
                    fields.update(pickup_dates=[day.isoformat()], pickup_date=day)
                if status != S.AWAITING_RETURN:
                    fields["received_at"] = min(decided + hours(rng.uniform(48, 200)), now)
            if status not in (S.AWAITING_RETURN, S.RECEIVED):
                closed = min(decided + hours(rng.uniform(1, 20 * 24)), now)
                fields["closed_at"] = closed
                stage = rng.choice([TS.RESOLVED, TS.CLOSED])
                if status == S.REFUNDED:
                    fields.update(resolution=ClaimResolution.REFUND, defect_confirmed=True,
                                  refunded_amount=rng.choice([29, 49, 89]))  # fmt: skip
                elif status == S.RESHIPPED:
                    fields.update(
                        resolution=rng.choice(
                            [ClaimResolution.REPLACEMENT, ClaimResolution.MISSING_PARTS]
                        ),
                        reship_carrier="colissimo",
                        reshipped_at=closed,
                        reship_tracking_number=f"6T{rng.randrange(10**11):011d}",
                    )
                elif status == S.REJECTED:
                    fields["defect_confirmed"] = False
        fields["updated_at"] = closed or fields.get("received_at") or created
        fields["list_sort_at"] = list_sort_at(created_at=created, closed_at=closed)
        thread = self._thread(vendor, placed, motif=problem, created=created, stage=stage,
                              vendor_due=due, closed=closed)  # fmt: skip
        items = self._items(ClaimItem, vendor, placed[3],
                            description="La couture de l'épaule est déchirée.")  # fmt: skip
        return thread, Claim(**fields), items


# --- measuring ------------------------------------------------------------------------------


def pages() -> list[tuple[str, str, bool]]:
    """(name, url, info): "Retours" and "Réclamations" with their tabs, one of each;
    `info`: printed, outside the goal (a page far down the longest list)."""
    from django.urls import reverse

    returns = reverse("vendor_portal:returns")
    claims = reverse("vendor_portal:claims")
    return [
        ("retours (default: à accepter)", returns, False),
        ("retours en-attente", f"{returns}?filtre=en-attente", False),
        ("retours a-controler", f"{returns}?filtre=a-controler", False),
        ("retours termines", f"{returns}?filtre=termines", False),
        ("retours tous", f"{returns}?filtre=tous", False),
        ("retours tous page 2", f"{returns}?filtre=tous&page=2", False),
        ("retours tous, deep page", f"{returns}?filtre=tous&page=DEEP_RETURNS", True),
        ("un retour (a-controler, 1st)", "RETURN_DETAIL", False),
        ("reclam. (default: a traiter)", claims, False),
        ("reclam. en-attente", f"{claims}?filtre=en-attente", False),
        ("reclam. a-expertiser", f"{claims}?filtre=a-expertiser", False),
        ("reclam. en-retard", f"{claims}?filtre=en-retard", False),
        ("reclam. terminees", f"{claims}?filtre=terminees", False),
        ("reclam. toutes", f"{claims}?filtre=toutes", False),
        ("reclam. toutes page 2", f"{claims}?filtre=toutes&page=2", False),
        ("reclam. toutes, deep page", f"{claims}?filtre=toutes&page=DEEP_CLAIMS", True),
        ("une reclam. (a-traiter, 1st)", "CLAIM_DETAIL", False),
    ]


def measure(db: str, seeder: Seeder, *, requests: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from allies.accounts.models import User
    from allies.aftersales.claim_selectors import ClaimFilter, claims_for_vendor
    from allies.aftersales.models import Claim, ReturnRequest
    from allies.aftersales.selectors import ReturnFilter, returns_for_vendor
    from allies.demo import identities

    vendor_user = User.objects.get(email=next(
        s.user_email for s in identities.VENDORS if s.slug == BIG_VENDOR_SLUG
    ))  # fmt: skip
    client = Client()
    client.force_login(vendor_user)
    # The deep pages: half-way down "Tous" / "Toutes" (20 per page); the details: the row a
    # vendor opens first from "À contrôler" / "À traiter".
    per_page = 20
    first_return = returns_for_vendor(vendor=seeder.big, filter=ReturnFilter.TO_INSPECT).first()
    first_claim = claims_for_vendor(vendor=seeder.big, filter=ClaimFilter.TO_HANDLE).first()
    if first_return is None or first_claim is None:
        raise RuntimeError("no return to inspect or no claim to handle: raise --small")
    replace = {
        "DEEP_RETURNS": str(max(1, ReturnRequest.objects.filter(vendor=seeder.big).count()
                                // per_page // 2)),
        "DEEP_CLAIMS": str(max(1, Claim.objects.filter(vendor=seeder.big).count()
                               // per_page // 2)),
        "RETURN_DETAIL": reverse("vendor_portal:return", args=[first_return.pk]),
        "CLAIM_DETAIL": reverse("vendor_portal:claim", args=[first_claim.pk]),
    }  # fmt: skip
    rows = []
    for name, url, info in pages():
        for key, value in replace.items():
            url = url.replace(key, value)
        for _ in range(3):  # warm-up: templates compiled, connection open, caches filled
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {response.status_code}")
        captured: list[tuple[float, str, object]] = []
        with connection.execute_wrapper(Recorder(captured)):
            client.get(url)
        slowest = max(captured, key=lambda q: q[0])
        times = []
        # A deep page is for information: a few requests tell its cost.
        for _ in range(min(requests, INFO_REQUESTS) if info else requests):
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
    return rows


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
    parser.add_argument("--rows", type=int, default=100_000, help="returns, and claims")
    parser.add_argument("--small", type=int, default=100, help="rows of the first measure")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--var-dir", default=str(ROOT / "var" / "bench-aftersales"))
    parser.add_argument("--keep-db", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, rows=args.rows, small=args.small, requests=args.requests)
        return 0

    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    log(
        f"Machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; load average {load_average()}; "
        f"{args.rows} returns and {args.rows} claims, {args.requests} requests per page"
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
            f"\n{r['db']}: {large['returns']} returns, {large['claims']} claims (queries also "
            f"at {small['returns']} / {small['claims']}); load average {large['load_before']} "
            f"before, {large['load_after']} after"
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
        f"\nqueries: at {results[0]['small']['returns'] if results else '?'} rows / at the "
        f"full size. Goal: every first page p99 < {GOAL_P99_MS:.0f} ms with the same number "
        "of queries: " + ("met." if ok else "NOT met.")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
