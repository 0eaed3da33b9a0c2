"""The full-text index behind product search (CAT-1), on SQLite and PostgreSQL.

What a search matches is unchanged from the LIKE scan it replaces: `Product.search_text` is
the space-padded list of the product's normalised words (core.text.search_document: no
accents, no case, light French plural stemming, the same functions as the query's terms);
a query term matches a product when one of those words starts with it, and every term must
match. The index only makes that fast; it never re-normalises the words, so results equal
the scan's on both databases:

- PostgreSQL: the words as a `tsvector` in a stored generated column, `search_words`
  (computed by PostgreSQL on every write, and for the existing rows when it is added), with
  a GIN index, queried with a prefix tsquery `'t1':* & 't2':*`. The vector is built without
  a text search parser (`array_to_tsvector` over the words split on spaces: each lexeme is
  exactly one stored word; a parser such as to_tsvector('simple') splits "2e10x" into
  "2e10" and "x"). A French configuration with unaccent would stem differently from
  core.text (and from the SQLite index), so the two databases would find different
  products. Stored, not an expression index: the heap recheck of an expression index
  recomputes the vector of every match (5× slower at 4,000 matches), and a planner that
  chooses a sequential scan for a frequent word computes it for every product. The column
  is not on the Django model (SQLite has no tsvector): Django never reads or writes it.
  The title's words alone (`title_search`) have their own column, `title_words`, built the
  same way: the products with every term in their title rank first (selectors.search_slice
  reads that tier whole when it is small).
- SQLite: an FTS5 external-content table over `search_text` and `title_search` (the text
  stays in catalog_product), kept current by triggers on insert, delete and change of
  either, queried with `{search_text} : ("t1"* "t2"*)` (implicit AND of prefix queries;
  `{title_search}` for the title tier). Prefix indexes for 1–3 characters keep short terms
  from merging many words' lists.
- another database: the LIKE scan (selectors.search_match).

Django's SQLite schema editor rebuilds a table for many ALTERs (copy into a new table, drop
the old one, rename), and dropping a table drops its triggers: `search_index_ensure` runs
after every `migrate` (apps.py) and reinstalls what is missing, rebuilding the FTS index.
An FTS table of an older definition (search_text alone, migration 0007; no facets, 0008)
counts as missing.

The listing filters' tokens (`Product.facets`, catalog.facets: "v12", "s-m", "v12s-m") are
indexed too, each once as it is and once scoped to the product's category ("c5-v12"), so a
category page filtered by a vendor or a size reads exactly its rows from the index instead of
testing every product of the category with LIKE. The scoped tokens are computed from the row
by the index itself (`facets || replace(facets, ' ', ' c<id>-')`, which also yields a
harmless "c<id>-" token), so a product moved to another category is re-indexed by the same
write. On PostgreSQL a GIN index on that expression (`pg_facet_words`, a function); on SQLite
a third FTS5 column, `facets`, whose tokenizer keeps '-' inside a token (search words are
[a-z0-9] only, so it changes nothing for them). FTS5's 'rebuild' would read the raw `facets`
column, without the scoped tokens: the SQLite index is refilled by an INSERT … SELECT of the
same expression instead.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

APP_LABEL, MIGRATION = "catalog", "0007_product_search_index"
FTS_TABLE = "catalog_product_fts"
# The FTS5 columns, named as the product's columns they index.
FTS_ALL, FTS_TITLE, FTS_FACETS = "search_text", "title_search", "facets"
PG_COLUMN = "search_words"
PG_TITLE_COLUMN = "title_words"
PG_FACETS_INDEX = "catalog_product_facet_words_gin"


def _facets_scoped(facets: str, category_id: str) -> str:
    """SQL of the facet tokens as they are, then each again prefixed with "c<category id>-",
    from the SQL of the row's `facets` and of its category id as text."""
    return f"{facets} || replace({facets}, ' ', ' c' || {category_id} || '-')"


def _pg_words(source: str) -> str:
    return f"array_to_tsvector(array_remove(string_to_array({source}, ' '), ''))"


PG_FACETS_FUNCTION = "catalog_facet_words"


def pg_facet_words(table: str) -> str:
    """The facet vector of a row of `table` (a name or alias), as the index PG_FACETS_INDEX is
    built: a query must write it this way to use the index."""
    return f"{PG_FACETS_FUNCTION}({table}.facets, {table}.category_id)"


# Column and GIN index of each stored vector, and the product's text column it is built from.
_PG_VECTORS = (
    (PG_COLUMN, "catalog_product_search_words_gin", "search_text"),
    (PG_TITLE_COLUMN, "catalog_product_title_words_gin", "title_search"),
)
# The facet tokens are looked up whole (no prefix query), so the index never rechecks a row:
# an expression index costs nothing at query time, where a stored vector would widen every
# row of the table by a quarter (slower reads of the table for every listing). The
# expression is a PL/pgSQL function (never inlined) declared dear (COST): on the plain
# expression the planner saw a few cheap operators, and counted a vendor's first 1,001
# products by computing the vector of each row it scanned (~8 µs a row, 30 ms) instead of
# reading the index (9 ms). COST 1000 was too much: it made counts worth parallel workers,
# slower on 2 CPUs.
_PG_FACETS_FUNCTION_SQL = f"""
    CREATE OR REPLACE FUNCTION {PG_FACETS_FUNCTION}(facets text, category_id bigint)
    RETURNS tsvector LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 100 AS $$
    BEGIN
        RETURN {_pg_words(_facets_scoped("facets", "category_id::text"))};
    END $$"""
_PG_FACETS_INDEX_SQL = (
    f"CREATE INDEX IF NOT EXISTS {PG_FACETS_INDEX} ON catalog_product"
    f" USING gin ({PG_FACETS_FUNCTION}(facets, category_id))"
)


_COLUMNS = f"{FTS_ALL}, {FTS_TITLE}, {FTS_FACETS}"


def _sqlite_values(row: str) -> str:
    facets = _facets_scoped(f"{row}.facets", f"{row}.category_id")
    return f"{row}.search_text, {row}.title_search, {facets}"


_SQLITE_TRIGGERS = {
    f"{FTS_TABLE}_insert": f"""
        CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON catalog_product
        BEGIN
            INSERT INTO {FTS_TABLE}(rowid, {_COLUMNS}) VALUES (new.id, {_sqlite_values("new")});
        END""",
    f"{FTS_TABLE}_delete": f"""
        CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON catalog_product
        BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLUMNS})
            VALUES ('delete', old.id, {_sqlite_values("old")});
        END""",
    # Summary refreshes rewrite search_text with every offer change: unchanged text is skipped.
    f"{FTS_TABLE}_update": f"""
        CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update
        AFTER UPDATE OF id, search_text, title_search, facets, category_id ON catalog_product
        WHEN old.search_text IS NOT new.search_text OR old.title_search IS NOT new.title_search
            OR old.facets IS NOT new.facets OR old.category_id IS NOT new.category_id
            OR old.id IS NOT new.id
        BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLUMNS})
            VALUES ('delete', old.id, {_sqlite_values("old")});
            INSERT INTO {FTS_TABLE}(rowid, {_COLUMNS}) VALUES (new.id, {_sqlite_values("new")});
        END""",
}
_SQLITE_TABLE = f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        {_COLUMNS}, content='catalog_product', content_rowid='id',
        tokenize="unicode61 tokenchars '-'", prefix='1 2 3'
    )"""


def _sqlite_present(cursor) -> set[str]:
    """The index's parts in place, each as its current definition (an older one is absent)."""
    names = [FTS_TABLE, *_SQLITE_TRIGGERS]
    placeholders = ", ".join(["%s"] * len(names))
    cursor.execute(f"SELECT name, sql FROM sqlite_master WHERE name IN ({placeholders})", names)
    return {name for name, sql in cursor.fetchall() if "category_id" in sql or "tokenchars" in sql}


def search_index_ensure(connection: BaseDatabaseWrapper) -> bool:
    """Create whatever part of the index is missing (and on SQLite, if anything was, fill
    it from the products). Idempotent and cheap when all is in place. True if it built."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = [column for column, _, _ in _PG_VECTORS]
            indexes = [index for _, index, _ in _PG_VECTORS] + [PG_FACETS_INDEX]
            cursor.execute(
                "SELECT count(*) FROM pg_attribute WHERE attrelid = 'catalog_product'::regclass"
                " AND attname = ANY(%s) AND NOT attisdropped",
                [columns],
            )
            has_columns = cursor.fetchone()[0] == len(columns)
            cursor.execute("SELECT count(*) FROM pg_class WHERE relname = ANY(%s)", [indexes])
            has_indexes = cursor.fetchone()[0] == len(indexes)
            # A facet index of an older definition (the plain expression) counts as missing.
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s", [PG_FACETS_INDEX]
            )
            found = cursor.fetchone()
            if found is not None and PG_FACETS_FUNCTION not in found[0]:
                cursor.execute(f"DROP INDEX {PG_FACETS_INDEX}")
                has_indexes = False
            if has_columns and has_indexes:
                return False
            for column, index, source in _PG_VECTORS:
                cursor.execute(
                    f"ALTER TABLE catalog_product ADD COLUMN IF NOT EXISTS {column} tsvector"
                    f" GENERATED ALWAYS AS ({_pg_words(source)}) STORED"
                )
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {index} ON catalog_product USING gin ({column})"
                )
            cursor.execute(_PG_FACETS_FUNCTION_SQL)
            cursor.execute(_PG_FACETS_INDEX_SQL)
            return True
        if connection.vendor != "sqlite":
            return False
        if _sqlite_present(cursor) == {FTS_TABLE, *_SQLITE_TRIGGERS}:
            return False
        _sqlite_drop(cursor)  # an older definition, or some parts only: built again whole
        cursor.execute(_SQLITE_TABLE)
        for sql in _SQLITE_TRIGGERS.values():
            cursor.execute(sql)
        # The rows written while a trigger was missing: read the whole table again (not with
        # 'rebuild', which would index the raw facets column; see the module's docstring).
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')")
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, {_COLUMNS})"
            f" SELECT p.id, {_sqlite_values('p')} FROM catalog_product p"
        )
        return True


def search_index_drop(connection: BaseDatabaseWrapper) -> None:
    """Remove the index (the migration's reverse)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_FACETS_INDEX}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {PG_FACETS_FUNCTION}(text, bigint)")
            for column, index, _ in _PG_VECTORS:
                cursor.execute(f"DROP INDEX IF EXISTS {index}")
                cursor.execute(f"ALTER TABLE catalog_product DROP COLUMN IF EXISTS {column}")
        elif connection.vendor == "sqlite":
            _sqlite_drop(cursor)


def _sqlite_drop(cursor) -> None:
    for name in _SQLITE_TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def post_migrate_ensure(*, using: str, **kwargs) -> None:
    """post_migrate receiver (apps.py): the index survives Django's SQLite table rebuilds.
    Only once the migration that creates it is applied (not after migrating back past it)."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if (APP_LABEL, MIGRATION) in MigrationRecorder(connection).applied_migrations():
        search_index_ensure(connection)
