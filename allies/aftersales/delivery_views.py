"""The customer's "Modifier la livraison" page of one vendor order (ORD-6, the help page's
"Comment modifier mon adresse de livraison ?").

By stage: a new recipient at any time before delivery (after shipping it is passed to the
carrier); the address edited directly within 24 h of ordering and before shipping
(`orders.delivery_changes`), later a request (`aftersales.address_requests`) to the vendor
before shipping, to the customer service once shipped; a relay-point order keeps its
address; a delivered or cancelled order has nothing left to change.

The view parses, calls one service, and renders; an order the customer may not reach is a
404, exactly as a missing one. The page is never cached; each form posts, then redirects to
the order; a refusal re-renders with the service's message (422) and nothing changed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from allies.accounts.forms import AddressForm
from allies.accounts.models import Address
from allies.aftersales.address_requests import (
    COMMENT_MAX,
    address_change_request_open,
    open_address_request,
)
from allies.aftersales.errors import AddressRequestError, AddressRequestForbidden
from allies.aftersales.models import AddressHandler
from allies.aftersales.views import _user, _vendor_order_or_404
from allies.orders.delivery_changes import (
    FIELD_LIMITS,
    NOT_SHIPPED,
    DeliveryChangeError,
    address_directly_editable,
    address_edit_deadline,
    vendor_order_address_change,
    vendor_order_recipient_change,
)
from allies.orders.events import Actor
from allies.orders.models import VendorOrder
from allies.orders.states import IN_TRANSIT

ADDRESS_PREFIX = "adresse"
ACTIONS = ("recipient", "address", "request")


def _address_form(vendor_order: VendorOrder, data: Any = None) -> AddressForm:
    """The account's address form, without "use as default" (this is one order's address),
    filled with the vendor order's current delivery address."""
    current = vendor_order.ship_to or {}
    initial = {name: current.get(name, "") for name in FIELD_LIMITS}
    form = AddressForm(data, kind=Address.Kind.DELIVERY, prefix=ADDRESS_PREFIX, initial=initial)
    del form.fields["is_default"]
    return form


def _back_to_order(vendor_order: VendorOrder) -> HttpResponse:
    url = reverse("orders:detail", args=[vendor_order.order.reference])
    return redirect(f"{url}#vendeur-{vendor_order.pk}")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def delivery_change(request: HttpRequest, reference: str, vendor_order_id: int) -> HttpResponse:
    """ "Modifier la livraison": the current delivery address, then what may change now."""
    vendor_order = _vendor_order_or_404(request, reference, vendor_order_id)
    customer = _user(request)
    now = timezone.now()
    shipped = vendor_order.status in IN_TRANSIT
    in_progress = shipped or vendor_order.status in NOT_SHIPPED
    recipient = ""
    recipient_error = ""
    comment = ""
    address_form = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            raise Http404
        if action == "recipient":
            recipient = request.POST.get("recipient", "")
            try:
                vendor_order_recipient_change(
                    vendor_order=vendor_order, actor=Actor.customer(customer), recipient=recipient
                )
            except DeliveryChangeError as exc:
                recipient_error = exc.message
            else:
                if shipped:
                    done = _("Le nouveau destinataire est transmis au transporteur.")
                else:
                    done = _("Le nouveau destinataire est enregistré : le vendeur en est prévenu.")
                messages.success(request, done)
                return _back_to_order(vendor_order)
        else:
            address_form = _address_form(vendor_order, request.POST)
            comment = request.POST.get("comment", "")
            if address_form.is_valid():
                address = {name: address_form.cleaned_data.get(name, "") for name in FIELD_LIMITS}
                try:
                    if action == "address":
                        vendor_order_address_change(
                            vendor_order=vendor_order,
                            actor=Actor.customer(customer),
                            address=address,
                            now=now,
                        )
                        done = _(
                            "Votre nouvelle adresse de livraison est enregistrée : le vendeur "
                            "en est prévenu."
                        )
                    else:
                        opened = address_change_request_open(
                            customer=customer,
                            vendor_order=vendor_order,
                            address=address,
                            comment=comment,
                            now=now,
                        )
                        if opened.handler == AddressHandler.OPERATOR:
                            done = _(
                                "Votre demande est transmise au service client Les Alliés : il "
                                "demande au transporteur de réexpédier le colis et vous répond "
                                "sous 24 heures."
                            )
                        else:
                            done = _(
                                "Votre demande de changement d'adresse est envoyée au vendeur : "
                                "il vous répond sous 48 heures, par e-mail."
                            )
                except AddressRequestForbidden:
                    raise Http404 from None
                except (DeliveryChangeError, AddressRequestError) as exc:
                    address_form.add_error(None, exc.message)
                else:
                    messages.success(request, done)
                    return _back_to_order(vendor_order)
    editable = address_directly_editable(vendor_order, now=now)
    waiting = open_address_request(vendor_order=vendor_order) if in_progress else None
    if address_form is None:
        address_form = _address_form(vendor_order)
    error = bool(recipient_error or address_form.errors)
    return render(
        request,
        "aftersales/delivery_change.html",
        {
            "order": vendor_order.order,
            "vendor_order": vendor_order,
            "current": vendor_order.ship_to,
            "in_progress": in_progress,
            "shipped": shipped,
            "relay": vendor_order.relay_point is not None,
            "editable": editable,
            "deadline": address_edit_deadline(vendor_order),
            "waiting": waiting,
            "recipient": recipient or (vendor_order.ship_to or {}).get("recipient", ""),
            "recipient_error": recipient_error,
            "recipient_max": FIELD_LIMITS["recipient"],
            "address_form": address_form,
            "comment": comment,
            "comment_max": COMMENT_MAX,
            "section": "purchases",
        },
        status=422 if error else 200,
    )
