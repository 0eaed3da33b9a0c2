"""CSV import benchmark: 100,000 offer rows for one vendor, imported twice, on each database.

For each database (SQLite file in a throwaway VAR_DIR, PostgreSQL database
`allies_bench_import` on 127.0.0.1:5432), in a child process of its own:

1. recreates the database, migrates and runs `demo_data --products N` (timed: the seeding);
2. writes a CSV (`;`, decimal comma, as the import's template) for the vendor with the most
   offers: one line per existing offer of that vendor (three in four with a new price and
   stock, one in four unchanged), then new offers on variants it does not sell yet, up to
   ROWS lines, plus a few lines with unknown SKUs; lines in random order (seeded), the worst
   case for product summaries, which are refreshed once per chunk;
3. runs `catalog.imports.offer_import_start` (checks, stores, counts the file) and
   `offer_import_run` (the background task's body) in-process, and times both;
4. imports the same file again (everything must come back unchanged) and times it;
5. checks the reports' counters and prints seconds and rows per second;
6. memory: pads the file to the largest one a vendor may send (OFFER_IMPORT_MAX_BYTES,
   20 MB) with lines of unknown SKUs, and imports it in a fresh process of its own, whose
   peak resident memory (VmHWM) is printed next to what that process holds once Django
   is loaded: the import streams the file, so the difference stays a few MB whatever the
   file's size (it was 262 MB for a 5 MB file when the file was read whole).

    .venv/bin/python bench/offer_import.py [--rows 100000] [--products 17000]
        [--db sqlite|postgres|both] [--var-dir DIR] [--keep-db] [--no-memory]

Goal: each import of 100,000 rows in under 60 s, on SQLite and on PostgreSQL; the 20 MB
import under 100 MB above the process's baseline.
"""

import argparse
import io
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "allies_bench_import"
GOAL_SECONDS = 60.0
GOAL_MEMORY_MB = 100.0
SEED = 7


def log(message: str) -> None:
    print(message, flush=True)


# --- the parent: one child process per database ---------------------------------------------


def child_env(db: str, var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    sqlite_path = var_dir / "allies_bench_import.sqlite3"
    env.update(
        DJANGO_SETTINGS_MODULE="allies.settings",
        DEBUG="0",  # DEBUG keeps every SQL statement in memory
        SECRET_KEY=secrets.token_urlsafe(50),
        VAR_DIR=str(var_dir),
        DATABASE_URL=(
            f"sqlite:///{sqlite_path}"
            if db == "sqlite"
            else f"postgres://postgres@127.0.0.1:5432/{PG_DATABASE}"
        ),
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("REDIS_URL", None)
    return env


def run_child(db: str, args) -> dict:
    var_dir = Path(args.var_dir) / db
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    cmd = [
        PYTHON, __file__, "--child", db, "--rows", str(args.rows),
        "--products", str(args.products), "--bad", str(args.bad),
        *(["--no-memory"] if args.no_memory else []),
    ]  # fmt: skip
    process = subprocess.Popen(
        cmd, cwd=ROOT, env=child_env(db, var_dir), stdout=subprocess.PIPE, text=True
    )
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


# --- the child: seed, write the file, import it twice --------------------------------------


def child(db: str, *, rows: int, products: int, bad: int, memory: bool) -> None:
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
    call_command("migrate", verbosity=0, skip_checks=True)
    call_command("demo_data", products=products, verbosity=0, stdout=io.StringIO())
    seeding = time.perf_counter() - started

    path, vendor, mix = write_csv(Path(os.environ["VAR_DIR"]), rows=rows, bad=bad)
    log(
        f"[{db}] seeded in {seeding:.1f} s; {path.name}: {mix['rows']} lines for «{vendor.name}» "
        f"({mix['update']} updates, {mix['same']} unchanged, {mix['new']} new offers, "
        f"{mix['bad']} unknown SKUs), {path.stat().st_size / 1e6:.1f} MB"
    )
    first = import_once(vendor, path)
    log(f"[{db}] first import: {first['seconds']:.1f} s")
    second = import_once(vendor, path)
    log(f"[{db}] second import: {second['seconds']:.1f} s")

    peak = measure_memory(db, vendor, path) if memory else None

    expected_first = (mix["new"], mix["update"], mix["same"], mix["bad"])
    expected_second = (0, 0, mix["new"] + mix["update"] + mix["same"], mix["bad"])
    checks = {
        "first": first["counts"] == list(expected_first),
        "second": second["counts"] == list(expected_second),
    }
    print(
        "RESULT "
        + json.dumps(
            {
                "db": db,
                "seeding": seeding,
                "mix": mix,
                "first": first,
                "second": second,
                "expected_first": expected_first,
                "expected_second": expected_second,
                "checks": checks,
                "memory": peak,
            }  # fmt: skip
        ),
        flush=True,
    )


def measure_memory(db: str, vendor, path: Path) -> dict:
    """Pad the file to the size limit and import it in a fresh process (`--child-import`)."""
    from django.conf import settings

    limit = int(getattr(settings, "OFFER_IMPORT_MAX_BYTES", 20 * 1024 * 1024))
    big = path.with_name("offres-max.csv")
    with path.open("rb") as src, big.open("wb") as out:
        for block in iter(lambda: src.read(1 << 20), b""):
            out.write(block)
        written, i = out.tell(), 0
        while True:
            line = b"INCONNU-PAD-%08d;10,00;1;;oui\r\n" % i
            if written + len(line) > limit:
                break
            out.write(line)
            written += len(line)
            i += 1
    process = subprocess.run(
        [PYTHON, __file__, "--child-import", str(vendor.pk), str(big)],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    result = json.loads(process.stdout.strip().splitlines()[-1])
    log(
        f"[{db}] {big.stat().st_size / 1e6:.1f} MB file ({result['rows']} lines) imported in "
        f"{result['seconds']:.1f} s by a fresh process: peak {result['peak_mb']:.0f} MB "
        f"resident, {result['peak_mb'] - result['baseline_mb']:.0f} MB above its "
        f"{result['baseline_mb']:.0f} MB once Django is loaded"
    )
    return result


def child_import(vendor_id: int, path: Path) -> None:
    """One import in this process, reporting its peak resident memory."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from allies.catalog.models import OfferImport  # noqa: F401  (models loaded: baseline)
    from allies.vendors.models import Vendor

    vendor = Vendor.objects.get(pk=vendor_id)
    # ru_maxrss survives fork+exec (it would report the seeding parent's peak): read the
    # kernel's high-water mark instead, reset once Django is loaded (Linux).
    Path("/proc/self/clear_refs").write_text("5")
    baseline = _status_mb("VmRSS")
    run = import_once(vendor, path)
    peak = _status_mb("VmHWM")
    print(
        json.dumps({**run, "baseline_mb": baseline, "peak_mb": peak, "bytes": path.stat().st_size})
    )


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{key} not in /proc/self/status")


def write_csv(var_dir: Path, *, rows: int, bad: int):
    import csv
    import random
    from decimal import Decimal

    from django.db.models import Count

    from allies.catalog.models import Offer, Variant
    from allies.vendors.models import Vendor

    rng = random.Random(SEED)
    vendor = Vendor.objects.annotate(n=Count("offers")).order_by("-n", "id").first()
    lines, mix = [], {"update": 0, "same": 0, "new": 0, "bad": 0}
    sold = set()
    existing = (
        Offer.objects.filter(vendor=vendor)
        .order_by("id")
        .values_list("variant_id", "variant__sku", "price", "stock", "restock_weeks", "is_active")
    )
    for variant_id, sku, price, stock, weeks, active in existing[: rows - bad]:
        sold.add(variant_id)
        if rng.random() < 0.25:  # exactly what the offer already says
            mix["same"] += 1
        else:
            price = max(Decimal("1.00"), (price * Decimal("0.95")).quantize(Decimal("0.01")))
            stock += 3
            mix["update"] += 1
        lines.append(_line(sku, price, stock, weeks, active))
    missing = rows - bad - len(lines)
    variants = Variant.objects.exclude(id__in=sold).order_by("id").values_list("id", "sku")
    for _variant_id, sku in variants.iterator(chunk_size=5000):
        if mix["new"] >= missing:
            break
        stock = rng.choice([0, 0, 1, 2, 5, 12, 40])
        weeks = rng.choice([None, 2, 4]) if stock == 0 else None
        price = Decimal(rng.randint(500, 50000)) / 100
        lines.append(_line(sku, price, stock, weeks, True))
        mix["new"] += 1
    if mix["new"] < missing:
        raise SystemExit(
            f"only {len(lines)} usable variants: raise --products to reach {rows} lines"
        )
    for i in range(bad):
        lines.append([f"INCONNU-{i:05d}", "10,00", "1", "", "oui"])
        mix["bad"] += 1
    rng.shuffle(lines)
    mix["rows"] = len(lines)
    path = var_dir / "offres-bench.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
        writer.writerow(["sku", "prix", "stock", "delai_reappro_semaines", "actif"])
        writer.writerows(lines)
    return path, vendor, mix


def _line(sku, price, stock, weeks, active) -> list[str]:
    return [
        sku,
        f"{price:.2f}".replace(".", ","),
        str(stock),
        "" if weeks is None else str(weeks),
        "oui" if active else "non",
    ]


def import_once(vendor, path: Path) -> dict:
    from django.core.files import File

    from allies.catalog.imports import offer_import_run, offer_import_start

    started = time.perf_counter()
    with path.open("rb") as f:
        job = offer_import_start(vendor=vendor, uploaded_file=File(f, name=path.name), actor=None)
    checked = time.perf_counter() - started
    job = offer_import_run(import_id=job.pk)
    seconds = time.perf_counter() - started
    if job.status != "done":
        raise RuntimeError(f"import ended {job.status}: {job.failure}")
    return {
        "seconds": seconds,
        "start_seconds": checked,
        "rows": job.total_rows,
        "counts": [job.created, job.updated, job.unchanged, job.rejected],
    }


# --- main ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--products", type=int, default=17_000, help="demo products (≈ 6.2 variants each)"
    )
    parser.add_argument("--bad", type=int, default=100, help="lines with an unknown SKU")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--var-dir", default=str(ROOT / "var" / "bench-import"))
    parser.add_argument("--keep-db", action="store_true", help="keep the databases afterwards")
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the 20 MB file's memory measure"
    )
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--child-import", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(
            args.child,
            rows=args.rows,
            products=args.products,
            bad=args.bad,
            memory=not args.no_memory,
        )
        return 0
    if args.child_import:
        child_import(int(args.child_import[0]), Path(args.child_import[1]))
        return 0

    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    log(
        f"Machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; {args.rows} lines, "
        f"demo_data --products {args.products}"
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

    print(f"\n{'database':<10} {'import':<8} {'lines':>7} {'seconds':>8} {'lines/s':>8}  "
          f"created / updated / unchanged / rejected")  # fmt: skip
    ok = True
    for r in results:
        for label in ("first", "second"):
            run = r[label]
            met = run["seconds"] < GOAL_SECONDS and r["checks"][label]
            ok &= met
            counts = " / ".join(map(str, run["counts"]))
            note = (
                "" if r["checks"][label] else f"  counts NOT as expected {r[f'expected_{label}']}"
            )
            print(
                f"{r['db']:<10} {label:<8} {run['rows']:>7} {run['seconds']:>8.1f} "
                f"{run['rows'] / run['seconds']:>8.0f}  {counts}"
                f"  (checks {run['start_seconds']:.1f} s){note}"
            )
    for r in results:
        if r["memory"]:
            m = r["memory"]
            above = m["peak_mb"] - m["baseline_mb"]
            ok &= above < GOAL_MEMORY_MB
            print(
                f"{r['db']:<10} {m['bytes'] / 1e6:.1f} MB file, {m['rows']} lines: "
                f"{m['seconds']:.1f} s, peak {m['peak_mb']:.0f} MB resident "
                f"({above:.0f} MB above the {m['baseline_mb']:.0f} MB of Django alone)"
            )
    print(
        f"\nGoal: each import under {GOAL_SECONDS:.0f} s and the 20 MB file under "
        f"{GOAL_MEMORY_MB:.0f} MB above Django's baseline: "
        + ("met." if ok else "NOT met (or the counts were wrong).")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
