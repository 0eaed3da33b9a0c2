"""The demo reviews: published on the demo customer's delivered items, with a vendor answer."""

import pytest

from allies.demo import identities
from allies.demo.reviews import demo_reviews_create
from allies.reviews.models import ProductRating, Review, ReviewAnswer, ReviewStatus, VendorRating
from tests.factories import AddressFactory, UserFactory
from tests.reviews.conftest import delivered

pytestmark = pytest.mark.django_db


def test_demo_reviews_are_published_with_an_answer(shop):
    # covers: SITE-3
    demo_customer = UserFactory(email=identities.CUSTOMER_EMAIL)
    address = AddressFactory(user=demo_customer, is_default=True)
    delivered({**shop, "customer": demo_customer, "address": address})
    made = demo_reviews_create(vendors=[shop["verlaine"], shop["brun"]])
    assert made == 3  # two items and the vendor
    assert Review.objects.filter(status=ReviewStatus.PUBLISHED).count() == 3
    assert ReviewAnswer.objects.count() == 1
    assert ProductRating.objects.get(product=shop["shirt"].variant.product).count == 1
    assert VendorRating.objects.get(vendor=shop["verlaine"]).count == 1
    assert demo_reviews_create(vendors=[shop["verlaine"], shop["brun"]]) == 0  # once
