"""What a storefront page costs on its first visit (issue 14, goals 1, 2 and 4).

Most requests of real traffic, and of the realistic mix of `bench/storefront.py`, are the
first visit of their page: a product of the long tail, a category page with its own sort,
page and filter, one search among hundreds. The page cache has nothing for them yet, and
neither have the fragments kept by a page's data (`{% memo %}`: offers, variant picker,
grids, counts). This benchmark requests pages that were never requested, in process
(Django's test client, DEBUG=0, the page cache off, every cache and memo emptied first), and
prints per kind the mean, median and 90th percentile of a first visit, then of a second visit
of the same pages, for comparison.

Uses the storefront benchmark's SQLite or PostgreSQL database (`bench/storefront.py`, kept
with `--keep-db`), seeding it first with `--products` products if it is missing or smaller.

    .venv/bin/python bench/first_visits.py [--db sqlite|postgres] [--products 20000]
        [--pages 300]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import storefront  # noqa: E402

SORTS = ["", "prix-croissant", "prix-decroissant", "nouveautes"]
FILTERS = [{}, {"dispo": "en-stock"}, {"prix_max": "80"}, {"prix_min": "50", "prix_max": "200"}]


def pages(count: int, rng: random.Random) -> dict[str, list[str]]:
    """`count` distinct URLs of each kind, drawn as the realistic mix draws them."""
    from django.db.models import Count
    from django.urls import reverse

    from allies.catalog.models import Category, Product

    products = list(
        Product.objects.filter(is_active=True, offer_count__gt=0).values_list("slug", flat=True)
    )
    rng.shuffle(products)
    categories = list(
        Category.objects.filter(products__is_active=True, products__offer_count__gt=0)
        .annotate(n=Count("products"))
        .values_list("slug", "n")
    )
    listing = set()
    while len(listing) < min(count, len(categories) * len(SORTS) * 8):
        slug, n = rng.choice(categories)
        params = dict(rng.choice(FILTERS))
        page = rng.randint(1, max(1, min(5, n // 24)))
        if page > 1:
            params = {"page": str(page)}  # a filtered listing may have fewer pages
        sort = rng.choice(SORTS)
        if sort:
            params["tri"] = sort
        query = f"?{urlencode(sorted(params.items()))}" if params else ""
        listing.add(reverse("storefront:category", args=[slug]) + query)
    words: dict[str, int] = {}
    for title in Product.objects.filter(is_active=True).values_list("title", flat=True):
        for word in re.findall(r"[a-zà-ÿ]{4,}", title.lower()):
            words[word] = words.get(word, 0) + 1
    common = sorted(words, key=lambda w: (-words[w], w))[:300]
    searches = set(common[: count // 2])
    while len(searches) < count:
        searches.add(f"{rng.choice(common)} {rng.choice(common)}")
    search_url = reverse("storefront:search")
    return {
        "product": [reverse("storefront:product", args=[s]) for s in products[:count]],
        "category": sorted(listing),
        "search": [f"{search_url}?{urlencode({'q': q})}" for q in sorted(searches)],
    }


def child(args) -> None:
    import django

    django.setup()
    from django.core.cache import caches
    from django.test import Client

    from allies.core.templatetags.fragments import memo_clear

    rng = random.Random(14)
    urls = pages(args.pages, rng)
    client = Client()
    for kind in urls:  # the process's own start: templates compiled, connections open
        client.get(urls[kind][0])
    for alias in caches:
        caches[alias].clear()
    memo_clear()
    print(
        f"{args.db}, {args.products} products; ms per request (in process, page cache off)",
        flush=True,
    )
    print(f"{'page':10} {'pages':>6} {'first: mean':>12} {'p50':>7} {'p90':>7}   "
          f"{'again: mean':>11} {'p50':>7}")  # fmt: skip
    slowest: dict[str, list[tuple[float, str]]] = {}
    for kind, kind_urls in urls.items():
        visits = {}
        for visit in ("first", "again"):
            timed = []
            for url in kind_urls[1:]:
                started = time.perf_counter()
                response = client.get(url)
                timed.append(((time.perf_counter() - started) * 1000, url))
                if response.status_code != 200:
                    raise SystemExit(f"{url}: HTTP {response.status_code}")
            timed.sort()
            visits[visit] = [ms for ms, _url in timed]
            if visit == "first":
                slowest[kind] = timed[-3:][::-1]
        first, again = visits["first"], visits["again"]
        print(
            f"{kind:10} {len(first):6} {statistics.fmean(first):12.2f} "
            f"{first[len(first) // 2]:7.2f} {first[int(len(first) * 0.9)]:7.2f}   "
            f"{statistics.fmean(again):11.2f} {again[len(again) // 2]:7.2f}",
            flush=True,
        )
    print("slowest first visits:")
    for kind, rows in slowest.items():
        for ms, url in rows:
            print(f"  {kind:10} {ms:7.1f} ms  {url}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--pages", type=int, default=300, help="distinct pages of each kind")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    storefront.BENCH_DIR.mkdir(parents=True, exist_ok=True)
    storefront.prepare(args.db, products=args.products, reuse=True)
    env = storefront.base_env(args.db, port=0, page_cache=False)
    env["ALLOWED_HOSTS"] = "testserver"
    cmd = [sys.executable, __file__, "--child", *sys.argv[1:]]
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
