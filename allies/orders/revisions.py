"""Revision numbers of vendor orders (`VendorOrderRevision`), kept by database triggers.

A vendor order is shown (vendor API, OR11) with rows of other tables: its lines, shipments,
parcels, what each shipment holds, and its lines' offers' vendor SKU. Every insert, update or
delete of one of those rows adds one to its vendor order's revision, in the same statement,
whoever writes it: the orders app's functions, a bulk update, an admin action or raw SQL. A
cache keyed by (the vendor order's own row, its revision) is then exact by construction, with
no list of writers to keep up to date (`allies.vendor_api.order_cache`).

The triggers live next to the tables, so they must be there whenever the tables are: the
migration that creates the revisions installs them, and `revision_triggers_ensure` runs after
every `migrate` (apps.py), because Django rebuilds a SQLite table (and drops its triggers) to
alter it. If any trigger was missing, every revision moves once: rows written meanwhile may
have changed unseen.

Locks (PostgreSQL): a trigger updates the revision row, never the vendor order row, so it adds
no lock on vendor orders; two writers of one vendor order's rows wait on its revision row in
the order they wrote, after the vendor order lock the orders app already takes first.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

APP_LABEL = "orders"
MIGRATION = "0012_vendororderrevision"
REVISION_TABLE = "orders_vendororderrevision"
# Changing a trigger's definition: change this, and `revision_triggers_ensure` replaces them.
VERSION = "v1"
PREFIX = "orders_revision_"

_VIA_SHIPMENT = "(SELECT s.vendor_order_id FROM orders_shipment s WHERE s.id = {row}.shipment_id)"
# Each table whose rows a vendor order shows, and its vendor order as an SQL expression of one
# of its rows ({row}: NEW or OLD).
SOURCES = {
    "orders_orderline": "{row}.vendor_order_id",
    "orders_shipment": "{row}.vendor_order_id",
    "orders_parcel": _VIA_SHIPMENT,
    "orders_shipmentline": _VIA_SHIPMENT,
}


def _bump(vendor_orders: str) -> str:
    """One statement adding one to the revision of each vendor order `vendor_orders` (a
    SELECT of distinct `vo`) yields, creating its row at 1."""
    return (
        f"INSERT INTO {REVISION_TABLE} (vendor_order_id, number)"
        f" SELECT vo, 1 FROM ({vendor_orders}) AS touched WHERE vo IS NOT NULL"
        f" ON CONFLICT (vendor_order_id)"
        f" DO UPDATE SET number = {REVISION_TABLE}.number + 1"
    )


def _of(table: str, row: str) -> str:
    return f"SELECT {SOURCES[table].format(row=row)} AS vo"


def _of_offer(row: str) -> str:
    return (
        "SELECT DISTINCT l.vendor_order_id AS vo FROM orders_orderline l"
        f" WHERE l.offer_id = {row}.id"
    )


def _name(table: str, event: str = "") -> str:
    return f"{PREFIX}{VERSION}_{table}" + (f"_{event}" if event else "")


OFFER_TRIGGER = _name("catalog_offer")


def _sqlite_triggers() -> dict[str, str]:
    triggers = {}
    for table in SOURCES:
        bumps = {
            "insert": _bump(_of(table, "new")),
            "update": _bump(f"{_of(table, 'old')} UNION {_of(table, 'new')}"),
            "delete": _bump(_of(table, "old")),
        }
        for event, bump in bumps.items():
            name = _name(table, event)
            triggers[name] = (
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} BEGIN {bump}; END"
            )
    triggers[OFFER_TRIGGER] = (
        f"CREATE TRIGGER {OFFER_TRIGGER} AFTER UPDATE OF vendor_sku ON catalog_offer"
        f" WHEN old.vendor_sku IS NOT new.vendor_sku BEGIN {_bump(_of_offer('new'))}; END"
    )
    return triggers


def _pg_statements() -> dict[str, list[str]]:
    """Per trigger name, the statements that (re)create its function and itself."""
    statements = {}
    for table in SOURCES:
        name = _name(table)
        old, new = _of(table, "OLD"), _of(table, "NEW")
        body = (
            f"IF TG_OP = 'INSERT' THEN {_bump(new)};"
            f" ELSIF TG_OP = 'UPDATE' THEN {_bump(f'{old} UNION {new}')};"
            f" ELSE {_bump(old)}; END IF;"
        )
        statements[name] = [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {body} RETURN NULL; END $$",
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]
    statements[OFFER_TRIGGER] = [
        f"CREATE OR REPLACE FUNCTION {OFFER_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN {_bump(_of_offer('NEW'))}; RETURN NULL; END $$",
        f"DROP TRIGGER IF EXISTS {OFFER_TRIGGER} ON catalog_offer",
        f"CREATE TRIGGER {OFFER_TRIGGER} AFTER UPDATE OF vendor_sku ON catalog_offer"
        f" FOR EACH ROW WHEN (OLD.vendor_sku IS DISTINCT FROM NEW.vendor_sku)"
        f" EXECUTE FUNCTION {OFFER_TRIGGER}()",
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
