"""Vendor API benchmark: the order list (Mirakl OR11) of a vendor with 10,000 paid orders.

For each database (a SQLite file in a throwaway VAR_DIR, and a throwaway PostgreSQL database
`allies_bench_vendor_api` on 127.0.0.1:5432), this script:

1. creates the database, migrates, loads `demo_data --products 200` (catalogue, vendors, the
   demo API keys), then writes N paid vendor orders for Maison Verlaine (and N/5 for another
   vendor) with `bulk_create`: 1–3 lines each, in every state a vendor meets (waiting for
   acceptance, to ship, shipped in 1–2 parcels, delivered, refused), created over 180 days;
2. serves it like production — `gunicorn allies.wsgi:application --workers 4`, DEBUG=0,
   Redis cache (`bench.settings`: production settings plus `/__bench__/ok`, the ceiling) — with
   VENDOR_API_RATE_LIMIT high enough never to answer 429 (the counter still runs);
3. for each URL checks the status, warms up, and runs
   `wrk -t4 -c16 -d<duration>s --latency` with `Authorization: Bearer <Verlaine's demo key>`:
   requests/s, p50 and p99 (the first page also with one connection: the time one request
   takes when it does not queue);
4. prints a table per database; drops the databases and the VAR_DIR.

    .venv/bin/python bench/vendor_api.py [--orders 10000] [--duration 10] [--db both]

Reuses the storefront benchmark's server and wrk helpers (`bench/storefront.py`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.storefront import (  # noqa: E402
    HOST,
    MANAGE,
    PG_ADMIN_URL,
    PYTHON,
    WRK,
    Server,
    busy_warning,
    free_port,
    http_get,
    log,
    wrk,
)

PG_DATABASE = "allies_bench_vendor_api"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DATABASE}"
# Another Redis database than the storefront benchmark's (5): the rate-limit counters and
# nothing else live there; nothing is flushed.
REDIS_URL = "redis://127.0.0.1:6379/7"
VENDOR_SLUG = "maison-verlaine"
OTHER_SLUG = "atelier-du-cuir-lyonnais"
SECRET = secrets.token_urlsafe(50)


# --- databases ------------------------------------------------------------------------------


def pg_reset(*, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')


def env_for(db: str, var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="0",
        SECRET_KEY=SECRET,
        VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir / 'bench.sqlite3'}" if db == "sqlite" else PG_URL,
        REDIS_URL=REDIS_URL,
        ALLOWED_HOSTS=HOST,
        LOG_LEVEL="ERROR",
        PYTHONDONTWRITEBYTECODE="1",
        VENDOR_API_RATE_LIMIT=str(10**9),
        CARRIER_SIMULATION="0",
    )
    env.pop("EMAIL_HOST", None)
    return env


def run(env: dict, *args: str, timeout: float = 1800) -> str:
    done = subprocess.run(
        [PYTHON, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare(db: str, var_dir: Path, *, orders: int) -> dict:
    env = env_for(db, var_dir)
    if db == "postgres":
        pg_reset()
    timings = {}
    started = time.perf_counter()
    run(env, MANAGE, "migrate", "--noinput", "-v0")
    run(env, MANAGE, "demo_data", "--products", "200")
    timings["migrate_demo"] = time.perf_counter() - started
    started = time.perf_counter()
    out = run(env, __file__, "seed", "--orders", str(orders))
    timings["seed"] = time.perf_counter() - started
    timings["key"] = out.strip().splitlines()[-1]
    return timings


# --- seeding (runs inside Django, in a subprocess with the benchmark's environment) ----------


def seed(orders: int) -> None:
    import django

    django.setup()
    from datetime import timedelta
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from allies.accounts.models import User
    from allies.catalog.models import Offer
    from allies.orders.models import (
        Order,
        OrderLine,
        Parcel,
        Shipment,
        ShipmentLine,
        VendorOrder,
    )
    from allies.vendor_api.demo import demo_api_key_for, demo_api_keys_create
    from allies.vendors.models import Vendor

    rng = random.Random(7)
    now = timezone.now()
    # Rows as they would have been written over months: created_at/updated_at given here.
    for model in (VendorOrder,):
        for name in ("created_at", "updated_at"):
            field = model._meta.get_field(name)
            field.auto_now = field.auto_now_add = False

    vendors = {v.slug: v for v in Vendor.objects.filter(slug__in=[VENDOR_SLUG, OTHER_SLUG])}
    demo_api_keys_create(vendors.values())
    customers = User.objects.bulk_create(
        User(
            email=f"client-bench-{i}@example.test",
            first_name=rng.choice(["Luc", "Anne", "Paul", "Inès", "Hugo", "Léa"]),
            last_name=rng.choice(["Martin", "Bernard", "Petit", "Durand", "Moreau"]),
            password="!",
        )
        for i in range(200)
    )
    address = {
        "recipient": "Luc Martin", "company": "", "street": "3 rue des Lilas",
        "street_extra": "Bâtiment B", "postcode": "75011", "city": "Paris", "country": "FR",
        "phone": "0601020304", "instructions": "Code 1234",
    }  # fmt: skip
    states = ["waiting"] * 20 + ["to_ship"] * 10 + ["shipped"] * 50 + ["delivered"] * 15
    states += ["refused"] * 5
    sequence = 0

    def write(vendor, count: int) -> None:
        nonlocal sequence
        offers = list(Offer.objects.filter(vendor=vendor).select_related("variant__product")[:50])
        for start in range(0, count, 1000):
            size = min(1000, count - start)
            plan = []
            for _ in range(size):
                sequence += 1
                created = now - timedelta(minutes=rng.randint(0, 180 * 24 * 60))
                plan.append(
                    {
                        "ref": f"AL-2025-{sequence:06d}",
                        "state": rng.choice(states),
                        "created": created,
                        "items": rng.sample(offers, rng.randint(1, 3)),
                        "qty": rng.randint(1, 2),
                    }
                )
            with transaction.atomic():
                order_rows = Order.objects.bulk_create(
                    Order(
                        reference=p["ref"],
                        customer=rng.choice(customers),
                        status=Order.Status.VALIDATED,
                        delivery_address=address,
                        billing_address=address,
                        lines_total=sum(o.price * p["qty"] for o in p["items"]),
                        shipping_total=Decimal("6.90"),
                        total=sum(o.price * p["qty"] for o in p["items"]) + Decimal("6.90"),
                        validated_at=p["created"],
                    )
                    for p in plan
                )
                vo_rows = VendorOrder.objects.bulk_create(
                    VendorOrder(
                        order=order,
                        vendor=vendor,
                        status={
                            "waiting": "waiting_acceptance",
                            "to_ship": "to_ship",
                            "shipped": "shipped",
                            "delivered": "delivered",
                            "refused": "refused",
                        }[p["state"]],  # fmt: skip
                        shipping_mode="home",
                        carrier="colissimo",
                        shipping_fee=Decimal("6.90"),
                        lines_total=order.lines_total,
                        delivery_min_date=(p["created"] + timedelta(days=2)).date(),
                        delivery_max_date=(p["created"] + timedelta(days=4)).date(),
                        acceptance_deadline=p["created"] + timedelta(days=2),
                        accepted_at=None
                        if p["state"] in ("waiting", "refused")
                        else p["created"] + timedelta(hours=3),
                        shipped_at=p["created"] + timedelta(days=1)
                        if p["state"] in ("shipped", "delivered")
                        else None,
                        delivered_at=p["created"] + timedelta(days=3)
                        if p["state"] == "delivered"
                        else None,
                        created_at=p["created"],
                        updated_at=p["created"] + timedelta(days=1),
                    )
                    for order, p in zip(order_rows, plan, strict=True)
                )
                line_status = {
                    "waiting": "pending", "to_ship": "accepted", "shipped": "accepted",
                    "delivered": "accepted", "refused": "refused",
                }  # fmt: skip
                lines = OrderLine.objects.bulk_create(
                    OrderLine(
                        vendor_order=vo,
                        vendor=vendor,
                        offer=offer,
                        product_title=offer.variant.product.title,
                        variant_label=offer.variant.label,
                        sku=offer.variant.sku,
                        unit_price=offer.price,
                        vat_rate=Decimal("0.200"),
                        quantity=p["qty"],
                        status=line_status[p["state"]],
                        refusal_reason="out_of_stock" if p["state"] == "refused" else "",
                    )
                    for vo, p in zip(vo_rows, plan, strict=True)
                    for offer in p["items"]
                )
                shipped = [
                    (vo, p)
                    for vo, p in zip(vo_rows, plan, strict=True)
                    if p["state"] in ("shipped", "delivered")
                ]
                shipments = Shipment.objects.bulk_create(
                    Shipment(
                        vendor_order=vo,
                        vendor=vendor,
                        carrier="colissimo",
                        parcel_count=1 + vo.pk % 2,
                        shipped_at=vo.shipped_at,
                        estimated_delivery_date=vo.delivery_max_date,
                        delivered_at=vo.delivered_at,
                        delivery_source="carrier" if vo.delivered_at else "",
                    )
                    for vo, _p in shipped
                )
                Parcel.objects.bulk_create(
                    Parcel(
                        shipment=s,
                        vendor=vendor,
                        index=i,
                        tracking_number=f"6A{s.pk:011d}{i}",
                        delivered_at=s.delivered_at,
                    )
                    for s in shipments
                    for i in range(1, s.parcel_count + 1)
                )
                shipment_of = {s.vendor_order_id: s for s in shipments}
                ShipmentLine.objects.bulk_create(
                    ShipmentLine(
                        shipment=shipment_of[line.vendor_order_id],
                        order_line=line,
                        vendor=vendor,
                        quantity=line.quantity,
                    )
                    for line in lines
                    if line.vendor_order_id in shipment_of
                )

    write(vendors[VENDOR_SLUG], orders)
    write(vendors[OTHER_SLUG], orders // 5)
    # Planner statistics and PostgreSQL's visibility map, as autovacuum or a periodic ANALYZE
    # would have them in production: without statistics PostgreSQL picks nested loops for
    # these 10,000 rows; without the map an index-only count reads the table's pages.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(
        f"{VendorOrder.objects.filter(vendor=vendors[VENDOR_SLUG]).count()} vendor orders, "
        f"{OrderLine.objects.filter(vendor=vendors[VENDOR_SLUG]).count()} lines"
    )
    print(demo_api_key_for(VENDOR_SLUG))


# --- one request in-process (runs inside Django, like the seeding) ---------------------------


def probe(paths: list[str], key: str, requests: int) -> None:
    """For each path: SQL queries of one request and the time of `requests` requests through
    Django's request handling in this process (no server, no network), wall-clock and CPU.
    The CPU time includes SQLite (in-process) but not PostgreSQL's server."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"Authorization": f"Bearer {key}"}, HTTP_HOST=HOST)
    results = {}
    for path in paths:
        client.get(path)  # warm-up; also the key's "last used" write (once a minute)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        count = len(queries)  # now: the next request clears the connection's query log
        wall, cpu = [], []
        for _ in range(requests):
            w, c = time.perf_counter(), time.process_time()
            client.get(path)
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - w)
        wall.sort()
        cpu.sort()
        results[path] = {
            "queries": count,
            "wall_p50": wall[len(wall) // 2] * 1000,
            "cpu_p50": cpu[len(cpu) // 2] * 1000,
        }
    print(json.dumps(results))


# --- measuring ------------------------------------------------------------------------------


def auth_script(var_dir: Path, key: str) -> Path:
    script = var_dir / "auth.lua"
    script.write_text(f'wrk.headers["Authorization"] = "Bearer {key}"\n')
    return script


def api_get(url: str, key: str) -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (127.0.0.1)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def measure(db: str, var_dir: Path, *, key: str, orders: int, args) -> list[dict]:
    port = free_port()
    env = env_for(db, var_dir)
    env["PORT"] = str(port)
    script = auth_script(var_dir, key)
    deep = max(0, orders - 100)
    middle = orders // 2
    pages = [
        ("orders, first page of 100", "/api/v1/vendor/orders?limit=100"),
        ("  same, 1 connection", "/api/v1/vendor/orders?limit=100#1"),
        (f"orders, offset {deep}", f"/api/v1/vendor/orders?limit=100&offset={deep}"),
        (f"orders, offset {middle}", f"/api/v1/vendor/orders?limit=100&offset={middle}"),
        ("orders, status=SHIPPED, 100", "/api/v1/vendor/orders?status=SHIPPED&limit=100"),
        ("orders, default page (20)", "/api/v1/vendor/orders"),
        ("ceiling /__bench__/ok", "/__bench__/ok"),
    ]
    # Queries and in-process time of one request, before the server starts (quiet machine).
    api_paths = [path.partition("#")[0] for _label, path in pages if "/api/" in path]
    probed = json.loads(
        run(env, __file__, "probe", key, str(args.probe_requests), *api_paths)
        .strip()
        .splitlines()[-1]
    )
    results = []
    with Server(env, port=port, workers=args.workers, log_path=var_dir / f"gunicorn-{db}.log"):
        for label, path in pages:
            path, _sep, single = path.partition("#")
            connections = 1 if single else args.connections
            url = f"http://{HOST}:{port}{path}"
            status, body = api_get(url, key) if "/api/" in path else http_get(url)
            row = {"label": label, "status": status, "bytes": len(body), "error": ""}
            row.update(probed.get(path, {}))
            if status != 200:
                row["error"] = body[:200].decode(errors="replace")
            wrk(url, duration=args.warmup, threads=2, connections=args.connections, script=script)
            busy = busy_warning()
            figures = wrk(
                url,
                duration=args.duration,
                threads=min(args.threads, connections),
                connections=connections,
                script=script,
            )
            row.update(figures, busy=busy, load=os.getloadavg()[0])
            log(
                f"[{db}] {label:<30} {figures['rps']:8.1f} req/s  p50 {figures['p50']:7.1f} ms"
                f"  p99 {figures['p99']:7.1f} ms  ({len(body) / 1024:.0f} KiB, load "
                f"{row['load']:.1f}){busy}"
            )
            results.append(row)
    return results


def table(db: str, rows: list[dict]) -> str:
    lines = [
        f"\n{db}",
        f"{'request':<32} {'status':>6} {'KiB':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'queries':>7} {'1 req ms':>8} {'cpu ms':>6} {'load':>5}  notes",
    ]
    for r in rows:
        notes = []
        if r.get("non_2xx"):
            notes.append(f"{r['non_2xx']} non-2xx")
        if r.get("sock"):
            notes.append(f"{r['sock']} socket errors")
        if r.get("error"):
            notes.append("error: " + " ".join(str(r["error"]).split())[:80])
        if r.get("busy"):
            notes.append(r["busy"].strip(" ()"))
        probed = (
            f"{r['queries']:>7} {r['wall_p50']:8.1f} {r['cpu_p50']:6.1f}"
            if "queries" in r
            else f"{'':>7} {'':>8} {'':>6}"
        )
        lines.append(
            f"{r['label']:<32} {r['status']:>6} {r['bytes'] / 1024:6.0f} {r['rps']:8.1f} "
            f"{r['p50']:8.1f} {r['p99']:8.1f} {probed} {r.get('load', 0):5.1f}  "
            f"{'; '.join(notes)}"
        )
    lines.append(
        "queries, 1 req ms, cpu ms: one request through Django in-process (no server), median "
        "of the probe; load: 1-minute load average after the row"
    )
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "probe":
        probe(sys.argv[4:], key=sys.argv[2], requests=int(sys.argv[3]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "seed":
        parser = argparse.ArgumentParser()
        parser.add_argument("seed")
        parser.add_argument("--orders", type=int, default=10000)
        seed(parser.parse_args().orders)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10000)
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per URL")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--probe-requests",
        type=int,
        default=100,
        help="in-process requests per URL (queries, time)",
    )
    args = parser.parse_args()
    if not Path(WRK).exists():
        parser.error("wrk is not installed (apt-get install wrk)")
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    log(
        f"Machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; gunicorn {args.workers} workers; "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s"
    )
    tables, seeding = [], {}
    for db in dbs:
        var_dir = Path(tempfile.mkdtemp(prefix=f"allies-bench-vendor-api-{db}-"))
        try:
            log(f"[{db}] seeding {args.orders} vendor orders in {var_dir} …")
            timings = prepare(db, var_dir, orders=args.orders)
            seeding[db] = timings
            log(
                f"[{db}] migrate + demo_data {timings['migrate_demo']:.1f} s, "
                f"orders {timings['seed']:.1f} s"
            )
            rows = measure(db, var_dir, key=timings["key"], orders=args.orders, args=args)
            tables.append(table(db, rows))
        finally:
            if db == "postgres":
                pg_reset(drop_only=True)
            shutil.rmtree(var_dir, ignore_errors=True)
    print(f"\nSeeding {args.orders} vendor orders (+ {args.orders // 5} of another vendor):")
    for db, t in seeding.items():
        print(f"  {db:<9} migrate + demo_data {t['migrate_demo']:.1f} s, orders {t['seed']:.1f} s")
    for text in tables:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
