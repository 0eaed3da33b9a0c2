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

Each row also keeps what the payout rule needs from its vendor order, so that the rule reads
these rows alone (no join with the vendor orders, whose number grows with every sale):
`delivered_at`, the vendor order's moment of delivery while its stage is delivered or closed
(`DELIVERED`), else NULL. It is written

- with the balance itself: every upsert reads the vendor order's stage and moment in the
  same statement (on PostgreSQL under a share lock of the vendor order, so a delivery being
  written concurrently is waited for and then seen);
- when a vendor order moves: the orders app calls the hook `vendor_orders_moved` in the
  transition's transaction, and `balances_follow` copies the new moment onto the row. No
  move leaves the delivered stages (the transition table; a test keeps it so), so only
  moves into them write anything, and a move elsewhere costs no query;
- by `balances_rebuild`, from the entries and the vendor orders.

The property test over random histories checks it against the vendor orders after every
step.

Plain SQL on purpose: one upsert per batch of vendor orders (`INSERT … SELECT … ON CONFLICT
DO UPDATE … RETURNING`, understood by PostgreSQL and SQLite ≥ 3.35 alike), then, only when
some came back to zero (a payout, a whole refund), one delete of those rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError
from django.db.backends.base.base import BaseDatabaseWrapper

from allies.orders.states import VendorOrderStatus

if TYPE_CHECKING:
    from allies.ledger.models import LedgerEntry

BALANCE_TABLE = "ledger_vendororderbalance"
ENTRY_TABLE = "payments_ledgerentry"
VENDOR_ORDER_TABLE = "orders_vendororder"
BATCH = 500  # vendor orders per statement (SQLite's variable limit allows 32,766 / 3)
# The stages in which a vendor order counts as delivered for the payout rule (PAY-1).
DELIVERED = (VendorOrderStatus.DELIVERED.value, VendorOrderStatus.CLOSED.value)


def _delivered_sql(vendor_order: str) -> str:
    """The SQL of a vendor order's `delivered_at` as a balance row keeps it: its moment of
    delivery while it is delivered or closed, else NULL (constants only: no parameter)."""
    stages = ", ".join(f"'{stage}'" for stage in DELIVERED)
    return f"CASE WHEN {vendor_order}.status IN ({stages}) THEN {vendor_order}.delivered_at END"


def balances_add(connection: BaseDatabaseWrapper, deltas: Mapping[int, tuple[int, int]]) -> None:
    """Add `deltas` {vendor_order_id: (vendor_id, cents)} to the balances, each row with its
    vendor order's moment of delivery as it is now. Call inside the transaction that writes
    the entries."""
    changed = [(vo, vendor, cents) for vo, (vendor, cents) in deltas.items() if cents]
    if not changed:
        return
    table = connection.ops.quote_name(BALANCE_TABLE)
    orders = connection.ops.quote_name(VENDOR_ORDER_TABLE)
    # PostgreSQL: wait for a transaction moving one of these vendor orders (it holds the row
    # lock) and read what it wrote; SQLite writes one transaction at a time.
    lock = " FOR SHARE OF vo" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        for start in range(0, len(changed), BATCH):
            batch = changed[start : start + BATCH]
            # `WHERE true`: SQLite needs it to read ON CONFLICT after a join.
            cursor.execute(
                "WITH d (vendor_order_id, vendor_id, due_cents) AS (VALUES "
                + ", ".join(["(%s, %s, %s)"] * len(batch))
                + f") INSERT INTO {table} (vendor_order_id, vendor_id, due_cents, delivered_at)"
                f" SELECT d.vendor_order_id, d.vendor_id, d.due_cents, {_delivered_sql('vo')}"
                f" FROM d JOIN {orders} vo ON vo.id = d.vendor_order_id WHERE true{lock}"
                " ON CONFLICT (vendor_order_id) DO UPDATE"
                f" SET due_cents = {table}.due_cents + excluded.due_cents,"
                " delivered_at = excluded.delivered_at"
                " RETURNING vendor_order_id, due_cents",
                [value for row in batch for value in row],
            )
            rows = cursor.fetchall()
            if len(rows) != len(batch):  # the join lost one: a vendor order that does not exist
                raise IntegrityError("ledger balances: unknown vendor order")
            settled = [vendor_order_id for vendor_order_id, due in rows if not due]
            if settled:
                cursor.execute(
                    f"DELETE FROM {table} WHERE due_cents = 0 AND vendor_order_id IN ("
                    + ", ".join(["%s"] * len(settled))
                    + ")",
                    settled,
                )


def balances_follow(*, vendor_orders: Iterable[Any], **_: Any) -> None:
    """Receiver of the hook `vendor_orders_moved` (registered in `ledger.apps`), in the
    transition's transaction: the balance rows of the vendor orders that are now delivered
    or closed take their moment of delivery, one UPDATE each (a delivery, a closing: one
    vendor order at a time); a move elsewhere costs no query (no move leaves those stages,
    so a row's NULL stays right). A row that already holds the moment is not written."""
    from allies.ledger.models import VendorOrderBalance

    for vendor_order in vendor_orders:
        moment = vendor_order.delivered_at
        if vendor_order.status in DELIVERED and moment is not None:
            VendorOrderBalance.objects.filter(vendor_order_id=vendor_order.pk).exclude(
                delivered_at=moment
            ).update(delivered_at=moment)


def entry_deltas(entries: Iterable[LedgerEntry]) -> dict[int, tuple[int, int]]:
    """{vendor_order_id: (vendor_id, Σ amount in cents)} of the given entries."""
    deltas: dict[int, tuple[int, int]] = {}
    for entry in entries:
        cents = int(round(Decimal(str(entry.amount)) * 100))
        vendor, total = deltas.get(entry.vendor_order_id, (entry.vendor_id, 0))
        deltas[entry.vendor_order_id] = (vendor, total + cents)
    return deltas


def balances_rebuild(connection: BaseDatabaseWrapper) -> None:
    """Recompute every balance from the entries, with its vendor order's moment of delivery
    (each entry is a whole number of cents, so rounding each one before the sum is exact on
    both databases)."""
    table = connection.ops.quote_name(BALANCE_TABLE)
    entries = connection.ops.quote_name(ENTRY_TABLE)
    orders = connection.ops.quote_name(VENDOR_ORDER_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {table} (vendor_order_id, vendor_id, due_cents, delivered_at) "
            f"SELECT s.vendor_order_id, s.vendor_id, s.due_cents, {_delivered_sql('vo')} "
            f"FROM (SELECT vendor_order_id, MIN(vendor_id) AS vendor_id, "
            f"SUM(CAST(ROUND(amount * 100) AS BIGINT)) AS due_cents "
            f"FROM {entries} GROUP BY vendor_order_id "
            f"HAVING SUM(CAST(ROUND(amount * 100) AS BIGINT)) <> 0) s "
            f"JOIN {orders} vo ON vo.id = s.vendor_order_id"
        )
