"""The order list's page (`orders.orders_list`) assembled from each order's cached JSON.

Each order of a page is keyed by a digest of its own row as the database gives it (raw, no
conversion: the vendor order with its order's and customer's columns the JSON shows), its
revision (`orders.revisions`: lines, shipments, parcels, shipment contents, offers' vendor
SKUs), the active language and a digest of the code that writes the JSON. Only the orders
whose key is not cached are read in full and rendered. The content is always read after its
key, so a cached fragment may be newer than its key, never older than the database.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.core.cache import caches
from django.db import connection
from django.utils.translation import get_language
from ninja.responses import NinjaJSONEncoder

from allies.orders import models as orders_models
from allies.shipping import carriers
from allies.vendor_api import presenters, selectors
from allies.vendor_api.presenters import JSON, order_dict
from allies.vendor_api.selectors import ORDER_FIELDS, orders_rows

CACHE_ALIAS = "fragments"
TIMEOUT = 24 * 3600
# The code an order's JSON is computed by: a deploy that changes it changes every key.
_CODE = hashlib.blake2b(
    b"".join(
        Path(module.__file__).read_bytes()
        for module in (presenters, selectors, carriers, orders_models)
        if module.__file__
    ),
    digest_size=8,
).hexdigest()
KEY_FIELDS = ("pk", "revision__number", *ORDER_FIELDS)


def raw_rows(queryset) -> list[tuple]:
    """The rows of `queryset.values_list(*KEY_FIELDS)` as the database driver gives them."""
    sql, params = queryset.values_list(*KEY_FIELDS).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fragment_key(row: tuple) -> str:
    digest = hashlib.blake2b(repr(row).encode(), digest_size=16).hexdigest()
    return f"vo:{_CODE}:{get_language()}:{row[0]}:{digest}"


def orders_json(*, vendor, rows: list[tuple]) -> list[str]:
    """Each order of `rows` (raw, in page order) as JSON, from the cache where it is."""
    cache = caches[CACHE_ALIAS]
    keys = {row[0]: fragment_key(row) for row in rows}
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
    return [found[keys[pk]] for pk in keys if keys[pk] in found]


def order_list_body(*, total_count: int, offset: int, limit: int, fragments: list[str]) -> str:
    """The body of `schemas.OrderListOut` in the very bytes ninja's renderer writes for it
    (compared in tests/vendor_api/test_order_list_render.py)."""
    return (
        f'{{"total_count": {total_count}, "offset": {offset}, "limit": {limit}, "orders": ['
        + ", ".join(fragments)
        + "]}"
    )
