"""The customer's orders ("Mes achats" → one order). Only the owner reaches an order; the
pages are never cached (personal data, issue 9 §12)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from allies.core.money import format_eur
from allies.orders.cancellations import (
    CancellationError,
    cancellation_options,
    vendor_order_lines_cancel,
)
from allies.orders.events import Actor
from allies.orders.selectors import customer_order_get, customer_orders
from allies.orders.services import OrderTransitionError, order_cancel_unpaid


@never_cache
@login_required
def detail(request, reference):
    order = customer_order_get(customer=request.user, reference=reference)
    return render(request, "orders/detail.html", {"order": order, "section": "purchases"})


@never_cache
@login_required
@require_POST
def cancel(request, reference):
    order = customer_order_get(customer=request.user, reference=reference)
    try:
        order_cancel_unpaid(order=order, actor=Actor.customer(request.user))
    except OrderTransitionError:
        messages.error(
            request, _("Cette commande est déjà validée : elle ne peut plus être annulée ici.")
        )
    else:
        messages.success(
            request,
            _("La commande %(ref)s est annulée. Vos articles sont toujours dans votre panier.")
            % {"ref": order.reference},
        )
    return redirect("orders:detail", reference=order.reference)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def cancel_lines(request, reference, vendor_order_id):
    """ "Annuler des articles" of one vendor order (ORD-5): the lines the vendor has not
    accepted yet, each with what cancelling it refunds; the POST cancels the ticked ones
    (`cancellations.vendor_order_lines_cancel`). Later stages explain what is left to do."""
    order = customer_order_get(customer=request.user, reference=reference)
    vendor_order = next((vo for vo in order.vendor_orders.all() if vo.pk == vendor_order_id), None)
    if vendor_order is None:
        raise Http404
    error, chosen = "", set()
    if request.method == "POST":
        chosen = set(request.POST.getlist("lines"))
        try:
            result = vendor_order_lines_cancel(
                vendor_order=vendor_order, customer=request.user, line_ids=chosen
            )
        except CancellationError as exc:
            if exc.code == "not_found":
                raise Http404 from None
            error = exc.message
            # The page shows the vendor order as the refusal found it (e.g. just accepted).
            order = customer_order_get(customer=request.user, reference=reference)
            vendor_order = next(vo for vo in order.vendor_orders.all() if vo.pk == vendor_order_id)
        else:
            if result.cancelled:
                messages.success(
                    request,
                    _("Articles annulés : %(amount)s vous sont remboursés sur votre carte.")
                    % {"amount": format_eur(result.refunded, language=get_language() or "fr")},
                )
            else:
                messages.info(request, _("Ces articles sont déjà annulés."))
            url = reverse("orders:detail", args=[order.reference])
            return redirect(f"{url}#vendeur-{vendor_order.pk}")
    return render(
        request,
        "orders/cancel_lines.html",
        {
            "order": order,
            "options": cancellation_options(vendor_order=vendor_order),
            "error": error,
            "chosen": chosen,
            "section": "purchases",
        },
    )


@never_cache
@login_required
def purchases(request):
    """ "Mes achats": every order, newest first, 10 a page (ORD-2, ACC-8)."""
    paginator = Paginator(customer_orders(customer=request.user), 10)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except (EmptyPage, PageNotAnInteger) as exc:
        raise Http404 from exc
    return render(
        request,
        "orders/purchases.html",
        {"orders": page.object_list, "page_obj": page, "section": "purchases"},
    )
