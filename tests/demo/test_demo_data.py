"""`manage.py demo_data`: a believable, deterministic demo catalogue and working demo logins.

The 600-product catalogue is loaded once for the module (inside a transaction rolled back at
the end); each test runs in its own nested transaction on top of it.
"""

import hashlib
import re
from collections import defaultdict
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count

from allies.accounts.models import Address, User
from allies.cart.models import DiscountCode
from allies.catalog.models import Availability, Category, Offer, Product, Variant
from allies.catalog.services import product_summaries_refresh
from allies.demo import identities, words
from allies.demo.generator import products_generate
from allies.onboarding.models import ApplicationEvent, VendorApplication
from allies.payments.models import KycDocument, VendorAccount, VendorAccountEvent
from allies.shipping.models import ShippingRate
from allies.vendors import legal
from allies.vendors.models import Vendor, VendorApiKey, VendorMembership

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo_data")]

PRODUCTS = 600
DEMO_EMAILS = [identities.CUSTOMER_EMAIL, identities.STAFF_EMAIL] + [
    v.user_email for v in identities.VENDORS
]


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        # The catalogue alone: these tests empty and reload it (demo orders: test_demo_orders).
        call_command("demo_data", "--products", str(PRODUCTS), "--without-orders", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def catalogue_digest() -> str:
    """Everything the customer sees of the catalogue, without database ids or dates."""
    h = hashlib.sha256()
    for row in Product.objects.order_by("slug").values_list(
        "slug", "title", "brand", "description", "category__slug", "kind", "parcel_count",
        "weight_grams", "price_from", "availability", "offer_count", "vendor_count",
        "search_text", "title_search",
    ):  # fmt: skip
        h.update(repr(row).encode())
    for row in Offer.objects.order_by("variant__sku", "vendor__slug").values_list(
        "variant__sku", "variant__product__slug", "variant__size", "variant__colour",
        "variant__position", "vendor__slug", "vendor_sku", "price", "stock", "restock_weeks",
        "is_active",
    ):  # fmt: skip
        h.update(repr(row).encode())
    return h.hexdigest()


def test_summary_lists_counts_and_logins(demo_output):
    assert f"{PRODUCTS} products" in demo_output
    assert identities.DEFAULT_PASSWORD in demo_output
    for email in DEMO_EMAILS:
        assert email in demo_output


def test_counts(demo_output):
    assert Vendor.objects.count() >= 12
    assert Product.objects.count() == PRODUCTS
    per_category = dict(Category.objects.annotate(n=Count("products")).values_list("slug", "n"))
    assert len(per_category) >= 6
    assert all(n > 0 for n in per_category.values()), per_category
    assert Offer.objects.count() >= 3 * PRODUCTS


def test_categories_are_bilingual_with_size_scales(demo_output):
    categories = list(Category.objects.all())
    assert categories  # a loop over nothing would pass
    for category in categories:
        assert category.name and category.name_en and category.description
        assert category.description_en
    sizes = dict(Category.objects.values_list("slug", "size_scale"))
    assert sizes["chemises"] == "S,M,L,XL,XXL"
    assert sizes["pantalons"] == "38,40,42,44,46,48"
    assert sizes["chaussures"] == "39,40,41,42,43,44,45,46"
    assert sizes["montres"] == sizes["maroquinerie"] == sizes["soin-et-rasage"] == ""


def test_products_are_realistic(demo_output):
    products = list(Product.objects.select_related("category"))
    titles = [p.title for p in products]
    assert len(set(titles)) >= 0.95 * len(titles)
    assert Product.objects.filter(search_text__contains=" chemise ").count() >= 0.15 * PRODUCTS
    assert {p.kind for p in products} == set(Product.Kind.values)
    for p in products:
        assert p.slug and p.description.endswith(".") and p.brand
        assert p.search_text and p.title_search
        if p.kind == Product.Kind.FURNITURE:
            assert 2 <= p.parcel_count <= 4 and p.weight_grams >= 10_000
        else:
            assert p.parcel_count == 1 and p.weight_grams < 10_000
    ages = sorted(p.created_at for p in products)
    assert (ages[-1] - ages[0]).days >= 300  # spread over the last year


def test_variants_follow_size_scales_and_palette(demo_output):
    variants = defaultdict(list)
    for v in Variant.objects.select_related("product__category"):
        variants[v.product].append(v)
    assert variants
    for product, rows in variants.items():
        sizes = product.category.sizes
        assert all(v.colour in words.PALETTE for v in rows)
        if sizes:
            colours = list(dict.fromkeys(v.colour for v in rows))
            assert 1 <= len(colours) <= 3
            assert sorted((v.colour, v.size) for v in rows) == sorted(
                (c, s) for c in colours for s in sizes
            )
        else:
            assert len(rows) == 1 and rows[0].size == ""
    assert not Variant.objects.filter(offers__isnull=True).exists()


def test_several_vendors_per_product(demo_output):
    vendor_counts = list(
        Product.objects.annotate(n=Count("variants__offers__vendor", distinct=True)).values_list(
            "n", flat=True
        )
    )
    multi = sum(n >= 2 for n in vendor_counts)
    assert multi >= 0.4 * len(vendor_counts)
    assert max(vendor_counts) == 4 and min(vendor_counts) >= 1
    per_variant = Variant.objects.annotate(n=Count("offers")).filter(n__gte=2).count()
    assert per_variant >= 0.4 * Variant.objects.count()
    # Vendors compete on price: a product's offers do not all cost the same.
    differing = (
        Product.objects.annotate(prices=Count("variants__offers__price", distinct=True))
        .filter(prices__gte=2)
        .count()
    )
    assert differing >= 0.3 * PRODUCTS


def test_all_availability_states(demo_output):
    offers = Offer.objects.filter(is_active=True)
    assert offers.filter(stock__gt=0).exists()
    restocking = offers.filter(stock=0, restock_weeks__isnull=False)
    assert restocking.exists()
    assert set(restocking.values_list("restock_weeks", flat=True)) <= set(range(1, 7))
    assert offers.filter(stock=0, restock_weeks__isnull=True).exists()
    assert Offer.objects.filter(is_active=False).exists()
    product_states = set(Product.objects.values_list("availability", flat=True))
    assert product_states == set(Availability.values)


def test_summaries_equal_product_summaries_refresh(demo_output):
    """The loader writes summaries and search terms itself (one refresh of 20,000 products
    costs more than the whole load): every field the refresh writes must come out equal."""
    fields = [f.attname for f in Product._meta.concrete_fields]

    def snapshot():
        return list(Product.objects.order_by("id").values_list(*fields))

    loaded = snapshot()
    product_summaries_refresh(product_ids=[row[0] for row in loaded])
    refreshed = snapshot()
    assert loaded
    for before, after in zip(loaded, refreshed, strict=True):
        assert dict(zip(fields, before, strict=True)) == dict(zip(fields, after, strict=True))


def test_vendor_legal_identities(demo_output):
    vendors = list(Vendor.objects.all())
    assert vendors
    assert len({v.siret for v in vendors}) == len(vendors)
    for v in vendors:
        assert v.legal_form in {"SAS", "SARL", "EURL", "SRL"}
        assert v.legal_name and v.share_capital.endswith("€") and v.description
        assert re.fullmatch(r"[a-z0-9.-]+@[a-z0-9.-]+\.test", v.email)
        if v.country == "FR":
            assert legal.siret_valid(v.siret), v.siret
            assert v.vat_number == f"FR{(12 + 3 * (int(v.siret[:9]) % 97)) % 97:02d}{v.siret[:9]}"
            assert re.fullmatch(r"\d{5}", v.postcode) and v.phone.startswith("+33 ")
        else:
            assert v.country == "BE" and v.legal_form == "SRL"
            assert legal.be_enterprise_number_valid(v.siret), v.siret
            assert v.vat_number == f"BE{v.siret}"
            assert re.fullmatch(r"\d{4}", v.postcode) and v.phone.startswith("+32 ")
    assert sum(v.country == "FR" for v in vendors) >= 12
    assert {v.country for v in vendors} == {"FR", "BE"}
    assert len({v.commission_rate for v in vendors}) >= 6


def test_legal_check_digits_on_known_numbers():
    # A real, public company: SIREN 732 829 320, SIRET 732 829 320 00074, VAT FR44732829320.
    assert legal.siret_valid("73282932000074")
    assert not legal.siret_valid("73282932000075")
    assert legal.fr_vat_number("732829320") == "FR44732829320"
    # Belgian enterprise number 0403.170.701 (check 01 = 97 - 4031707 mod 97).
    assert legal.be_enterprise_number_valid("0403170701")
    assert not legal.be_enterprise_number_valid("0403170702")


def test_demo_logins_authenticate(demo_output):
    password = identities.DEFAULT_PASSWORD
    # Argon2 is slow on purpose: log in three of them, and check that all demo users share
    # the verified hash (the command hashes the password once).
    first_vendor = identities.VENDORS[0].user_email
    for email in (identities.CUSTOMER_EMAIL, identities.STAFF_EMAIL, first_vendor):
        assert authenticate(None, username=email, password=password) is not None, email
    assert authenticate(None, username=identities.CUSTOMER_EMAIL, password="wrong") is None
    hashes = set(User.objects.filter(email__in=DEMO_EMAILS).values_list("password", flat=True))
    assert len(hashes) == 1 and User.objects.filter(email__in=DEMO_EMAILS).count() == len(
        DEMO_EMAILS
    )

    staff = User.objects.get(email=identities.STAFF_EMAIL)
    assert staff.is_staff and staff.is_superuser
    customer = User.objects.get(email=identities.CUSTOMER_EMAIL)
    assert customer.newsletter_opt_in and not customer.is_staff
    addresses = {a.kind: a for a in Address.objects.filter(user=customer)}
    assert set(addresses) == {"delivery", "billing"}
    assert addresses["delivery"].city == "Paris" and addresses["delivery"].postcode[:2] == "75"
    for seed in identities.VENDORS:
        membership = VendorMembership.objects.get(user__email=seed.user_email)
        assert membership.vendor.slug == seed.slug
        assert not membership.user.is_staff


def test_second_run_changes_nothing(demo_output):
    before = (Product.objects.count(), Offer.objects.count(), User.objects.count())
    out = StringIO()
    call_command("demo_data", stdout=out)
    assert "already has products" in out.getvalue()
    assert (Product.objects.count(), Offer.objects.count(), User.objects.count()) == before


def _raw_delete(model, where: str = "", params=()) -> None:
    """Empty a table with plain SQL: the ORM's cascade would also visit other apps' tables,
    which this test has no business with (rolled back after the test anyway)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} {where}", params)


def _catalogue_empty() -> None:
    for model in (Offer, Variant, Product):
        _raw_delete(model)


def test_same_seed_same_catalogue_in_a_fresh_database(demo_output):
    first = catalogue_digest()
    _catalogue_empty()
    # The application waiting for review (issue 13), with its categories.
    for model in (ApplicationEvent, VendorApplication.categories.through, VendorApplication):
        _raw_delete(model)
    for model in (ShippingRate, DiscountCode, Category, VendorMembership, Address):
        _raw_delete(model)
    placeholders = ", ".join(["%s"] * len(DEMO_EMAILS))
    _raw_delete(User, f"WHERE email IN ({placeholders})", DEMO_EMAILS)
    _raw_delete(VendorApiKey)
    # The vendors' payment accounts (issue 13).
    for model in (KycDocument, VendorAccountEvent, VendorAccount):
        _raw_delete(model)
    _raw_delete(Vendor)
    assert not Vendor.objects.exists() and not Category.objects.exists()

    call_command("demo_data", "--products", str(PRODUCTS), "--without-orders", stdout=StringIO())
    assert catalogue_digest() == first


def test_reload_into_an_emptied_catalogue_reuses_demo_accounts(demo_output):
    first = catalogue_digest()
    users = dict(User.objects.filter(email__in=DEMO_EMAILS).values_list("email", "id"))
    vendors = dict(Vendor.objects.values_list("slug", "id"))
    _catalogue_empty()

    call_command("demo_data", "--products", str(PRODUCTS), "--without-orders", stdout=StringIO())
    assert catalogue_digest() == first
    assert dict(User.objects.filter(email__in=DEMO_EMAILS).values_list("email", "id")) == users
    assert dict(Vendor.objects.values_list("slug", "id")) == vendors
    assert VendorMembership.objects.count() == len(identities.VENDORS)
    assert Address.objects.filter(user__email=identities.CUSTOMER_EMAIL).count() == 2


def test_another_seed_gives_another_catalogue():
    def titles(seed):
        return [p.title for p in products_generate(count=50, seed=seed)]

    assert titles(7) == titles(7)
    assert titles(7) != titles(8)


def test_demo_vendors_ship_differently_and_the_readme_codes_exist(demo_output):
    # covers: CHK-4, CHK-5
    from allies.demo.services import DEMO_CODES

    assert set(DiscountCode.objects.values_list("code", flat=True)) == {c[0] for c in DEMO_CODES}
    per_vendor = {}
    for rate in ShippingRate.objects.all():
        per_vendor.setdefault(rate.vendor_id, set()).add((rate.mode, rate.zone, rate.base_fee))
    assert len(per_vendor) == len(identities.VENDORS)
    assert len({frozenset(r) for r in per_vendor.values()}) >= 6  # policies differ
