"""The market of tests/orders (two vendors, a customer, paid orders through the real services)
and logged-in clients for each vendor's users."""

import pytest

from tests.orders.conftest import buy, market, vendor_order_of  # noqa: F401


@pytest.fixture
def verlaine_client(client, market):  # noqa: F811
    client.force_login(market["verlaine_user"])
    return client


@pytest.fixture
def paid(market):  # noqa: F811
    """One order from both vendors: a shirt ×2 and a belt from Verlaine, a wallet from Brun."""
    order = buy(market, [(market["shirt"], 2), (market["belt"], 1), (market["wallet"], 1)])
    return {
        "order": order,
        "verlaine_vo": vendor_order_of(order, market["verlaine"]),
        "brun_vo": vendor_order_of(order, market["brun"]),
    }
