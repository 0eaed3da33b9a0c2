"""Where the time of one uncached storefront page goes: per page, the median time of a request
in-process (Django's test client, DEBUG=0, the page cache off), its SQL queries and their time,
and cProfile's top functions (own time and cumulative).

Uses the storefront benchmark's SQLite or PostgreSQL database (`bench/storefront.py`, kept with
`--keep-db`), seeding it first with `--products` products if it is missing or smaller.

    .venv/bin/python bench/page_profile.py [--db sqlite|postgres] [--products 20000]
        [--requests 50] [--top 25] [--signed-in] [--only product,category,...]
        [--page-cache off|on]

`--signed-in` requests each page as a customer with two lines in the cart (issue 14 goal 5).
`--page-cache on` profiles the cached path instead (warm: each page is stored by an anonymous
request first): with `--signed-in`, the cached page with the customer's own header.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import storefront  # noqa: E402


def log(message: str) -> None:
    print(message, flush=True)


def child(args) -> None:
    import django

    django.setup()
    import cProfile
    import pstats

    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from allies.catalog.models import Category, Offer, Product
    from allies.vendors.models import Vendor

    # A product with offers, not the first ones (their rows are the demo's handmade ones).
    product = Product.objects.filter(variants__offers__isnull=False).order_by("pk").distinct()[100]
    category = Category.objects.get(pk=product.category_id)
    in_category = Offer.objects.filter(variant__product__category=category, is_active=True)
    vendor_id, _ = (
        in_category.values_list("vendor_id").annotate(n=Count("pk")).order_by("-n").first()
    )
    vendor = Vendor.objects.get(pk=vendor_id)
    size, _ = (
        in_category.exclude(variant__size="")
        .values_list("variant__size")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    pages = {
        "home": reverse("storefront:home"),
        "category": category.get_absolute_url(),
        "category page 3, filtered": category.get_absolute_url()
        + "?page=3&tri=prix-croissant&dispo=en-stock",
        # Vendor and size filters (catalog.facets): the vendor most present in the category.
        "category vendor": category.get_absolute_url() + f"?vendeur={vendor.slug}",
        "category size": category.get_absolute_url() + "?" + urlencode({"taille": size}),
        "vendor": reverse("storefront:vendor", args=[vendor.slug]),
        "search": reverse("storefront:search") + "?q=chemise",
        # Two words, the second seldom in a title: the top tier comes from the title index.
        "search two words": reverse("storefront:search") + "?q=chemise+bleu",
        "product": product.get_absolute_url(),
        # The storefront benchmark's product page: the one with the most offers.
        "product most offers": Product.objects.filter(is_active=True)
        .order_by("-offer_count", "pk")
        .first()
        .get_absolute_url(),
    }
    if args.only:
        pages = {k: v for k, v in pages.items() if k.split()[0] in args.only.split(",")}
    client = Client()
    if args.signed_in:
        from allies.accounts.models import User

        user = User.objects.filter(is_staff=False, vendor_memberships__isnull=True).first()
        if user is None:
            raise SystemExit("no customer account in the database")
        client.force_login(user)
        for offer in Offer.objects.filter(stock__gt=5).order_by("pk")[:2]:
            client.post(reverse("cart:add"), {"offer": offer.pk, "quantity": 1})
    for name, url in pages.items():
        Client().get(url)  # stored for everyone when the page cache is on
        for _ in range(3):
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
        times = []
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        queries: list[tuple[float, str]] = []

        def timed(execute, sql, params, many, context, into=queries):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                into.append(((time.perf_counter() - started) * 1000, sql))

        profiler = cProfile.Profile()
        with connection.execute_wrapper(timed):
            profiler.enable()
            client.get(url)
            profiler.disable()
        # SQLite runs a query while its rows are fetched: the execute times above miss that.
        fetch_ms = 1000 * sum(
            stat[2]
            for (_, _, function), stat in pstats.Stats(profiler).stats.items()  # type: ignore[attr-defined]
            if "fetch" in function and "Cursor" in function
        )
        log(
            f"\n=== {name} ({url}): p50 {times[len(times) // 2]:.1f} ms, "
            f"min {times[0]:.1f} ms; {len(queries)} queries, "
            f"{sum(ms for ms, _ in queries):.1f} ms of SQL to execute, {fetch_ms:.1f} ms to fetch"
        )
        for ms, sql in queries:  # each query of the profiled request, in order (execute)
            log(f"  {ms:6.2f} ms  {' '.join(sql.split())[:150]}")
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
            text = out.getvalue()
            log(f"--- by {order}\n" + text[text.find("   ncalls") :])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--signed-in", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated page names")
    parser.add_argument("--page-cache", choices=["off", "on"], default="off")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    storefront.BENCH_DIR.mkdir(parents=True, exist_ok=True)
    storefront.prepare(args.db, products=args.products, reuse=True)
    env = storefront.base_env(args.db, port=0, page_cache=args.page_cache == "on")
    env["ALLOWED_HOSTS"] = "testserver"
    cmd = [sys.executable, __file__, "--child", *sys.argv[1:]]
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
