"""Checkout steps: "Livraison de vos achats" → billing → review and pay → result.

The customer's choices (address, modes, relay points, billing) live in a signed cookie until
the order is placed, not in the session: they are a few ids that every step checks again
against the customer's own data (an address of another customer, a mode the quote does not
offer, are refused), so the cookie only has to be theirs — it is signed with the site's key
for this customer — and keeping it costs no database write on each step. Each step re-reads
the cart (once, with its lines), so a change made in another tab is seen, never silently
applied; the header's cart count is taken from that read.
"""

import json
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.signing import BadSignature
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allies.accounts.forms import AddressForm
from allies.accounts.models import Address
from allies.cart.discounts import DiscountRefused, discount_evaluate
from allies.cart.quotes import cart_quote
from allies.cart.selectors import customer_cart_view
from allies.cart.services import cart_discount_lines
from allies.checkout.forms import BillingSameForm, address_form_save
from allies.checkout.services import (
    CheckoutChoices,
    CheckoutError,
    billing_address_for,
    checkout_place,
    quoted_vendor_id,
)
from allies.orders.models import Order, VendorOrder
from allies.orders.selectors import customer_order_summary, order_summary_load
from allies.orders.services import order_payment_succeeded
from allies.orders.tasks import order_reservation_expiry_schedule
from allies.payments.services import (
    PaymentError,
    payment_open,
    payment_return_urls,
    payment_start,
)
from allies.shipping.relay import relay_provider

STATE_COOKIE = "checkout"
# Choices older than this are forgotten: the customer chooses again.
STATE_MAX_AGE = 2 * 24 * 3600
_STATE, _STATE_WRITE = "_checkout_state", "_checkout_state_write"


def _salt(request) -> str:
    return f"allies.checkout.state:{request.user.pk}"


def _state(request) -> dict:
    state = getattr(request, _STATE, None)
    if state is None:
        state = {}
        try:
            raw = request.get_signed_cookie(
                STATE_COOKIE, salt=_salt(request), max_age=STATE_MAX_AGE
            )
            loaded = json.loads(raw)
            if isinstance(loaded, dict):
                state = loaded
        except (KeyError, BadSignature, ValueError):
            pass  # none yet, another customer's, too old, or not ours: start afresh
        setattr(request, _STATE, state)
    return state


def _save_state(request, **changes) -> None:
    setattr(request, _STATE, {**_state(request), **changes})
    setattr(request, _STATE_WRITE, True)


def _clear_state(request) -> None:
    setattr(request, _STATE, {})
    setattr(request, _STATE_WRITE, True)


def _keeps_state(view):
    """Writes the choices changed by `view` to the response's cookie (or removes it)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if getattr(request, _STATE_WRITE, False):
            state = _state(request)
            if state:
                response.set_signed_cookie(
                    STATE_COOKIE,
                    json.dumps(state, separators=(",", ":")),
                    salt=_salt(request),
                    max_age=STATE_MAX_AGE,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
            elif STATE_COOKIE in request.COOKIES:
                response.delete_cookie(STATE_COOKIE, samesite="Lax")
        return response

    return wrapped


def _cart_or_redirect(request):
    view = customer_cart_view(request.user)
    if view.is_empty:
        return view, redirect("cart:detail")
    if view.has_changes:
        messages.warning(
            request,
            _("Des prix ou des stocks ont changé depuis l'ajout au panier : vérifiez-les."),
        )
        return view, redirect("cart:detail")
    return view, None


def _discount(request, view):
    cart = view.cart
    if cart is None or cart.discount_code_id is None:
        return None, None
    try:
        result = discount_evaluate(
            code=cart.discount_code.code,
            lines=cart_discount_lines(cart),
            customer=request.user,
            now=timezone.now(),
        )
    except DiscountRefused as exc:
        return None, str(exc)
    return result, None


@login_required
@_keeps_state
def delivery(request):
    """ "Livraison de vos achats": the address, then a mode per vendor (CHK-3)."""
    view, bounce = _cart_or_redirect(request)
    if bounce:
        return bounce
    addresses = list(Address.objects.filter(user=request.user, kind=Address.Kind.DELIVERY))
    state = _state(request)
    address_form = AddressForm(kind=Address.Kind.DELIVERY, prefix="new")
    if request.method == "POST" and request.POST.get("action") == "add_address":
        address_form = AddressForm(request.POST, kind=Address.Kind.DELIVERY, prefix="new")
        if address_form.is_valid():
            address = address_form_save(address_form, user=request.user)
            if address is not None:
                _save_state(request, address=address.pk, modes={}, relays={})
                return redirect("checkout:delivery")
    chosen_id = state.get("address")
    if request.method == "POST" and request.POST.get("action") == "choose_address":
        chosen_id = _int(request.POST.get("address"))
        _save_state(request, address=chosen_id, modes={}, relays={})
        return redirect("checkout:delivery")
    address = next((a for a in addresses if a.pk == chosen_id), None) or next(iter(addresses), None)
    quote, quote_error, relay_points = None, None, {}
    modes = {int(k): v for k, v in (state.get("modes") or {}).items()}
    relays = {int(k): v for k, v in (state.get("relays") or {}).items()}
    if address is not None:
        quote, quote_error = cart_quote(view, postcode=address.postcode, country=address.country)
        if quote is not None:
            for quoted_id, mode in quote.cheapest_modes().items():
                if quoted_id is not None:  # a cart's quote always names its vendors
                    modes.setdefault(quoted_id, mode)
            provider = relay_provider()
            for vq in quote.vendors:
                vendor_id = quoted_vendor_id(vq)
                relay = vq.option(VendorOrder.ShippingMode.RELAY)
                if relay is not None:
                    relay_points[vendor_id] = provider.search(
                        country=address.country,
                        postcode=address.postcode,
                        city=address.city,
                        carrier=relay.carrier,
                        limit=5,
                    )
                    # The nearest point is preselected; the customer may pick another.
                    if relay_points[vendor_id] and vendor_id not in relays:
                        relays[vendor_id] = relay_points[vendor_id][0].id
    errors = []
    if (
        request.method == "POST"
        and request.POST.get("action") == "choose_modes"
        and quote
        and address is not None  # always, when there is a quote
    ):
        for vq in quote.vendors:
            vendor_id = quoted_vendor_id(vq)
            mode = request.POST.get(f"mode_{vendor_id}", "")
            if vq.option(mode) is None:
                errors.append(_("Choisissez un mode de livraison pour chaque vendeur."))
                continue
            modes[vendor_id] = mode
            if mode == VendorOrder.ShippingMode.RELAY:
                point = request.POST.get(f"relay_{vendor_id}", "")
                if point not in {p.id for p in relay_points.get(vendor_id, [])}:
                    errors.append(_("Choisissez un point relais dans la liste proposée."))
                relays[vendor_id] = point
        _save_state(
            request,
            address=address.pk,
            modes={str(k): v for k, v in modes.items()},
            relays={str(k): v for k, v in relays.items()},
        )
        if not errors:
            return redirect("checkout:billing")
    groups = []
    if quote is not None:
        by_vendor = {g.vendor.id: g for g in view.groups}
        for vq in quote.vendors:
            vendor_id = quoted_vendor_id(vq)
            groups.append(
                {
                    "group": by_vendor[vendor_id],
                    "quote": vq,
                    "mode": modes.get(vendor_id),
                    "relay": relays.get(vendor_id),
                    "relay_points": relay_points.get(vendor_id, []),
                }
            )
    return render(
        request,
        "checkout/delivery.html",
        {
            "step": 1,
            "cart": view,
            "cart_count": view.item_count,  # the header's, from this read
            "addresses": addresses,
            "address": address,
            "address_form": address_form,
            "quote": quote,
            "quote_error": quote_error,
            "groups": groups,
            "errors": list(dict.fromkeys(errors)),
        },
    )


@login_required
@_keeps_state
def billing(request):
    """Billing address (CHK-6): the address book's billing address is preselected when the
    customer has one (ACC-9), else "Identique à l'adresse de livraison"; either can be
    changed here. The order keeps a copy: later edits of the address book do not touch it."""
    state = _state(request)
    if not state.get("address") or not state.get("modes"):
        return redirect("checkout:delivery")
    if request.method == "POST":
        quick = BillingSameForm(request.POST)
        if quick.is_valid() and quick.cleaned_data["same"]:
            # Nothing to read for "Identique à l'adresse de livraison": the next step reads
            # the cart and the addresses again anyway.
            _save_state(request, billing="same")
            return redirect("checkout:review")
    view, bounce = _cart_or_redirect(request)
    if bounce:
        return bounce
    existing = Address.objects.filter(user=request.user, kind=Address.Kind.BILLING).first()
    same = state["billing"] == "same" if "billing" in state else existing is None
    same_form = BillingSameForm(request.POST or None, initial={"same": same})
    initial = (
        {f: getattr(existing, f) for f in AddressForm.base_fields if hasattr(existing, f)}
        if existing
        else {}
    )
    form = AddressForm(
        request.POST or None, kind=Address.Kind.BILLING, prefix="billing", initial=initial
    )
    if request.method == "POST" and same_form.is_valid():
        if same_form.cleaned_data["same"]:
            _save_state(request, billing="same")
            return redirect("checkout:review")
        if form.is_valid():
            saved = address_form_save(form, user=request.user, address=existing)
            if saved is not None:
                _save_state(request, billing=saved.pk)
                return redirect("checkout:review")
    return render(
        request,
        "checkout/billing.html",
        {
            "step": 2,
            "cart": view,
            "cart_count": view.item_count,  # the header's, from this read
            "form": form,
            "same_form": same_form,
            "existing": existing,
        },
    )


def _choices(request) -> CheckoutChoices | None:
    state = _state(request)
    if not state.get("address") or not state.get("modes"):
        return None
    billing_id = state.get("billing")
    return CheckoutChoices(
        delivery_address_id=state["address"],
        billing_address_id=None if billing_id in (None, "same") else billing_id,
        bill_to_delivery=billing_id == "same",
        modes={int(k): v for k, v in state["modes"].items()},
        relay_points={int(k): v for k, v in (state.get("relays") or {}).items()},
    )


@login_required
def review(request):
    """Everything at a glance before paying; "Payer" places the order and opens payment."""
    view, bounce = _cart_or_redirect(request)
    if bounce:
        return bounce
    choices = _choices(request)
    if choices is None or "billing" not in _state(request):
        return redirect("checkout:delivery")
    delivery_address = Address.objects.filter(
        user=request.user, pk=choices.delivery_address_id
    ).first()
    if delivery_address is None:
        return redirect("checkout:delivery")
    try:
        billing_address = billing_address_for(
            customer=request.user, choices=choices, delivery=delivery_address
        )
    except CheckoutError:
        return redirect("checkout:billing")
    quote, quote_error = cart_quote(
        view, postcode=delivery_address.postcode, country=delivery_address.country
    )
    discount, discount_error = _discount(request, view)
    rows, shipping_total = [], Decimal("0")
    if quote is not None:
        by_vendor = {g.vendor.id: g for g in view.groups}
        provider = relay_provider()
        for vq in quote.vendors:
            vendor_id = quoted_vendor_id(vq)
            option = vq.option(choices.modes.get(vendor_id, ""))
            if option is None:
                return redirect("checkout:delivery")
            relay = None
            if option.mode == VendorOrder.ShippingMode.RELAY:
                relay = provider.get(choices.relay_points.get(vendor_id, ""))
            shipping_total += option.fee
            rows.append({"group": by_vendor[vendor_id], "option": option, "relay": relay})
    discount_amount = discount.amount if discount else 0
    total = view.lines_total + shipping_total - discount_amount
    return render(
        request,
        "checkout/review.html",
        {
            "step": 3,
            "cart": view,
            "cart_count": view.item_count,  # the header's, from this read
            "rows": rows,
            "delivery_address": delivery_address,
            "billing_address": billing_address,
            "shipping_total": shipping_total,
            "discount": discount,
            "discount_error": discount_error,
            "quote_error": quote_error,
            "total": total,
        },
    )


@login_required
@require_POST
def pay(request):
    """ "Payer": the order is placed (or resumed) and its payment opened at the provider.

    The cart is read once, locked, by `checkout_place`: a cart emptied or changed since the
    customer saw it sends them back to it."""
    choices = _choices(request)
    if choices is None:
        return redirect("checkout:delivery")
    urls = payment_return_urls(request=request)
    try:
        placed = checkout_place(customer=request.user, choices=choices, payment_urls=urls)
    except CheckoutError as exc:
        if exc.code == "empty_cart":
            return redirect("cart:detail")
        if exc.code == "cart_changed":
            messages.warning(request, str(exc))
            return redirect("cart:detail")
        messages.error(request, str(exc))
        return redirect("checkout:review")
    order = placed.order
    if order.total <= 0:
        # Nothing to pay (a code covering everything): there is no card step.
        order_payment_succeeded(order=order, payment_reference="no-payment-needed")
        return redirect("checkout:payment_result", reference=order.reference)
    order_reservation_expiry_schedule(order=order)
    try:
        if placed.payment is not None:
            started = payment_open(payment=placed.payment)
        else:
            started = payment_start(
                order=order,
                return_url=urls.return_url,
                error_url=urls.error_url,
                cancel_url=urls.cancel_url,
            )
    except PaymentError as exc:
        # The provider could not open its page, another "Payer" of this order is opening it
        # at this very moment, or the order was closed meanwhile. The order keeps its hold:
        # the next "Payer" resumes it (a new attempt, or the page of the one under way).
        messages.error(request, str(exc))
        return redirect("checkout:review")
    return redirect(started.redirect_url)


@login_required
@_keeps_state
def payment_result(request, reference):
    """Where the customer lands after the bank: confirmation, or what went wrong.

    The order and its vendor orders are read at once, then, once validated, their lines (the
    confirmation's summary): the order page ("Voir mes achats") has the rest."""
    order, vendor_orders = customer_order_summary(customer=request.user, reference=reference)
    order.customer = request.user  # it is theirs (404 otherwise): no second read of the user
    if order.status == Order.Status.VALIDATED:
        _clear_state(request)
        order_summary_load(order, vendor_orders)
        return render(
            request,
            "checkout/confirmation.html",
            {"order": order, "vendor_orders": vendor_orders},
        )
    payment = order.payments.order_by("-id").first()
    return render(
        request,
        "checkout/payment_failed.html",
        {"order": order, "payment": payment},
        status=200,
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
