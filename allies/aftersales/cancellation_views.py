"""The customer's cancellation request (ORD-5): once the vendor accepted the articles, the
order's "Annuler des articles" leads here to ask the vendor, who confirms before shipping.

The view parses, calls `allies.aftersales.cancellation_requests`, and renders; an order the
customer may not reach is a 404, exactly as a missing one. The page is never cached; the form
posts, then redirects to the order; a refusal re-renders with the service's message (422).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from allies.aftersales.cancellation_requests import (
    COMMENT_MAX,
    cancellable_lines,
    cancellation_request_open,
    open_request,
)
from allies.aftersales.errors import CancellationRequestError, CancellationRequestForbidden
from allies.aftersales.views import _user, _vendor_order_or_404


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest, reference: str, vendor_order_id: int) -> HttpResponse:
    """ "Demander l'annulation au vendeur": the accepted articles not shipped yet, what
    happens next, and a request already waiting for the vendor's answer."""
    vendor_order = _vendor_order_or_404(request, reference, vendor_order_id)
    error = ""
    chosen: set[str] = set()
    comment = ""
    if request.method == "POST":
        chosen = {str(value) for value in request.POST.getlist("lines")}
        comment = request.POST.get("comment", "")
        try:
            cancellation_request_open(
                customer=_user(request),
                vendor_order=vendor_order,
                line_ids=sorted(chosen),
                comment=comment,
            )
        except CancellationRequestForbidden:
            raise Http404 from None
        except CancellationRequestError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _(
                    "Votre demande d'annulation est envoyée au vendeur. Vous recevez sa réponse "
                    "par e-mail ; s'il l'accepte, vous êtes remboursé."
                ),
            )
            url = reverse("orders:detail", args=[vendor_order.order.reference])
            return redirect(f"{url}#vendeur-{vendor_order.pk}")
    waiting = open_request(vendor_order=vendor_order)
    lines = cancellable_lines(vendor_order=vendor_order)
    if waiting is not None:
        asked = {int(pk) for pk in waiting.line_ids}
        titles = [line for line in vendor_order.lines.order_by("id") if line.pk in asked]
    else:
        titles = []
    return render(
        request,
        "aftersales/cancellation_request.html",
        {
            "order": vendor_order.order,
            "vendor_order": vendor_order,
            "lines": lines,
            "waiting": waiting,
            "waiting_lines": titles,
            "free_shipping": not vendor_order.shipping_fee,
            "error": error,
            "chosen": chosen,
            "comment": comment,
            "comment_max": COMMENT_MAX,
            "section": "purchases",
        },
        status=422 if error else 200,
    )
