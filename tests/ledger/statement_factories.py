"""Ledger entries and payouts written directly (as tests/ledger does), for the monthly
statement's tests: a month's history is built at chosen instants, without running the
services that would date everything "now"."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import count

from allies.ledger.models import LedgerEntry
from allies.payouts.models import Payout

_refs = count(1)


def entry(vendor_order, *, amount, at: datetime, kind: str = "sale", vendor=None, **extra):
    return LedgerEntry.objects.create(
        vendor=vendor or vendor_order.vendor, vendor_order=vendor_order, kind=kind,
        amount=Decimal(amount), created_at=at, **extra,
    )  # fmt: skip


def paid_payout(vendor, *, lines, at: datetime) -> Payout:
    """A payout made at `at` of [(vendor_order, amount)], with its payout entries."""
    total = sum((Decimal(amount) for _vo, amount in lines), Decimal("0"))
    n = next(_refs)
    payout = Payout.objects.create(
        vendor=vendor, status="paid", amount=total, amount_cents=int(total * 100),
        iban_masked="FR76 •••• 0189", transfer_reference=f"P2P-T{n:05d}",
        money_out_reference=f"MO-T{n:05d}", created_at=at, transferred_at=at, paid_at=at,
    )  # fmt: skip
    for vendor_order, amount in lines:
        entry(vendor_order, vendor=vendor, amount=-Decimal(amount), at=at, kind="payout",
              payout=payout)  # fmt: skip
    return payout
