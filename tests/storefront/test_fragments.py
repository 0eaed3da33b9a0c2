"""Fragments rendered once per process (core.templatetags.fragments): the layout's fixed parts,
product cards and shipping tables are kept by their data, so they are never stale and never
personal. Every test here runs with the page cache off (tests/conftest.py): what is asserted
is the memo alone."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.template import Context, Template

from allies.catalog.models import Offer
from allies.catalog.offers import offer_update
from allies.core.templatetags.fragments import memo_clear
from allies.shipping.services import shipping_rate_save
from allies.vendors.models import Vendor
from tests.factories import OfferFactory, UserFactory, VendorFactory
from tests.storefront.conftest import add_product, text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_memo():
    memo_clear()
    yield
    memo_clear()


def _render(source: str, **values) -> str:
    return Template("{% load fragments %}" + source).render(Context(values))


def test_a_fragment_is_rendered_once_per_key_and_again_for_a_new_key():
    source = '{% memo "t" price %}{{ price }} {{ note }}{% endmemo %}'
    assert _render(source, price=Decimal("10.00"), note="first") == "10,00 first"
    # Same key: the kept HTML (which is why a fragment's key must carry all it shows).
    assert _render(source, price=Decimal("10.00"), note="second") == "10,00 first"
    assert _render(source, price=Decimal("12.50"), note="third") == "12,50 third"


def test_a_fragment_refuses_a_key_that_does_not_say_what_it_shows():
    vendor = VendorFactory()
    with pytest.raises(TypeError, match="Vendor"):
        _render('{% memo "t" vendor %}{{ vendor.name }}{% endmemo %}', vendor=vendor)


@dataclass(frozen=True)
class _Row:
    zone: str
    fee: Decimal


@dataclass(frozen=True)
class _RowOfVendor:
    vendor: object


def test_frozen_rows_are_a_key_by_their_fields_and_refused_when_they_hold_a_model():
    source = (
        '{% memo "t" rows %}{% for r in rows %}{{ r.zone }} {{ r.fee }};{% endfor %}{% endmemo %}'
    )
    assert _render(source, rows=[_Row("FR", Decimal("4.90"))]) == "FR 4,90;"
    # Equal rows (other instances): the kept HTML; a changed fee: rendered again.
    assert _render(source, rows=[_Row("FR", Decimal("4.90"))]) == "FR 4,90;"
    assert _render(source, rows=[_Row("FR", Decimal("5.90"))]) == "FR 5,90;"
    assert _render(source, rows=[_Row("FR", Decimal("4.90")), _Row("BE", Decimal("9"))]) == (
        "FR 4,90;BE 9;"
    )
    with pytest.raises(TypeError, match="Vendor"):
        _render(
            '{% memo "t" row %}{{ row.vendor.name }}{% endmemo %}',
            row=_RowOfVendor(VendorFactory()),
        )


def test_the_layout_is_kept_per_language(client, shirts):
    # covers: SITE-4
    french = text(client.get("/"))
    english = text(client.get("/en/"))
    assert "Contacter le service client" in french and "Contact customer service" in english
    assert "Contact customer service" not in french
    assert "Contacter le service client" not in text(client.get("/en/"))


def test_the_menu_marks_the_current_category_on_each_page(client, shirts):
    # covers: CAT-1
    shoes = type(shirts).objects.create(name="Chaussures", name_en="Shoes", slug="chaussures")
    on_shirts = text(client.get("/c/chemises/"))
    on_shoes = text(client.get("/c/chaussures/"))
    assert 'href="/c/chemises/" aria-current="page"' in on_shirts
    assert 'href="/c/chaussures/" aria-current="page"' not in on_shirts
    assert 'href="/c/chaussures/" aria-current="page"' in on_shoes
    assert shoes.pk


def test_a_changed_price_shows_on_the_next_listing_and_product_page(client, shirts):
    # covers: CAT-1, CAT-2 (no page shows a price the database no longer has)
    vendor = VendorFactory()
    product = add_product(
        category=shirts, title="Chemise Oxford", offers=[{"vendor": vendor, "price": "49.90"}]
    )
    assert "49,90 €" in text(client.get("/c/chemises/"))
    assert "49,90 €" in text(client.get(product.get_absolute_url()))
    offer = product.variants.get().offers.get()
    offer_update(vendor=vendor, offer_id=offer.pk, price="39,90")
    listing, page = text(client.get("/c/chemises/")), text(client.get(product.get_absolute_url()))
    assert "39,90 €" in listing and "49,90 €" not in listing
    assert "39,90 €" in page and "49,90 €" not in page


def test_a_changed_shipping_rate_shows_on_the_next_product_page(
    client, shirts, django_capture_on_commit_callbacks
):
    # covers: CAT-3 (the offer's "Modes de livraison disponibles": the table and the rules
    # the process keeps are both read again)
    vendor = VendorFactory()
    rate = dict(mode="home", zone="FR", carrier="colissimo", min_days=2, max_days=4)
    shipping_rate_save(vendor=vendor, base_fee="4.90", **rate)
    product = add_product(category=shirts, offers=[{"vendor": vendor, "price": "20.00"}])
    assert "4,90 €" in text(client.get(product.get_absolute_url()))
    with django_capture_on_commit_callbacks(execute=True):  # as the vendor's form commits
        shipping_rate_save(vendor=vendor, base_fee="6.40", **rate)
    page = text(client.get(product.get_absolute_url()))
    assert "6,40 €" in page and "4,90 €" not in page


def test_kept_fragments_show_nothing_personal(client, shirts):
    # covers: ACC-1 (a customer's header is never another visitor's)
    add_product(category=shirts, offers=[{"vendor": VendorFactory(), "stock": 5}])
    anonymous = text(client.get("/c/chemises/"))
    customer = UserFactory()
    client.force_login(customer)
    signed_in = text(client.get("/c/chemises/"))
    client.logout()
    again = text(client.get("/c/chemises/"))
    assert "Se connecter" in anonymous and "Se connecter" in again
    assert "Se connecter" not in signed_in and "COMPTE" in signed_in


def test_a_renamed_category_shows_in_the_menu_and_its_page_at_the_next_request(
    client, shirts, django_capture_on_commit_callbacks
):
    # covers: CAT-1 (the categories a process keeps are read again once one is saved)
    add_product(category=shirts, offers=[{"vendor": VendorFactory()}])
    assert ">Chemises</a>" in text(client.get("/"))
    assert "<h1>Chemises</h1>" in text(client.get("/c/chemises/"))
    with django_capture_on_commit_callbacks(execute=True):
        shirts.name = "Chemises et chemisettes"
        shirts.save()
    home, listing = text(client.get("/")), text(client.get("/c/chemises/"))
    assert ">Chemises et chemisettes</a>" in home and ">Chemises</a>" not in home
    assert "<h1>Chemises et chemisettes</h1>" in listing


def test_the_home_page_shows_a_new_product_at_the_next_request(
    client, shirts, django_capture_on_commit_callbacks
):
    # covers: CAT-1 (the home page's selection is kept per generation, never past a change)
    add_product(category=shirts, title="Chemise Oxford", offers=[{"vendor": VendorFactory()}])
    assert "Chemise Oxford" in text(client.get("/"))
    with django_capture_on_commit_callbacks(execute=True):
        add_product(category=shirts, title="Chemise en lin", offers=[{"vendor": VendorFactory()}])
    assert "Chemise en lin" in text(client.get("/"))


def test_an_offer_and_the_variant_picker_show_what_the_database_has_at_the_next_request(
    client, shirts
):
    # covers: CAT-1, CAT-2 (each offer and the picker are kept by their data: a change made
    # even behind the application's back, by an UPDATE, is on the very next page)
    vendor = VendorFactory(name="Atelier Nord")
    product = add_product(
        category=shirts,
        variants=(("M", "Bleu"), ("L", "Bleu")),
        offers=[
            {"vendor": vendor, "price": "30.00", "stock": 4, "variant": 0},
            {"vendor": vendor, "price": "30.00", "stock": 4, "variant": 1},
        ],
    )
    medium = Offer.objects.get(variant__product=product, variant__size="M")
    url = f"{product.get_absolute_url()}?variante={medium.variant_id}"
    page = text(client.get(url))
    assert "Vendu par <a" in page and "Atelier Nord" in page and 'max="4"' in page
    assert "is-unavailable" not in page and "Meilleure offre" not in page

    Offer.objects.filter(pk=medium.pk).update(stock=0, restock_weeks=3)
    page = text(client.get(url))
    assert "En cours de réapprovisionnement - Livré sous 3 semaines" in page
    assert 'max="4"' not in page

    Offer.objects.filter(variant__product=product, variant__size="L").update(stock=0)
    Vendor.objects.filter(pk=vendor.pk).update(name="Atelier du Nord")
    page = text(client.get(url))
    assert "Atelier du Nord" in page and "Atelier Nord<" not in page
    # L is sold by nobody now: its choice says so.
    assert page.count("is-unavailable") == 1 and "— indisponible" in page

    rival = VendorFactory(name="Maison Sud")
    OfferFactory(variant=medium.variant, vendor=rival, price=Decimal("25.00"), stock=2)
    page = text(client.get(url))
    # The rival's offer comes first (in stock, cheaper) with the badge, the restocking one next.
    offers = page[page.index('<ol class="offer-list">') :]
    first, second = offers.split("</li>")[:2]
    assert "Meilleure offre" in first and "Maison Sud" in first and "25,00 €" in first
    assert "Meilleure offre" not in second and "Atelier du Nord" in second
