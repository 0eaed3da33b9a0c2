"""The product page's buying part: shipping modes per offer (CAT-3) and add to cart."""

from django.test import Client
from django.urls import reverse

from allies.cart.models import CartLine


def test_each_offer_shows_its_delivery_modes_destinations_delays_and_fees(client, shop):
    # covers: CAT-3
    product = shop["offers"]["shirt"].variant.product
    html = client.get(product.get_absolute_url()).content.decode()
    block = html.split('<details class="shipping-block">')[1].split("</details>")[0]
    for label in ("Modes de livraison disponibles", "France métropolitaine", "Corse", "Belgique",
                  "Domicile", "Express", "Point relais", "jours ouvrés"):  # fmt: skip
        assert label in block, label
    assert "14,90" in block  # this vendor's Corsican home delivery for one article


def test_anonymous_visitor_adds_an_offer_from_a_cached_product_page(shop, settings):
    # covers: CHK-1
    settings.PAGE_CACHE_SECONDS = 60
    visitor = Client(enforce_csrf_checks=True)
    offer = shop["offers"]["wallet"]
    page = visitor.get(offer.variant.product.get_absolute_url())
    assert f'name="offer" value="{offer.pk}"' in page.content.decode()
    response = visitor.post(reverse("cart:add"), {"offer": offer.pk, "quantity": 1})
    assert response.status_code == 302
    assert CartLine.objects.filter(offer=offer, quantity=1).exists()
