"""Every write of the reviews (SITE-3): a buyer's review, the vendor's answer, reports,
moderation, and the invitation after delivery.

Only the customer of a delivered vendor order may review it: each accepted item once, and
the vendor once. A review that passes the rules (`moderation`) is published at once; one
with a link or an insult waits for staff. Status moves go through `states.review_transition`.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.core.errors import AlliesError
from allies.core.numbers import NumberError, parse_int
from allies.orders.models import OrderLine, VendorOrder
from allies.orders.states import VendorOrderStatus
from allies.reviews import moderation
from allies.reviews.models import (
    ReportReason,
    Review,
    ReviewAnswer,
    ReviewEvent,
    ReviewKind,
    ReviewPhoto,
    ReviewReport,
    ReviewStatus,
)
from allies.reviews.states import review_transition
from allies.support.attachments import EXTENSIONS, PDF, attachment_check, files_removed_on_failure
from allies.support.errors import AttachmentRefused
from allies.support.storage import support_storage

if TYPE_CHECKING:
    from allies.accounts.models import User
    from allies.vendors.models import Vendor

MAX_PHOTOS = 3
REPORT_NOTE_MAX = 500
DELIVERED = (VendorOrderStatus.DELIVERED, VendorOrderStatus.CLOSED)


class ReviewRefused(AlliesError):
    """A review, answer or report refused with a message for the user; nothing stored."""


def rating_parse(raw: Any) -> int:
    """A rating 1..5 from a form: "6", "0", "1e999", "５" are refused with a clear message."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        raise ReviewRefused(_("Choisissez une note de 1 à 5 étoiles."), code="rating")
    if not (text.isascii() and text.isdigit()):
        raise ReviewRefused(_("La note doit être un nombre entier de 1 à 5."), code="rating")
    try:
        return parse_int(text, min_value=1, max_value=5)
    except NumberError:
        raise ReviewRefused(
            _("La note doit être un nombre entier de 1 à 5."), code="rating"
        ) from None


def vendor_order_reviewable(*, customer: "User", vendor_order: VendorOrder) -> bool:
    return (
        vendor_order.order.customer_id == customer.pk
        and vendor_order.status in DELIVERED
        and vendor_order.delivered_at is not None
    )


def _check_texts(*, title: str, text: str) -> tuple[str, str]:
    title, text = " ".join(title.split()), text.strip()
    errors = moderation.text_bounds_errors(text=text, title=title)
    if errors:
        raise ReviewRefused(" ".join(errors), code="length")
    return title, text


def _photos_check(photos: Sequence[Any]) -> list:
    if len(photos) > MAX_PHOTOS:
        raise ReviewRefused(
            _("Vous pouvez joindre au plus %(n)s photos.") % {"n": MAX_PHOTOS}, code="photos"
        )
    checked = []
    for photo in photos:
        try:
            one = attachment_check(photo)
        except AttachmentRefused as exc:
            raise ReviewRefused(exc.message, code="photos") from None
        if one.content_type == PDF:
            raise ReviewRefused(
                _("« %(name)s » n'est pas une photo (JPEG, PNG ou WebP).") % {"name": one.name},
                code="photos",
            )
        checked.append(one)
    return checked


def review_create(
    *,
    customer: "User",
    vendor_order: VendorOrder,
    order_line: OrderLine | None,
    rating: Any,
    title: str = "",
    text: str,
    photos: Sequence[Any] = (),
) -> Review:
    """The customer's review of `order_line` (an item) or, with `order_line=None`, of the
    vendor of `vendor_order`. Published at once when the rules pass, else held for staff."""
    stars = rating_parse(rating)
    title, text = _check_texts(title=title, text=text)
    if not vendor_order_reviewable(customer=customer, vendor_order=vendor_order):
        raise ReviewRefused(
            _("Vous pourrez donner votre avis une fois la commande livrée."), code="not_delivered"
        )
    if order_line is not None and (
        order_line.vendor_order_id != vendor_order.pk
        or order_line.status != OrderLine.Status.ACCEPTED
    ):
        raise ReviewRefused(_("Cet article ne fait pas partie de la commande."), code="line")
    checked = _photos_check(photos) if order_line is not None else []
    problems = moderation.content_problems(title, text)
    kind = ReviewKind.PRODUCT if order_line is not None else ReviewKind.VENDOR
    with files_removed_on_failure(), transaction.atomic():
        already = Review.objects.filter(kind=kind, vendor_order=vendor_order)
        if order_line is not None:
            already = already.filter(order_line=order_line)
        if already.exists():
            raise ReviewRefused(_("Vous avez déjà donné votre avis."), code="duplicate")
        product_id = None
        if order_line is not None:
            product_id = order_line.offer.variant.product_id
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    kind=kind,
                    customer=customer,
                    vendor_order=vendor_order,
                    order_line=order_line,
                    product_id=product_id,
                    vendor_id=vendor_order.vendor_id,
                    rating=stars,
                    title=title,
                    text=text,
                    variant_label=order_line.variant_label if order_line else "",
                    held_reason=" ".join(problems)[:300],
                    has_photos=bool(checked),
                    language=getattr(customer, "language", "") or "fr",
                )
        except IntegrityError:  # the same review sent twice at once
            raise ReviewRefused(_("Vous avez déjà donné votre avis."), code="duplicate") from None
        ReviewEvent.objects.create(
            review=review, actor=customer, to_status=ReviewStatus.PENDING, reason=review.held_reason
        )
        _photos_store(review=review, checked=checked)
        if not problems:
            review = review_transition(review=review, to=ReviewStatus.PUBLISHED, actor=None)
    return review


def _photos_store(*, review: Review, checked: list) -> None:
    from allies.support.attachments import _SAVED

    storage = support_storage()
    saved = _SAVED.get()
    for one in checked:
        path = f"reviews/{review.pk}/{uuid.uuid4().hex}{EXTENSIONS[one.content_type]}"
        path = storage.save(path, ContentFile(one.content))
        if saved is not None:
            saved.append(path)
        ReviewPhoto.objects.create(
            review=review,
            vendor_id=review.vendor_id,
            file=path,
            content_type=one.content_type,
            size=one.size,
        )


def review_answer(*, vendor: "Vendor", author: "User", review: Review, text: str) -> ReviewAnswer:
    """The vendor's one public answer to its own published review. The rules apply: a text
    out of bounds, with a link or an insult is refused (it can be rewritten at once)."""
    text = text.strip()
    errors = moderation.text_bounds_errors(
        text=text, minimum=moderation.ANSWER_MIN, maximum=moderation.ANSWER_MAX
    )
    errors += moderation.content_problems(text)
    if errors:
        raise ReviewRefused(" ".join(errors), code="answer_rules")
    if review.vendor_id != vendor.pk:
        raise ReviewRefused(_("Cet avis ne concerne pas votre boutique."), code="vendor")
    with transaction.atomic():
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if locked.status != ReviewStatus.PUBLISHED:
            raise ReviewRefused(_("Seul un avis publié peut recevoir une réponse."), code="status")
        if ReviewAnswer.objects.filter(review=locked).exists():
            raise ReviewRefused(_("Vous avez déjà répondu à cet avis."), code="answered")
        answer = ReviewAnswer.objects.create(review=locked, vendor=vendor, author=author, text=text)
        from allies.reviews.cache import review_pages_refresh

        transaction.on_commit(lambda: review_pages_refresh(review=locked))
    return answer


def review_report(
    *, review: Review, reporter: "User", reason: str, note: str = "", vendor: "Vendor | None" = None
) -> ReviewReport:
    """A report of a published review, once per person; the review joins staff's queue."""
    if reason not in ReportReason.values:
        raise ReviewRefused(_("Choisissez un motif de signalement."), code="reason")
    note = " ".join(note.split())
    if len(note) > REPORT_NOTE_MAX:
        raise ReviewRefused(
            _("Le commentaire est trop long : au plus %(n)s caractères.") % {"n": REPORT_NOTE_MAX},
            code="note",
        )
    if review.customer_id == reporter.pk:
        raise ReviewRefused(_("Vous ne pouvez pas signaler votre propre avis."), code="own")
    with transaction.atomic():
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if locked.status != ReviewStatus.PUBLISHED:
            raise ReviewRefused(_("Cet avis n'est pas publié."), code="status")
        if ReviewReport.objects.filter(review=locked, reporter=reporter).exists():
            raise ReviewRefused(_("Vous avez déjà signalé cet avis."), code="duplicate")
        try:
            with transaction.atomic():
                report = ReviewReport.objects.create(
                    review=locked, reporter=reporter, vendor=vendor, reason=reason, note=note
                )
        except IntegrityError:
            raise ReviewRefused(_("Vous avez déjà signalé cet avis."), code="duplicate") from None
        locked.open_reports += 1
        locked.save(update_fields=["open_reports", "updated_at"])
    return report


@dataclass(frozen=True)
class Moderation:
    PUBLISH = "publish"
    HIDE = "hide"


def review_moderate(*, review: Review, agent: "User", action: str, reason: str = "") -> Review:
    """Staff's decision: publish (or keep published) or hide with a reason; the open reports
    of the review are closed by it."""
    with transaction.atomic():
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if action == Moderation.PUBLISH and locked.status == ReviewStatus.PUBLISHED:
            pass  # reports dismissed: the review stays
        elif action == Moderation.PUBLISH:
            locked = review_transition(review=locked, to=ReviewStatus.PUBLISHED, actor=agent)
        elif action == Moderation.HIDE:
            locked = review_transition(
                review=locked, to=ReviewStatus.HIDDEN, actor=agent, reason=reason
            )
        else:
            raise ReviewRefused(_("Action inconnue."), code="action")
        ReviewReport.objects.filter(review=locked, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
        Review.objects.filter(pk=locked.pk).update(open_reports=0)
        locked.open_reports = 0
    return locked
