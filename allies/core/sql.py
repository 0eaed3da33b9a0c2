"""Reads written by hand for the hottest fixed-shape queries, with the ORM's own results.

For a small indexed read, building a queryset's SQL costs more than running it: the product
page's three reads spent ~1.5 ms compiling their SQL against ~0.4 ms in the database
(bench/page_profile.py). Such a read writes its SQL once per process from the models'
metadata (`Columns.sql`), and turns each row into what the ORM would have given: the values
through the same converters (SQLite's decimals, booleans and datetimes), an instance built by
`Model.from_db` as a queryset builds it.

Only for reads whose shape never changes (the filters' values are parameters); everything
else stays a queryset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

M = TypeVar("M", bound=models.Model)

Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


class Columns(Generic[M]):
    """Some columns of a model (all its concrete fields by default), under a table alias,
    always in the model's order of fields whatever the order of `names` (`Model.from_db`
    reads a row's values in that order).

    `sql` lists them for a SELECT; `values(connection, row)` converts them as a queryset
    would; `instance(connection, row)` builds the model instance (any field not read is
    deferred, as with `.only()`)."""

    def __init__(self, model: type[M], alias: str, names: Sequence[str] | None = None) -> None:
        self.model = model
        meta = model._meta
        self.fields = list(meta.concrete_fields)
        if names:
            asked = {meta.get_field(name) for name in names}
            self.fields = [field for field in self.fields if field in asked]
            if len(self.fields) != len(asked):
                raise ValueError(f"not columns of {meta.label}: {names!r}")
        self.sql = ", ".join(f'{alias}."{field.column}"' for field in self.fields)
        self.attnames = tuple(field.attname for field in self.fields)
        self._converters: WeakKeyDictionary[
            BaseDatabaseWrapper, list[tuple[int, list[Converter], Any]]
        ] = WeakKeyDictionary()

    def __len__(self) -> int:
        return len(self.fields)

    def _converters_for(self, connection: BaseDatabaseWrapper) -> list[tuple[int, list, Any]]:
        if not isinstance(connection, BaseDatabaseWrapper):  # django.db.connection, a proxy
            connection = connections[connection.alias]
        found = self._converters.get(connection)
        if found is None:
            found = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.model._meta.db_table)
                converters = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if converters:
                    found.append((index, converters, column))
            self._converters[connection] = found
        return found

    def values(self, connection: BaseDatabaseWrapper, row: Sequence[Any]) -> list[Any]:
        """The row's values (its first `len(self)` items) as the ORM returns them."""
        return _converted(
            list(row[: len(self.fields)]), self._converters_for(connection), connection
        )

    def rows(self, connection: BaseDatabaseWrapper, rows: Sequence[Sequence[Any]]) -> list[tuple]:
        """Whole rows whose first `len(self)` items are these columns, those converted; the
        items after them (another table's columns) are left as they are."""
        converting = self._converters_for(connection)
        if not converting:  # PostgreSQL gives decimals, booleans and datetimes as they are
            return [tuple(row) for row in rows]
        return [tuple(_converted(list(row), converting, connection)) for row in rows]

    def instance(self, connection: BaseDatabaseWrapper, row: Sequence[Any]) -> M:
        return self.model.from_db(connection.alias, self.attnames, self.values(connection, row))

    def instances(self, connection: BaseDatabaseWrapper, rows: Sequence[Sequence[Any]]) -> list[M]:
        from_db, alias, attnames = self.model.from_db, connection.alias, self.attnames
        return [from_db(alias, attnames, values) for values in self.rows(connection, rows)]


def _converted(
    values: list[Any], converting: list[tuple[int, list, Any]], connection: BaseDatabaseWrapper
) -> list[Any]:
    """`values` with each converted column passed through its converters, in place."""
    for index, converters, column in converting:
        value = values[index]
        for converter in converters:
            value = converter(value, column, connection)
        values[index] = value
    return values
