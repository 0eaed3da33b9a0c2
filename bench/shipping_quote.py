"""Benchmark of the shipping engine: one cart of 10 vendors and 30 lines, quoted many times.

Rules are built in memory (as `selectors.rate_rules_for_vendors` returns them); no database in
the timed loop. Prints the median and 99th percentile of `quote_cart`, and of `quote_cart`
followed by `select_modes` (what the checkout does on each change), in microseconds.

    .venv/bin/python bench/shipping_quote.py [iterations]
"""

import os
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "allies.settings")

import django  # noqa: E402

django.setup()

from allies.shipping.engine import QuoteItem, RateRule, quote_cart, select_modes  # noqa: E402

VENDORS = 10
LINES_PER_VENDOR = 3
BRACKETS = [
    {"up_to_kg": "2", "fee": "0"},
    {"up_to_kg": "5", "fee": "1.50"},
    {"up_to_kg": "10", "fee": "4.00"},
    {"up_to_kg": "30", "fee": "9.00"},
]
CARRIERS = {"home": "colissimo", "express": "chronopost", "relay": "mondial_relay"}


def build_cart():
    items_by_vendor, rules_by_vendor = {}, {}
    for v in range(1, VENDORS + 1):
        items_by_vendor[v] = [
            QuoteItem(
                offer_id=v * 100 + n,
                quantity=1 + (v + n) % 3,
                unit_price=Decimal("19.90") + Decimal(v * 7 + n * 3),
                weight_grams=300 + 900 * ((v * n) % 5),
                parcel_count=1 + (v + n) % 2,
            )
            for n in range(LINES_PER_VENDOR)
        ]
        rules = []
        for z_index, zone in enumerate(("FR", "CORSE", "BE")):
            for m_index, mode in enumerate(("home", "express", "relay")):
                rules.append(
                    RateRule.from_values(
                        vendor_id=v,
                        mode=mode,
                        zone=zone,
                        carrier=CARRIERS[mode],
                        base_fee=Decimal("3.90") + 4 * m_index + 5 * z_index,
                        min_days=1 + m_index + z_index,
                        max_days=3 + m_index + 2 * z_index,
                        per_extra_item_fee="1.00",
                        per_extra_parcel_fee="2.50",
                        weight_brackets=BRACKETS,
                        per_kg_beyond="0.80",
                        max_parcel_weight_kg="30" if mode == "relay" else None,
                        free_shipping_threshold="150" if v % 3 == 0 else None,
                    )
                )
        rules_by_vendor[v] = rules
    return items_by_vendor, rules_by_vendor


def _median_p99(samples):
    samples = sorted(samples)
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def timed(fn, iterations):
    """(median, p99) of wall-clock time and of this thread's CPU time, in µs.

    On a shared machine the wall-clock p99 mostly measures the scheduler (time spent
    descheduled); the CPU-time figures measure the engine alone.
    """
    wall, cpu = [], []
    for _ in range(iterations):
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        fn()
        cpu.append((time.thread_time_ns() - start_cpu) / 1000)
        wall.append((time.perf_counter_ns() - start) / 1000)
    return _median_p99(wall), _median_p99(cpu)


def main():
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    items_by_vendor, rules_by_vendor = build_cart()
    today = date(2026, 12, 22)  # the working-day count crosses Christmas and a weekend
    lines = sum(len(v) for v in items_by_vendor.values())

    def quote():
        return quote_cart(items_by_vendor, rules_by_vendor, "FR", "75011", today)

    sample = quote()
    assert len(sample.vendors) == VENDORS and all(len(v.options) == 3 for v in sample.vendors)

    def quote_and_select():
        cart = quote()
        return select_modes(cart, cart.cheapest_modes(), discount=Decimal("10"))

    for fn in (quote, quote_and_select):  # warm-up (holiday tables, imports)
        for _ in range(200):
            fn()
    print(f"cart: {VENDORS} vendors, {lines} lines, 9 rules per vendor; {iterations} runs")
    for name, fn in (("quote_cart", quote), ("quote_cart+select_modes", quote_and_select)):
        (median, p99), (cpu_median, cpu_p99) = timed(fn, iterations)
        print(
            f"{name:24} wall median {median:7.1f} µs  p99 {p99:8.1f} µs"
            f"  | cpu median {cpu_median:7.1f} µs  p99 {cpu_p99:7.1f} µs"
        )
    print(
        f"simulation total: {sample.cheapest_total} € (shipping {sample.cheapest_shipping_total} €)"
    )


if __name__ == "__main__":
    main()
