"""Vendors' offers: the one write path for prices, stock and restock delays (CAT-2, VEN-2/3).

Three callers share it: the vendor portal's offer form (`offer_update`), the vendor JSON API
and the CSV import (`offers_upsert`, in `catalog.imports`). Every value a vendor sends is
parsed here, once, with the same rules and the same French messages whatever the channel.

`offers_upsert` is built for files of 100,000 rows:
- a bad item never blocks the good ones: it is reported (`OfferItemError`, with its position
  in the input and a stable code) and the others are written;
- it reads the variants and the vendor's offers CHUNK_SIZE SKUs at a time, creates with
  `bulk_create`, and updates with one prepared `UPDATE … WHERE id = %s` run through
  `executemany` per set of changed columns. That is
  several times faster than `bulk_update`'s `CASE WHEN` on both databases, and it writes only
  the columns that changed, so a price-only import never writes back a stock value that a
  checkout might be decrementing (rows are also locked with SELECT … FOR UPDATE on
  PostgreSQL; SQLite's IMMEDIATE transactions serialise writers anyway);
- items that change nothing are not written at all (`updated_at` stays): importing the same
  file twice changes nothing the second time;
- product summaries are refreshed once per call, for the products whose offers changed in a
  way a customer sees (not for `vendor_sku`), by `_summaries_refresh`: the same rule as
  `services.product_summaries_refresh` (it calls `services.product_summary` on the same
  offers), restricted to the fields an offer can change (search terms depend on titles and
  colours only), writing only the products whose summary did change, with executemany. That
  is what lets an import of 100,000 lines refresh thousands of products in seconds (the
  generic refresh's `bulk_update` costs ~3 ms per product); tests check both give the same
  result.

A key absent from an item leaves that field as it is. `None` or an empty string counts as
absent for `price`, `stock` and `active` (a CSV cell left empty); for `restock_weeks` it
means "no restock delay", for `vendor_sku` "no vendor reference".
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allies.catalog.models import Offer, Product, Variant
from allies.catalog.services import OfferFacts, product_summaries_refresh, product_summary
from allies.core.errors import AlliesError
from allies.core.numbers import NumberError, parse_decimal, parse_int
from allies.core.page_cache import listings_changed, product_pages_changed

if TYPE_CHECKING:
    from allies.vendors.models import Vendor

# "Stock faible" in the portal: active offers with 1 to LOW_STOCK units left.
LOW_STOCK = 3
MAX_PRICE = Decimal("100000")
CENT = Decimal("0.01")
MAX_STOCK = 1_000_000
MAX_RESTOCK_WEEKS = 52
VENDOR_SKU_MAX = 64
# SKUs (or ids) per IN (…) query: below SQLite's 999 variables, a bounded lock set per
# statement, and few enough that PostgreSQL's planner keeps to the index (with 500 values on
# a table of 100,000 variants it switches to a sequential scan, ten times slower).
CHUNK_SIZE = 250

# The portal's status filter (`vendor_offers(status=…)`), in display order.
STATUS_CHOICES = [
    ("", gettext_lazy("Toutes les offres")),
    ("active", gettext_lazy("Actives")),
    ("inactive", gettext_lazy("Désactivées")),
    ("out_of_stock", gettext_lazy("En rupture de stock")),
    ("low_stock", gettext_lazy("Stock faible")),
]

_TRUE = {"1", "oui", "o", "true", "vrai", "yes", "y"}
_FALSE = {"0", "non", "n", "false", "faux", "no"}
# Fields a customer sees through the product summary; vendor_sku is the vendor's own business.
_SUMMARY_FIELDS = {"price", "stock", "restock_weeks", "is_active"}
# Order of the checks, hence which error an item with several problems reports.
_ITEM_KEYS = ("price", "stock", "restock_weeks", "active", "vendor_sku")


class OfferError(AlliesError):
    """A single write refused: `errors` maps each field to its (translated) message and
    `code` is the stable code of the first problem ("invalid_price", "not_utf8", …);
    `message` joins them ("price: …; stock: …")."""

    code = "invalid"

    def __init__(self, errors: dict[str, str], *, code: str | None = None) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()), code=code)


@dataclass
class OfferItemError:
    """One item of an `offers_upsert` call that was not applied."""

    index: int  # 0-based position in the input
    sku: str
    code: str  # stable: unknown_sku, missing_price, invalid_price, … (see `offers_upsert`)
    message: str  # translated, for the vendor


@dataclass
class OfferUpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[OfferItemError] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.errors)


class _Invalid(AlliesError):
    """One value refused (reported per item by `offers_upsert`, per field by `offer_update`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


_UNSET: Any = object()


# --- parsing: one rule per field, shared by every caller -----------------------------------


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: object) -> str:
    """The value as the vendor typed it, short enough for a message."""
    text = str(value).strip()
    return text if len(text) <= 30 else text[:29] + "…"


def _price_invalid(value: object) -> _Invalid:
    return _Invalid(
        "invalid_price",
        _("Prix invalide : « %(value)s ». Indiquez un prix TTC en euros, par exemple 49,90.")
        % {"value": _shown(value)},
    )


def price_parse(value: object) -> Decimal:
    """Euros TTC: > 0, at most 2 decimals, at most MAX_PRICE. Strings may use a French
    decimal comma ("49,90"), spaces as thousands separators and a trailing "€". The text is
    checked before any conversion (`core.numbers`): "1e999990" is refused at once."""
    text = value.strip().removesuffix("€") if isinstance(value, str) else value
    if isinstance(text, str) and "," in text and "." in text:
        raise _price_invalid(value)  # "1.299,90" or "1,299.90": ambiguous, better ask
    try:
        # Offer.price holds 10 digits, 2 of them decimals; the business bound is far lower.
        return parse_decimal(
            text, max_digits=10, decimal_places=2, min_value=CENT, max_value=MAX_PRICE
        )
    except NumberError as problem:
        if problem.code == "too_small":
            raise _Invalid("invalid_price", _("Le prix doit être supérieur à 0 €.")) from None
        if problem.code == "too_large":
            raise _Invalid(
                "invalid_price",
                _("Le prix ne peut pas dépasser %(max)s €.")
                % {"max": f"{MAX_PRICE:,}".replace(",", " ")},
            ) from None
        if problem.code == "too_many_decimals":
            raise _Invalid(
                "invalid_price", _("Le prix a au plus deux décimales (centimes).")
            ) from None
        raise _price_invalid(value) from None


def _whole_number(value: object, *, maximum: int) -> int | None:
    """An integer from 0 to `maximum` from an int, an integral Decimal/float or a string
    ("12", "12,0", "1 000"); None for anything else, without converting what is too long."""
    try:
        return parse_int(value, min_value=0, max_value=maximum)
    except NumberError:
        return None


def stock_parse(value: object) -> int:
    number = _whole_number(value, maximum=MAX_STOCK)
    if number is None:
        raise _Invalid(
            "invalid_stock",
            _("Stock invalide : « %(value)s ». Indiquez un nombre entier de 0 à %(max)s.")
            % {"value": _shown(value), "max": f"{MAX_STOCK:,}".replace(",", " ")},
        )
    return number


def restock_weeks_parse(value: object) -> int | None:
    """Weeks until restocked ("Livré sous X semaines"): 1 to 52; empty or 0 = no delay."""
    if _blank(value):
        return None
    number = _whole_number(value, maximum=MAX_RESTOCK_WEEKS)
    if number == 0:
        return None
    if number is None:
        raise _Invalid(
            "invalid_restock",
            _(
                "Délai de réapprovisionnement invalide : « %(value)s ». Indiquez un nombre de "
                "semaines de 1 à %(max)s, ou laissez vide."
            )
            % {"value": _shown(value), "max": MAX_RESTOCK_WEEKS},
        )
    return number


def active_parse(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise _Invalid(
        "invalid_active",
        _("Valeur « actif » invalide : « %(value)s ». Indiquez oui ou non (ou 1 ou 0).")
        % {"value": _shown(value)},
    )


def vendor_sku_parse(value: object) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        raise _Invalid("invalid_vendor_sku", _("La référence vendeur contient un caractère nul."))
    if len(text) > VENDOR_SKU_MAX:
        raise _Invalid(
            "too_long",
            _("La référence vendeur dépasse %(max)s caractères.") % {"max": VENDOR_SKU_MAX},
        )
    return text


def sku_clean(value: object) -> str:
    """A variant SKU as sent (spaces around removed; case kept: SKUs are exact).

    U+0000 becomes U+FFFD: no SKU holds either, so the value stays unknown (and is reported
    so) instead of reaching a database that refuses it."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value)).strip().replace("\x00", "\ufffd")


def _item_fields(item: Mapping[str, object], *, stock_only: bool) -> dict[str, Any]:
    """Model field → parsed value for the keys present in `item`; _Invalid on the first bad
    one (in the order of _ITEM_KEYS)."""
    if stock_only:
        if _blank(item.get("stock")):
            raise _Invalid("missing_stock", _("Indiquez le stock."))
        return {"stock": stock_parse(item["stock"])}
    fields: dict[str, Any] = {}
    for key in _ITEM_KEYS:
        if key not in item:
            continue
        value = item[key]
        if key == "price" and not _blank(value):
            fields["price"] = price_parse(value)
        elif key == "stock" and not _blank(value):
            fields["stock"] = stock_parse(value)
        elif key == "restock_weeks":
            fields["restock_weeks"] = restock_weeks_parse(value)
        elif key == "active" and not _blank(value):
            fields["is_active"] = active_parse(value)
        elif key == "vendor_sku":
            fields["vendor_sku"] = vendor_sku_parse(value)
    return fields


# --- writes --------------------------------------------------------------------------------


@dataclass
class _Item:
    index: int
    sku: str
    fields: dict[str, Any]


_COLUMNS = ("id", "variant_id", "price", "stock", "restock_weeks", "is_active", "vendor_sku")


def offers_upsert(
    *, vendor: Vendor, items: Sequence[Mapping[str, object]], stock_only: bool = False
) -> OfferUpsertResult:
    """Create or update `vendor`'s offers, one item per variant SKU (Mirakl's OF24).

    Item keys: `sku` (Variant.sku, required), `price`, `stock`, `restock_weeks`, `active`,
    `vendor_sku` (see the module docstring for absent and empty values). A new offer needs a
    price; its stock defaults to 0, and it is active unless `active` says otherwise. With
    `stock_only`, only `sku` and `stock` are read and the offer must exist.

    Error codes: missing_sku, duplicate (the SKU appeared earlier in the same call),
    unknown_sku, unknown_offer (stock_only, no offer yet), missing_price, missing_stock
    (stock_only), invalid_price, invalid_stock, invalid_restock, invalid_active, too_long.

    One transaction; a handful of queries per CHUNK_SIZE items whatever the data; product
    summaries refreshed once for the products concerned.
    """
    result = OfferUpsertResult()
    valid: list[_Item] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        sku = sku_clean(item.get("sku"))
        if not sku:
            result.errors.append(
                OfferItemError(index, "", "missing_sku", _("Indiquez la référence produit (sku)."))
            )
            continue
        if sku in seen:
            result.errors.append(
                OfferItemError(
                    index,
                    sku,
                    "duplicate",
                    _("Référence %(sku)s en double : seule sa première occurrence compte.")
                    % {"sku": sku},
                )
            )
            continue
        seen.add(sku)
        try:
            fields = _item_fields(item, stock_only=stock_only)
        except _Invalid as problem:
            result.errors.append(OfferItemError(index, sku, problem.code, problem.message))
            continue
        valid.append(_Item(index, sku, fields))

    # Two calls creating the same offer at the same moment: the loser's transaction fails on
    # the unique constraint; run it again and it finds the offer and updates it.
    for attempt in range(2):
        try:
            with transaction.atomic():
                counts, errors = _apply(vendor=vendor, items=valid, stock_only=stock_only)
            break
        except IntegrityError:
            if attempt:
                raise
    result.created, result.updated, result.unchanged = counts
    result.errors.extend(errors)
    result.errors.sort(key=lambda e: e.index)
    return result


def _apply(
    *, vendor: Vendor, items: list[_Item], stock_only: bool
) -> tuple[tuple[int, int, int], list[OfferItemError]]:
    created = updated = unchanged = 0
    errors: list[OfferItemError] = []
    now = timezone.now()
    to_create: list[Offer] = []
    # (changed columns) → rows of (values…, id): one executemany per shape.
    to_update: dict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
    products: set[int] = set()
    for start in range(0, len(items), CHUNK_SIZE):
        chunk = items[start : start + CHUNK_SIZE]
        variants = {
            sku: (variant_id, product_id)
            for sku, variant_id, product_id in Variant.objects.filter(
                sku__in=[i.sku for i in chunk]
            ).values_list("sku", "id", "product_id")
        }
        offers = {
            row[1]: dict(zip(_COLUMNS, row, strict=True))
            for row in Offer.objects.select_for_update()
            .filter(vendor=vendor, variant_id__in=[v for v, _p in variants.values()])
            # variant_id: the (vendor, variant) unique index gives that order for free;
            # ordering by id makes SQLite scan all of the vendor's offers instead.
            .order_by("variant_id")
            .values_list(*_COLUMNS)
        }
        for item in chunk:
            if item.sku not in variants:
                errors.append(
                    OfferItemError(
                        item.index,
                        item.sku,
                        "unknown_sku",
                        _("Référence %(sku)s inconnue du catalogue Alliés.") % {"sku": item.sku},
                    )
                )
                continue
            variant_id, product_id = variants[item.sku]
            current = offers.get(variant_id)
            if current is None:
                if stock_only:
                    errors.append(
                        OfferItemError(
                            item.index,
                            item.sku,
                            "unknown_offer",
                            _("Vous n'avez pas d'offre sur la référence %(sku)s.")
                            % {"sku": item.sku},
                        )
                    )
                elif "price" not in item.fields:
                    errors.append(
                        OfferItemError(
                            item.index,
                            item.sku,
                            "missing_price",
                            _("Indiquez un prix pour créer l'offre sur %(sku)s.")
                            % {"sku": item.sku},
                        )
                    )
                else:
                    to_create.append(Offer(vendor=vendor, variant_id=variant_id, **item.fields))
                    products.add(product_id)
                    created += 1
                continue
            changed = {k: v for k, v in item.fields.items() if current[k] != v}
            if not changed:
                unchanged += 1
                continue
            names = tuple(sorted(changed))
            to_update[names].append((*(changed[n] for n in names), current["id"]))
            if _SUMMARY_FIELDS.intersection(names):
                products.add(product_id)
            updated += 1

    if to_create:
        Offer.objects.bulk_create(to_create)
    for names, rows in to_update.items():
        _offers_write(names=names, rows=rows, now=now)
    if products:
        _summaries_refresh(product_ids=products)
    return (created, updated, unchanged), errors


def _offers_write(*, names: tuple[str, ...], rows: list[tuple[Any, ...]], now: datetime) -> None:
    """UPDATE the given columns (and updated_at, which only `save()` sets by itself) of many
    offers in one executemany, in id order (a consistent lock order between writers)."""
    stamp = _concrete_field(Offer, "updated_at").get_db_prep_save(now, connection)
    _rows_write(
        Offer,
        names=(*names, "updated_at"),
        rows=[(*row[:-1], stamp, row[-1]) for row in sorted(rows, key=lambda r: r[-1])],
        prepared=len(names),
    )


def _concrete_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """A field of `model` stored in its table (a relation seen from the other side is not)."""
    found = model._meta.get_field(name)
    if not isinstance(found, models.Field) or found.column is None:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return found


def column_name(model: type[models.Model], name: str) -> str:
    """The database column of field `name` ("vendor" → "vendor_id"), for raw SQL."""
    column = _concrete_field(model, name).column
    if column is None:  # refused by _concrete_field already; narrows the type
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return column


def _rows_write(
    model: type[models.Model],
    *,
    names: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    prepared: int,
) -> None:
    """`UPDATE <table> SET <names> = … WHERE id = …` once per row (values…, id), through one
    executemany. The first `prepared` values go through their field's get_db_prep_save; the
    others are passed as they are."""
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [_concrete_field(model, n) for n in names]
    sets = ", ".join(f"{quote(column_name(model, n))} = %s" for n in names)
    sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(column_name(model, 'id'))} = %s"
    params = [
        (
            *(
                f.get_db_prep_save(v, connection)
                for f, v in zip(fields[:prepared], row, strict=False)
            ),
            *row[prepared:],
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _summaries_refresh(*, product_ids: set[int]) -> int:
    """Offer-derived summary of the products (see the module docstring); returns how many
    products changed. Two queries per CHUNK_SIZE products, plus one executemany for them all."""
    ids = sorted(product_ids)
    names = tuple(product_summary(offers=[]))
    changed: list[tuple[Any, ...]] = []
    slugs: list[str] = []
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        # The offers `services.product_summaries_refresh` reads: active, of active vendors.
        offers: dict[int, list[OfferFacts]] = defaultdict(list)
        for pid, vendor_id, size, price, stock, weeks in Offer.objects.filter(
            variant__product_id__in=chunk, is_active=True, vendor__is_active=True
        ).values_list(
            "variant__product_id", "vendor_id", "variant__size", "price", "stock", "restock_weeks"
        ):
            offers[pid].append(OfferFacts(vendor_id, size, price, stock, weeks))
        rows = Product.objects.filter(id__in=chunk).values_list("id", "slug", *names)
        for pid, slug, *current in rows:
            slugs.append(slug)
            summary = product_summary(offers=offers[pid])
            values = tuple(summary[n] for n in names)
            if values != tuple(current):
                changed.append((*values, pid))
    # Their offers changed: their pages render afresh after the commit, and the listings too
    # if a summary changed.
    product_pages_changed(slugs)
    if changed:
        _rows_write(Product, names=names, rows=changed, prepared=len(names))
        listings_changed()
    return len(changed)


@transaction.atomic
def offer_update(
    *,
    vendor: Vendor,
    offer_id: int,
    price: Any = _UNSET,
    stock: Any = _UNSET,
    restock_weeks: Any = _UNSET,
    is_active: Any = _UNSET,
    vendor_sku: Any = _UNSET,
) -> Offer:
    """The portal's offer form: change the fields passed, leave the others.

    Another vendor's offer (or none) → Offer.DoesNotExist. Invalid values → OfferError with
    one French message per field (nothing written). Values are parsed like `offers_upsert`'s
    ("49,90" is accepted); `restock_weeks=None` removes the delay. Writes nothing (and keeps
    `updated_at`) when nothing changes.
    """
    offer = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("variant__product")
        .get(pk=offer_id, vendor=vendor)
    )
    parsers = {
        "price": (price, price_parse),
        "stock": (stock, stock_parse),
        "restock_weeks": (restock_weeks, restock_weeks_parse),
        "is_active": (is_active, active_parse),
        "vendor_sku": (vendor_sku, vendor_sku_parse),
    }
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    first_code = ""
    for name, (raw, parse) in parsers.items():
        if raw is _UNSET:
            continue
        if name in ("price", "stock", "is_active") and _blank(raw):
            code = {"price": "missing_price", "stock": "missing_stock"}.get(name, "invalid_active")
            message = {
                "price": _("Indiquez un prix."),
                "stock": _("Indiquez le stock."),
            }.get(name, _("Indiquez si l'offre est active."))
            errors[name], first_code = message, first_code or code
            continue
        try:
            values[name] = parse(raw)
        except _Invalid as problem:
            errors[name] = problem.message
            first_code = first_code or problem.code
    if errors:
        raise OfferError(errors, code=first_code)
    changed = [name for name, value in values.items() if getattr(offer, name) != value]
    if not changed:
        return offer
    for name in changed:
        setattr(offer, name, values[name])
    offer.save(update_fields=[*changed, "updated_at"])
    if _SUMMARY_FIELDS.intersection(changed):
        product_summaries_refresh(product_ids=[offer.variant.product_id])
    return offer


# --- reads ---------------------------------------------------------------------------------


def vendor_offers(*, vendor: Vendor, q: str = "", status: str = "") -> QuerySet[Offer]:
    """The vendor's own offers for the portal's list, by product title then variant order.

    `q` matches the product title, the variant SKU or the vendor's reference (case-insensitive);
    `status` is one of STATUS_CHOICES' keys ("" or an unknown value: every offer).
    """
    offers = (
        Offer.objects.filter(vendor=vendor)
        .select_related("variant__product")
        .order_by("variant__product__title", "variant__product_id", "variant__position", "id")
    )
    if q := (q or "").strip():
        offers = offers.filter(
            Q(variant__product__title__icontains=q)
            | Q(variant__sku__icontains=q)
            | Q(vendor_sku__icontains=q)
        )
    if status == "active":
        offers = offers.filter(is_active=True)
    elif status == "inactive":
        offers = offers.filter(is_active=False)
    elif status == "out_of_stock":
        offers = offers.filter(stock=0)
    elif status == "low_stock":
        offers = offers.filter(is_active=True, stock__gt=0, stock__lte=LOW_STOCK)
    return offers
