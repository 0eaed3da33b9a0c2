"""The customer's orders ("Mes achats" → one order). Only the owner reaches an order; the
pages are never cached (personal data, issue 9 §12)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

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
