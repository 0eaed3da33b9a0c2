"""Cart pages: thin views over cart.services and cart.selectors."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from allies.cart import services
from allies.cart.discounts import DiscountRefused, discount_evaluate
from allies.cart.forms import AddToCartForm, DiscountForm, QuantityForm, SimulationForm
from allies.cart.quotes import cart_quote
from allies.cart.selectors import cart_view


def _back(request, default="cart:detail"):
    target = request.POST.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(default)


def cart_page(request):
    view = cart_view(services.cart_for_request(request))
    form = SimulationForm(request.GET or None)
    quote, quote_error = None, None
    if not view.is_empty and form.is_bound and form.is_valid():
        quote, quote_error = cart_quote(view, **form.cleaned_data)
    return render(
        request,
        "cart/cart.html",
        {
            "cart": view,
            "simulation_form": form,
            "quote": quote,
            "quote_error": quote_error,
            "discount": _discount_preview(request, view),
            "discount_form": DiscountForm(),
        },
    )


def _discount_preview(request, view):
    """The cart's code re-checked now: (amount, code) or a refusal message."""
    if view.cart is None or view.cart.discount_code_id is None or view.is_empty:
        return None
    customer = request.user if request.user.is_authenticated else None
    try:
        result = discount_evaluate(
            code=view.cart.discount_code.code,
            lines=services.cart_discount_lines(view.cart),
            customer=customer,
            now=timezone.now(),
        )
    except DiscountRefused as exc:
        return {"code": view.cart.discount_code.code, "error": str(exc)}
    return {
        "code": result.code.code,
        "amount": result.amount,
        "total": view.lines_total - result.amount,
    }


# The product page is cached whole for anonymous visitors, so its "Ajouter au panier" form
# cannot carry a per-visitor CSRF token. Adding an item to one's own cart is harmless if
# forged, and the session cookie is SameSite=Lax: a cross-site POST does not carry it.
@csrf_exempt
@require_POST
def add(request):
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Cet article n'a pas pu être ajouté au panier."))
        return _back(request)
    # A first add creates the cart in the same transaction as its line.
    cart = services.cart_for_request(request)
    try:
        _line, limited = services.cart_add(
            cart=cart,
            owner=None if cart else services.cart_owner(request),
            offer_id=form.cleaned_data["offer"],
            quantity=form.cleaned_data["quantity"],
        )
    except services.CartError as exc:
        messages.error(request, str(exc))
        return _back(request)
    if limited:
        messages.warning(
            request, _("La quantité a été limitée au stock disponible chez ce vendeur.")
        )
    else:
        messages.success(request, _("L'article a été ajouté à votre panier."))
    return redirect("cart:detail")


@require_POST
def line_update(request, line_id):
    form = QuantityForm(request.POST)
    cart = services.cart_for_request(request)
    if cart is None or not form.is_valid():
        messages.error(request, _("Indiquez une quantité entre 0 et 99."))
        return redirect("cart:detail")
    try:
        limited = services.cart_line_set_quantity(
            cart=cart, line_id=line_id, quantity=form.cleaned_data["quantity"]
        )
    except services.CartError as exc:
        messages.error(request, str(exc))
        return redirect("cart:detail")
    if limited:
        messages.warning(
            request, _("La quantité a été limitée au stock disponible chez ce vendeur.")
        )
    return redirect("cart:detail")


@require_POST
def line_remove(request, line_id):
    cart = services.cart_for_request(request)
    if cart is not None:
        services.cart_line_remove(cart=cart, line_id=line_id)
        messages.success(request, _("L'article a été retiré de votre panier."))
    return redirect("cart:detail")


@require_POST
def prices_accept(request):
    cart = services.cart_for_request(request)
    if cart is not None:
        services.cart_prices_accept(cart=cart)
    return redirect("cart:detail")


@require_POST
def discount(request):
    cart = services.cart_for_request(request, create=True)
    if request.POST.get("remove"):
        services.cart_discount_remove(cart=cart)
        messages.success(request, _("Le code de réduction a été retiré."))
        return redirect("cart:detail")
    form = DiscountForm(request.POST)
    code = form.cleaned_data["code"] if form.is_valid() else ""
    customer = request.user if request.user.is_authenticated else None
    try:
        services.cart_discount_apply(cart=cart, code=code, customer=customer)
    except DiscountRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Le code de réduction a été appliqué."))
    return redirect("cart:detail")


def simulate(request):
    """The shipping simulation alone (htmx swaps it into the cart page)."""
    view = cart_view(services.cart_for_request(request))
    form = SimulationForm(request.GET or None)
    quote, quote_error = None, None
    if not view.is_empty and form.is_valid():
        quote, quote_error = cart_quote(view, **form.cleaned_data)
    return render(
        request,
        "cart/_simulation.html",
        {"cart": view, "simulation_form": form, "quote": quote, "quote_error": quote_error},
    )
