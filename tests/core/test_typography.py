"""French typography only in French: "Taille : M" in French, "Size: M" in English (issue 8 §5).

French puts a (non-breaking) space before a colon, English none; the colon goes through the
translation ("%(label)s :") instead of being written after a translated label.
"""

import pytest

from tests.storefront.conftest import add_product, text

pytestmark = pytest.mark.django_db


def test_product_variant_labels_follow_each_languages_colon(client):
    # covers: SITE-4, CAT-1, issue 8 §5
    product = add_product(variants=(("M", "Bleu"),))
    french = text(client.get(f"/p/{product.slug}/"))
    english = text(client.get(f"/en/p/{product.slug}/"))
    assert "Taille : M" in french and "Couleur : Bleu" in french
    assert "Size: M" in english and "Colour: Bleu" in english
    assert "Size :" not in english and "Colour :" not in english
