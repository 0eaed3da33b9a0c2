"""The customer's return pages (RET-1…6): the request form from the order's "Assistance en
ligne", one return with its stage, deadlines and the parcel's steps (prepaid label, own
carrier), and the label's PDF.

Views parse, call one service of `allies.aftersales.returns`, and render; a return or order
the customer may not reach is a 404, exactly as a missing one. Pages with personal data are
never cached; forms post, then redirect; a refusal re-renders with the service's message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from allies.accounts.models import User
from allies.aftersales import returns
from allies.aftersales.errors import ReturnError, ReturnForbidden
from allies.aftersales.models import ReturnMethod, ReturnRequest
from allies.aftersales.return_states import ReturnStatus
from allies.orders.events import EventKind
from allies.orders.models import VendorOrder
from allies.orders.selectors import customer_orders
from allies.shipping.carriers import CARRIERS

QUANTITY_PREFIX = "qty-"


def _vendor_order_or_404(request: HttpRequest, reference: str, vendor_order_id: int) -> VendorOrder:
    order = customer_orders(customer=request.user).filter(reference=reference).first()
    if order is None:
        raise Http404
    vendor_order = (
        VendorOrder.objects.filter(order=order, pk=vendor_order_id)
        .select_related("order", "vendor")
        .first()
    )
    if vendor_order is None:
        raise Http404
    return vendor_order


def _user(request: HttpRequest) -> User:
    """The signed-in customer (every view here is behind login_required)."""
    assert isinstance(request.user, User)
    return request.user


def _return_or_404(request: HttpRequest, return_id: int) -> ReturnRequest:
    found = (
        ReturnRequest.objects.filter(pk=return_id, customer=_user(request))
        .select_related("vendor", "vendor_order__order", "thread", "customer")
        .first()
    )
    if found is None:
        raise Http404
    return found


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest, reference: str, vendor_order_id: int) -> HttpResponse:
    """ "Retourner des articles": the units of a delivered vendor order, what applies (legal
    withdrawal until a date, or a request the vendor may refuse), then the request."""
    vendor_order = _vendor_order_or_404(request, reference, vendor_order_id)
    now = timezone.now()
    window = returns.withdrawal_window(vendor_order=vendor_order, now=now)
    returnable = returns.returnable_lines(vendor_order=vendor_order) if window else []
    error = ""
    typed: dict[int, str] = {}
    comment = ""
    if request.method == "POST" and window is not None:
        raw: dict[str, str] = {
            key[len(QUANTITY_PREFIX) :]: str(request.POST.get(key, ""))
            for key in request.POST
            if key.startswith(QUANTITY_PREFIX)
        }
        typed = {int(k): v for k, v in raw.items() if k.isascii() and k.isdigit() and len(k) < 12}
        comment = request.POST.get("comment", "")
        try:
            created = returns.return_request_open(
                customer=_user(request),
                vendor_order=vendor_order,
                quantities=raw,
                comment=comment,
                now=now,
            )
        except ReturnForbidden:
            raise Http404 from None
        except ReturnError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _(
                    "Votre demande de retour est envoyée au vendeur. N'envoyez rien avant sa "
                    "réponse par e-mail."
                ),
            )
            return redirect("aftersales:return", created.pk)
    return render(
        request,
        "aftersales/request.html",
        {
            "order": vendor_order.order,
            "vendor_order": vendor_order,
            "window": window,
            "returnable": [
                {"line": r.line, "max": r.quantity, "typed": typed.get(r.line.pk, "")}
                for r in returnable
            ],
            "error": error,
            "comment": comment,
            "free_return": returns.delivery_country(vendor_order) in returns.FREE_RETURN_COUNTRIES,
            "own_carrier": vendor_order.vendor.returns_own_carrier,
            "quantity_prefix": QUANTITY_PREFIX,
            "section": "purchases",
        },
    )


_STEPS = (
    ReturnStatus.REQUESTED,
    ReturnStatus.ACCEPTED,
    ReturnStatus.SENT,
    ReturnStatus.RECEIVED,
    ReturnStatus.REFUNDED,
)


def _steps(found: ReturnRequest) -> list[dict[str, Any]]:
    """The progress bar of an ongoing or refunded return (other endings show a notice)."""
    order = list(_STEPS)
    if found.status not in order:
        return []
    reached = order.index(ReturnStatus(found.status))
    labels = {
        ReturnStatus.REQUESTED: _("Demande envoyée"),
        ReturnStatus.ACCEPTED: _("Retour accepté"),
        ReturnStatus.SENT: _("Colis renvoyé"),
        ReturnStatus.RECEIVED: _("Colis reçu par le vendeur"),
        ReturnStatus.REFUNDED: _("Remboursement déclenché"),
    }
    return [
        {"label": labels[status], "done": i <= reached, "current": i == reached}
        for i, status in enumerate(order)
    ]


@never_cache
@login_required
def return_detail(request: HttpRequest, return_id: int) -> HttpResponse:
    found = _return_or_404(request, return_id)
    items = list(found.items.select_related("order_line").order_by("id"))
    events = list(
        found.vendor_order.events.filter(
            kind__in=[k for k in EventKind.values if k.startswith("return_")]
        ).order_by("created_at", "id")
    )
    events = [e for e in events if (e.data or {}).get("return") == found.pk]
    return render(
        request,
        "aftersales/return.html",
        {
            "found": found,
            "items": items,
            "steps": _steps(found),
            "events": events,
            "label_offered": returns.label_offered(found),
            "own_carrier": returns.own_carrier_offered(found),
            "carriers": [c for c in CARRIERS],
            "Status": ReturnStatus,
            "Method": ReturnMethod,
            "section": "purchases",
        },
    )


def _refused(request: HttpRequest, exc: ReturnError) -> None:
    messages.error(request, exc.message)


@login_required
@require_POST
def label_issue(request: HttpRequest, return_id: int) -> HttpResponse:
    found = _return_or_404(request, return_id)
    try:
        returns.return_label_issue(request=found, customer=_user(request))
    except ReturnError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("Votre bon de retour prépayé est prêt : imprimez-le et collez-le sur le colis."),
        )
    return redirect("aftersales:return", found.pk)


@never_cache
@login_required
def label_pdf(request: HttpRequest, return_id: int) -> HttpResponse:
    found = _return_or_404(request, return_id)
    try:
        content = returns.return_label_pdf(request=found)
    except ReturnError:
        raise Http404 from None
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="bon-de-retour-{found.reference}.pdf"'
    return response


@login_required
@require_POST
def dispatch_declare(request: HttpRequest, return_id: int) -> HttpResponse:
    found = _return_or_404(request, return_id)
    try:
        returns.return_dispatch_declare(
            request=found,
            customer=_user(request),
            carrier=request.POST.get("carrier", "")[:30],
            tracking_number=request.POST.get("tracking_number", "")[:60],
        )
    except ReturnError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Merci : le vendeur est prévenu de l'envoi de votre colis."))
    return redirect("aftersales:return", found.pk)


@login_required
@require_POST
def cancel(request: HttpRequest, return_id: int) -> HttpResponse:
    found = _return_or_404(request, return_id)
    try:
        returns.return_cancel(request=found, customer=_user(request))
    except ReturnError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Votre demande de retour est annulée."))
    return redirect("aftersales:return", found.pk)
