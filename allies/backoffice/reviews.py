"""Console: moderation of reviews (SITE-3), agents only.

The queue lists reviews the rules held ("En attente de modération") and published reviews
somebody reported, oldest first; tabs show hidden and published ones. On a review an agent
publishes it (or keeps it, dismissing its reports) or hides it with a reason the customer
reads in "Mes avis". Every decision goes through `reviews.services.review_moderate`.
"""

from typing import TYPE_CHECKING, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from allies.backoffice.views import _render, agent_required
from allies.reviews import selectors
from allies.reviews.services import Moderation, ReviewRefused, review_moderate
from allies.reviews.states import ReviewTransitionNotAllowed

if TYPE_CHECKING:
    from allies.accounts.models import User

PER_PAGE = 30
TABS = {
    "a-moderer": gettext_lazy("À modérer"),
    "masques": gettext_lazy("Masqués"),
    "publies": gettext_lazy("Publiés"),
}


@agent_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    which = request.GET.get("filtre") or "a-moderer"
    if which not in TABS:
        raise Http404("filter")
    try:
        number = selectors.page_parse(request.GET.get("page"))
    except selectors.ReviewQueryError:
        raise Http404("page") from None
    try:
        page = selectors.page_of(
            selectors.moderation_queue(which=which), number=number, per_page=PER_PAGE
        )
    except selectors.ReviewQueryError:
        raise Http404("page") from None
    return _render(
        request,
        "reviews/queue.html",
        {"page": page, "filter": which, "tabs": TABS.items(),
         "counts": selectors.moderation_counts()},
        section="reviews",
    )  # fmt: skip


def _detail(request: HttpRequest, pk: int, *, error: str = "", status: int = 200) -> HttpResponse:
    review = selectors.review_for_staff(pk=pk)
    return _render(
        request,
        "reviews/detail.html",
        {"review": review, "error": error, "reason": request.POST.get("reason", "")},
        section="reviews",
        status=status,
    )


@agent_required
@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


@agent_required
@require_POST
def review_moderate_view(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.review_for_staff(pk=pk)
    action = request.POST.get("action", "")
    if action not in (Moderation.PUBLISH, Moderation.HIDE):
        return _detail(request, pk, error=_("Action inconnue."), status=422)
    try:
        review_moderate(
            review=review,
            agent=cast("User", request.user),
            action=action,
            reason=request.POST.get("reason", ""),
        )
    except (ReviewRefused, ReviewTransitionNotAllowed) as exc:
        return _detail(request, pk, error=exc.message, status=422)
    if action == Moderation.HIDE:
        messages.success(request, _("L'avis est masqué."))
    else:
        messages.success(request, _("L'avis est publié."))
    return redirect("backoffice:reviews")
