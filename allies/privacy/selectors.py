"""Reads for the "Mes données personnelles" page: what we hold about the signed-in customer."""

from __future__ import annotations

from dataclasses import dataclass

from allies.accounts.models import Address, User
from allies.aftersales.models import Claim, ReturnRequest
from allies.invoices.models import Invoice
from allies.orders.models import Order
from allies.support.models import Thread


@dataclass(frozen=True)
class DataSummary:
    orders: int
    invoices: int
    addresses: int
    requests: int
    returns_and_claims: int


def personal_data_summary(*, user: User) -> DataSummary:
    """Counts of the customer's own records (five small queries)."""
    return DataSummary(
        orders=Order.objects.filter(customer=user).count(),
        invoices=Invoice.objects.filter(vendor_order__order__customer=user).count(),
        addresses=Address.objects.filter(user=user).count(),
        requests=Thread.objects.filter(customer=user).count(),
        returns_and_claims=ReturnRequest.objects.filter(customer=user).count()
        + Claim.objects.filter(customer=user).count(),
    )
