"""Reviews test setup: delivered vendor orders through the real services (see
tests/aftersales/conftest.py: Luc bought from Maison Verlaine a shirt and two belts,
delivered on 1 December 2026)."""

import pytest

from allies.reviews.services import review_create
from tests.aftersales.conftest import (  # noqa: F401 (fixtures)
    _fast_passwords,
    _support_storage_in_tmp,
    delivered,
    line_of,
    photo,
)
from tests.orders.conftest import buy, market, vendor_order_of  # noqa: F401 (fixture)


@pytest.fixture
def shop(market):  # noqa: F811
    return market


def item_review(vendor_order, item="Chemise Oxford bleue", *, rating=5, text=None, **extra):
    """The customer's review of one item of `vendor_order`."""
    return review_create(
        customer=vendor_order.order.customer,
        vendor_order=vendor_order,
        order_line=line_of(vendor_order, item),
        rating=rating,
        text=text or "Très belle chemise, tissu épais et coupe parfaite.",
        **extra,
    )
