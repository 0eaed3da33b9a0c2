"""PostgreSQL plans a statement the shop runs again and again once per connection
(settings: server-side binding, prepared after 5 runs), and the setting can be turned off."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from allies.catalog.models import Offer
from tests.factories import OfferFactory

ROOT = Path(__file__).resolve().parents[2]


def _options(env: dict) -> str:
    full = {k: v for k, v in os.environ.items() if k != "PG_PREPARED"}
    full.update(env, DJANGO_SETTINGS_MODULE="allies.settings")
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "o = s.DATABASES['default'].get('OPTIONS', {});"
        "print(o.get('server_side_binding'), o.get('prepare_threshold'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_postgresql_prepares_statements_unless_turned_off():
    url = "postgres://postgres@127.0.0.1:5432/allies"
    assert _options({"DATABASE_URL": url}) == "True 5"
    assert _options({"DATABASE_URL": url, "PG_PREPARED": "0"}) == "None None"
    assert _options({"DATABASE_URL": "sqlite:////tmp/x.sqlite3"}) == "None None"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own statements")
def test_a_statement_run_again_with_other_values_is_planned_once():
    offers = [OfferFactory(stock=n) for n in range(1, 8)]
    for offer in offers:  # one statement, seven values
        assert Offer.objects.get(pk=offer.pk).stock == offer.stock
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements"
            " WHERE statement LIKE %s AND statement LIKE %s",
            ['%FROM "catalog_offer"%', '%"catalog_offer"."id" = $1%'],
        )
        assert cursor.fetchone()[0] == 1
