"""Payout run benchmark (PAY-1): one run over 10,000 vendors and 1,000,000 ledger entries.

In a child process with a throwaway database (a SQLite file in a temporary VAR_DIR, or the
PostgreSQL database `allies_bench_payouts` on 127.0.0.1:5432, user `postgres`, dropped and
recreated), it:

1. runs `migrate`, then writes the history straight into the tables as raw rows in one
   transaction (COPY on PostgreSQL, executemany on SQLite; ids chosen here, sequences reset
   after; the product never does this, a benchmark only needs the rows): VENDORS vendors,
   each with a validated payment account whose wallet and IBAN exist at the sandbox
   provider, and ORDERS_PER_VENDOR vendor orders each (grouped ten vendors to an order),
   with their ledger entries (two sales, a commission, the shipping fee): most delivered
   long ago and already paid out (one `payout` entry each, to one earlier payout of the
   vendor), two delivered 20 days ago and never paid (available), one still in its
   withdrawal window (held), and for one vendor in ten a refund after the payout (a debt
   taken from this run);
2. times `selectors.vendors_payable` alone, then one `services.payout_run` through the
   sandbox gateway (in-process, its own records in the database: no network), counting its
   SQL queries;
3. prints: rows written, seeding time, the selector's time, the run's wall time, payouts
   made, queries in all and per payout (ours apart from the sandbox provider's own records,
   which stand for LemonWay's API calls: a round of P2Ps, then one of money-outs, per batch
   of vendors; LemonWay takes a round as concurrent requests), and a
   second run (nothing left to pay).

    .venv/bin/python bench/payout_run.py [--vendors 10000] [--entries 1000000]
        [--db sqlite|postgres|both] [--keep-db]

Goal: seconds for the run, and the same number of queries for every vendor paid
(tests/payouts/test_run.py::test_queries_per_vendor_are_constant asserts it: our queries
are a constant per batch of `services.BATCH` vendors).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "allies_bench_payouts"
ENTRIES_PER_ORDER = 4  # two sales, a commission, shipping (+1 payout when paid out)


def _rows_writer(connection):  # noqa: ANN202 - bench helper
    """insert(model, template_kwargs, rows): raw rows straight into the model's table (COPY on
    PostgreSQL, executemany on SQLite). Every column takes the template instance's value
    (defaults, auto_now…) unless a row gives it, by column name, already as the database
    wants it (ids, and values prepared once with `prep`)."""

    def prep(model, field_name, value):
        field = model._meta.get_field(field_name)
        return field.get_db_prep_save(value, connection)

    def insert(model, template, rows) -> int:
        obj = model(**template)
        fields = list(model._meta.concrete_fields)
        base = {}
        for f in fields:
            if f.primary_key:
                continue
            base[f.column] = f.get_db_prep_save(f.pre_save(obj, True), connection)
        cols = ["id", *base]
        qn = connection.ops.quote_name
        table = qn(model._meta.db_table)
        data = [tuple(row.get(c, base.get(c)) for c in cols) for row in rows]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor
                sql = f"COPY {table} ({', '.join(qn(c) for c in cols)}) FROM STDIN"
                with raw.copy(sql) as copy:
                    for values in data:
                        copy.write_row(values)
            else:
                marks = ", ".join(["%s"] * len(cols))
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(qn(c) for c in cols)}) VALUES ({marks})",
                    data,
                )
        return len(data)

    return prep, insert


def _child(vendors: int, entries: int) -> dict:  # noqa: PLR0915 - a linear script
    import django

    django.setup()
    from datetime import date, timedelta
    from decimal import Decimal

    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone

    from allies.accounts.models import User
    from allies.ledger.balances import balances_rebuild
    from allies.ledger.models import LedgerEntry
    from allies.orders.models import Order, VendorOrder
    from allies.payments.models import SandboxOperation, VendorAccount
    from allies.payouts import services as _svc
    from allies.payouts.models import Payout, PayoutRun
    from allies.payouts.selectors import vendors_payable

    payout_run = _svc.payout_run
    from allies.vendors.models import Vendor

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    now = timezone.now()
    long_ago, available, recent = (now - timedelta(days=d) for d in (90, 20, 3))
    address = {"recipient": "Luc Martin", "street": "1 rue de la Paix", "postcode": "75002",
               "city": "Paris", "country": "FR"}  # fmt: skip
    customer = User.objects.create_user(email="bench@example.test", password=None)
    prep, insert = _rows_writer(connection)

    def next_id(model) -> int:
        last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
        return (last or 0) + 1

    seeded = [Vendor, SandboxOperation, VendorAccount, Payout, Order, VendorOrder, LedgerEntry]
    written = 0
    with transaction.atomic():
        v0 = next_id(Vendor)
        vendor_ids = list(range(v0, v0 + vendors))
        insert(Vendor, {"name": "V", "slug": "v", "legal_name": "V SAS", "legal_form": "SAS",
                        "siret": "73282932000074", "street": "1 rue du Commerce",
                        "postcode": "69002", "city": "Lyon", "email": "v@example.test",
                        "commission_rate": Decimal("0.10")},
               [{"id": vid, "name": f"Vendeur {vid}", "slug": f"vendeur-{vid}",
                 "legal_name": f"Vendeur {vid} SAS", "email": f"v{vid}@example.test"}
                for vid in vendor_ids])  # fmt: skip
        op0 = next_id(SandboxOperation)
        ops, iban_of = [], {}
        for n, vid in enumerate(vendor_ids):
            account_id = f"ALLIES-V{vid:06d}"
            ops.append({"id": op0 + 2 * n, "kind": "account", "reference": account_id,
                        "account_id": account_id})  # fmt: skip
            ops.append({"id": op0 + 2 * n + 1, "kind": "iban", "reference": f"{account_id}-IBAN",
                        "account_id": account_id})  # fmt: skip
            iban_of[vid] = f"SBXI-{op0 + 2 * n + 1}"
        insert(SandboxOperation, {"kind": "account", "status": "succeeded"}, ops)
        a0 = next_id(VendorAccount)
        insert(VendorAccount, {"gateway": "sandbox", "status": "validated",
                               "iban": "FR7630006000011234567890189", "bic": "BNPAFRPP",
                               "holder": "X", "iban_status": "validated"},
               [{"id": a0 + n, "vendor_id": vid, "account_id": f"ALLIES-V{vid:06d}",
                 "iban_provider_id": iban_of[vid]}
                for n, vid in enumerate(vendor_ids)])  # fmt: skip
        p0 = next_id(Payout)
        old_payout = {vid: p0 + n for n, vid in enumerate(vendor_ids)}
        insert(Payout, {"status": "paid", "amount": Decimal("1.00"), "amount_cents": 100,
                        "created_at": long_ago, "transfer_reference": "x",
                        "money_out_reference": "y"},
               [{"id": old_payout[vid], "vendor_id": vid, "transfer_reference": f"OLD-{vid}-P2P",
                 "money_out_reference": f"OLD-{vid}-MO1"} for vid in vendor_ids])  # fmt: skip
        per_vendor = max(4, entries // (vendors * (ENTRIES_PER_ORDER + 1)))
        o_next, vo_next, e_next = next_id(Order), next_id(VendorOrder), next_id(LedgerEntry)
        amounts = {k: prep(LedgerEntry, "amount", Decimal(v)) for k, v in
                   {"60": "60.00", "40": "40.00", "-10": "-10.00", "10": "10.00", "5": "5.00",
                    "-95": "-95.00", "-20": "-20.00", "0": "0.00"}.items()}  # fmt: skip
        when = {"recent": recent, "available": available, "paid": long_ago}
        moments = {k: prep(LedgerEntry, "created_at", v) for k, v in when.items()}
        vo_moment = {k: prep(VendorOrder, "delivered_at", v) for k, v in when.items()}
        vo_template = {"order_id": 0, "vendor_id": 0, "status": "closed", "shipping_mode": "home",
                       "shipping_fee": Decimal("5.00"), "lines_total": Decimal("100.00"),
                       "delivery_min_date": date(2026, 1, 1),
                       "delivery_max_date": date(2026, 1, 3)}  # fmt: skip
        le_template = {"vendor_id": 0, "vendor_order_id": 0, "kind": "sale",
                       "amount": Decimal("0"), "operator_amount": Decimal("0"),
                       "created_at": long_ago}  # fmt: skip
        for round_ in range(per_vendor):
            # Of each vendor's orders: the last is in its window, the two before it
            # available, the rest paid out.
            kind = "recent" if round_ == per_vendor - 1 else (
                "available" if round_ >= per_vendor - 3 else "paid")  # fmt: skip
            orders = list(range(o_next, o_next + (vendors + 9) // 10))
            o_next += len(orders)
            insert(Order, {"reference": "x", "customer": customer, "status": "validated",
                           "delivery_address": address, "billing_address": address,
                           "lines_total": Decimal("100.00"), "shipping_total": Decimal("5.00"),
                           "total": Decimal("105.00")},
                   [{"id": oid, "reference": f"B{round_:03d}{oid:08d}"}
                    for oid in orders])  # fmt: skip
            vos = []
            for i, vid in enumerate(vendor_ids):
                vos.append({"id": vo_next, "order_id": orders[i // 10], "vendor_id": vid,
                            "status": "closed" if kind != "recent" else "delivered",
                            "delivered_at": vo_moment[kind]})  # fmt: skip
                vo_next += 1
            insert(VendorOrder, vo_template, vos)
            rows = []
            at = moments[kind]
            for vo in vos:
                common = {"vendor_id": vo["vendor_id"], "vendor_order_id": vo["id"],
                          "created_at": at}  # fmt: skip
                batch = [
                    {"kind": "sale", "amount": amounts["60"]},
                    {"kind": "sale", "amount": amounts["40"]},
                    {"kind": "commission", "amount": amounts["-10"],
                     "operator_amount": amounts["10"]},
                    {"kind": "shipping", "amount": amounts["5"]},
                ]  # fmt: skip
                if kind == "paid":
                    batch.append({"kind": "payout", "amount": amounts["-95"],
                                  "payout_id": old_payout[vo["vendor_id"]]})  # fmt: skip
                    if round_ == 0 and vo["vendor_id"] % 10 == 0:
                        # A refund after that payout: the vendor owes 20 €.
                        batch.append({"kind": "refund_sale", "amount": amounts["-20"],
                                      "created_at": moments["recent"]})  # fmt: skip
                for extra in batch:
                    rows.append({"id": e_next, **common, **extra})
                    e_next += 1
            written += insert(LedgerEntry, le_template, rows)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), seeded):
                cursor.execute(sql)
        # Raw ledger rows bypass the entries' own bookkeeping: rebuild the vendor orders'
        # balances the product keeps as it writes (what the selection reads).
        balances_rebuild(connection)
    seeding = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    count = {"n": 0, "provider": 0}

    def counter(execute, sql, params, many, context):
        count["n"] += 1
        # The sandbox provider's own records (its "API" calls), apart from ours.
        count["provider"] += "payments_sandboxoperation" in sql
        return execute(sql, params, many, context)

    # Time spent inside the provider's calls (the sandbox's own records stand for
    # LemonWay's HTTP API), to tell it apart from the run's own work.
    provider_s = {"s": 0.0}
    real_gateway = _svc.payout_gateway

    class TimedGateway:
        def __init__(self, inner):
            self._inner = inner

        def __getattr__(self, name):
            attr = getattr(self._inner, name)
            if name not in ("transfers", "money_outs", "fetch_transfer", "fetch_money_out"):
                return attr

            def timed(*args, **kwargs):
                t = time.perf_counter()
                try:
                    return attr(*args, **kwargs)
                finally:
                    provider_s["s"] += time.perf_counter() - t

            return timed

    _svc.payout_gateway = lambda: TimedGateway(real_gateway())  # type: ignore[assignment]

    t0 = time.perf_counter()
    payables = vendors_payable()
    selector_s = time.perf_counter() - t0
    ready = sum(1 for p in payables.values() if p.payable)
    with connection.execute_wrapper(counter):
        t0 = time.perf_counter()
        run = payout_run(trigger=PayoutRun.Trigger.STAFF)
        run_s = time.perf_counter() - t0
    queries, provider_queries = count["n"], count["provider"]
    run_provider_s = provider_s["s"]
    count["n"] = count["provider"] = 0
    with connection.execute_wrapper(counter):
        t0 = time.perf_counter()
        again = payout_run(trigger=PayoutRun.Trigger.STAFF)
        again_s = time.perf_counter() - t0
    return {
        "db": connection.vendor,
        "vendors": vendors,
        "ledger_entries": LedgerEntry.objects.count(),
        "entries_written": written,
        "seeding_s": round(seeding, 1),
        "selector_s": round(selector_s, 2),
        "payable_vendors": ready,
        "run_s": round(run_s, 2),
        "run_provider_calls_s": round(run_provider_s, 2),
        "run_ours_s": round(run_s - run_provider_s, 2),
        "payouts_made": run.payouts_made,
        "amount": str(run.amount),
        "errors": run.errors,
        "queries": queries,
        "queries_per_payout": round(queries / max(1, run.payouts_made), 2),
        "ours_per_payout": round((queries - provider_queries) / max(1, run.payouts_made), 3),
        "provider_per_payout": round(provider_queries / max(1, run.payouts_made), 2),
        "second_run_s": round(again_s, 2),
        "second_run_payouts": again.payouts_made,
        "second_run_queries": count["n"],
    }


def _run_child(db: str, args: argparse.Namespace) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "allies.settings", "DEBUG": "0",
           "SECRET_KEY": "bench-" + os.urandom(16).hex(), "PAYMENT_GATEWAY": "sandbox"}  # fmt: skip
    var_dir = tempfile.mkdtemp(prefix="allies-bench-payouts-")
    env["VAR_DIR"] = var_dir
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DATABASE}"
    else:
        env.pop("DATABASE_URL", None)
    code = (
        f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); "
        "from bench.payout_run import _child; "
        f"print('RESULT ' + json.dumps(_child({args.vendors}, {args.entries})))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=False)  # fmt: skip
    if db == "postgres" and not args.keep_db:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"{db}: the benchmark failed\n{out.stdout[-3000:]}\n{out.stderr[-5000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vendors", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for db in dbs:
        result = _run_child(db, args)
        print(f"\n== payout run, {result['db']} ==")
        for key, value in result.items():
            print(f"  {key:>22}: {value}")


if __name__ == "__main__":
    main()
