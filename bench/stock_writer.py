"""Stock changes at a steady rate, as vendors' systems send them while customers browse:
`catalog.offers.offer_update` (the path of the portal's form and of the API's stock updates)
on random in-stock offers, each given a new stock between 1 and 50 (the product stays in
stock at the same price, as after most sales). Used by bench/storefront.py during its
"while stock changes" row; prints how many changes it made.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=… python bench/stock_writer.py RATE SECONDS
"""

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    import django

    django.setup()
    from allies.catalog.models import Offer
    from allies.catalog.offers import offer_update
    from allies.vendors.models import Vendor

    rate, seconds = float(sys.argv[1]), float(sys.argv[2])
    rng = random.Random()
    rows = Offer.objects.filter(is_active=True, stock__gt=0, vendor__is_active=True).values_list(
        "id", "vendor_id", "stock"
    )
    stocks = {offer_id: (vendor_id, stock) for offer_id, vendor_id, stock in rows}
    offers = sorted(stocks)
    vendors = {v.pk: v for v in Vendor.objects.all()}
    done = 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        offer_id = rng.choice(offers)
        vendor_id, stock = stocks[offer_id]
        # Always a new figure (the same one writes nothing), whatever earlier runs left.
        stock = rng.choice([n for n in range(1, 51) if n != stock])
        offer_update(vendor=vendors[vendor_id], offer_id=offer_id, stock=str(stock))
        stocks[offer_id] = (vendor_id, stock)
        done += 1
        time.sleep(max(0.0, start + done / rate - time.monotonic()))
    print(done)
    return 0


if __name__ == "__main__":
    sys.exit(main())
