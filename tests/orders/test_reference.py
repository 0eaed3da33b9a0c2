"""Order references: AL-<year>-<6 digits>, consecutive within a year, without gaps."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from allies.orders.services import order_reference_next

pytestmark = pytest.mark.django_db


def test_references_follow_each_other_within_a_year_and_restart_with_the_next(db):
    # covers: CHK-7 (the order reference)
    assert order_reference_next(year=2026) == "AL-2026-000001"
    assert order_reference_next(year=2026) == "AL-2026-000002"
    assert order_reference_next(year=2027) == "AL-2027-000001"
    assert order_reference_next(year=2026) == "AL-2026-000003"


def test_an_order_rolled_back_gives_its_number_back_and_a_reference_costs_one_query(db):
    # covers: CHK-7 (the order reference)
    order_reference_next(year=2026)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert order_reference_next(year=2026) == "AL-2026-000002"
        raise RuntimeError("payment page could not open")
    with CaptureQueriesContext(connection) as ctx:
        assert order_reference_next(year=2026) == "AL-2026-000002"
    assert len(ctx.captured_queries) == 1
