"""Aggregates of published reviews always equal a recount (SITE-3): after any sequence of
publish/hide/republish, and when many reviews are published at the same moment."""

import threading

import pytest
from django.db import OperationalError, connection, transaction
from django.db.models import Count, Q, Sum
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from allies.reviews.models import ProductRating, Review, ReviewStatus, VendorRating
from allies.reviews.states import ReviewTransitionNotAllowed, review_transition
from tests.reviews.conftest import delivered


def _pending(vendor_order, product, ratings) -> list[Review]:
    """Reviews waiting for moderation (set up directly: the service allows one per line)."""
    return [
        Review.objects.create(
            kind="product",
            customer=vendor_order.order.customer,
            vendor_order=vendor_order,
            product=product,
            vendor=vendor_order.vendor,
            rating=rating,
            text="Un avis de test assez long.",
        )  # fmt: skip
        for rating in ratings
    ]


def _recount(product) -> dict:
    published = Review.objects.filter(product=product, status=ReviewStatus.PUBLISHED)
    row = published.aggregate(
        count=Count("pk"),
        total=Sum("rating", default=0),
        **{f"r{n}": Count("pk", filter=Q(rating=n)) for n in range(1, 6)},
    )
    return row


def _stored(product) -> dict:
    summary = ProductRating.objects.filter(product=product).first() or ProductRating()
    return {k: getattr(summary, k) for k in ("count", "total", "r1", "r2", "r3", "r4", "r5")}


@pytest.mark.django_db
@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ratings=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=6),
    moves=st.lists(
        st.tuples(st.integers(min_value=0, max_value=5), st.sampled_from(["published", "hidden"])),
        max_size=25,
    ),
)
def test_aggregates_equal_a_recount_after_any_sequence(shop, ratings, moves):
    # covers: SITE-3
    vendor_order = _delivered_once(shop)
    product = shop["shirt"].variant.product
    with transaction.atomic():
        reviews = _pending(vendor_order, product, ratings)
        for index, to in moves:
            review = reviews[index % len(reviews)]
            try:
                review_transition(review=review, to=to, reason="Test de modération")
            except ReviewTransitionNotAllowed:
                pass
            assert _stored(product) == _recount(product)
        transaction.set_rollback(True)


_cached: dict = {}


def _delivered_once(shop):
    """One delivered order per test function run (hypothesis calls the body many times)."""
    key = id(shop)
    if key not in _cached:
        _cached.clear()
        _cached[key] = delivered(shop)
    return _cached[key]


def _run_concurrently(work, items):
    start = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def run(item):
        try:
            start.wait()
            for _attempt in range(200):
                try:
                    work(item)
                    return
                except OperationalError:  # SQLite: the database was busy, try again
                    continue
            errors.append(RuntimeError("gave up"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_reviews_published_at_the_same_time_all_count(shop):
    # covers: SITE-3 — row lock + F() updates: no lost update
    vendor_order = delivered(shop)
    product = shop["shirt"].variant.product
    ratings = [5, 4, 4, 3, 1, 5, 2, 5]
    reviews = _pending(vendor_order, product, ratings)
    _run_concurrently(lambda r: review_transition(review=r, to="published"), reviews)
    assert _stored(product) == _recount(product)
    assert _stored(product)["count"] == len(ratings)
    assert _stored(product)["total"] == sum(ratings)
    # Half hidden at once, the other half stays.
    _run_concurrently(
        lambda r: review_transition(review=r, to="hidden", reason="Test"), reviews[::2]
    )
    assert _stored(product) == _recount(product)
    assert _stored(product)["count"] == len(ratings) // 2


@pytest.mark.django_db
def test_vendor_aggregate_counts_only_vendor_ratings(shop):
    # covers: SITE-3
    from allies.reviews.services import review_create
    from tests.reviews.conftest import item_review

    vendor_order = delivered(shop)
    item_review(vendor_order, rating=1)
    review_create(
        customer=shop["customer"], vendor_order=vendor_order, order_line=None, rating=4,
        text="Très bon vendeur, colis soigné.",
    )  # fmt: skip
    summary = VendorRating.objects.get(vendor=shop["verlaine"])
    assert (summary.count, summary.average, summary.r4) == (1, 4.0, 1)
