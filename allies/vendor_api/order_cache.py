"""The order list's page (`orders.orders_list`) from cached JSON.

A vendor order's revision (`orders.revisions`) moves with every write of anything its JSON
shows: its own row, its order's, its customer's name, its lines, shipments, parcels, shipment
contents and offers' vendor SKUs. So the page reads only each order's id and revision
(`page_keys`), and:
- the whole body is cached under a digest of (total, offset, limit, each order's id and
  revision): the same page asked again, with nothing in it changed, is one cache read;
- else each order's JSON is cached under (id, revision, language, code): only the orders
  whose key is missing are read in full and rendered.
Keys also hold the active language and a digest of the code that writes the JSON, so a deploy
that changes it changes every key. The content is always read after its key, so a cached
fragment may be newer than its key, never older than the database.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.core.cache import caches
from django.utils.translation import get_language
from ninja.responses import NinjaJSONEncoder

from allies.orders import models as orders_models
from allies.orders import revisions
from allies.shipping import carriers
from allies.vendor_api import presenters, selectors
from allies.vendor_api.presenters import JSON, order_dict
from allies.vendor_api.selectors import OrderPage, orders_rows

CACHE_ALIAS = "fragments"
TIMEOUT = 24 * 3600  # an order's JSON
PAGE_TIMEOUT = 10 * 60  # a whole page: often asked again (polling), soon changed
# The code an order's JSON is computed by: a deploy that changes it changes every key.
_CODE = hashlib.blake2b(
    b"".join(
        Path(module.__file__).read_bytes()
        for module in (presenters, selectors, carriers, orders_models, revisions)
        if module.__file__
    ),
    digest_size=8,
).hexdigest()


def page_keys(queryset) -> list[tuple[int, int | None]]:
    """(id, revision) of each vendor order of a page (`selectors.api_orders_page`'s `read`)."""
    return list(queryset.values_list("pk", "revision__number"))


def order_list_body(*, vendor, page: OrderPage) -> str:
    """The body of `schemas.OrderListOut` for `page` (read with `page_keys`), in the very
    bytes ninja's renderer writes for it (compared in tests/vendor_api)."""
    cache = caches[CACHE_ALIAS]
    language = get_language()
    shown = repr((page.total_count, page.offset, page.limit, page.orders)).encode()
    page_key = f"vol:{_CODE}:{language}:{hashlib.blake2b(shown, digest_size=16).hexdigest()}"
    body = cache.get(page_key)
    if body is None:
        fragments = orders_json(vendor=vendor, rows=page.orders, language=language)
        body = (
            f'{{"total_count": {page.total_count}, "offset": {page.offset}, '
            f'"limit": {page.limit}, "orders": [' + ", ".join(fragments) + "]}"
        )
        # Only a page whose every order was there: one gone between the reads is left out of
        # this answer, and its page is not kept.
        if len(fragments) == len(page.orders):
            cache.set(page_key, body, timeout=PAGE_TIMEOUT)
    return body


def orders_json(*, vendor, rows: list[tuple[int, int | None]], language: str) -> list[str]:
    """Each order of `rows` ((id, revision), in page order) as JSON, from the cache where it
    is."""
    cache = caches[CACHE_ALIAS]
    keys = {pk: f"vo:{_CODE}:{language}:{pk}:{revision}" for pk, revision in rows}
    found = cache.get_many(list(keys.values()))
    missing = [pk for pk, key in keys.items() if key not in found]
    if missing:
        fresh = orders_rows(vendor=vendor, ids=missing)
        rendered = {
            keys[row["id"]]: json.dumps(order_dict(row, JSON), cls=NinjaJSONEncoder)
            for row in fresh
        }
        cache.set_many(rendered, timeout=TIMEOUT)
        found.update(rendered)
    # A vendor order gone between the two reads is left out.
    return [found[key] for key in keys.values() if key in found]
