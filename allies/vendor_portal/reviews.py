"""The vendor portal's "Avis" (SITE-3, VEN-2): the published reviews of the acting vendor's
orders (items and vendor ratings), the vendor's one public answer per review, and
"Signaler" for a review that breaks the rules. Another vendor's review is "not found" (404).
"""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allies.reviews import selectors
from allies.reviews.models import ReportReason
from allies.reviews.services import ReviewRefused, review_answer, review_report
from allies.vendor_portal.access import vendor_member_required
from allies.vendor_portal.views import _render

PER_PAGE = 20


def _list(request: Any, *, error: str = "", error_pk: int | None = None,
          status: int = 200) -> HttpResponse:  # fmt: skip
    to_answer = request.GET.get("filtre") == "sans-reponse"
    try:
        number = selectors.page_parse(request.GET.get("page"))
    except selectors.ReviewQueryError:
        raise Http404("page") from None
    try:
        page = selectors.page_of(
            selectors.reviews_for_vendor(vendor=request.vendor, to_answer=to_answer),
            number=number,
            per_page=PER_PAGE,
        )
    except selectors.ReviewQueryError:
        raise Http404("page") from None
    return _render(
        request,
        "reviews/list.html",
        {"page": page, "to_answer": to_answer, "error": error, "error_pk": error_pk,
         "query": "filtre=sans-reponse" if to_answer else "",
         "answer_text": request.POST.get("text", ""), "reasons": ReportReason.choices,
         "rating": selectors.vendor_rating_get(vendor_id=request.vendor.pk)},
        section="reviews",
        status=status,
    )  # fmt: skip


@vendor_member_required
def review_list(request: Any) -> HttpResponse:
    return _list(request)


@vendor_member_required
@require_POST
def review_answer_view(request: Any, pk: int) -> HttpResponse:
    review = selectors.review_for_vendor(vendor=request.vendor, pk=pk)
    try:
        review_answer(
            vendor=request.vendor, author=request.user, review=review,
            text=request.POST.get("text", ""),
        )  # fmt: skip
    except ReviewRefused as exc:
        return _list(request, error=exc.message, error_pk=review.pk, status=422)
    messages.success(request, _("Votre réponse est publiée sous l'avis."))
    return redirect("vendor_portal:reviews")


@vendor_member_required
@require_POST
def review_report_view(request: Any, pk: int) -> HttpResponse:
    review = selectors.review_for_vendor(vendor=request.vendor, pk=pk)
    try:
        review_report(
            review=review, reporter=request.user, vendor=request.vendor,
            reason=request.POST.get("reason", ""), note=request.POST.get("note", ""),
        )  # fmt: skip
    except ReviewRefused as exc:
        return _list(request, error=exc.message, error_pk=review.pk, status=422)
    messages.success(request, _("L'avis est signalé à notre équipe de modération."))
    return redirect("vendor_portal:reviews")
