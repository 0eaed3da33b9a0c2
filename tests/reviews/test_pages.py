"""Review pages (SITE-3): the customer's form from the invitation, the product page (summary,
badge, JSON-LD, cache, queries), the review list, "Signaler", the console's moderation and
the vendor portal's "Avis"."""

import json
import re

import pytest
from django.core.cache import cache

from allies.reviews.models import ProductRating, Review, ReviewAnswer, ReviewReport, ReviewStatus
from allies.reviews.services import review_moderate
from tests.backoffice.conftest import staff_user
from tests.factories import UserFactory
from tests.reviews.conftest import delivered, item_review, line_of

pytestmark = pytest.mark.django_db


def product_url(shop):
    return shop["shirt"].variant.product.get_absolute_url()


def json_ld(html: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


# --- the customer -----------------------------------------------------------------------------


def test_invitation_link_opens_the_form_for_the_buyer_only(client, shop):
    # covers: SITE-3
    vendor_order = delivered(shop)
    url = f"/compte/avis/commande/{vendor_order.pk}/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(shop["customer"])
    page = client.get(url).content.decode()
    assert "Chemise Oxford bleue" in page and "Ceinture en cuir" in page
    assert "Maison Verlaine" in page


def test_customer_reviews_an_item_from_the_form(client, shop):
    # covers: SITE-3
    vendor_order = delivered(shop)
    line = line_of(vendor_order, "Chemise Oxford bleue")
    client.force_login(shop["customer"])
    url = f"/compte/avis/commande/{vendor_order.pk}/article/{line.pk}/"
    response = client.post(
        url, {"rating": "5", "title": "Parfaite", "text": "Tissu épais, coupe nette."}
    )
    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.rating, review.status) == (5, ReviewStatus.PUBLISHED)
    page = client.get(response["Location"]).content.decode()
    assert "Votre avis est publié" in page
    # Once per line: the form is replaced by the review.
    again = client.post(url, {"rating": "1", "text": "Je change d'avis complètement."})
    assert again.status_code == 422
    assert "déjà donné votre avis" in again.content.decode()
    assert Review.objects.count() == 1


@pytest.mark.parametrize("raw", ["6", "0", "1e999", "５", "abc", ""])
def test_bad_ratings_get_a_clear_message_and_nothing_changes(client, shop, raw):
    # covers: SITE-3
    vendor_order = delivered(shop)
    line = line_of(vendor_order, "Chemise Oxford bleue")
    client.force_login(shop["customer"])
    response = client.post(
        f"/compte/avis/commande/{vendor_order.pk}/article/{line.pk}/",
        {"rating": raw, "text": "Tissu épais, coupe nette."},
    )
    assert response.status_code == 422
    assert "1 à 5" in response.content.decode()
    assert not Review.objects.exists()


def test_vendor_rating_from_the_form(client, shop):
    # covers: SITE-3
    vendor_order = delivered(shop)
    client.force_login(shop["customer"])
    response = client.post(
        f"/compte/avis/commande/{vendor_order.pk}/vendeur/",
        {"rating": "4", "text": "Colis soigné, bien protégé."},
    )
    assert response.status_code == 302
    assert Review.objects.get().kind == "vendor"
    cache.clear()
    vendor_page = client.get(shop["verlaine"].get_absolute_url()).content.decode()
    assert "4,0/5" in vendor_page


def test_my_reviews_lists_only_mine(client, shop):
    # covers: SITE-3
    vendor_order = delivered(shop)
    item_review(vendor_order, text="Le texte de Luc sur la chemise.")
    client.force_login(UserFactory())
    assert "Le texte de Luc" not in client.get("/compte/avis/").content.decode()
    client.force_login(shop["customer"])
    page = client.get("/compte/avis/").content.decode()
    assert "Le texte de Luc" in page and "Publié" in page


# --- the product page -------------------------------------------------------------------------


def test_product_page_shows_reviews_badge_and_answer(client, shop):
    # covers: SITE-3
    vendor_order = delivered(shop)
    review = item_review(vendor_order, rating=4, text="Belle chemise, bien coupée.")
    item_review(vendor_order, "Ceinture en cuir", rating=2)
    ReviewAnswer.objects.create(review=review, vendor=shop["verlaine"], text="Merci Luc !")
    cache.clear()
    page = client.get(product_url(shop)).content.decode()
    assert "Avis clients" in page
    assert "Belle chemise, bien coupée." in page
    assert "Achat vérifié" in page
    assert "Merci Luc !" in page and "Réponse de Maison Verlaine" in page
    assert f"/avis/{review.pk}/signaler/" in page
    assert "4,0" in page  # the average


def test_json_ld_has_aggregate_rating_and_offers(client, shop):
    # covers: SITE-3
    vendor_order = delivered(shop)
    item_review(vendor_order, rating=4, text="</script><script>alert(1)</script> très bien")
    data = json_ld(client.get(product_url(shop)).content.decode())
    assert data["@type"] == "Product"
    assert data["aggregateRating"] == {
        "@type": "AggregateRating", "ratingValue": 4.0, "reviewCount": 1,
        "bestRating": 5, "worstRating": 1,
    }  # fmt: skip
    assert data["offers"]["priceCurrency"] == "EUR"
    assert data["review"][0]["reviewRating"]["ratingValue"] == 4
    assert "</script>" in data["review"][0]["reviewBody"]  # escaped in HTML, intact in JSON


def test_no_reviews_no_aggregate_rating(client, shop):
    # covers: SITE-3
    data = json_ld(client.get(product_url(shop)).content.decode())
    assert "aggregateRating" not in data


def test_published_and_hidden_reviews_show_at_once_to_anonymous_visitors(
    client, shop, settings, django_capture_on_commit_callbacks
):
    # covers: SITE-3
    settings.PAGE_CACHE_SECONDS = 600
    vendor_order = delivered(shop)
    url = product_url(shop)
    variant_url = f"{url}?variante={shop['shirt'].variant.pk}"
    assert "Première critique" not in client.get(url).content.decode()
    client.get(variant_url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    other_url = shop["wallet"].variant.product.get_absolute_url()
    vendor_url = shop["verlaine"].get_absolute_url()
    for warm in (other_url, vendor_url):
        client.get(warm)
        assert client.get(warm)["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        review = item_review(vendor_order, text="Première critique de la chemise.")
    fresh = client.get(url)
    assert "Première critique" in fresh.content.decode()
    assert "Première critique" in client.get(variant_url).content.decode()
    assert client.get(url)["X-Page-Cache"] == "hit"
    # The vendor's page (its rating) renders afresh; another product's page stays cached.
    assert client.get(vendor_url)["X-Page-Cache"] == "miss"
    assert client.get(other_url)["X-Page-Cache"] == "hit"
    agent = staff_user("handle_thread")
    with django_capture_on_commit_callbacks(execute=True):
        review_moderate(review=review, agent=agent, action="hide", reason="Hors sujet")
    assert "Première critique" not in client.get(url).content.decode()


def test_cached_product_page_holds_nothing_personal(client, shop, settings):
    # covers: SITE-3
    settings.PAGE_CACHE_SECONDS = 600
    vendor_order = delivered(shop)
    item_review(vendor_order)
    cache.clear()
    anonymous = client.get(product_url(shop))
    html = anonymous.content.decode()
    assert anonymous["X-Page-Cache"] == "miss"
    assert "csrfmiddlewaretoken" not in html and "luc@example.test" not in html
    assert "Signaler" in html  # a plain link to the report page
    client.force_login(shop["customer"])
    personal = client.get(product_url(shop))
    # The reviewer gets the same page, only the header is theirs.
    assert personal["X-Page-Cache"] == "hit"
    assert "csrfmiddlewaretoken" not in personal.content.decode()
    assert "COMPTE" in personal.content.decode() and "COMPTE" not in html


def test_product_page_queries_do_not_grow_with_reviews(client, shop, django_assert_max_num_queries):
    # covers: SITE-3 — product page (5 queries cold with the category menu, 4 warm): one more
    # for the aggregate, two for the reviews (rows, photos), none once the block is cached
    url = product_url(shop)
    cache.clear()
    with django_assert_max_num_queries(5 + 1):
        client.get(url)
    for _n in range(3):
        vendor_order = delivered(shop)
        item_review(vendor_order, photos=[])
        item_review(vendor_order, "Ceinture en cuir")
    cache.clear()
    with django_assert_max_num_queries(5 + 3):
        client.get(url)
    with django_assert_max_num_queries(4):
        client.get(url)  # the review block from the cache


@pytest.mark.parametrize("query", ["?page=0", "?page=1e999", "?page=５", "?page=99", "?tri=pire"])
def test_review_list_refuses_bad_sort_and_page(client, shop, query):
    # covers: SITE-3
    slug = shop["shirt"].variant.product.slug
    assert client.get(f"/avis/produit/{slug}/{query}").status_code == 404


def test_review_list_sorts_and_paginates(client, shop, django_assert_max_num_queries):
    # covers: SITE-3
    vendor_order = delivered(shop)
    item_review(vendor_order, rating=2, text="Moyen, la couleur déçoit.")
    other = delivered(shop, [(shop["shirt"], 1)])
    item_review(other, rating=5, text="Excellente, je recommande.")
    slug = shop["shirt"].variant.product.slug
    best = client.get(f"/avis/produit/{slug}/?tri=meilleurs").content.decode()
    assert best.index("Excellente") < best.index("Moyen")
    worst = client.get(f"/avis/produit/{slug}/?tri=moins-bons").content.decode()
    assert worst.index("Moyen") < worst.index("Excellente")
    photos = client.get(f"/avis/produit/{slug}/?tri=photos").content.decode()
    assert "Aucun avis avec photos" in photos
    with django_assert_max_num_queries(6):
        client.get(f"/avis/produit/{slug}/?tri=recents&page=1")


# --- reports ---------------------------------------------------------------------------------


def test_report_page_needs_a_login_and_records_the_reason(client, shop):
    # covers: SITE-3
    review = item_review(delivered(shop))
    url = f"/avis/{review.pk}/signaler/"
    assert client.get(url).status_code == 302
    reader = UserFactory()
    client.force_login(reader)
    assert client.post(url, {"reason": "nope"}).status_code == 422
    assert client.post(url, {"reason": "fake", "note": "Copié ailleurs"}).status_code == 302
    assert ReviewReport.objects.get().reporter == reader
    assert client.post(url, {"reason": "fake"}).status_code == 422  # once per person


# --- the console -----------------------------------------------------------------------------


def test_console_moderation_is_for_agents_only(client, shop):
    # covers: SITE-3
    review = item_review(delivered(shop), text="Allez sur www.ailleurs.fr pour moins cher")
    assert review.status == ReviewStatus.PENDING
    assert client.get("/service-client/avis/").status_code == 302
    client.force_login(shop["customer"])
    assert client.get("/service-client/avis/").status_code == 403
    assert client.post(f"/service-client/avis/{review.pk}/moderer/",
                       {"action": "publish"}).status_code == 403  # fmt: skip
    client.force_login(staff_user("handle_thread"))
    queue = client.get("/service-client/avis/").content.decode()
    assert f"/service-client/avis/{review.pk}/" in queue
    response = client.post(f"/service-client/avis/{review.pk}/moderer/", {"action": "publish"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.PUBLISHED
    assert ProductRating.objects.get().count == 1


def test_hiding_needs_a_reason_and_updates_the_aggregate(client, shop):
    # covers: SITE-3
    review = item_review(delivered(shop))
    client.force_login(staff_user("handle_thread"))
    url = f"/service-client/avis/{review.pk}/moderer/"
    refused = client.post(url, {"action": "hide", "reason": "  "})
    assert refused.status_code == 422 and "pourquoi" in refused.content.decode()
    assert client.post(url, {"action": "hide", "reason": "Propos hors sujet"}).status_code == 302
    review.refresh_from_db()
    assert (review.status, review.hidden_reason) == ("hidden", "Propos hors sujet")
    assert ProductRating.objects.get().count == 0
    client.force_login(shop["customer"])
    assert "Propos hors sujet" in client.get("/compte/avis/").content.decode()


# --- the vendor portal -------------------------------------------------------------------------


def test_vendor_sees_and_answers_only_its_own_reviews(client, shop):
    # covers: SITE-3, VEN-2
    review = item_review(delivered(shop), text="La chemise de Verlaine est belle.")
    client.force_login(shop["brun_user"])
    assert "La chemise de Verlaine" not in client.get("/vendeur/avis/").content.decode()
    assert client.post(f"/vendeur/avis/{review.pk}/repondre/",
                       {"text": "Merci !"}).status_code == 404  # fmt: skip
    assert client.post(f"/vendeur/avis/{review.pk}/signaler/",
                       {"reason": "fake"}).status_code == 404  # fmt: skip
    client.force_login(shop["verlaine_user"])
    assert "La chemise de Verlaine" in client.get("/vendeur/avis/").content.decode()
    bad = client.post(f"/vendeur/avis/{review.pk}/repondre/", {"text": "Voir www.x.fr"})
    assert bad.status_code == 422 and "liens" in bad.content.decode()
    ok = client.post(f"/vendeur/avis/{review.pk}/repondre/", {"text": "Merci Luc !"})
    assert ok.status_code == 302
    twice = client.post(f"/vendeur/avis/{review.pk}/repondre/", {"text": "Encore merci"})
    assert twice.status_code == 422
    assert ReviewAnswer.objects.get().text == "Merci Luc !"
    assert client.post(f"/vendeur/avis/{review.pk}/signaler/",
                       {"reason": "fake"}).status_code == 302  # fmt: skip
    assert ReviewReport.objects.get().vendor == shop["verlaine"]


def test_portal_review_page_refuses_bad_pages(client, shop):
    # covers: SITE-3
    client.force_login(shop["verlaine_user"])
    for page in ("0", "1e999", "５"):
        assert client.get(f"/vendeur/avis/?page={page}").status_code == 404


def test_english_pages_render_with_reviews(client, shop):
    # covers: SITE-3, SITE-4
    vendor_order = delivered(shop)
    item_review(vendor_order)
    slug = shop["shirt"].variant.product.slug
    assert client.get(f"/en/p/{slug}/").status_code == 200
    assert client.get(f"/en/avis/produit/{slug}/").status_code == 200
    assert client.get(f"/en/vendeurs/{shop['verlaine'].slug}/").status_code == 200
    client.force_login(shop["customer"])
    assert client.get(f"/en/compte/avis/commande/{vendor_order.pk}/").status_code == 200
    assert client.get("/en/compte/avis/").status_code == 200


def test_photo_of_a_pending_review_is_private(client, shop):
    # covers: SITE-3
    from tests.reviews.conftest import photo

    review = item_review(delivered(shop), text="Voir www.ailleurs.fr svp", photos=[photo()])
    photo_url = f"/avis/photos/{review.photos.get().pk}/"
    assert client.get(photo_url).status_code == 404
    client.force_login(shop["customer"])
    response = client.get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
