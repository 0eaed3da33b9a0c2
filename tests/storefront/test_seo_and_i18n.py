"""SEO and languages (SITE-4): sitemap, robots.txt, canonical URLs, English under /en/, 404."""

import xml.etree.ElementTree as ET

import pytest

from allies.storefront import views
from tests.factories import VendorFactory
from tests.storefront.conftest import add_product, text

pytestmark = pytest.mark.django_db
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


@pytest.fixture
def site(settings):
    settings.SITE_URL = "https://www.les-allies.test"
    return settings.SITE_URL


def sitemap_locs(response) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    root = ET.fromstring(body)
    return [e.text for e in root.iter(f"{{{NS['s']}}}loc")]


def test_sitemap_lists_every_category_and_product_page(client, site, shirts):
    # covers: SITE-4
    vendor = VendorFactory(slug="maison-lenoir")
    a = add_product(category=shirts, offers=[{"vendor": vendor}])
    b = add_product(category=shirts)  # nobody sells it yet: still a page
    hidden = add_product(category=shirts, is_active=False)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    locs = sitemap_locs(response)
    assert f"{site}/" in locs
    assert f"{site}/c/chemises/" in locs
    assert f"{site}/vendeurs/maison-lenoir/" in locs
    assert f"{site}/p/{a.slug}/" in locs and f"{site}/p/{b.slug}/" in locs
    assert f"{site}/p/{hidden.slug}/" not in locs


def test_sitemap_gives_the_english_alternate(client, site, shirts):
    # covers: SITE-4
    product = add_product(category=shirts)
    body = b"".join(client.get("/sitemap.xml").streaming_content).decode()
    assert f'<xhtml:link rel="alternate" hreflang="en" href="{site}/en/p/{product.slug}/"/>' in body


def test_sitemap_becomes_an_index_past_the_url_limit(client, site, shirts, monkeypatch):
    # covers: SITE-4 (50,000 URLs per file in the protocol; lowered here to 3)
    monkeypatch.setattr(views, "SITEMAP_MAX_URLS", 3)
    products = [add_product(category=shirts) for _ in range(5)]  # + home + category = 7 URLs
    index = client.get("/sitemap.xml")
    assert sitemap_locs(index) == [f"{site}/sitemap.xml?p={n}" for n in (1, 2, 3)]
    assert b"<sitemapindex" in index.content
    pages = [sitemap_locs(client.get("/sitemap.xml", {"p": n})) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sorted(sum(pages, [])) == sorted(
        [f"{site}/", f"{site}/c/chemises/"] + [f"{site}/p/{p.slug}/" for p in products]
    )
    assert client.get("/sitemap.xml", {"p": "4"}).status_code == 404
    assert client.get("/sitemap.xml", {"p": "x"}).status_code == 404


def test_robots_txt_allows_all_and_points_to_the_sitemap(client, site):
    # covers: SITE-4
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "User-agent: *\nAllow: /\n" in body
    assert f"Sitemap: {site}/sitemap.xml" in body


def test_category_canonical_ignores_filters(client, site, shirts):
    # covers: SITE-4
    body = text(client.get("/c/chemises/", {"tri": "prix-croissant", "taille": "M"}))
    assert f'<link rel="canonical" href="{site}/c/chemises/">' in body
    assert f'<link rel="alternate" hreflang="en" href="{site}/en/c/chemises/">' in body


def test_the_language_switch_keeps_the_page_and_its_filters(client, site, shirts):
    # covers: SITE-4
    product = add_product(category=shirts, offers=[{"vendor": VendorFactory()}])
    french = text(client.get("/c/chemises/?tri=prix-croissant&taille=M"))
    assert 'class="lang" href="/en/c/chemises/?tri=prix-croissant&amp;taille=M"' in french
    english = text(client.get(f"/en/p/{product.slug}/"))
    assert f'class="lang" href="/p/{product.slug}/"' in english
    assert f'<link rel="alternate" hreflang="fr" href="{site}/p/{product.slug}/">' in english


def test_english_pages_under_en(client, shirts):
    # covers: SITE-4
    vendor = VendorFactory(name="Maison Lenoir", slug="maison-lenoir")
    product = add_product(
        category=shirts,
        title="Chemise Oxford",
        offers=[
            {"vendor": vendor, "price": "49.90", "stock": 0, "restock_weeks": 3},
            {"vendor": VendorFactory(), "price": "59.90"},
        ],
    )
    listing = text(client.get("/en/c/chemises/"))
    assert '<html lang="en">' in listing
    assert "<h1>Shirts</h1>" in listing
    assert "from</span> €59.90" in listing
    assert "1 product<" in listing and "Apply filters" in listing and "In stock" in listing
    page = text(client.get(f"/en/p/{product.slug}/"))
    assert 'Sold by <a href="/en/vendeurs/maison-lenoir/">Maison Lenoir</a>' in page
    assert "Being restocked - Delivered within 3 weeks" in page
    assert '<a href="/en/c/chemises/">Shirts</a>' in page
    # The French page is unchanged
    assert "Vendu par" in text(client.get(f"/p/{product.slug}/"))


def test_english_404(client):
    # covers: SITE-4
    response = client.get("/en/p/unknown/")
    assert response.status_code == 404
    body = text(response)
    assert '<html lang="en">' in body
    assert "Page not found" in body


def test_french_404_for_unknown_vendor_and_unknown_url(client):
    # covers: SITE-4
    for url in ("/vendeurs/inconnu/", "/nimporte/quoi/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Page introuvable" in text(response)
