"""Reads written by hand (core.sql.Columns) give what the ORM gives: the same values of the
same types (SQLite's decimals, booleans and datetimes converted as a queryset converts them),
instances saved in the same database, unread fields deferred."""

from decimal import Decimal

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import connection

from allies.catalog.models import Offer, Product
from allies.core.sql import Columns
from allies.vendors.models import Vendor
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


def _read(columns: Columns, table: str, pk: int):
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {columns.sql} FROM "{table}" o WHERE o."id" = %s', [pk])
        return cursor.fetchone()


def test_a_row_read_by_hand_is_the_instance_the_orm_builds():
    # covers: CAT-1 (the product page's reads show the database's prices and stock)
    offer = OfferFactory(price=Decimal("12.30"), stock=0, restock_weeks=3, is_active=False)
    columns = Columns(Offer, "o")
    built = columns.instance(connection, _read(columns, Offer._meta.db_table, offer.pk))
    orm = Offer.objects.get(pk=offer.pk)
    for field in Offer._meta.concrete_fields:
        mine, theirs = getattr(built, field.attname), getattr(orm, field.attname)
        assert (mine, type(mine)) == (theirs, type(theirs)), field.name
    assert built.price == Decimal("12.30") and built.is_active is False
    assert built.created_at.tzinfo is not None
    assert built._state.db == orm._state.db and built._state.adding is False
    assert built.get_deferred_fields() == set()


def test_some_columns_leave_the_others_deferred():
    offer = OfferFactory(price=Decimal("7.05"), stock=4)
    columns = Columns(Offer, "o", ("id", "price", "stock"))
    built = columns.instance(connection, _read(columns, Offer._meta.db_table, offer.pk))
    assert (built.pk, built.price, built.stock) == (offer.pk, Decimal("7.05"), 4)
    assert "vendor_id" in built.get_deferred_fields() and "is_active" in built.get_deferred_fields()
    # As with .only(): a deferred field is read when asked for.
    assert built.vendor_id == offer.vendor_id


def test_columns_asked_in_another_order_come_in_the_models_order():
    # covers: CAT-1 (a listing's cards show each product's own title and link)
    offer = OfferFactory(price=Decimal("8.40"), stock=6)
    columns = Columns(Offer, "o", ("stock", "price", "id"))
    assert columns.attnames == ("id", "price", "stock")
    built = columns.instance(connection, _read(columns, Offer._meta.db_table, offer.pk))
    assert (built.pk, built.price, built.stock) == (offer.pk, Decimal("8.40"), 6)
    with pytest.raises(FieldDoesNotExist):
        Columns(Offer, "o", ("id", "nonsense"))
    with pytest.raises(ValueError):  # not a column: another model's relation to offers
        Columns(Vendor, "w", ("id", "offers"))


def test_columns_are_written_from_the_model():
    columns = Columns(Product, "p")
    assert len(columns) == len(Product._meta.concrete_fields)
    assert columns.sql.startswith('p."id", ') and 'p."title"' in columns.sql


def test_rows_convert_their_columns_and_leave_the_joined_ones():
    cheap = OfferFactory(price=Decimal("3.10"), stock=2)
    dear = OfferFactory(price=Decimal("99.99"), stock=0)
    columns = Columns(Offer, "o", ("id", "price"))
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT {columns.sql}, w."name" FROM "{Offer._meta.db_table}" o'
            f' JOIN "{Vendor._meta.db_table}" w ON w."id" = o."vendor_id" ORDER BY o."id"'
        )
        rows = columns.rows(connection, cursor.fetchall())
    assert rows == [
        (cheap.pk, Decimal("3.10"), cheap.vendor.name),
        (dear.pk, Decimal("99.99"), dear.vendor.name),
    ]
    assert all(type(price) is Decimal for _, price, _ in rows)


def test_instances_are_the_orm_instances():
    offers = [OfferFactory(price=Decimal(f"{n}.50")) for n in (1, 2)]
    columns = Columns(Offer, "o")
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {columns.sql} FROM "{Offer._meta.db_table}" o ORDER BY o."id"')
        built = columns.instances(connection, cursor.fetchall())
    orm = list(Offer.objects.order_by("id"))
    assert [(o.pk, o.price, o.is_active, o.created_at) for o in built] == [
        (o.pk, o.price, o.is_active, o.created_at) for o in orm
    ]
    assert [o.pk for o in built] == [o.pk for o in offers]
