"""The review's status machine: the table and the one function that moves a review.

pending → published (the rules passed, or a moderator published it)
pending → hidden (a moderator refused it, with a reason)
published → hidden (a moderator, with a reason)
hidden → published (a moderator changed their mind)

Entering or leaving "published" changes the aggregates of the review's subject (the product
for an item's review, the vendor for a vendor rating) in the same transaction: the review
row and the aggregate row are locked and the counters moved with F() expressions, so two
reviews published at the same time both count. The pages that show them are then refreshed
once the transaction commits (`allies.reviews.cache`).
"""

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.core.errors import AlliesError
from allies.reviews.models import (
    ProductRating,
    Review,
    ReviewEvent,
    ReviewKind,
    ReviewStatus,
    VendorRating,
)

TRANSITIONS: dict[str, frozenset[str]] = {
    ReviewStatus.PENDING: frozenset({ReviewStatus.PUBLISHED, ReviewStatus.HIDDEN}),
    ReviewStatus.PUBLISHED: frozenset({ReviewStatus.HIDDEN}),
    ReviewStatus.HIDDEN: frozenset({ReviewStatus.PUBLISHED}),
}
HIDE_REASON_MAX = 300


class ReviewTransitionNotAllowed(AlliesError):
    """A move the table does not allow (e.g. publishing a published review)."""


def _aggregate_move(review: Review, *, sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) the review from its subject's aggregate."""
    model: type[ProductRating] | type[VendorRating]
    key: dict[str, Any]
    if review.kind == ReviewKind.PRODUCT:
        model, key = ProductRating, {"product_id": review.product_id}
    else:
        model, key = VendorRating, {"vendor_id": review.vendor_id}
    # get_or_create then a locked F() update: concurrent publications serialise on the row.
    model.objects.get_or_create(**key)
    model.objects.select_for_update().filter(**key).update(
        count=F("count") + sign,
        total=F("total") + sign * review.rating,
        **{f"r{review.rating}": F(f"r{review.rating}") + sign},
    )


def review_transition(*, review: Review, to: str, actor: Any = None, reason: str = "") -> Review:
    """Move `review` to `to` (row-locked), keep the aggregates and write the event."""
    reason = " ".join(reason.split())
    if to == ReviewStatus.HIDDEN and not reason:
        raise ReviewTransitionNotAllowed(_("Indiquez pourquoi l'avis est masqué."))
    if len(reason) > HIDE_REASON_MAX:
        raise ReviewTransitionNotAllowed(
            _("Le motif est trop long : au plus %(n)s caractères.") % {"n": HIDE_REASON_MAX}
        )
    with transaction.atomic():
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if to not in TRANSITIONS[locked.status]:
            raise ReviewTransitionNotAllowed(
                _("Cet avis est déjà « %(status)s ».") % {"status": locked.get_status_display()}
            )
        before = locked.status
        if before == ReviewStatus.PUBLISHED:
            _aggregate_move(locked, sign=-1)
        if to == ReviewStatus.PUBLISHED:
            _aggregate_move(locked, sign=1)
        locked.status = to
        fields = ["status", "updated_at"]
        if to == ReviewStatus.PUBLISHED:
            locked.hidden_reason = ""
            locked.published_at = locked.published_at or timezone.now()
            fields += ["hidden_reason", "published_at"]
        else:
            locked.hidden_reason = reason
            fields.append("hidden_reason")
        locked.save(update_fields=fields)
        ReviewEvent.objects.create(
            review=locked, actor=actor, from_status=before, to_status=to, reason=reason
        )
        from allies.reviews.cache import review_pages_refresh

        transaction.on_commit(lambda: review_pages_refresh(review=locked))
    return locked
