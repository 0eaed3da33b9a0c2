"""Catalogue reads for the storefront, with their rules.

Rules every read here applies:
- customers see active products only, and in listings only products someone sells
  (`offer_count > 0`, kept by `services.product_summaries_refresh`);
- offers shown are active offers of active vendors;
- listings never touch offers or variants: they read the product summary (price_from,
  availability, offer/vendor counts, filter tokens, search terms), so every listing page
  runs the same few queries whatever the size of the catalogue, each bounded by the
  products of that listing (tests/storefront/test_query_counts.py).

Search (CAT-1): `Product.search_text` holds the accent-, case- and plural-free words
(core.text); a query term matches the start of a word, and every term must match.
`search_match` finds them through the full-text index of `catalog.search_index` (FTS5 on
SQLite, a GIN index on PostgreSQL), so a search reads the matching products only, never the
whole table. Title matches rank first, then newest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from functools import cache as cache_function
from functools import partial, reduce
from operator import add
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connections, router
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.expressions import Col
from django.utils.translation import gettext_lazy as _

from allies.catalog import facets
from allies.catalog.models import Availability, Category, Offer, Product, Variant
from allies.catalog.search_index import (
    FTS_ALL,
    FTS_FACETS,
    FTS_TABLE,
    FTS_TITLE,
    PG_COLUMN,
    PG_TITLE_COLUMN,
    pg_facet_words,
)
from allies.core.page_cache import generation_memo, memo_stamp
from allies.core.sql import Columns
from allies.core.text import query_terms
from allies.vendors.models import Vendor

PAGE_SIZE = 24
# The filters' choices shared by the processes: keyed by the tokens they were read under
# (never served after a change), kept this long at most.
OPTIONS_CACHE_SECONDS = 300
# Fields a product card reads; nothing else is loaded for listings.
CARD_FIELDS = (
    "id",
    "slug",
    "title",
    "brand",
    "kind",
    "price_from",
    "availability",
    "offer_count",
    "vendor_count",
    "created_at",
)
MAX_QUERY_TERMS = 8


class Sort:
    """Sort orders of listings; the values are what the URL carries (`?tri=`)."""

    RELEVANCE = "pertinence"
    PRICE_ASC = "prix-croissant"
    PRICE_DESC = "prix-decroissant"
    NEWEST = "nouveautes"

    LABELS = {
        RELEVANCE: _("Pertinence"),
        PRICE_ASC: _("Prix croissant"),
        PRICE_DESC: _("Prix décroissant"),
        NEWEST: _("Nouveautés"),
    }
    ORDERINGS = {
        PRICE_ASC: ("price_from", "id"),
        PRICE_DESC: ("-price_from", "-id"),
        NEWEST: ("-created_at", "-id"),
        RELEVANCE: ("-score", "-created_at", "-id"),
    }


@dataclass(frozen=True)
class ListingFilters:
    """What a listing shows; every field optional. Built from the GET form by the view."""

    terms: tuple[str, ...] = ()
    category_id: int | None = None
    vendor_id: int | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    size: str | None = None
    availability: int | None = None
    sort: str = Sort.NEWEST


# --- categories and vendors ---------------------------------------------------------------


def category_get(*, slug: str) -> Category | None:
    """The category, from the cached list; a category created since is read from the
    database, so a new category's page works at once."""
    found = next((c for c in categories_all() if c.slug == slug), None)
    return found or Category.objects.filter(slug=slug).first()


def categories_all() -> list[Category]:
    """Every category (a short list), kept by the process until the pages' generation changes
    (any saved category starts a new one): exact, and no cache round trip per request."""
    return generation_memo("catalog:categories", lambda: list(Category.objects.all()))


def vendors_active() -> list[dict]:
    """Every active vendor as {id, slug, name}, kept like `categories_all`: resolves
    `?vendeur=<slug>`."""

    def read() -> list[dict]:
        return [
            dict(row) for row in Vendor.objects.filter(is_active=True).values("id", "slug", "name")
        ]

    return generation_memo("catalog:vendors-active", read)


def vendor_get(*, slug: str) -> Vendor | None:
    return Vendor.objects.filter(slug=slug, is_active=True).first()


def vendor_options(*, category_id: int | None) -> list[dict]:
    """Active vendors selling something in the category (or anywhere), for the filter, by
    name. Read from the listed products' facets (one scan of the category): shared by the
    processes through the cache under the pages' generation and the listings token (a
    vendor's first offer in the category, or a suspended vendor, shows at the next request),
    and kept by each process while they are the same."""
    name = f"catalog:vendor-options:v3:{category_id or 'all'}"
    return generation_memo(name, lambda: _vendor_options_shared(name, category_id), listings=True)


def _vendor_options_shared(name: str, category_id: int | None) -> list[dict]:
    key = f"{name}:{memo_stamp(listings=True)}"
    rows = cache.get(key)
    if rows is None:
        products = listed_products()
        if category_id:
            products = products.filter(category_id=category_id)
        ids: set[int] = set()
        for text in products.order_by().values_list("facets", flat=True).iterator(2000):
            ids.update(int(t[1:]) for t in text.split() if t[1:].isdigit() and t[0] == "v")
        rows = sorted(
            (v for v in vendors_active() if v["id"] in ids), key=lambda v: v["name"].lower()
        )
        cache.set(key, rows, OPTIONS_CACHE_SECONDS)
    return rows


def size_options(*, category: Category | None) -> list[str]:
    """Sizes offered in the size filter: the category's own scale, else its variants' sizes."""
    if category is None:
        return []
    if category.sizes:
        return category.sizes
    name = f"catalog:size-options:v2:{category.pk}"
    return generation_memo(name, lambda: _size_options_shared(name, category))


def _size_options_shared(name: str, category: Category) -> list[str]:
    key = f"{name}:{memo_stamp()}"  # a saved variant or product starts a new generation
    sizes = cache.get(key)
    if sizes is None:
        sizes = sorted(
            set(
                Variant.objects.filter(product__category=category, product__is_active=True)
                .exclude(size="")
                .values_list("size", flat=True)
                .distinct()
            )
        )
        cache.set(key, sizes, OPTIONS_CACHE_SECONDS)
    return sizes


# --- listings -------------------------------------------------------------------------------


def listed_products() -> QuerySet[Product]:
    """Products a customer may find in a listing, with the card's fields only.

    Written for SQLite's planner as much as PostgreSQL's: `is_active__in=[True]` compiles to
    `is_active IN (1)`, which can use the (category, is_active, created_at | price_from)
    indexes that keep a page's rows a short index walk, where the bare `WHERE is_active`
    Django writes for `is_active=True` cannot; and `NOT offer_count = 0` (not indexable)
    keeps the planner on those ordering indexes. `listing_count` counts differently."""
    return Product.objects.filter(is_active__in=[True]).exclude(offer_count=0).only(*CARD_FIELDS)


def listing_count(queryset: QuerySet[Product]) -> int:
    """Number of rows of a listing. `offer_count > 0` (same rows) lets the count read the
    (category, is_active, offer_count) index alone."""
    return queryset.filter(offer_count__gt=0).order_by().count()


# What the listings' reads find, kept by the process under the pages' generation and the
# listings token (as the listing pages the page cache keeps: never past a change of what was
# read) and what was asked: a listing's or a search's count under its filters without the
# sort (every sort and page of one listing or search shares it), the date the search walk
# starts from. Bounded: when full, every entry is dropped (so that arbitrary filters from
# URLs cannot grow it).
_KEPT_MAX = 2_000
_kept: dict[tuple[Hashable, ...], Any] = {}
_MISSING = object()
T = TypeVar("T")


def _kept_read(asked: tuple[Hashable, ...], read: Callable[[], T]) -> T:
    key = (memo_stamp(listings=True), *asked)
    found = _kept.get(key, _MISSING)
    if found is _MISSING:
        found = read()
        if len(_kept) >= _KEPT_MAX:
            _kept.clear()
        _kept[key] = found
    return found


def _count_kept(kind: str, filters: ListingFilters, count: Callable[[], int]) -> int:
    return _kept_read((kind, replace(filters, sort=Sort.NEWEST)), count)


def listing_count_kept(queryset: QuerySet[Product], filters: ListingFilters) -> int:
    """`listing_count(queryset)` for the listing `filters` describe (`queryset` must be
    `product_listing(filters=filters)`), counted once per change of the listings."""
    return _count_kept("listing", filters, lambda: listing_count(queryset))


def listing_count_capped(queryset: QuerySet[Product], *, at_least: int) -> int:
    """Rows of a listing counted only as far as SEARCH_COUNT_CAP, or `at_least` when the page
    asked lies further, plus one: a result above the cap means "more than the cap" (and that
    a page after `at_least` exists). A listing that may hold a large share of the catalogue
    (a vendor's) is counted in about what a page costs."""
    limit = max(SEARCH_COUNT_CAP, at_least) + 1
    return queryset.order_by().values("pk")[:limit].count()


def listing_slice(
    queryset: QuerySet[Product], *, start: int, stop: int
) -> tuple[list[Product], int]:
    """Rows [start:stop) of a listing and its total, for listings that read every matching
    row anyway (search: its sort, by relevance, needs them all): the first query sorts and
    counts the matches (COUNT(*) OVER ()) carrying only their ids and sort keys, the second
    loads the page's cards by id. Sorting a few thousand narrow rows rather than whole cards
    is most of the gain. Two queries whatever the number of matches."""
    ranked = queryset.annotate(total=Window(Count("pk"))).values_list("pk", "total")
    head = list(ranked[start:stop])
    if not head:
        return [], 0
    return cards_by_id([pk for pk, _ in head]), head[0][1]


# The cards' columns (CARD_FIELDS), for `cards_by_id`'s read written once (core.sql).
_CARD = Columns(Product, "p", CARD_FIELDS)


def cards_by_id(ids: Sequence[int]) -> list[Product]:
    """The products of `ids` with the card's fields only, in the order of `ids` (a page of a
    listing sorted elsewhere); an id no longer in the database is left out. One query, as
    `Product.objects.only(*CARD_FIELDS).in_bulk(ids)`, without building it each time."""
    if not ids:
        return []
    meta = Product._meta
    connection = connections[router.db_for_read(Product)]
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT {_CARD.sql} FROM "{meta.db_table}" p'
            f' WHERE p."{meta.pk.column}" IN ({", ".join(["%s"] * len(ids))})',
            list(ids),
        )
        cards = {card.pk: card for card in _CARD.instances(connection, cursor.fetchall())}
    return [cards[pk] for pk in ids if pk in cards]


def search_terms_of(query: str) -> tuple[str, ...]:
    return tuple(query_terms(query[:200])[:MAX_QUERY_TERMS])


# A normalised term (core.text.search_terms): safe inside FTS5 and tsquery quotes.
_TERM = re.compile(r"[a-z0-9]+")
# A filter token (catalog.facets), likewise.
_FACET = re.compile(r"[a-z0-9-]+")
_PG_COLUMNS = {FTS_ALL: PG_COLUMN, FTS_TITLE: PG_TITLE_COLUMN}


class _WordsMatch(Func):
    """True when the product's row matches the index query (catalog.search_index) on SQLite
    and PostgreSQL. Arguments: the product's id column and the index query, one parameter;
    `column`: the indexed column (FTS_ALL, FTS_TITLE or FTS_FACETS), on PostgreSQL the vector
    `_PG_COLUMNS[column]` or, for the facets, the indexed expression; `first`: on SQLite, only
    the index's first matches by id (a probe: "are there many?"), ignored on PostgreSQL."""

    output_field = BooleanField()

    def __init__(self, pk, match, *, column: str, first: int | None = None) -> None:
        super().__init__(pk, match)
        self.column = column
        self.first = first

    def as_sqlite(self, compiler, connection, **extra_context):
        pk, pk_params = compiler.compile(self.source_expressions[0])
        match, match_params = compiler.compile(self.source_expressions[1])
        limit = f" LIMIT {int(self.first)}" if self.first is not None else ""
        sql = f"{pk} IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH {match}{limit})"
        return sql, (*pk_params, *match_params)

    def as_postgresql(self, compiler, connection, **extra_context):
        # The generated column is not on the model: named through the id column's alias.
        pk = self.source_expressions[0]
        assert isinstance(pk, Col)
        table = compiler.quote_name_unless_alias(pk.alias)
        match, match_params = compiler.compile(self.source_expressions[1])
        if self.column == FTS_FACETS:
            vector = pg_facet_words(table)
        else:
            vector = f"{table}.{_PG_COLUMNS[self.column]}"
        return f"{vector} @@ ({match})::tsquery", match_params


def search_match(
    queryset: QuerySet[Product],
    terms: Sequence[str],
    *,
    title: bool = False,
    per_row: bool = False,
    first: int | None = None,
) -> QuerySet[Product]:
    """Products of `queryset` with, for every term, a search word starting with it (CAT-1).
    Terms are normalised (`search_terms_of`). Every search goes through here: the index on
    SQLite and PostgreSQL, the LIKE scan it replaces on any other database.

    `title`: every term starts a word of the title (the top tier of relevance; the title's
    words are among the search words).
    `per_row`: the same test written on the product's own row, for a query that walks the
    products in date order and stops at its LIMIT (`search_slice`): on SQLite the index's
    `IN (SELECT rowid …)` would first read every match; PostgreSQL checks the stored vector
    of each row it walks either way."""
    if not terms:
        return queryset
    if not all(_TERM.fullmatch(term) for term in terms):
        raise ValueError(f"search terms must be normalised: {terms!r}")
    vendor = connections[queryset.db].vendor
    if vendor == "sqlite" and not per_row:
        match = (
            f"{{{FTS_TITLE if title else FTS_ALL}}} : ("
            + " ".join(f'"{term}"*' for term in terms)
            + ")"
        )
    elif vendor == "postgresql":
        match = " & ".join(f"'{term}':*" for term in terms)
    else:
        lookup = "title_search__contains" if title else "search_text__contains"
        for term in terms:
            queryset = queryset.filter(**{lookup: f" {term}"})
        return queryset
    column = FTS_TITLE if title else FTS_ALL
    return queryset.filter(_WordsMatch(F("pk"), Value(match), column=column, first=first))


def _listed_for_search() -> QuerySet[Product]:
    # The bare `WHERE is_active` (not `IN (1)`, see listed_products) keeps SQLite from
    # walking an is_active index over the whole catalogue: it reads the index's matches.
    return Product.objects.filter(is_active=True).exclude(offer_count=0).only(*CARD_FIELDS)


def facet_match(
    queryset: QuerySet[Product],
    token: str,
    *,
    category_id: int | None = None,
    per_row: bool = False,
) -> QuerySet[Product]:
    """Products of `queryset` carrying the filter token (catalog.facets), in `category_id`
    when given. The index's facet tokens on SQLite and PostgreSQL (scoped to the category, so
    a filtered category page reads its own rows only, catalog.search_index); the product's
    `facets` row by row (LIKE) elsewhere, and with `per_row`, for a query that walks the
    products in date order and stops at its LIMIT (as search_match's)."""
    if not _FACET.fullmatch(token):
        raise ValueError(f"not a filter token: {token!r}")
    if category_id is not None:
        queryset = queryset.filter(category_id=category_id)
    vendor = connections[queryset.db].vendor
    if per_row or vendor not in ("sqlite", "postgresql"):
        return queryset.filter(facets__contains=facets.facet_lookup(token))
    if category_id is not None:
        token = facets.category_token(category_id, token)
    match = f'{{{FTS_FACETS}}} : "{token}"' if vendor == "sqlite" else f"'{token}'"
    return queryset.filter(_WordsMatch(F("pk"), Value(match), column=FTS_FACETS))


def _filter_token(filters: ListingFilters) -> str | None:
    """The one facet token the vendor and size filters ask for (catalog.facets), if any."""
    if filters.vendor_id and filters.size:
        # "vendor X" + "size M" means X sells it in M.
        return facets.vendor_size_token(filters.vendor_id, filters.size)
    if filters.vendor_id:
        return facets.vendor_token(filters.vendor_id)
    if filters.size:
        return facets.size_token(filters.size)
    return None


def _filtered(
    qs: QuerySet[Product], filters: ListingFilters, *, per_row: bool = False
) -> QuerySet[Product]:
    """The listing's filters other than the search terms. With search terms, which the index
    narrows first, the filter tokens are checked on those rows (`facet_match`'s `per_row`):
    a size such as M, on most products, would otherwise read most of the index."""
    if filters.price_min is not None:
        qs = qs.filter(price_from__gte=filters.price_min)
    if filters.price_max is not None:
        qs = qs.filter(price_from__lte=filters.price_max)
    if filters.availability is not None:
        qs = qs.filter(availability=filters.availability)
    token = _filter_token(filters)
    if token is not None:
        per_row = per_row or bool(filters.terms)
        return facet_match(qs, token, category_id=filters.category_id, per_row=per_row)
    if filters.category_id:
        qs = qs.filter(category_id=filters.category_id)
    return qs


def product_listing(*, filters: ListingFilters, per_row: bool = False) -> QuerySet[Product]:
    """Filtered and sorted products for the category and search pages. Offers and variants
    are never joined: vendor and size filters read the product's facets (catalog.facets)
    through the index (`facet_match`).
    `per_row`: the search terms and filter tokens are checked row by row."""
    if filters.terms and per_row:
        qs = search_match(listed_products(), filters.terms, per_row=True)
    elif filters.terms:
        qs = search_match(_listed_for_search(), filters.terms)
    else:
        qs = listed_products()
    qs = _filtered(qs, filters, per_row=per_row)
    sort = filters.sort
    if sort == Sort.RELEVANCE:
        if filters.terms:
            title_hits = [
                Case(
                    When(title_search__contains=f" {term}", then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
                for term in filters.terms
            ]
            qs = qs.annotate(score=reduce(add, title_hits))
        else:
            sort = Sort.NEWEST
    return qs.order_by(*Sort.ORDERINGS.get(sort, Sort.ORDERINGS[Sort.NEWEST]))


@dataclass(frozen=True)
class SearchSlice:
    """A page of search results and the number of matches: exact up to SEARCH_COUNT_CAP;
    past it, possibly counted only as far as this page and one more if a next page exists
    (the page says "plus de 1 000 produits")."""

    rows: list[Product]
    total: int

    @property
    def exact(self) -> bool:
        """Whether the page shows the count: past the cap it says "more than" the cap, even
        when the count is known, so that every page of a search says the same."""
        return self.total <= SEARCH_COUNT_CAP


# Beyond this many matches a search says "more than" instead of counting them all: counting
# 40,000 matches of 200,000 products reads each one (35–80 ms); counting to the cap, 2–10 ms.
SEARCH_COUNT_CAP = 1_000
# The date walk reads this many of the newest listed products (multiples of the page's end),
# at most _WALK_ROWS_MAX (~7 ms on SQLite), before it gives up for the whole sort.
_WALK_ROWS = (20, 160)
_WALK_ROWS_MAX = 20_000


def search_slice(*, filters: ListingFilters, start: int, stop: int) -> SearchSlice:
    """Rows [start:stop) of a search (CAT-1), in the order of `product_listing`.

    A search with few matches (at most SEARCH_COUNT_CAP) is sorted and counted whole
    (`listing_slice`). One with more is read the way its order allows, stopping at the page
    (`_newest_first_walk`) when sorted by relevance or newest. Otherwise (a price sort, a
    large top tier hidden among older products) the whole sort, with its exact count."""
    if not filters.terms:
        rows, total = listing_slice(product_listing(filters=filters), start=start, stop=stop)
        return SearchSlice(rows, total)
    # Many matches or few? At most twice the cap of the index's matches are looked at: fewer
    # than the cap listed among them (unlisted products are in the index) sends the search
    # to the whole sort, which counts exactly.
    # Counted once per change of the listings, for every sort and page of this search.
    found = _count_kept("search probe", filters, lambda: _search_probe(filters))
    walked = None
    if found > SEARCH_COUNT_CAP and filters.sort in (Sort.RELEVANCE, Sort.NEWEST):
        walked = _newest_first_walk(filters, start=start, stop=stop)
    if walked is None:
        rows, total = listing_slice(product_listing(filters=filters), start=start, stop=stop)
        return SearchSlice(rows, total)
    return walked


def _search_probe(filters: ListingFilters) -> int:
    """Listed products with the search's terms and filters among the index's first 2 ×
    SEARCH_COUNT_CAP matches, counted up to SEARCH_COUNT_CAP + 1 ("many")."""
    probe = search_match(_listed_for_search(), filters.terms, first=2 * SEARCH_COUNT_CAP)
    return _filtered(probe, filters).order_by().values("pk")[: SEARCH_COUNT_CAP + 1].count()


def _newest_first_walk(filters: ListingFilters, *, start: int, stop: int) -> SearchSlice | None:
    """The page read from the newest listed products, or None if the newest _WALK_ROWS_MAX
    do not prove it.

    The newest active products are read first (the (is_active, created_at) index, each row
    checked: `per_row`), a bounded number at a time. Sorted by newest, the matches among them
    are the first of the sort. By relevance, the newest with the top score (every term in
    their title): once enough of them are among the newest read, no older product can come
    before them. When the top score is rare ("chemise bleu", "bleu" seldom in a title), the
    title index gives that whole tier (`_title_tier`), and the newest read with the score just
    below follow it."""
    matching = product_listing(filters=filters, per_row=True)
    top = len(filters.terms) if filters.sort == Sort.RELEVANCE else None
    need = stop + 1  # one more: is there a next page?
    more_than = max(SEARCH_COUNT_CAP + 1, need)
    title_tier: list[int] | None = None
    title_asked = False
    for read in sorted({min(need * factor, _WALK_ROWS_MAX) for factor in _WALK_ROWS}):
        if read < need:
            continue
        # The `read`-th newest active product's date: every product from it on, a prefix of
        # the date order, is read as one range of the index. The same for every search: kept
        # until the listings change. (Any date gives a right page, since what is read is a
        # prefix of the date order; the date only sets how much is read.)
        bound = _kept_read(("newest date", read), partial(_newest_date, read))
        head = matching.order_by("-created_at", "-id")
        if bound is not None:
            head = head.filter(created_at__gte=bound)
        if top is None:
            rows = [(pk, None) for pk in head.values_list("pk", flat=True)]
        else:
            rows = list(head.values_list("pk", F("score")))
        if bound is None:  # the whole catalogue was read: rank it (a stable sort keeps dates)
            ranked = [pk for pk, _ in sorted(rows, key=lambda row: -(row[1] or 0))]
            return _slice_of(ranked[start:stop], total=len(ranked))
        best = [pk for pk, score in rows if score == top]
        if len(best) >= need:
            return _slice_of(best[start:stop], total=more_than)
        if top is None:
            continue
        # The top score is rare among the newest: likely rare everywhere, its whole tier is
        # asked once from the title index (a wider read would mostly find lower scores).
        if not title_asked:
            title_tier, title_asked = _title_tier(filters), True
        if title_tier is not None:
            best = title_tier + [pk for pk, score in rows if score == top - 1]
            if len(best) >= need:
                return _slice_of(best[start:stop], total=more_than)
    return None


def _newest_date(read: int) -> datetime | None:
    """The date of the `read`-th newest active product (None: there are fewer), read from the
    (is_active, created_at) index alone: active products, listed or not."""
    newest = Product.objects.filter(is_active__in=[True]).order_by("-created_at", "-id")
    return newest.values_list("created_at", flat=True)[read - 1 : read].first()


def _title_tier(filters: ListingFilters) -> list[int] | None:
    """Ids of the listed products with every term in their title (relevance's top score),
    newest first, from the title index; None if there are more than SEARCH_COUNT_CAP."""
    tier = _filtered(search_match(_listed_for_search(), filters.terms, title=True), filters)
    ids = list(
        tier.order_by("-created_at", "-id").values_list("pk", flat=True)[: SEARCH_COUNT_CAP + 1]
    )
    return ids if len(ids) <= SEARCH_COUNT_CAP else None


def _slice_of(ids: list[int], *, total: int) -> SearchSlice:
    return SearchSlice(cards_by_id(ids), total)


def vendor_products(*, vendor: Vendor) -> QuerySet[Product]:
    """The vendor's products (it has an active offer on one of their variants), newest first."""
    return facet_match(listed_products(), facets.vendor_token(vendor.pk)).order_by(
        "-created_at", "-id"
    )


# --- home -----------------------------------------------------------------------------------


def home_categories() -> list[Category]:
    """Every category with `cover_id`: its newest listed product, whose image the tile reuses."""
    cover = (
        Product.objects.filter(category=OuterRef("pk"), is_active__in=[True])
        .exclude(offer_count=0)
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    return list(Category.objects.annotate(cover_id=Subquery(cover)))


def home_products(*, limit: int = 8) -> list[Product]:
    """The newest products in stock, mixed across categories: from the newest few dozen
    (one indexed query), at most two per category while others are available."""
    recent = list(
        listed_products()
        .only(*CARD_FIELDS, "category_id")
        .filter(availability=Availability.IN_STOCK)
        .order_by("-created_at", "-id")[: limit * 6]
    )
    chosen: list[Product] = []
    per_category: dict[int, int] = {}
    for cap in (2, limit):
        for product in recent:
            if len(chosen) == limit:
                return chosen
            if product in chosen or per_category.get(product.category_id, 0) >= cap:
                continue
            chosen.append(product)
            per_category[product.category_id] = per_category.get(product.category_id, 0) + 1
    return chosen


# --- product page ---------------------------------------------------------------------------


@dataclass
class VariantChoice:
    text: str
    variant_id: int
    selected: bool
    available: bool  # someone sells it in stock or being restocked


@dataclass
class VariantGroup:
    label: str
    choices: list[VariantChoice]


@dataclass
class ProductDetail:
    product: Product
    variants: list[Variant]
    variant: Variant | None
    # Offers of the chosen variant, best first (in stock, restocking, out; cheaper first).
    offers: list[Offer]
    groups: list[VariantGroup] = field(default_factory=list)

    @property
    def best_offer(self) -> Offer | None:
        return self.offers[0] if self.offers else None


def offer_sort_key(offer: Offer) -> tuple:
    return (offer.availability, offer.price, offer.vendor.name.lower(), offer.pk)


def _variant_groups(
    variants: list[Variant], chosen: Variant, best: dict[int, tuple]
) -> list[VariantGroup]:
    """The variant picker: sizes and/or colours as links (`?variante=<id>`).

    With several colours and several sizes: a colour row (each colour links to its variant in
    the chosen size if there is one, else its best variant) and a size row for the chosen
    colour. Otherwise one row over every variant."""

    def available(v: Variant) -> bool:
        return v.pk in best and best[v.pk][0] != Availability.OUT_OF_STOCK

    colours = list(dict.fromkeys(v.colour for v in variants if v.colour))
    sizes = list(dict.fromkeys(v.size for v in variants if v.size))
    if len(variants) < 2:
        return []
    if len(colours) > 1 and len(sizes) > 1:
        colour_choices = []
        for colour in colours:
            same = [v for v in variants if v.colour == colour]
            target = next((v for v in same if v.size == chosen.size), None) or min(
                same, key=lambda v: best.get(v.pk, (9,))
            )
            colour_choices.append(
                VariantChoice(colour, target.pk, colour == chosen.colour, any(map(available, same)))
            )
        size_choices = [
            VariantChoice(v.size or v.label, v.pk, v.pk == chosen.pk, available(v))
            for v in variants
            if v.colour == chosen.colour
        ]
        return [
            VariantGroup(str(_("Couleur")), colour_choices),
            VariantGroup(str(_("Taille")), size_choices),
        ]
    if len(sizes) > 1 and len(colours) <= 1:
        label, text = str(_("Taille")), (lambda v: v.size or v.label)
    elif len(colours) > 1 and len(sizes) <= 1:
        label, text = str(_("Couleur")), (lambda v: v.colour or v.label)
    else:
        label, text = str(_("Modèle")), (lambda v: v.label or v.sku)
    return [
        VariantGroup(
            label, [VariantChoice(text(v), v.pk, v.pk == chosen.pk, available(v)) for v in variants]
        )
    ]


# The product page's offer rows: these columns of the offer, in the model's order (as
# `Model.from_db` takes them), then its vendor's name and slug.
_DETAIL_OFFER_FIELDS = ("id", "vendor_id", "variant_id", "price", "stock", "restock_weeks")
_ID, _VENDOR, _VARIANT, _PRICE, _STOCK, _RESTOCK, _VENDOR_NAME, _VENDOR_SLUG = range(8)


def _row_availability(row: tuple) -> Availability:
    # Offer.availability's rule, on a row (a test compares the two).
    if row[_STOCK] > 0:
        return Availability.IN_STOCK
    if row[_RESTOCK]:
        return Availability.RESTOCKING
    return Availability.OUT_OF_STOCK


def _offer_row_sort_key(row: tuple) -> tuple:
    # offer_sort_key, on a row.
    return (_row_availability(row), row[_PRICE], row[_VENDOR_NAME].lower(), row[_ID])


def _offer_from_row(db: str, row: tuple) -> Offer:
    """The Offer the ORM would build with `.only(...)` and `select_related("vendor")`: any
    other field is deferred (read from the database if something asks for it)."""
    offer = Offer.from_db(db, _DETAIL_OFFER_FIELDS, row[:_VENDOR_NAME])
    offer.vendor = Vendor.from_db(
        db, ("id", "name", "slug"), (row[_VENDOR], row[_VENDOR_NAME], row[_VENDOR_SLUG])
    )
    return offer


# The product page's three reads, written once (core.sql): building them as querysets cost
# three times what running them does. Each is the read its comment names.
_PRODUCT = Columns(Product, "p")
_CATEGORY = Columns(Category, "c")
_VARIANT_COLUMNS = Columns(Variant, "v")
_OFFER_ROW = Columns(Offer, "o", _DETAIL_OFFER_FIELDS)
_VARIANT_PRODUCT = Variant._meta.get_field("product")


@cache_function
def _detail_sql() -> tuple[str, str, str]:
    product, category, variant = Product._meta, Category._meta, Variant._meta
    offer, vendor = Offer._meta, Vendor._meta
    offer_variant = offer.get_field("variant").column
    offer_vendor = offer.get_field("vendor").column
    # Product.objects.select_related("category").filter(slug=…, is_active=True).first()
    # (the slug is unique).
    product_sql = (
        f"SELECT {_PRODUCT.sql}, {_CATEGORY.sql}"
        f' FROM "{product.db_table}" p JOIN "{category.db_table}" c'
        f' ON c."{category.pk.column}" = p."{product.get_field("category").column}"'
        f' WHERE p."{product.get_field("slug").column}" = %s'
        f' AND p."{product.get_field("is_active").column}" = %s'
    )
    # product.variants.all(), in Variant.Meta.ordering.
    variants_sql = (
        f'SELECT {_VARIANT_COLUMNS.sql} FROM "{variant.db_table}" v'
        f' WHERE v."{variant.get_field("product").column}" = %s'
        f' ORDER BY v."{variant.get_field("position").column}", v."{variant.pk.column}"'
    )
    # The product's active offers of active vendors, with the vendor's name and slug.
    offers_sql = (
        f'SELECT {_OFFER_ROW.sql}, w."{vendor.get_field("name").column}",'
        f' w."{vendor.get_field("slug").column}"'
        f' FROM "{offer.db_table}" o'
        f' JOIN "{variant.db_table}" v ON v."{variant.pk.column}" = o."{offer_variant}"'
        f' JOIN "{vendor.db_table}" w ON w."{vendor.pk.column}" = o."{offer_vendor}"'
        f' WHERE v."{variant.get_field("product").column}" = %s'
        f' AND o."{offer.get_field("is_active").column}" = %s'
        f' AND w."{vendor.get_field("is_active").column}" = %s'
    )
    return product_sql, variants_sql, offers_sql


def product_detail(*, slug: str, variant_id: str | int | None = None) -> ProductDetail | None:
    """Everything the product page shows, in three queries whatever the number of variants
    and offers: the product (with its category), its variants, and the active offers of
    active vendors on all of them (with the vendor). `variant_id` that is not one of the
    product's variants falls back to the best-available variant."""
    product_sql, variants_sql, offers_sql = _detail_sql()
    connection = connections[router.db_for_read(Product)]
    with connection.cursor() as cursor:
        cursor.execute(product_sql, [slug, True])
        found = cursor.fetchone()
        if found is None:
            return None
        product = _PRODUCT.instance(connection, found)
        product.category = _CATEGORY.instance(connection, found[len(_PRODUCT) :])
        cursor.execute(variants_sql, [product.pk])
        variants = _VARIANT_COLUMNS.instances(connection, cursor.fetchall())
        for variant in variants:  # as product.variants.all() does: variant.product is known
            _VARIANT_PRODUCT.set_cached_value(variant, product)
        # Every active offer of the product, as plain rows: only the chosen variant's become
        # Offer objects (a product with 24 variants and 90 offers shows 4 of them; building
        # the other 86 and their vendors cost more than the rest of the page's reads).
        cursor.execute(offers_sql, [product.pk, True, True])
        rows = _OFFER_ROW.rows(connection, cursor.fetchall())
    by_variant: dict[int, list[tuple]] = {}
    for row in rows:
        by_variant.setdefault(row[_VARIANT], []).append(row)
    for variant_rows in by_variant.values():
        variant_rows.sort(key=_offer_row_sort_key)
    # Each variant's best offer: (availability, price) — the default variant is the best one.
    best = {
        vid: (_row_availability(variant_rows[0]), variant_rows[0][_PRICE])
        for vid, variant_rows in by_variant.items()
    }

    chosen = None
    try:
        wanted = int(variant_id) if variant_id not in (None, "") else None
    except (TypeError, ValueError):
        wanted = None
    if wanted is not None:
        chosen = next((v for v in variants if v.pk == wanted), None)
    if chosen is None and variants:
        chosen = min(
            variants,
            key=lambda v: (*best.get(v.pk, (Availability.OUT_OF_STOCK + 1, 0)), v.position, v.pk),
        )
    offers = (
        [_offer_from_row(connection.alias, row) for row in by_variant.get(chosen.pk, [])]
        if chosen
        else []
    )
    detail = ProductDetail(product=product, variants=variants, variant=chosen, offers=offers)
    if chosen is not None:
        detail.groups = _variant_groups(variants, chosen, best)
    return detail
