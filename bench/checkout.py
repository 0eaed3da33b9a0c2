"""Checkout benchmark: orders per second completed end to end on PostgreSQL, and queries.

Recreates the PostgreSQL database `allies_bench_checkout`, loads the demo catalogue, creates
one customer per buyer, then runs BUYERS concurrent buyer processes. Each buyer repeats the
whole purchase through Django's request handling (no network): add an in-stock offer to the
cart, "Livraison de vos achats" with the cheapest modes, billing, "Payer", the sandbox card
page with a card that needs no challenge, the return to the shop. An order counts when it is
"validée". Prints orders/s, the median and p99 seconds of one purchase, and the number of
SQL queries one whole purchase makes (measured once, alone).

    .venv/bin/python bench/checkout.py [--buyers 8] [--seconds 20] [--products 600]
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DB = "allies_bench_checkout"
os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "allies.settings")
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench-checkout"))


def _setup(products: int, buyers: int) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("demo_data", "--products", str(products), verbosity=0)
    from allies.accounts.models import Address, User
    from tests.factories import PASSWORD

    for i in range(buyers + 1):
        user = User.objects.create_user(f"buyer{i}@bench.test", PASSWORD)
        Address.objects.create(
            user=user, kind="delivery", recipient=f"Buyer {i}", street="1 rue de la Paix",
            postcode="75002", city="Paris", country="FR", phone="0601020304", is_default=True,
        )  # fmt: skip


def _purchase(client, offer_id: int) -> bool:
    import re

    from django.urls import reverse

    client.post(reverse("cart:add"), {"offer": offer_id, "quantity": 1})
    page = client.get(reverse("checkout:delivery"))
    if page.status_code != 200:
        raise RuntimeError(f"delivery step answered {page.status_code} {page.get('Location')}")
    quote = page.context["quote"]
    data = {"action": "choose_modes"}
    for vendor_id, mode in quote.cheapest_modes().items():
        data[f"mode_{vendor_id}"] = mode
        if mode == "relay":
            html = page.content.decode()
            data[f"relay_{vendor_id}"] = re.search(
                rf'name="relay_{vendor_id}" value="([^"]+)"', html
            ).group(1)
    client.post(reverse("checkout:delivery"), data)
    client.post(reverse("checkout:billing"), {"same": "on"})
    card_page = client.post(reverse("checkout:pay"))
    paid = client.post(
        card_page.url,
        {"card_number": "4111111111111111", "expiry": "12/30", "cvc": "123", "holder": "B"},
    )
    result = client.get(paid.url, follow=True)
    return "Merci, votre commande est validée" in result.content.decode()


def _offers(n: int) -> list[int]:
    """Offers a customer can buy now, by the cart's own rule (each buyer then gives them a
    stock of 10,000)."""
    from allies.cart.selectors import units_for_sale
    from allies.catalog.models import Offer

    candidates = Offer.objects.filter(is_active=True, stock__gt=0).select_related("vendor")
    return [o.pk for o in candidates.order_by("id") if units_for_sale(o) > 0][:n]


def _buyer(index: int, seconds: float, start_at: float, out) -> None:
    # Forked from main(): Django is set up and the test environment installed already.
    from django.test import Client

    from allies.accounts.models import User
    from allies.catalog.models import Offer

    user = User.objects.get(email=f"buyer{index}@bench.test")
    client = Client()
    client.force_login(user)
    offers = _offers(200)
    Offer.objects.filter(id__in=offers).update(stock=10_000)
    while time.time() < start_at:
        time.sleep(0.01)
    durations, done, i = [], 0, index
    try:
        while time.time() < start_at + seconds:
            t = time.perf_counter()
            ok = _purchase(client, offers[i % len(offers)])
            durations.append(time.perf_counter() - t)
            done += ok
            i += 7
    except BaseException:  # told to the parent, which stops at once instead of waiting
        import traceback

        out.put(f"buyer {index}: {traceback.format_exc()}")
        raise
    out.put((done, durations))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--products", type=int, default=600)
    args = parser.parse_args()
    t0 = time.perf_counter()
    _setup(args.products, args.buyers)
    print(f"setup: {time.perf_counter() - t0:.1f} s ({args.products} products)")

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from allies.accounts.models import User

    setup_test_environment()  # the test client's response.context, "testserver" host
    solo = Client()
    solo.force_login(User.objects.get(email=f"buyer{args.buyers}@bench.test"))
    offer = _offers(1)[0]
    with CaptureQueriesContext(connection) as ctx:
        assert _purchase(solo, offer), "the purchase did not complete"
    print(f"queries for one whole purchase (7 requests): {len(ctx.captured_queries)}")
    connection.close()

    queue = multiprocessing.get_context("fork").Queue()
    start_at = time.time() + 3
    procs = [
        multiprocessing.get_context("fork").Process(
            target=_buyer, args=(i, args.seconds, start_at, queue)
        )
        for i in range(args.buyers)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=args.seconds + 300) for _ in procs]
    failures = [r for r in results if isinstance(r, str)]
    if failures:
        for p in procs:
            p.kill()
        raise SystemExit("\n".join(failures))
    for p in procs:
        p.join()
    orders = sum(r[0] for r in results)
    durations = sorted(d for r in results for d in r[1])
    p99 = durations[min(len(durations) - 1, int(len(durations) * 0.99))]
    print(
        f"{args.buyers} concurrent buyers, {args.seconds:.0f} s: {orders} orders validated, "
        f"{orders / args.seconds:.1f} orders/s; one purchase median "
        f"{statistics.median(durations) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
