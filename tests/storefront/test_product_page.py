"""Product page (CAT-1, CAT-2, CAT-5): variants, every vendor's offer best first, labels, SEO."""

import re

import pytest

from tests.factories import CategoryFactory, VendorFactory
from tests.storefront.conftest import add_product, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendors():
    return {
        name: VendorFactory(name=name, slug=slug)
        for name, slug in [
            ("Maison Lenoir", "maison-lenoir"),
            ("Atelier Borel", "atelier-borel"),
            ("Le Vestiaire", "le-vestiaire"),
            ("Cuirs Fauvel", "cuirs-fauvel"),
        ]
    }


def offer_rows(body: str) -> list[str]:
    """Each offer's text, in page order, tags removed and spaces squeezed."""
    rows = re.findall(r'<li class="offer[^"]*">(.*?)</li>', body, flags=re.S)
    # Each offer's vendor, price and availability (the form and shipping block follow).
    rows = [
        re.split(r'<form class="offer-add"|<details class="shipping-block"', r)[0] for r in rows
    ]
    return [" ".join(re.sub(r"<[^>]+>", " ", r).split()) for r in rows]


def test_offers_best_first_with_the_three_exact_availability_labels(client, shirts, vendors):
    # covers: CAT-2
    product = add_product(
        category=shirts,
        title="Chemise Oxford",
        offers=[
            {"vendor": vendors["Maison Lenoir"], "price": "39.90", "stock": 0},  # out
            {"vendor": vendors["Atelier Borel"], "price": "44.90", "stock": 0, "restock_weeks": 3},
            {"vendor": vendors["Le Vestiaire"], "price": "59.00", "stock": 2},
            {"vendor": vendors["Cuirs Fauvel"], "price": "49.90", "stock": 5},
        ],
    )
    response = client.get(f"/p/{product.slug}/")
    assert response.status_code == 200
    assert offer_rows(text(response)) == [
        "Meilleure offre Vendu par Cuirs Fauvel 49,90 € TTC En stock",
        "Vendu par Le Vestiaire 59,00 € TTC En stock",
        "Vendu par Atelier Borel 44,90 € TTC"
        " En cours de réapprovisionnement - Livré sous 3 semaines",
        "Vendu par Maison Lenoir 39,90 € TTC En rupture de stock",
    ]


def test_vendu_par_links_to_the_vendor_page(client, shirts, vendors):
    # covers: CAT-2
    product = add_product(category=shirts, offers=[{"vendor": vendors["Atelier Borel"]}])
    body = text(client.get(f"/p/{product.slug}/"))
    assert 'Vendu par <a href="/vendeurs/atelier-borel/">Atelier Borel</a>' in body
    vendor_page = client.get("/vendeurs/atelier-borel/")
    assert vendor_page.status_code == 200
    assert product.title in text(vendor_page)


def test_restocking_in_one_week_is_singular(client, shirts, vendors):
    # covers: CAT-2
    product = add_product(
        category=shirts,
        offers=[{"vendor": vendors["Maison Lenoir"], "stock": 0, "restock_weeks": 1}],
    )
    assert "En cours de réapprovisionnement - Livré sous 1 semaine<" in text(
        client.get(f"/p/{product.slug}/")
    )


def test_page_shows_breadcrumb_image_title_brand_description_and_price(client, shirts, vendors):
    # covers: CAT-1
    product = add_product(
        category=shirts,
        title="Chemise Oxford",
        brand="Atelier Sauveur",
        description="Coton oxford tissé au Portugal.",
        offers=[{"vendor": vendors["Maison Lenoir"], "price": "1249.90"}],
    )
    body = text(client.get(f"/p/{product.slug}/"))
    assert '<a href="/c/chemises/">Chemises</a>' in body
    assert f'<img src="/images/produits/{product.pk}.svg" alt="Chemise Oxford"' in body
    assert "<h1>Chemise Oxford</h1>" in body
    assert "Atelier Sauveur" in body
    assert "Coton oxford tissé au Portugal." in body
    assert "1 249,90 €" in body


def test_default_variant_is_the_best_available_and_variants_are_links(client, shirts, vendors):
    # covers: CAT-1, CAT-2
    product = add_product(
        category=shirts,
        variants=[("S", "Bleu"), ("M", "Bleu"), ("L", "Bleu")],
        offers=[
            {"vendor": vendors["Maison Lenoir"], "variant": 0, "stock": 0},
            {"vendor": vendors["Maison Lenoir"], "variant": 1, "stock": 0, "restock_weeks": 2},
            {"vendor": vendors["Atelier Borel"], "variant": 2, "stock": 4, "price": "70"},
        ],
    )
    variants = list(product.variants.all())
    response = client.get(f"/p/{product.slug}/")
    assert response.context["detail"].variant == variants[2]
    body = text(response)
    for v in variants:
        assert f'href="?variante={v.pk}"' in body
    assert re.search(rf'href="\?variante={variants[2].pk}" aria-current="true">L<', body)
    # S has nobody selling it in stock or restocking: marked unavailable
    assert re.search(rf'is-unavailable" href="\?variante={variants[0].pk}"', body)

    chosen = client.get(f"/p/{product.slug}/", {"variante": variants[1].pk})
    assert offer_rows(text(chosen)) == [
        "Vendu par Maison Lenoir 49,90 € TTC"
        " En cours de réapprovisionnement - Livré sous 2 semaines"
    ]


@pytest.mark.parametrize("bad", ["abc", "999999", "-1", ""])
def test_unknown_variant_falls_back_to_the_default(client, shirts, vendors, bad):
    # covers: CAT-1
    product = add_product(category=shirts, offers=[{"vendor": vendors["Maison Lenoir"]}])
    response = client.get(f"/p/{product.slug}/", {"variante": bad})
    assert response.status_code == 200
    assert response.context["detail"].variant == product.variants.get()


def test_another_products_variant_is_not_shown(client, shirts, vendors):
    # covers: CAT-1
    mine = add_product(category=shirts, offers=[{"vendor": vendors["Maison Lenoir"]}])
    other = add_product(category=shirts, offers=[{"vendor": vendors["Atelier Borel"]}])
    response = client.get(f"/p/{mine.slug}/", {"variante": other.variants.get().pk})
    assert response.context["detail"].variant == mine.variants.get()


def test_colours_and_sizes_make_two_pickers(client, shirts, vendors):
    # covers: CAT-1
    product = add_product(
        category=shirts,
        variants=[("S", "Bleu"), ("M", "Bleu"), ("S", "Blanc"), ("M", "Blanc")],
        offers=[{"vendor": vendors["Maison Lenoir"]}],
    )
    body = text(client.get(f"/p/{product.slug}/"))
    assert "Couleur : <span>Bleu</span>" in body
    assert "Taille : <span>S</span>" in body
    blanc_s = product.variants.get(colour="Blanc", size="S")
    assert f'href="?variante={blanc_s.pk}">Blanc</a>' in body  # same size, other colour


def test_bulky_product_says_how_many_parcels(client, vendors):
    # covers: CAT-5
    furniture = CategoryFactory(name="Mobilier", size_scale="")
    product = add_product(
        category=furniture,
        kind="furniture",
        parcel_count=3,
        variants=[("", "Cognac")],
        offers=[{"vendor": vendors["Maison Lenoir"]}],
    )
    body = text(client.get(f"/p/{product.slug}/"))
    assert "Livré en 3 colis" in body
    single = add_product(
        category=furniture, variants=[("", "")], offers=[{"vendor": vendors["Maison Lenoir"]}]
    )
    assert "colis</li>" not in text(client.get(f"/p/{single.slug}/")).replace("son colis</li>", "")


def test_inactive_offers_and_vendors_are_not_shown(client, shirts, vendors):
    # covers: CAT-2
    closed = vendors["Atelier Borel"]
    closed.is_active = False
    closed.save()
    product = add_product(
        category=shirts,
        offers=[
            {"vendor": vendors["Maison Lenoir"]},
            {"vendor": closed},
            {"vendor": vendors["Le Vestiaire"], "is_active": False},
        ],
    )
    body = text(client.get(f"/p/{product.slug}/"))
    assert "Maison Lenoir" in body
    assert "Atelier Borel" not in body and "Le Vestiaire" not in body


def test_product_without_offers_says_so(client, shirts):
    # covers: CAT-2
    product = add_product(category=shirts)
    response = client.get(f"/p/{product.slug}/")
    assert response.status_code == 200
    assert "Aucun vendeur ne propose ce produit pour le moment" in text(response)


def test_unknown_or_inactive_product_is_a_french_404(client, shirts, vendors):
    # covers: CAT-1
    hidden = add_product(
        category=shirts, is_active=False, offers=[{"vendor": vendors["Maison Lenoir"]}]
    )
    for url in ("/p/nexiste-pas/", f"/p/{hidden.slug}/"):
        response = client.get(url)
        assert response.status_code == 404
        body = text(response)
        assert '<html lang="fr">' in body
        assert "Page introuvable" in body
        assert "Retour à l'accueil" in body or "Retour à l&#x27;accueil" in body


def test_seo_title_description_canonical_and_alternates(client, shirts, vendors, settings):
    # covers: SITE-4
    settings.SITE_URL = "https://www.les-allies.test"
    product = add_product(
        category=shirts,
        title="Chemise Oxford",
        brand="Atelier Sauveur",
        description="Coton oxford tissé au Portugal, coupe droite.",
        offers=[{"vendor": vendors["Maison Lenoir"]}],
    )
    body = text(client.get(f"/p/{product.slug}/", {"variante": "1"}))
    assert "<title>Chemise Oxford — Atelier Sauveur | Les Alliés</title>" in body
    assert (
        '<meta name="description" content="Coton oxford tissé au Portugal, coupe droite.">' in body
    )
    base = "https://www.les-allies.test"
    assert f'<link rel="canonical" href="{base}/p/{product.slug}/">' in body
    assert f'<link rel="alternate" hreflang="fr" href="{base}/p/{product.slug}/">' in body
    assert f'<link rel="alternate" hreflang="en" href="{base}/en/p/{product.slug}/">' in body
    assert '"@type": "Product"' in body and '"priceCurrency": "EUR"' in body


def test_json_ld_cannot_break_out_of_its_script(client, shirts, vendors):
    # covers: SITE-4
    product = add_product(
        category=shirts, title="</script><b>x", offers=[{"vendor": vendors["Maison Lenoir"]}]
    )
    body = client.get(f"/p/{product.slug}/").content.decode()
    assert "</script><b>x" not in body
