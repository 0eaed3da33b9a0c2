"""Generated product images: GET /images/produits/<pk>.svg — an SVG, cacheable, stable."""

import xml.etree.ElementTree as ET

import pytest

from tests.storefront.conftest import add_product

pytestmark = pytest.mark.django_db


def test_image_endpoint_returns_a_cacheable_svg(client, shirts):
    # covers: CAT-1
    product = add_product(category=shirts, kind="shirt", variants=[("M", "Bleu marine")])
    response = client.get(f"/images/produits/{product.pk}.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "public" in response["Cache-Control"] and "max-age=86400" in response["Cache-Control"]
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "#1f3050" in response.content.decode()  # "Bleu marine" from the palette
    # Same product, same bytes, same ETag; a matching If-None-Match gets a 304
    again = client.get(f"/images/produits/{product.pk}.svg")
    assert again.content == response.content and again["ETag"] == response["ETag"]
    cached = client.get(f"/images/produits/{product.pk}.svg", HTTP_IF_NONE_MATCH=response["ETag"])
    assert cached.status_code == 304


def test_each_kind_draws_differently(client, shirts):
    # covers: CAT-1
    bodies = set()
    for kind in (
        "shirt",
        "trousers",
        "shoes",
        "watch",
        "leather",
        "grooming",
        "furniture",
        "knitwear",
    ):
        product = add_product(category=shirts, kind=kind, variants=[("", "Noir")])
        bodies.add(client.get(f"/images/produits/{product.pk}.svg").content)
    assert len(bodies) == 8


def test_unknown_image_is_404(client, db):
    # covers: CAT-1
    assert client.get("/images/produits/999999.svg").status_code == 404
    assert client.get("/images/produits/99999999999999999999999.svg").status_code == 404
