"""Revision numbers of vendor orders (`VendorOrderRevision`), kept by database triggers.

A vendor order is shown (vendor API, OR11) with its own row, its order's reference, dates and
addresses, its customer's name, and rows of other tables: its lines, shipments, parcels, what
each shipment holds, and its lines' offers' vendor SKU. Every write of one of those rows adds
one to its vendor order's revision, in the same statement, whoever writes it: the orders app's
functions, a bulk update, an admin action or raw SQL. The revision alone then tells whether
anything an order shows changed: a cache keyed by (vendor order, revision) is exact by
construction, with no list of writers to keep up to date (`allies.vendor_api.order_cache`).

The triggers live next to the tables, so they must be there whenever the tables are: the
migration that creates the revisions installs them, and `revision_triggers_ensure` runs after
every `migrate` (apps.py), because Django rebuilds a SQLite table (and drops its triggers) to
alter it. If any trigger was missing, every revision moves once: rows written meanwhile may
have changed unseen.

Locks (PostgreSQL): a trigger updates revision rows, never the vendor order row, so it adds no
lock on vendor orders; two writers of one vendor order's rows wait on its revision row in the
order they wrote, after the vendor order lock the orders app already takes first.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper

APP_LABEL = "orders"
MIGRATION = "0012_vendororderrevision"
REVISION_TABLE = "orders_vendororderrevision"
# Changing a trigger's definition: change this, and `revision_triggers_ensure` replaces them.
VERSION = "v2"
PREFIX = "orders_revision_"


@dataclass(frozen=True)
class Watch:
    """A table whose rows a vendor order shows. `vendor_orders`: a SELECT of the vendor orders
    (as `vo`) one of its rows ({row}: NEW or OLD) is shown with. With `columns`, only an UPDATE
    that really changes one of them counts; else every INSERT, UPDATE (old and new vendor
    orders) and, if `on_delete`, DELETE."""

    table: str
    vendor_orders: str
    columns: tuple[str, ...] = ()
    on_delete: bool = True


_VIA_SHIPMENT = (
    "SELECT s.vendor_order_id AS vo FROM orders_shipment s WHERE s.id = {row}.shipment_id"
)
WATCHED = (
    Watch("orders_vendororder", "SELECT {row}.id AS vo", on_delete=False),
    Watch(
        "orders_order",
        "SELECT v.id AS vo FROM orders_vendororder v WHERE v.order_id = {row}.id",
        columns=("reference", "validated_at", "delivery_address", "billing_address", "customer_id"),
    ),  # fmt: skip
    Watch(
        "accounts_user",
        "SELECT v.id AS vo FROM orders_vendororder v"
        " JOIN orders_order o ON o.id = v.order_id WHERE o.customer_id = {row}.id",
        columns=("first_name", "last_name"),
    ),
    Watch("orders_orderline", "SELECT {row}.vendor_order_id AS vo"),
    Watch("orders_shipment", "SELECT {row}.vendor_order_id AS vo"),
    Watch("orders_parcel", _VIA_SHIPMENT),
    Watch("orders_shipmentline", _VIA_SHIPMENT),
    Watch(
        "catalog_offer",
        "SELECT DISTINCT l.vendor_order_id AS vo FROM orders_orderline l"
        " WHERE l.offer_id = {row}.id",
        columns=("vendor_sku",),
    ),
)


def _bump(vendor_orders: str) -> str:
    """One statement adding one to the revision of each vendor order `vendor_orders` (a
    SELECT of `vo`) yields, creating its row at 1."""
    return (
        f"INSERT INTO {REVISION_TABLE} (vendor_order_id, number)"
        f" SELECT DISTINCT vo, 1 FROM ({vendor_orders}) AS touched WHERE vo IS NOT NULL"
        f" ON CONFLICT (vendor_order_id)"
        f" DO UPDATE SET number = {REVISION_TABLE}.number + 1"
    )


def _of(watch: Watch, row: str) -> str:
    return watch.vendor_orders.format(row=row)


def _name(table: str, event: str = "") -> str:
    return f"{PREFIX}{VERSION}_{table}" + (f"_{event}" if event else "")


def _changed(watch: Watch, old: str, new: str, operator: str) -> str:
    return " OR ".join(f"{old}.{c} {operator} {new}.{c}" for c in watch.columns)


def _sqlite_triggers() -> dict[str, str]:
    triggers = {}
    for watch in WATCHED:
        if watch.columns:
            name = _name(watch.table, "update")
            triggers[name] = (
                f"CREATE TRIGGER {name} AFTER UPDATE OF {', '.join(watch.columns)}"
                f" ON {watch.table} WHEN {_changed(watch, 'old', 'new', 'IS NOT')}"
                f" BEGIN {_bump(_of(watch, 'new'))}; END"
            )
            continue
        bumps = {
            "insert": _bump(_of(watch, "new")),
            "update": _bump(f"{_of(watch, 'old')} UNION {_of(watch, 'new')}"),
        }
        if watch.on_delete:
            bumps["delete"] = _bump(_of(watch, "old"))
        for event, bump in bumps.items():
            name = _name(watch.table, event)
            triggers[name] = (
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {watch.table} BEGIN {bump}; END"
            )
    return triggers


def _pg_statements() -> dict[str, list[str]]:
    """Per trigger name, the statements that (re)create its function and itself."""
    statements = {}
    for watch in WATCHED:
        name = _name(watch.table)
        old, new = _of(watch, "OLD"), _of(watch, "NEW")
        if watch.columns:
            body = f"{_bump(new)};"
            events = f"UPDATE OF {', '.join(watch.columns)}"
            when = f" WHEN ({_changed(watch, 'OLD', 'NEW', 'IS DISTINCT FROM')})"
        else:
            body = (
                f"IF TG_OP = 'INSERT' THEN {_bump(new)};"
                f" ELSIF TG_OP = 'UPDATE' THEN {_bump(f'{old} UNION {new}')};"
                + (f" ELSE {_bump(old)};" if watch.on_delete else "")
                + " END IF;"
            )
            events = "INSERT OR UPDATE" + (" OR DELETE" if watch.on_delete else "")
            when = ""
        statements[name] = [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {body} RETURN NULL; END $$",
            f"DROP TRIGGER IF EXISTS {name} ON {watch.table}",
            f"CREATE TRIGGER {name} AFTER {events} ON {watch.table}"
            f" FOR EACH ROW{when} EXECUTE FUNCTION {name}()",
        ]
    return statements


def _present(cursor, vendor: str) -> dict[str, str]:
    """Our triggers in the database (any version), each with its table."""
    if vendor == "postgresql":
        cursor.execute(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND t.tgname LIKE %s",
            [PREFIX + "%"],
        )
    else:
        cursor.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
            [PREFIX + "%"],
        )
    return dict(cursor.fetchall())


def _wanted(vendor: str) -> set[str]:
    return set(_pg_statements() if vendor == "postgresql" else _sqlite_triggers())


def revision_triggers_ensure(connection: BaseDatabaseWrapper) -> bool:
    """Install the triggers if any is missing or of another version; then every vendor
    order's revision moves once. Cheap (one catalogue read) when all are in place. True if
    it installed them."""
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        return False
    with connection.cursor() as cursor:
        present = _present(cursor, vendor)
        if set(present) == _wanted(vendor):
            return False
        _drop(cursor, vendor, present)
        if vendor == "postgresql":
            for statements in _pg_statements().values():
                for sql in statements:
                    cursor.execute(sql)
        else:
            for sql in _sqlite_triggers().values():
                cursor.execute(sql)
        cursor.execute(_bump("SELECT id AS vo FROM orders_vendororder"))
    return True


def _drop(cursor, vendor: str, present: dict[str, str]) -> None:
    for name, table in present.items():
        if vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def revision_triggers_drop(connection: BaseDatabaseWrapper) -> None:
    """Remove the triggers (the migration's reverse)."""
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    with connection.cursor() as cursor:
        _drop(cursor, connection.vendor, _present(cursor, connection.vendor))


def post_migrate_ensure(*, using: str, **kwargs) -> None:
    """post_migrate receiver (apps.py), once the migration that creates the revisions is
    applied (not after migrating back past it)."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if (APP_LABEL, MIGRATION) in MigrationRecorder(connection).applied_migrations():
        revision_triggers_ensure(connection)
