"""The customer's reviews in a GDPR export or erasure (for `allies.privacy.parts`, a layer
above, which wraps these: `PrivacyPart("reviews", lambda u: PartExport(reviews_export_data(u)),
reviews_erase)`).

Erasure removes the customer's reviews, their photos and their reports: a published review
is first hidden through the status machine, so the product's and vendor's aggregates stay
equal to a recount; the pages showing it are refreshed after the commit.
"""

from typing import Any

from allies.reviews.models import Review, ReviewPhoto, ReviewReport, ReviewStatus
from allies.reviews.states import review_transition
from allies.support.storage import support_storage

ERASED_REASON = "Compte supprimé à la demande du client"


def reviews_export_data(user: Any) -> list[dict[str, Any]]:
    return [
        {
            "kind": r.kind,
            "product": r.product.title if r.product else None,
            "vendor": r.vendor.name,
            "order": r.vendor_order.order.reference,
            "rating": r.rating,
            "title": r.title,
            "text": r.text,
            "status": r.status,
            "created_at": r.created_at.isoformat(),
            "vendor_answer": r.answer.text if hasattr(r, "answer") else None,
        }
        for r in Review.objects.filter(customer=user).select_related(
            "product", "vendor", "vendor_order__order", "answer"
        )
    ]


def reviews_erase(user: Any, ctx: Any) -> None:
    """Inside the erasure's transaction; photo files go once it commits
    (`ctx.files_to_delete`)."""
    reviews = Review.objects.filter(customer=user)
    for review in reviews.filter(status=ReviewStatus.PUBLISHED):
        review_transition(review=review, to=ReviewStatus.HIDDEN, reason=ERASED_REASON)
    storage = support_storage()
    for name in ReviewPhoto.objects.filter(review__customer=user).values_list("file", flat=True):
        ctx.files_to_delete.append((storage, name))
    ReviewReport.objects.filter(reporter=user).delete()
    _total, deleted = reviews.delete()
    ctx.done["reviews"] = deleted.get("reviews.Review", 0)
