"""Reads of the reviews, with who may see what.

Public: published reviews only. A customer sees their own reviews whatever their status; a
vendor only the reviews of its own vendor orders; staff the moderation queue.
"""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404

from allies.core.errors import AlliesError
from allies.core.numbers import NumberError, parse_int
from allies.orders.models import OrderLine, VendorOrder
from allies.reviews.cache import review_block_key
from allies.reviews.models import (
    ProductRating,
    Review,
    ReviewKind,
    ReviewPhoto,
    ReviewStatus,
    VendorRating,
)

BLOCK_REVIEWS = 5  # shown on the product page itself
PAGE_SIZE = 10
MAX_PAGE = 10_000
BLOCK_SECONDS = 60 * 60
SORTS = {
    "recents": ("-created_at", "-id"),
    "meilleurs": ("-rating", "-created_at", "-id"),
    "moins-bons": ("rating", "-created_at", "-id"),
    "photos": ("-has_photos", "-created_at", "-id"),
}
DEFAULT_SORT = "recents"


class ReviewQueryError(AlliesError):
    """A sort or page from the URL that is not one we offer (the pages answer 404)."""

    code = "not_found"


def sort_parse(raw: str | None) -> str:
    if raw in (None, ""):
        return DEFAULT_SORT
    if raw not in SORTS:
        raise ReviewQueryError("sort")
    return raw


def page_parse(raw: str | None) -> int:
    """?page= as 1..MAX_PAGE: "0", "1e999", "５" or 5,000 digits are refused."""
    text = raw if raw not in (None, "") else "1"
    if not (text.isascii() and text.isdigit()):
        raise ReviewQueryError("page")
    try:
        return parse_int(text, min_value=1, max_value=MAX_PAGE)
    except NumberError as exc:
        raise ReviewQueryError("page") from exc


def _public(queryset: QuerySet[Review]) -> QuerySet[Review]:
    return (
        queryset.filter(status=ReviewStatus.PUBLISHED)
        # The author's first name only: these rows are cached, never a whole account.
        .annotate(author_name=F("customer__first_name"), vendor_name=F("vendor__name"))
        .select_related("answer")
        .prefetch_related(Prefetch("photos", queryset=ReviewPhoto.objects.only("id", "review_id")))
    )


@dataclass
class ReviewBlock:
    """What a product or vendor page shows of its reviews (cached; no personal data)."""

    summary: ProductRating | VendorRating
    reviews: list[Review] = field(default_factory=list)


def product_review_block(*, product_id: int) -> ReviewBlock:
    """The product's aggregate and its latest published reviews: one query when it has
    none, two or three when it has some, none when cached."""
    key = review_block_key(kind="product", pk=product_id)
    block = cache.get(key)
    if block is None:
        summary = ProductRating.objects.filter(product_id=product_id).first()
        summary = summary or ProductRating(product_id=product_id)
        reviews: list[Review] = []
        if summary.count:
            reviews = list(
                _public(
                    Review.objects.filter(product_id=product_id, kind=ReviewKind.PRODUCT)
                ).order_by(*SORTS[DEFAULT_SORT])[:BLOCK_REVIEWS]
            )
        block = ReviewBlock(summary=summary, reviews=reviews)
        cache.set(key, block, BLOCK_SECONDS)
    return block


def vendor_rating_get(*, vendor_id: int) -> VendorRating:
    """The vendor's aggregate of vendor ratings (cached)."""
    key = review_block_key(kind="vendor", pk=vendor_id)
    block = cache.get(key)
    if block is None:
        summary = VendorRating.objects.filter(vendor_id=vendor_id).first()
        block = ReviewBlock(summary=summary or VendorRating(vendor_id=vendor_id))
        cache.set(key, block, BLOCK_SECONDS)
    summary = block.summary
    assert isinstance(summary, VendorRating)
    return summary


def product_reviews(*, product_id: int, sort: str) -> QuerySet[Review]:
    queryset = Review.objects.filter(product_id=product_id, kind=ReviewKind.PRODUCT)
    if sort == "photos":
        queryset = queryset.filter(has_photos=True)
    return _public(queryset).order_by(*SORTS[sort])


def review_public_get(*, pk: int) -> Review:
    review = Review.objects.filter(pk=pk, status=ReviewStatus.PUBLISHED).first()
    if review is None:
        raise Http404("review")
    return review


def photo_get(*, pk: int, user) -> ReviewPhoto:
    """A photo of a published review (anyone), or of one's own review, or for staff."""
    photo = ReviewPhoto.objects.select_related("review").filter(pk=pk).first()
    if photo is None:
        raise Http404("photo")
    review = photo.review
    if review.status == ReviewStatus.PUBLISHED:
        return photo
    if user.is_authenticated and (review.customer_id == user.pk or user.is_staff):
        return photo
    raise Http404("photo")


# --- the customer --------------------------------------------------------------------------


def vendor_order_for_customer(*, customer, vendor_order_id: int) -> VendorOrder:
    """The customer's own vendor order (404 for anyone else's)."""
    found = (
        VendorOrder.objects.select_related("order", "vendor")
        .filter(pk=vendor_order_id, order__customer=customer)
        .first()
    )
    if found is None:
        raise Http404("vendor order")
    return found


@dataclass
class ReviewForm:
    lines: list[tuple[OrderLine, Review | None]]
    vendor_review: Review | None


def review_form_state(*, vendor_order: VendorOrder) -> ReviewForm:
    """Each accepted item with its review (if written), and the vendor's rating."""
    reviews = {
        (r.kind, r.order_line_id): r
        for r in Review.objects.filter(vendor_order=vendor_order).select_related("answer")
    }
    lines = list(
        vendor_order.lines.filter(status=OrderLine.Status.ACCEPTED)
        .select_related("offer__variant__product")
        .order_by("id")
    )
    return ReviewForm(
        lines=[(line, reviews.get((ReviewKind.PRODUCT, line.pk))) for line in lines],
        vendor_review=reviews.get((ReviewKind.VENDOR, None)),
    )


def reviews_of_customer(*, customer) -> QuerySet[Review]:
    return (
        Review.objects.filter(customer=customer)
        .select_related("product", "vendor", "answer", "vendor_order__order")
        .order_by("-created_at", "-id")
    )


# --- the vendor ----------------------------------------------------------------------------


def reviews_for_vendor(*, vendor, to_answer: bool = False) -> QuerySet[Review]:
    queryset = Review.objects.filter(vendor=vendor, status=ReviewStatus.PUBLISHED)
    if to_answer:
        queryset = queryset.filter(answer__isnull=True)
    return queryset.select_related("product", "customer", "answer").order_by("-created_at", "-id")


def review_for_vendor(*, vendor, pk: int) -> Review:
    review = Review.objects.filter(pk=pk, vendor=vendor, status=ReviewStatus.PUBLISHED).first()
    if review is None:
        raise Http404("review")
    return review


# --- staff ---------------------------------------------------------------------------------


def moderation_queue(*, which: str) -> QuerySet[Review]:
    """ "a-moderer": held by the rules or reported; "masques": hidden; "publies": published."""
    queryset = Review.objects.select_related("product", "vendor", "customer", "answer")
    if which == "masques":
        queryset = queryset.filter(status=ReviewStatus.HIDDEN)
    elif which == "publies":
        queryset = queryset.filter(status=ReviewStatus.PUBLISHED)
    else:
        queryset = queryset.filter(
            Q(status=ReviewStatus.PENDING) | Q(status=ReviewStatus.PUBLISHED, open_reports__gt=0)
        )
    return queryset.order_by("created_at", "id")


def moderation_counts() -> dict[str, int]:
    return Review.objects.aggregate(
        to_moderate=Count(
            "pk",
            filter=Q(status=ReviewStatus.PENDING)
            | Q(status=ReviewStatus.PUBLISHED, open_reports__gt=0),
        )
    )


def review_for_staff(*, pk: int) -> Review:
    review = (
        Review.objects.select_related("product", "vendor", "customer", "answer")
        .prefetch_related("photos", "reports__reporter", "events__actor")
        .filter(pk=pk)
        .first()
    )
    if review is None:
        raise Http404("review")
    return review


def page_of(rows: QuerySet[Review], *, number: int, per_page: int) -> Page:
    """Page `number` of `rows`; an empty list still has its page 1. Past the last page:
    ReviewQueryError (the pages answer 404). One helper for the product's, the vendor's and
    the console's review lists."""
    paginator = Paginator(rows, per_page)
    try:
        return paginator.page(number)
    except EmptyPage:
        if number != 1:
            raise ReviewQueryError("page") from None
        return paginator.page(1)
