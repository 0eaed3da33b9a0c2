"""Loading the demo data into the database, fast enough for 20,000 products.

Everything is written in one transaction, products in chunks so memory stays flat: products
with `bulk_create` (their ids are needed), variants and offers with COPY on PostgreSQL and
`executemany` on SQLite (see `_rows_insert`). The password is hashed once (Argon2 is deliberately
slow) and the hash shared by every demo login. Listing summaries and search terms are
computed while loading with the catalogue's own rules (`catalog.services.product_summary` and
`product_search_fields`), which is what `product_summaries_refresh` writes, without its
second pass over 250,000 offers; the tests check both agree field by field.

Demo categories, vendors and users left from an earlier load (whose products were deleted
since) are reused as they are: a second load never duplicates nor modifies them.
"""

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any, TypeVar

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from allies.accounts.models import Address, User
from allies.cart.models import DiscountCode
from allies.catalog.models import Availability, Category, Offer, Product, Variant
from allies.catalog.services import OfferFacts, product_search_fields, product_summary
from allies.core.money import cents_to_eur
from allies.demo import identities, words
from allies.demo.generator import ProductSpec, products_generate
from allies.demo.money import (
    demo_application_create,
    demo_payout_create,
    demo_vendor_accounts_create,
)
from allies.demo.orders import demo_orders_create
from allies.demo.reviews import demo_reviews_create
from allies.demo.support import demo_threads_create
from allies.notifications.services import notifications_muted
from allies.shipping.demo import demo_rates_for_vendor
from allies.shipping.models import ShippingRate
from allies.vendor_api.demo import demo_api_keys_create
from allies.vendors.models import Vendor, VendorMembership

CHUNK = 1000  # products generated and written at a time
BATCH = 2000  # rows per INSERT (SQLite's own limit on parameters lowers it further)


@dataclass
class DemoReport:
    vendors: int = 0
    categories: int = 0
    products: int = 0
    variants: int = 0
    offers: int = 0
    inactive_offers: int = 0
    product_availability: Counter[str] = field(default_factory=Counter)
    offer_availability: Counter[str] = field(default_factory=Counter)
    logins: list[tuple[str, str]] = field(default_factory=list)  # (email, role)
    password: str = ""
    seconds: float = 0.0
    orders: int = 0
    threads: int = 0  # "Assistance en ligne" requests on the demo orders


_T = TypeVar("_T")
_M = TypeVar("_M", bound=models.Model)


def _chunks(iterable: Iterable[_T], size: int) -> Iterator[list[_T]]:
    it = iter(iterable)
    while chunk := list(islice(it, size)):
        yield chunk


def demo_data_load(
    *,
    products: int = 600,
    seed: int = 1,
    password: str = identities.DEFAULT_PASSWORD,
    orders: bool = True,
    send_emails: bool = False,
) -> DemoReport | None:
    """Fill an empty catalogue with demo data; return None (changing nothing) if the
    catalogue already has products.

    The demo orders go through the real services, which email the customer and the vendors;
    unless `send_emails`, those emails are not even written (`notifications_muted`): with
    EMAIL_HOST set they would reach a real server."""
    started = time.perf_counter()
    if Product.objects.exists():
        return None
    with transaction.atomic():
        report = DemoReport(password=password)
        now = timezone.now().replace(microsecond=0)
        categories = _categories_create()
        vendors = _vendors_create()
        report.vendors, report.categories = len(vendors), len(categories)
        report.logins = _users_create(vendors=vendors, password=password, now=now)
        _shipping_rates_create(vendors)
        demo_api_keys_create(vendors)  # known keys, listed in the README (demo only)
        _discount_codes_create(vendors=vendors, categories=categories, now=now)
        for chunk in _chunks(products_generate(count=products, seed=seed), CHUNK):
            _products_write(chunk, categories=categories, vendors=vendors, now=now, report=report)
    _statistics_refresh()
    with nullcontext() if send_emails else notifications_muted():
        report.orders = demo_orders_create(vendors=vendors) if orders else 0
        report.threads = demo_threads_create(vendors=vendors) if report.orders else 0
        if report.orders:
            demo_reviews_create(vendors=vendors)
        demo_vendor_accounts_create(vendors=vendors)
        if report.orders:
            demo_payout_create()
        demo_application_create()
    report.seconds = time.perf_counter() - started
    return report


def _shipping_rates_create(vendors: list[Vendor]) -> None:
    """Each demo vendor gets one of the shipping engine's demo policies, in turn."""
    if ShippingRate.objects.filter(vendor__in=vendors).exists():
        return
    ShippingRate.objects.bulk_create(
        [rate for i, v in enumerate(vendors) for rate in demo_rates_for_vendor(v, i)]
    )


# The demo's discount codes, listed in the README.
DEMO_CODES = (
    # code, kind, value, minimum, days valid (negative: expired), vendor index, funded by
    ("BIENVENUE10", "percent", "10", "0", 365, None, "operator"),
    ("MOINS15", "amount", "15", "80", 365, None, "operator"),
    ("NOEL2025", "percent", "20", "0", -30, None, "operator"),
    ("VERLAINE20", "percent", "20", "0", 365, 0, "vendor"),
)


def _discount_codes_create(
    *, vendors: list[Vendor], categories: list[Category], now: datetime
) -> None:
    for code, kind, value, minimum, days, vendor_index, funded_by in DEMO_CODES:
        if DiscountCode.objects.filter(code=code).exists():
            continue
        expired = days < 0
        DiscountCode.objects.create(
            code=code,
            kind=kind,
            value=Decimal(value),
            minimum_amount=Decimal(minimum),
            valid_from=now - timedelta(days=60 if expired else 1),
            valid_until=now + timedelta(days=days),
            max_uses_per_customer=1,
            vendor=vendors[vendor_index] if vendor_index is not None else None,
            funded_by=funded_by,
            description=f"demo: {code}",
        )


def _statistics_refresh() -> None:
    """PostgreSQL plans queries from table statistics, which autovacuum would only gather a
    while after a bulk load: gather them now, so the first pages served are planned right."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Category, Vendor, Product, Variant, Offer):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _existing(model: type[_M], field: str, keys: list[str]) -> dict[str, _M]:
    return {getattr(o, field): o for o in model._default_manager.filter(**{f"{field}__in": keys})}


# Demo categories, vendors and users left from an earlier load (the products having been
# deleted since) are reused as they are, never duplicated nor modified.


def _categories_create() -> list[Category]:
    existing = _existing(Category, "slug", [c.slug for c in words.CATEGORIES])
    Category.objects.bulk_create(
        [
            Category(
                name=c.name,
                name_en=c.name_en,
                slug=c.slug,
                description=c.description,
                description_en=c.description_en,
                position=(i + 1) * 10,
                size_scale=",".join(c.sizes),
            )
            for i, c in enumerate(words.CATEGORIES)
            if c.slug not in existing
        ]
    )
    existing = _existing(Category, "slug", [c.slug for c in words.CATEGORIES])
    return [existing[c.slug] for c in words.CATEGORIES]


def _vendors_create() -> list[Vendor]:
    existing = _existing(Vendor, "slug", [v.slug for v in identities.VENDORS])
    Vendor.objects.bulk_create(
        [
            Vendor(
                name=v.name,
                slug=v.slug,
                description=v.description,
                legal_name=v.legal_name,
                legal_form=v.legal_form,
                share_capital=v.share_capital,
                siret=ident.siret,
                rcs_city=v.city if v.country == "FR" else "",
                vat_number=ident.vat_number,
                street=v.street,
                postcode=v.postcode,
                city=v.city,
                country=v.country,
                email=v.email,
                phone=v.phone,
                commission_rate=v.commission_rate,
            )
            for v, ident in zip(identities.VENDORS, identities.vendor_identities(), strict=True)
            if v.slug not in existing
        ]
    )
    existing = _existing(Vendor, "slug", [v.slug for v in identities.VENDORS])
    return [existing[v.slug] for v in identities.VENDORS]


def _users_create(*, vendors: list[Vendor], password: str, now: datetime) -> list[tuple[str, str]]:
    hashed = make_password(password)  # once: every demo login shares this hash
    customer = User(
        email=identities.CUSTOMER_EMAIL,
        password=hashed,
        newsletter_opt_in=True,
        newsletter_changed_at=now,
        date_joined=now - timedelta(days=200),
        **identities.CUSTOMER,
    )
    staff = User(
        email=identities.STAFF_EMAIL,
        password=hashed,
        is_staff=True,
        is_superuser=True,
        date_joined=now - timedelta(days=400),
        **identities.STAFF,
    )
    vendor_users = [
        User(
            email=seed.user_email,
            password=hashed,
            first_name=words.FIRST_NAMES[i % len(words.FIRST_NAMES)],
            last_name=words.LAST_NAMES[i % len(words.LAST_NAMES)],
            phone=seed.phone,
            date_joined=now - timedelta(days=380 - i),
        )
        for i, seed in enumerate(identities.VENDORS)
    ]
    emails = [u.email for u in (customer, staff, *vendor_users)]
    existing = _existing(User, "email", emails)
    User.objects.bulk_create(
        [u for u in (customer, staff, *vendor_users) if u.email not in existing]
    )
    if customer.email not in existing:
        Address.objects.bulk_create(
            [Address(user=customer, **fields) for fields in identities.CUSTOMER_ADDRESSES]
        )
    users = _existing(User, "email", emails)
    customer, staff = users[customer.email], users[staff.email]
    vendor_users = [users[u.email] for u in vendor_users]
    members = set(
        VendorMembership.objects.filter(user__in=vendor_users).values_list("vendor_id", "user_id")
    )
    VendorMembership.objects.bulk_create(
        [
            VendorMembership(vendor=vendor, user=user)
            for vendor, user in zip(vendors, vendor_users, strict=True)
            if (vendor.pk, user.pk) not in members
        ]
    )
    return [
        (customer.email, "client (newsletter, adresses Paris/Lyon)"),
        (staff.email, "équipe Alliés (superutilisateur, /admin/)"),
        *((u.email, f"vendeur {v.name}") for u, v in zip(vendor_users, vendors, strict=True)),
    ]


def _rows_insert(
    model: type[models.Model], columns: list[str], rows: list[tuple[Any, ...]], now: datetime
) -> None:
    """Insert rows without the ORM, for the two big tables (variants, offers).

    `bulk_create` prepares every value of every row in Python, which was most of the time of
    a 250,000-offer load; here each row is a tuple of values the drivers adapt themselves
    (int, str, bool, None, Decimal). Every other column gets its field's default, or `now` for
    auto_now / auto_now_add fields, prepared once: a field added to the model later is
    filled like the ORM would fill it (or fails loudly if it has no default).
    """
    qn = connection.ops.quote_name
    fields = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    # Concrete fields all have a column; the test only tells the type checker so.
    column_of = {name: f.column for name, f in fields.items() if f.column is not None}
    names = list(columns)
    constants = []
    for attname, f in fields.items():
        if attname in columns:
            continue
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        names.append(attname)
        constants.append(f.get_db_prep_save(now if auto else f.get_default(), connection))
    table = qn(model._meta.db_table)
    column_list = ", ".join(qn(column_of[n]) for n in names)
    tail = tuple(constants)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: one stream, no SQL to parse (a multi-row INSERT spends its time in
            # psycopg's client-side parameter interpolation, executemany in round trips).
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + tail)
        else:
            placeholders = ", ".join(["%s"] * len(names))
            cursor.executemany(
                f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})",
                [row + tail for row in rows],
            )


def _products_write(
    chunk: list[ProductSpec],
    *,
    categories: list[Category],
    vendors: list[Vendor],
    now: datetime,
    report: DemoReport,
) -> None:
    products = []
    for spec in chunk:
        cat = categories[spec.category]
        active = [
            OfferFacts(vendors[o.vendor].pk, v.size, cents_to_eur(o.price_cents), o.stock,
                       o.restock_weeks)
            for v in spec.variants
            for o in v.offers
            if o.is_active and vendors[o.vendor].is_active
        ]  # fmt: skip
        # The catalogue's own rules, exactly what product_summaries_refresh would write.
        summary = product_summary(offers=active) | product_search_fields(
            title=spec.title,
            brand=spec.brand,
            category_names=(cat.name, cat.name_en),
            colours=spec.colours,
        )
        report.product_availability[Availability(summary["availability"]).name] += 1
        products.append(
            Product(
                category_id=cat.pk,
                title=spec.title,
                slug=spec.slug,
                brand=spec.brand,
                description=spec.description,
                kind=spec.kind,
                parcel_count=spec.parcel_count,
                weight_grams=spec.weight_grams,
                vat_rate=Decimal("0.200"),
                is_active=True,
                created_at=now - timedelta(seconds=spec.age_seconds),
                **summary,
            )
        )
    Product.objects.bulk_create(products, batch_size=BATCH)
    variant_rows = [
        (product.pk, v.sku, v.size, v.colour, v.position)
        for product, spec in zip(products, chunk, strict=True)
        for v in spec.variants
    ]
    _rows_insert(Variant, ["product_id", "sku", "size", "colour", "position"], variant_rows, now)
    ids = [p.pk for p in products]
    variant_ids = dict(
        Variant.objects.filter(product_id__gte=min(ids), product_id__lte=max(ids)).values_list(
            "sku", "id"
        )
    )
    offer_rows = []
    for spec in chunk:
        for v in spec.variants:
            variant_id = variant_ids[v.sku]
            for o in v.offers:
                offer_rows.append(
                    (
                        vendors[o.vendor].pk,
                        variant_id,
                        f"V{o.vendor + 1:02d}-{v.sku}",
                        cents_to_eur(o.price_cents),
                        o.stock,
                        o.restock_weeks,
                        o.is_active,
                    )
                )
                report.offer_availability[Availability(o.availability).name] += 1
                report.inactive_offers += not o.is_active
    _rows_insert(
        Offer,
        ["vendor_id", "variant_id", "vendor_sku", "price", "stock", "restock_weeks", "is_active"],
        offer_rows,
        now,
    )
    report.products += len(products)
    report.variants += len(variant_rows)
    report.offers += len(offer_rows)
