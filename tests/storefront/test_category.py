"""Category page (CAT-1): product grid, filters, sorting, pagination and their 404s."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from allies.catalog.models import Availability
from allies.catalog.selectors import PAGE_SIZE, listed_products, listing_count
from tests.factories import CategoryFactory, VendorFactory
from tests.storefront.conftest import add_product, text

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [p.title for p in response.context["products"]]


@pytest.fixture
def lenoir():
    return VendorFactory(name="Maison Lenoir", slug="maison-lenoir")


@pytest.fixture
def borel():
    return VendorFactory(name="Atelier Borel", slug="atelier-borel")


def test_card_shows_brand_title_price_from_availability_and_vendor_count(
    client, shirts, lenoir, borel
):
    # covers: CAT-1, CAT-2
    add_product(
        category=shirts,
        title="Chemise Oxford",
        brand="Atelier Sauveur",
        offers=[{"vendor": lenoir, "price": "49.90"}, {"vendor": borel, "price": "54.00"}],
    )
    response = client.get("/c/chemises/")
    body = text(response)
    assert response.status_code == 200
    assert "<h1>Chemises</h1>" in body
    assert "Atelier Sauveur" in body
    assert "Chemise Oxford" in body
    assert "à partir de</span> 49,90 €" in body
    assert "En stock" in body
    assert "2 vendeurs" in body
    assert re.search(r'<img src="/images/produits/\d+\.svg"', body)


def test_a_card_escapes_the_products_text_and_speaks_english_on_english_pages(
    client, shirts, lenoir, borel
):
    # covers: CAT-1, CAT-2, SITE-4 (storefront/templatetags/cards.py writes the cards)
    product = add_product(
        category=shirts,
        title='Chemise <script>alert("x")</script>',
        brand="Dupont & Fils",
        offers=[{"vendor": lenoir, "price": "1249.90"}, {"vendor": borel, "price": "1300.00"}],
    )
    body = client.get("/c/chemises/").content.decode()
    assert "<script>alert" not in body
    assert "Chemise &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert '<p class="brand">Dupont &amp; Fils</p>' in body
    assert f'<a href="/p/{product.slug}/">' in body
    english = client.get("/en/c/chemises/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<a href="/en/p/{product.slug}/">' in english
    assert '<span class="from">from</span> €1,249.90' in english
    assert ">In stock</p>" in english and ">2 vendors</p>" in english


def test_one_vendor_with_several_sizes_is_not_several_vendors(client, shirts, lenoir):
    # covers: CAT-2
    product = add_product(
        category=shirts, variants=[("S", "Bleu"), ("M", "Bleu")], offers=[{"vendor": lenoir}]
    )
    assert (product.offer_count, product.vendor_count) == (2, 1)
    assert 'class="offers"' not in text(client.get("/c/chemises/"))


def test_unknown_category_is_a_french_404(client):
    # covers: CAT-1
    response = client.get("/c/nexiste-pas/")
    assert response.status_code == 404
    assert "Page introuvable" in text(response)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "2", "99", "1.5", "²", "9" * 30])
def test_bad_or_out_of_range_page_is_404(client, shirts, lenoir, page):
    # covers: CAT-1
    add_product(category=shirts, offers=[{"vendor": lenoir}])
    response = client.get("/c/chemises/", {"page": page})
    assert response.status_code == 404
    assert "Page introuvable" in text(response)


def test_pagination_24_per_page(client, shirts, lenoir):
    # covers: CAT-1
    for i in range(PAGE_SIZE + 3):
        add_product(
            category=shirts, title=f"Chemise {i:02d}", age_days=i, offers=[{"vendor": lenoir}]
        )
    first = client.get("/c/chemises/")
    second = client.get("/c/chemises/", {"page": 2})
    assert len(titles(first)) == 24 and len(titles(second)) == 3
    assert titles(second) == ["Chemise 24", "Chemise 25", "Chemise 26"]
    assert "27 produits" in text(first)
    assert 'href="?page=2"' in text(first) and 'rel="next"' in text(first)
    # Page 2 links back to page 1 without ?page=1, and is its own canonical URL.
    assert 'rel="prev" href="?"' in text(second)
    assert '<link rel="canonical" href="http://testserver/c/chemises/?page=2">' in text(
        second
    ).replace("http://127.0.0.1:8000", "http://testserver")


def test_empty_category_page_one_shows_the_empty_state(client, shirts):
    # covers: CAT-1
    response = client.get("/c/chemises/")
    assert response.status_code == 200
    assert "Aucun produit ne correspond à ces critères" in text(response)


def test_price_filter_min_and_max(client, shirts, lenoir):
    # covers: CAT-1
    add_product(category=shirts, title="Bon marché", offers=[{"vendor": lenoir, "price": "19.90"}])
    add_product(category=shirts, title="Moyen", offers=[{"vendor": lenoir, "price": "49.90"}])
    add_product(category=shirts, title="Cher", offers=[{"vendor": lenoir, "price": "149.00"}])
    assert titles(client.get("/c/chemises/", {"prix_min": "20", "prix_max": "100"})) == ["Moyen"]
    assert sorted(titles(client.get("/c/chemises/", {"prix_min": "49,90"}))) == ["Cher", "Moyen"]
    assert titles(client.get("/c/chemises/", {"prix_max": "19.90"})) == ["Bon marché"]
    # min and max given the wrong way round are understood
    assert titles(client.get("/c/chemises/", {"prix_min": "100", "prix_max": "20"})) == ["Moyen"]


@pytest.mark.parametrize(
    "params",
    [
        {"prix_min": "abc"},
        {"prix_max": "1e999999"},
        {"prix_min": "-5"},
        {"prix_min": "NaN"},
        {"vendeur": "inconnu"},
        {"taille": "XXXXL"},
        {"dispo": "bientot"},
        {"tri": "hasard"},
        {"prix_min": "x" * 500},
    ],
)
def test_invalid_filter_values_are_ignored(client, shirts, lenoir, params):
    # covers: CAT-1
    add_product(category=shirts, title="Chemise Oxford", offers=[{"vendor": lenoir}])
    response = client.get("/c/chemises/", params)
    assert response.status_code == 200
    assert titles(response) == ["Chemise Oxford"]


def test_vendor_filter(client, shirts, lenoir, borel):
    # covers: CAT-1, CAT-2
    add_product(category=shirts, title="Chez Lenoir", offers=[{"vendor": lenoir}])
    add_product(category=shirts, title="Chez Borel", offers=[{"vendor": borel}])
    add_product(
        category=shirts, title="Chez les deux", offers=[{"vendor": lenoir}, {"vendor": borel}]
    )
    response = client.get("/c/chemises/", {"vendeur": "atelier-borel"})
    assert sorted(titles(response)) == ["Chez Borel", "Chez les deux"]
    body = text(response)
    assert '<option value="atelier-borel" selected>Atelier Borel</option>' in body
    assert 'Filtrer</span> <span class="filters-count">(1)</span>' in body


def test_size_filter_uses_the_category_sizes(client, shirts, lenoir, borel):
    # covers: CAT-1
    add_product(
        category=shirts,
        title="En S et M",
        variants=[("S", "Bleu"), ("M", "Bleu")],
        offers=[{"vendor": lenoir}],
    )
    add_product(
        category=shirts, title="En XL", variants=[("XL", "Bleu")], offers=[{"vendor": lenoir}]
    )
    body = text(client.get("/c/chemises/"))
    for size in ("S", "M", "L", "XL"):
        assert f'name="taille" value="{size}"' in body
    assert titles(client.get("/c/chemises/", {"taille": "M"})) == ["En S et M"]
    assert titles(client.get("/c/chemises/", {"taille": "XL"})) == ["En XL"]
    assert titles(client.get("/c/chemises/", {"taille": "L"})) == []


def test_vendor_and_size_together_mean_that_vendor_sells_that_size(client, shirts, lenoir, borel):
    # covers: CAT-1
    add_product(
        category=shirts,
        title="Chemise",
        variants=[("S", "Bleu"), ("M", "Bleu")],
        offers=[{"vendor": lenoir, "variant": 0}, {"vendor": borel, "variant": 1}],
    )
    assert titles(client.get("/c/chemises/", {"vendeur": "maison-lenoir", "taille": "S"})) == [
        "Chemise"
    ]
    assert titles(client.get("/c/chemises/", {"vendeur": "maison-lenoir", "taille": "M"})) == []


def test_availability_filter(client, shirts, lenoir):
    # covers: CAT-1, CAT-2
    add_product(category=shirts, title="Dispo", offers=[{"vendor": lenoir, "stock": 3}])
    add_product(
        category=shirts,
        title="Réappro",
        offers=[{"vendor": lenoir, "stock": 0, "restock_weeks": 3}],
    )
    add_product(category=shirts, title="Rupture", offers=[{"vendor": lenoir, "stock": 0}])
    assert titles(client.get("/c/chemises/", {"dispo": "en-stock"})) == ["Dispo"]
    assert titles(client.get("/c/chemises/", {"dispo": "reappro"})) == ["Réappro"]
    assert sorted(titles(client.get("/c/chemises/"))) == ["Dispo", "Rupture", "Réappro"]
    body = text(client.get("/c/chemises/"))
    assert "En cours de réapprovisionnement" in body and "En rupture de stock" in body


def test_a_filtered_count_reads_an_index_alone(shirts):
    # covers: CAT-2 (speed rule of ARCHITECTURE.md: at 200,000 products the count of a
    # category "en stock" read ~20,000 table rows, 44 ms; from the index alone, 6 ms)
    listing = listed_products().filter(category=shirts, availability=Availability.IN_STOCK)
    with CaptureQueriesContext(connection) as counted:
        assert listing_count(listing) == 0
    if connection.vendor != "sqlite":
        return  # PostgreSQL's planner reads a table this small whole, whatever its indexes
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + counted.captured_queries[0]["sql"])
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "COVERING INDEX catalog_product_listed_avail" in plan, plan


def test_sorting_by_price_and_newest(client, shirts, lenoir):
    # covers: CAT-1
    add_product(
        category=shirts,
        title="B moyen récent",
        age_days=1,
        offers=[{"vendor": lenoir, "price": "50"}],
    )
    add_product(
        category=shirts,
        title="A cher ancien",
        age_days=9,
        offers=[{"vendor": lenoir, "price": "90"}],
    )
    add_product(
        category=shirts, title="C bas neuf", age_days=0, offers=[{"vendor": lenoir, "price": "10"}]
    )
    assert titles(client.get("/c/chemises/", {"tri": "prix-croissant"})) == [
        "C bas neuf",
        "B moyen récent",
        "A cher ancien",
    ]
    assert titles(client.get("/c/chemises/", {"tri": "prix-decroissant"})) == [
        "A cher ancien",
        "B moyen récent",
        "C bas neuf",
    ]
    assert titles(client.get("/c/chemises/", {"tri": "nouveautes"})) == [
        "C bas neuf",
        "B moyen récent",
        "A cher ancien",
    ]
    assert titles(client.get("/c/chemises/")) == ["C bas neuf", "B moyen récent", "A cher ancien"]
    # Relevance is for search only: on a category it falls back to the default.
    assert titles(client.get("/c/chemises/", {"tri": "pertinence"})) == [
        "C bas neuf",
        "B moyen récent",
        "A cher ancien",
    ]
    body = text(client.get("/c/chemises/", {"tri": "prix-croissant"}))
    assert 'aria-current="true">Prix croissant</a>' in body


def test_sort_links_keep_filters_and_reset_page(client, shirts, lenoir):
    # covers: CAT-1
    for i in range(30):
        add_product(category=shirts, offers=[{"vendor": lenoir, "price": 10 + i}])
    body = text(client.get("/c/chemises/", {"vendeur": "maison-lenoir", "page": "2"}))
    assert 'href="?vendeur=maison-lenoir&amp;tri=prix-croissant"' in body


def test_only_this_categorys_products(client, shirts, lenoir):
    # covers: CAT-1
    add_product(category=shirts, title="Chemise", offers=[{"vendor": lenoir}])
    add_product(category=CategoryFactory(), title="Montre", offers=[{"vendor": lenoir}])
    assert titles(client.get("/c/chemises/")) == ["Chemise"]


def test_active_filter_chip_removes_only_that_filter(client, shirts, lenoir):
    # covers: CAT-1
    add_product(category=shirts, offers=[{"vendor": lenoir, "price": "30"}])
    body = text(client.get("/c/chemises/", {"prix_min": "10", "dispo": "en-stock"}))
    assert "Prix min. 10,00 €" in body
    assert 'href="/c/chemises/?dispo=en-stock"' in body
    assert 'href="/c/chemises/?prix_min=10"' in body


def test_filters_collapse_on_phone(client, shirts):
    # covers: CAT-1 (the filter panel is a <details> closed by a media query script on phones)
    body = text(client.get("/c/chemises/"))
    assert '<details class="filters" id="filtres" open>' in body
    # The script is a static file (the Content-Security-Policy forbids inline scripts).
    assert 'src="/static/js/listing.js"' in body
    script = (settings.BASE_DIR / "allies" / "static" / "js" / "listing.js").read_text()
    assert 'matchMedia("(max-width: 820px)")' in script and 'removeAttribute("open")' in script


def _vendor_choices(response) -> list[str]:
    select = re.search(r'<select id="f-vendeur".*?</select>', text(response), flags=re.S)
    return re.findall(r'<option value="([^"]+)"', select.group(0)) if select else []


@pytest.mark.parametrize("page_cache", [0, 60])
def test_the_vendor_filter_follows_a_first_offer_and_a_suspension_at_once(
    client, settings, shirts, lenoir, borel, page_cache, django_capture_on_commit_callbacks
):
    # covers: CAT-1, VEN-2 (the filter's choices are shared by the processes through the
    # cache: keyed by the tokens they were read under, never served after a change)
    from allies.catalog.offers import offers_upsert
    from allies.onboarding.services import vendor_suspend
    from tests.onboarding.factories import suspender

    settings.PAGE_CACHE_SECONDS = page_cache
    product = add_product(category=shirts, title="Chemise Oxford", offers=[{"vendor": lenoir}])
    assert _vendor_choices(client.get("/c/chemises/")) == ["maison-lenoir"]

    sku = product.variants.get().sku
    with django_capture_on_commit_callbacks(execute=True):
        offers_upsert(vendor=borel, items=[{"sku": sku, "price": "30", "stock": 2}])
    assert _vendor_choices(client.get("/c/chemises/")) == ["atelier-borel", "maison-lenoir"]

    with django_capture_on_commit_callbacks(execute=True):
        vendor_suspend(vendor=borel, by=suspender(), reason="Contrefaçons signalées")
    assert _vendor_choices(client.get("/c/chemises/")) == ["maison-lenoir"]


def _counted(queries) -> bool:
    return any('COUNT(*) AS "__count"' in q["sql"] for q in queries)


def test_every_sort_and_page_of_a_listing_share_its_count_until_the_listings_change(
    client, shirts, lenoir, django_capture_on_commit_callbacks
):
    # covers: CAT-1 (the count says what the database has: read again after any change of
    # the listings, as the page cache's listing pages are)
    for i in range(PAGE_SIZE + 1):
        add_product(category=shirts, title=f"Chemise {i}", offers=[{"vendor": lenoir}])
    total = PAGE_SIZE + 1
    assert f"{total} produits" in text(client.get("/c/chemises/"))
    with CaptureQueriesContext(connection) as other_sort_and_page:
        body = text(client.get("/c/chemises/", {"tri": "prix-croissant", "page": "2"}))
    assert f"{total} produits" in body and not _counted(other_sort_and_page.captured_queries)

    with django_capture_on_commit_callbacks(execute=True):  # as the import or the form commits
        add_product(category=shirts, title="Chemise en lin", offers=[{"vendor": lenoir}])
    with CaptureQueriesContext(connection) as after_change:
        body = text(client.get("/c/chemises/", {"page": "2"}))
    assert f"{total + 1} produits" in body and _counted(after_change.captured_queries)

    # A filtered listing is counted for itself.
    with django_capture_on_commit_callbacks(execute=True):
        add_product(category=shirts, title="Épuisée", offers=[{"vendor": lenoir, "stock": 0}])
    in_stock = text(client.get("/c/chemises/", {"dispo": "en-stock"}))
    everything = text(client.get("/c/chemises/"))
    assert f"{total + 1} produits" in in_stock and f"{total + 2} produits" in everything
