"""Catalogue builders for storefront tests: products with variants and vendors' offers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from allies.catalog.services import product_summaries_refresh
from tests.factories import CategoryFactory, OfferFactory, ProductFactory, VariantFactory

NBSP = "\u00a0"


def text(response) -> str:
    """The response's HTML with non-breaking spaces as plain spaces (prices: `49,90 €`)."""
    return response.content.decode().replace(NBSP, " ").replace("&nbsp;", " ")


def add_product(
    *,
    category=None,
    variants=(("M", "Bleu"),),
    offers=(),
    age_days: float = 0,
    **fields,
):
    """A product with the given variants (size, colour) and offers, summary refreshed.

    Each offer is a dict: vendor, price, stock (default 10), restock_weeks, and optionally
    `variant` (index into variants; default: the offer is made on every variant)."""
    product = ProductFactory(
        category=category or CategoryFactory(),
        created_at=timezone.now() - timedelta(days=age_days),
        **fields,
    )
    made = [
        VariantFactory(product=product, size=size, colour=colour, position=i)
        for i, (size, colour) in enumerate(variants)
    ]
    for spec in offers:
        spec = dict(spec)
        targets = [made[spec.pop("variant")]] if "variant" in spec else made
        for variant in targets:
            OfferFactory(
                variant=variant,
                vendor=spec["vendor"],
                price=Decimal(str(spec.get("price", "49.90"))),
                stock=spec.get("stock", 10),
                restock_weeks=spec.get("restock_weeks"),
                is_active=spec.get("is_active", True),
            )
    product_summaries_refresh(product_ids=[product.pk])
    product.refresh_from_db()
    return product


@pytest.fixture
def shirts(db):
    return CategoryFactory(
        name="Chemises", name_en="Shirts", slug="chemises", size_scale="S,M,L,XL"
    )


def install_old_search_index(*vectors: tuple[str, str]) -> None:
    """The search index as an earlier migration left it, after `search_index_drop`: each
    (PostgreSQL vector column, product text column) pair; on SQLite an FTS5 table over those
    text columns, without triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            columns = ", ".join(source for _, source in vectors)
            cursor.execute(
                f"CREATE VIRTUAL TABLE catalog_product_fts USING fts5({columns},"
                " content='catalog_product', content_rowid='id', tokenize='unicode61')"
            )
            return
        for column, source in vectors:
            cursor.execute(
                f"ALTER TABLE catalog_product ADD COLUMN {column} tsvector GENERATED ALWAYS"
                f" AS (array_to_tsvector(array_remove(string_to_array({source}, ' '), '')))"
                " STORED"
            )
