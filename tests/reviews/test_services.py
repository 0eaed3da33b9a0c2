"""Reviews from verified buyers (SITE-3): who may review what, once; the moderation rules;
the vendor's one answer; reports."""

import pytest
from django.core import mail

from allies.orders.models import VendorOrder
from allies.reviews.models import (
    ProductRating,
    Review,
    ReviewAnswer,
    ReviewReport,
    ReviewStatus,
    VendorRating,
)
from allies.reviews.moderation import content_problems, has_insult, has_link
from allies.reviews.services import (
    ReviewRefused,
    rating_parse,
    review_answer,
    review_create,
    review_report,
)
from tests.factories import UserFactory
from tests.reviews.conftest import buy, delivered, item_review, line_of, photo, vendor_order_of

pytestmark = pytest.mark.django_db


def test_buyer_of_a_delivered_item_reviews_it_and_it_is_published(shop):
    # covers: SITE-3
    vendor_order = delivered(shop)
    review = item_review(vendor_order, rating=4)
    assert review.status == ReviewStatus.PUBLISHED
    summary = ProductRating.objects.get(product=shop["shirt"].variant.product)
    assert (summary.count, summary.total, summary.r4) == (1, 4, 1)


def test_vendor_rating_counts_for_the_vendor(shop):
    # covers: SITE-3
    vendor_order = delivered(shop)
    review_create(
        customer=shop["customer"], vendor_order=vendor_order, order_line=None, rating="5",
        text="Colis soigné et expédié très vite.",
    )  # fmt: skip
    assert VendorRating.objects.get(vendor=shop["verlaine"]).count == 1


def test_only_the_buyer_may_review(shop):
    # covers: SITE-3
    vendor_order = delivered(shop)
    stranger = UserFactory()
    with pytest.raises(ReviewRefused):
        review_create(
            customer=stranger, vendor_order=vendor_order,
            order_line=line_of(vendor_order, "Chemise Oxford bleue"), rating=5,
            text="Je n'ai jamais acheté ce produit.",
        )  # fmt: skip
    assert not Review.objects.exists()


def test_an_item_not_yet_delivered_cannot_be_reviewed(shop):
    # covers: SITE-3
    order = buy(shop, [(shop["shirt"], 1)])
    vendor_order = vendor_order_of(order, shop["verlaine"])
    assert vendor_order.status != VendorOrder.Status.DELIVERED
    with pytest.raises(ReviewRefused) as refused:
        review_create(
            customer=shop["customer"], vendor_order=vendor_order,
            order_line=vendor_order.lines.get(), rating=5, text="Pas encore reçu mais confiant.",
        )  # fmt: skip
    assert "livrée" in refused.value.message
    assert not Review.objects.exists()


def test_one_review_per_order_line(shop):
    # covers: SITE-3
    vendor_order = delivered(shop)
    item_review(vendor_order)
    with pytest.raises(ReviewRefused) as refused:
        item_review(vendor_order, rating=1)
    assert "déjà" in refused.value.message
    assert Review.objects.count() == 1
    assert ProductRating.objects.get().count == 1
    item_review(vendor_order, "Ceinture en cuir")  # another line of the same order is fine
    assert Review.objects.count() == 2


@pytest.mark.parametrize("raw", ["6", "0", "1e999", "５", "-1", "4.5", "", "∞", "9" * 5000])
def test_ratings_out_of_bounds_are_refused_clearly(shop, raw):
    # covers: SITE-3
    with pytest.raises(ReviewRefused) as refused:
        rating_parse(raw)
    assert "1 à 5" in refused.value.message


def test_text_bounds_are_refused_and_nothing_is_stored(shop):
    # covers: SITE-3
    vendor_order = delivered(shop)
    for text in ("Bien", "x" * 3001):
        with pytest.raises(ReviewRefused):
            item_review(vendor_order, text=text)
    with pytest.raises(ReviewRefused):
        item_review(vendor_order, title="T" * 121)
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        "Allez voir https://ailleurs.example pour moins cher",
        "Moins cher sur www.concurrent.fr, franchement",
        "Écrivez-moi à luc.martin@example.com pour en parler",
        "Le vendeur est un CONNARD, colis abîmé",
        "What a scammer, never again buying here",
        "Vendeur escroc, je déconseille fortement",
    ],
)
def test_links_and_insults_hold_the_review_for_staff(shop, text):
    # covers: SITE-3
    vendor_order = delivered(shop)
    review = item_review(vendor_order, text=text)
    assert review.status == ReviewStatus.PENDING
    assert review.held_reason
    assert ProductRating.objects.filter(count__gt=0).count() == 0


def test_honest_words_are_not_taken_for_insults():
    # covers: SITE-3
    assert not has_insult("Déconcertant de qualité, une coupe classique, parfait pour le bureau")
    assert not has_link("Taille 42, lavé à 30°C. Très bien.")
    assert content_problems("Super produit, je recommande.") == []


def test_photos_are_checked_by_their_content(shop):
    # covers: SITE-3
    from django.core.files.uploadedfile import SimpleUploadedFile

    vendor_order = delivered(shop)
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00not an image", content_type="image/jpeg")
    with pytest.raises(ReviewRefused):
        item_review(vendor_order, photos=[fake])
    with pytest.raises(ReviewRefused):
        item_review(vendor_order, photos=[photo() for _ in range(4)])
    assert not Review.objects.exists()
    review = item_review(vendor_order, photos=[photo(), photo("b.png")])
    assert review.has_photos and review.photos.count() == 2


def test_delivery_emails_an_invitation_listing_the_items(shop, django_capture_on_commit_callbacks):
    # covers: SITE-3
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        vendor_order = delivered(shop)
    invitations = [m for m in mail.outbox if "avis" in m.subject.lower()]
    assert len(invitations) == 1
    body = invitations[0].body
    assert "Chemise Oxford bleue" in body and "Ceinture en cuir" in body
    assert f"/compte/avis/commande/{vendor_order.pk}/" in body
    assert invitations[0].to == ["luc@example.test"]


def test_invitation_is_in_the_customer_language(shop, django_capture_on_commit_callbacks):
    # covers: SITE-3, SITE-4
    shop["customer"].language = "en"
    shop["customer"].save(update_fields=["language"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        vendor_order = delivered(shop)
    invitation = next(m for m in mail.outbox if "/compte/avis/" in m.body)
    assert f"/en/compte/avis/commande/{vendor_order.pk}/" in invitation.body


def test_vendor_answers_once_with_the_same_rules(shop):
    # covers: SITE-3
    vendor_order = delivered(shop)
    review = item_review(vendor_order)
    user = shop["verlaine_user"]
    with pytest.raises(ReviewRefused):
        review_answer(vendor=shop["verlaine"], author=user, review=review,
                      text="Voyez www.notre-site.fr")  # fmt: skip
    with pytest.raises(ReviewRefused):
        review_answer(vendor=shop["brun"], author=shop["brun_user"], review=review,
                      text="Merci !")  # fmt: skip
    review_answer(vendor=shop["verlaine"], author=user, review=review, text="Merci Luc !")
    with pytest.raises(ReviewRefused) as refused:
        review_answer(vendor=shop["verlaine"], author=user, review=review, text="Encore merci")
    assert "déjà répondu" in refused.value.message
    assert ReviewAnswer.objects.get().text == "Merci Luc !"


def test_reports_once_per_person(shop):
    # covers: SITE-3
    vendor_order = delivered(shop)
    review = item_review(vendor_order)
    reader = UserFactory()
    review_report(review=review, reporter=reader, reason="fake", note="Faux avis")
    with pytest.raises(ReviewRefused):
        review_report(review=review, reporter=reader, reason="offensive")
    with pytest.raises(ReviewRefused):
        review_report(review=review, reporter=UserFactory(), reason="nonsense")
    with pytest.raises(ReviewRefused):
        review_report(review=review, reporter=shop["customer"], reason="fake")
    review_report(review=review, reporter=shop["verlaine_user"], reason="off_topic",
                  vendor=shop["verlaine"])  # fmt: skip
    assert ReviewReport.objects.count() == 2
    review.refresh_from_db()
    assert review.open_reports == 2


def test_erasure_removes_the_reviews_and_keeps_aggregates_right(shop):
    # covers: SITE-3
    from types import SimpleNamespace

    from allies.reviews.privacy import reviews_erase, reviews_export_data

    vendor_order = delivered(shop)
    item_review(vendor_order, rating=4, photos=[photo()])
    assert reviews_export_data(shop["customer"])[0]["rating"] == 4
    ctx = SimpleNamespace(files_to_delete=[], done={})
    reviews_erase(shop["customer"], ctx)
    assert not Review.objects.exists()
    assert ProductRating.objects.get().count == 0
    assert len(ctx.files_to_delete) == 1 and ctx.done["reviews"] == 1
