"""What the ledger still owes for each vendor order, kept as it is written (PAY-1's input).

`VendorOrderBalance` (ledger/models.py) holds, for every vendor order whose entries do not add
up to zero, Σ `LedgerEntry.amount` in cents: positive, the marketplace still owes the vendor
for it (not paid out yet); negative, a debt (a refund after the payout). A vendor order that
nets to zero (paid out, or wholly refunded before) has no row. The payout rule
(`allies.payouts.selectors.vendors_payable`) reads these few rows instead of summing the
whole ledger, which at a million entries took seconds on every dashboard and every run.

It is written by the entries themselves: `LedgerEntry.save` and
`LedgerEntry.objects.bulk_create` (ledger/models.py) call `balances_add` in the same
transaction as the insert, so no writer can forget it and a failed insert leaves the
balances as they were. `balances_rebuild` recomputes every row from the entries (a
migration, a benchmark that seeds raw rows); a test over random histories checks that the
rows always equal the entries' sums (tests/payouts/test_money_properties.py).

Plain SQL on purpose: one upsert per batch of vendor orders (`INSERT … ON CONFLICT DO UPDATE
… RETURNING`, understood by PostgreSQL and SQLite ≥ 3.35 alike), then, only when some came
back to zero (a payout, a whole refund), one delete of those rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.backends.base.base import BaseDatabaseWrapper

if TYPE_CHECKING:
    from allies.ledger.models import LedgerEntry

BALANCE_TABLE = "ledger_vendororderbalance"
ENTRY_TABLE = "payments_ledgerentry"
BATCH = 500  # vendor orders per statement (SQLite's variable limit allows 32,766 / 3)


def balances_add(connection: BaseDatabaseWrapper, deltas: Mapping[int, tuple[int, int]]) -> None:
    """Add `deltas` {vendor_order_id: (vendor_id, cents)} to the balances. Call inside the
    transaction that writes the entries."""
    changed = [(vo, vendor, cents) for vo, (vendor, cents) in deltas.items() if cents]
    if not changed:
        return
    table = connection.ops.quote_name(BALANCE_TABLE)
    with connection.cursor() as cursor:
        for start in range(0, len(changed), BATCH):
            batch = changed[start : start + BATCH]
            cursor.execute(
                f"INSERT INTO {table} (vendor_order_id, vendor_id, due_cents) VALUES "
                + ", ".join(["(%s, %s, %s)"] * len(batch))
                + " ON CONFLICT (vendor_order_id) DO UPDATE"
                f" SET due_cents = {table}.due_cents + excluded.due_cents"
                " RETURNING vendor_order_id, due_cents",
                [value for row in batch for value in row],
            )
            settled = [vendor_order_id for vendor_order_id, due in cursor.fetchall() if not due]
            if settled:
                cursor.execute(
                    f"DELETE FROM {table} WHERE due_cents = 0 AND vendor_order_id IN ("
                    + ", ".join(["%s"] * len(settled))
                    + ")",
                    settled,
                )


def entry_deltas(entries: Iterable[LedgerEntry]) -> dict[int, tuple[int, int]]:
    """{vendor_order_id: (vendor_id, Σ amount in cents)} of the given entries."""
    deltas: dict[int, tuple[int, int]] = {}
    for entry in entries:
        cents = int(round(Decimal(str(entry.amount)) * 100))
        vendor, total = deltas.get(entry.vendor_order_id, (entry.vendor_id, 0))
        deltas[entry.vendor_order_id] = (vendor, total + cents)
    return deltas


def balances_rebuild(connection: BaseDatabaseWrapper) -> None:
    """Recompute every balance from the entries (each entry is a whole number of cents, so
    rounding each one before the sum is exact on both databases)."""
    table = connection.ops.quote_name(BALANCE_TABLE)
    entries = connection.ops.quote_name(ENTRY_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {table} (vendor_order_id, vendor_id, due_cents) "
            f"SELECT vendor_order_id, MIN(vendor_id), SUM(CAST(ROUND(amount * 100) AS BIGINT)) "
            f"FROM {entries} GROUP BY vendor_order_id "
            f"HAVING SUM(CAST(ROUND(amount * 100) AS BIGINT)) <> 0"
        )
