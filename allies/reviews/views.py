"""The customer's and the public's review pages (SITE-3).

- "Donner mon avis" (`order_form`): the customer's delivered vendor order, each item with
  its own small form (stars, title, text, photos) and the vendor's rating; reached from the
  invitation email. Another customer's order is "not found".
- "Mes avis" (`mine`): every review the customer wrote, with its status.
- `product_list`: all published reviews of a product, sortable and paginated (public).
- `report`: "Signaler" a review (logged-in customers and vendors); the product page links to
  it, so the cached page holds nothing personal.
- `photo`: a review's photo (public once the review is published).

Views only parse, call one service or selector and render; refusals re-render with the
message (status 422) and change nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from allies.catalog.models import Product
from allies.reviews import selectors
from allies.reviews.models import ReportReason
from allies.reviews.services import (
    ReviewRefused,
    review_create,
    review_report,
    vendor_order_reviewable,
)
from allies.support.storage import support_storage
from allies.vendors.models import Vendor

MINE_PER_PAGE = 20


def _order_form_render(request, vendor_order, *, errors=None, values=None, status=200):
    state = selectors.review_form_state(vendor_order=vendor_order)
    errors, values = errors or {}, values or {}
    items = [
        {
            "line": line,
            "review": review,
            "key": f"line-{line.pk}",
            "error": errors.get(f"line-{line.pk}"),
            "value": values.get(f"line-{line.pk}", {}),
        }
        for line, review in state.lines
    ]
    return render(
        request,
        "reviews/order_form.html",
        {
            "section": "reviews",
            "vendor_order": vendor_order,
            "reviewable": vendor_order_reviewable(customer=request.user, vendor_order=vendor_order),
            "items": items,
            "vendor_review": state.vendor_review,
            "vendor_error": errors.get("vendor"),
            "vendor_value": values.get("vendor", {}),
            "stars": (5, 4, 3, 2, 1),
        },
        status=status,
    )


@login_required
@never_cache
def order_form(request, vendor_order_id: int):
    vendor_order = selectors.vendor_order_for_customer(
        customer=request.user, vendor_order_id=vendor_order_id
    )
    return _order_form_render(request, vendor_order)


@login_required
@require_POST
def line_review(request, vendor_order_id: int, line_id: int):
    vendor_order = selectors.vendor_order_for_customer(
        customer=request.user, vendor_order_id=vendor_order_id
    )
    line = vendor_order.lines.filter(pk=line_id).select_related("offer__variant").first()
    if line is None:
        raise Http404("line")
    return _review_post(request, vendor_order, line=line, key=f"line-{line.pk}")


@login_required
@require_POST
def vendor_review(request, vendor_order_id: int):
    vendor_order = selectors.vendor_order_for_customer(
        customer=request.user, vendor_order_id=vendor_order_id
    )
    return _review_post(request, vendor_order, line=None, key="vendor")


def _review_post(request, vendor_order, *, line, key: str):
    values = {
        "rating": request.POST.get("rating", ""),
        "title": request.POST.get("title", ""),
        "text": request.POST.get("text", ""),
    }
    try:
        review = review_create(
            customer=request.user,
            vendor_order=vendor_order,
            order_line=line,
            rating=values["rating"],
            title=values["title"],
            text=values["text"],
            photos=request.FILES.getlist("photos") if line is not None else (),
        )
    except ReviewRefused as exc:
        return _order_form_render(
            request, vendor_order, errors={key: exc.message}, values={key: values}, status=422
        )
    if review.status == "published":
        messages.success(request, _("Merci ! Votre avis est publié."))
    else:
        messages.info(
            request,
            _("Merci ! Votre avis sera publié après vérification par notre équipe."),
        )
    return redirect("reviews:order_form", vendor_order_id=vendor_order.pk)


@login_required
@never_cache
def mine(request):
    try:
        number = selectors.page_parse(request.GET.get("page"))
    except selectors.ReviewQueryError:
        raise Http404("page") from None
    paginator = Paginator(selectors.reviews_of_customer(customer=request.user), MINE_PER_PAGE)
    try:
        page = paginator.page(number)
    except EmptyPage:
        raise Http404("page") from None
    return render(request, "reviews/mine.html", {"section": "reviews", "page": page})


def product_list(request, slug: str):
    """Every published review of a product: ?tri= recents / meilleurs / moins-bons / photos,
    ?page=; an unknown sort or a page out of range is a 404, never an error."""
    product = Product.objects.filter(slug=slug, is_active=True).first()
    if product is None:
        raise Http404("product")
    try:
        sort = selectors.sort_parse(request.GET.get("tri"))
        number = selectors.page_parse(request.GET.get("page"))
    except selectors.ReviewQueryError:
        raise Http404("query") from None
    block = selectors.product_review_block(product_id=product.pk)
    try:
        page = selectors.page_of(
            selectors.product_reviews(product_id=product.pk, sort=sort),
            number=number,
            per_page=selectors.PAGE_SIZE,
        )
    except selectors.ReviewQueryError:
        raise Http404("page") from None
    return render(
        request,
        "reviews/product_list.html",
        {
            "product": product,
            "summary": block.summary,
            "page": page,
            "sort": sort,
            "sorts": _sort_choices(),
        },
    )


def _sort_choices() -> list[tuple[str, str]]:
    return [
        ("recents", _("Les plus récents")),
        ("meilleurs", _("Les mieux notés")),
        ("moins-bons", _("Les moins bien notés")),
        ("photos", _("Avec photos")),
    ]


@login_required
@never_cache
def report(request, pk: int):
    """ "Signaler": a customer or a vendor tells staff a published review breaks the rules."""
    review = selectors.review_public_get(pk=pk)
    back = review.product.get_absolute_url() if review.product is not None else "/"
    if request.method == "POST":
        # A member of the reviewed vendor reports for the vendor.
        vendor = Vendor.objects.filter(pk=review.vendor_id, memberships__user=request.user).first()
        try:
            review_report(
                review=review,
                reporter=request.user,
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
                vendor=vendor,
            )
        except ReviewRefused as exc:
            return render(
                request,
                "reviews/report.html",
                {"review": review, "reasons": ReportReason.choices, "error": exc.message,
                 "back": back, "values": request.POST},
                status=422,
            )  # fmt: skip
        messages.success(request, _("Merci, l'avis a été signalé à notre équipe de modération."))
        return redirect(back)
    return render(
        request,
        "reviews/report.html",
        {"review": review, "reasons": ReportReason.choices, "back": back, "values": {}},
    )


def photo(request, pk: int):
    found = selectors.photo_get(pk=pk, user=request.user)
    try:
        with support_storage().open(found.file, "rb") as handle:
            content = handle.read()
    except OSError:
        raise Http404("photo") from None
    response = HttpResponse(content, content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = (
        "public, max-age=86400" if found.review.status == "published" else "private, no-store"
    )
    return response
