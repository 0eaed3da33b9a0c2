"""Pages of the customer account ("COMPTE"): they parse, call one service or selector, render.

Django's auth views are used where they fit (login, logout, the reset-link machinery), with
our forms and templates; everything they write goes through services. Every page of the
personal space is `never_cache` ("Cache-Control: private, no-store…"): personal data is
never kept by a browser's history cache or a shared proxy (issue 9 §12).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from allies.accounts import forms, selectors, services
from allies.accounts.models import Address
from allies.core.hooks import hook_call
from allies.shipping.zones import zone_for


def _data(request):
    # Not `request.POST or None`: an unticked checkbox alone makes an empty, but real, POST.
    return request.POST if request.method == "POST" else None


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _apply(form, call):
    """Run a service; its ValidationError lands on the form's fields. Returns the result or
    None when refused."""
    try:
        return call()
    except ValidationError as error:
        form.add_error(None, error)
        return None


# --- Sign-up, login, logout (ACC-1, ACC-2, ACC-7) ---------------------------------------


@sensitive_post_parameters("password", "password_confirm")
@require_http_methods(["GET", "POST"])
def sign_up(request):
    if request.user.is_authenticated:
        return redirect("accounts:home")
    form = forms.SignUpForm(_data(request), request=request)
    if request.method == "POST" and form.is_valid():
        user = _apply(
            form,
            lambda: services.user_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                newsletter_opt_in=form.cleaned_data["newsletter_opt_in"],
                language=get_language(),
            ),
        )
        if user is not None:
            guest_key = request.session.session_key
            login(request, user)
            hook_call("customer_signed_in", customer=user, guest_session_key=guest_key)
            messages.success(request, _("Bienvenue chez Les Alliés ! Votre compte est créé."))
            return redirect(_safe_next(request) or reverse("accounts:home"))
    return render(
        request, "accounts/sign_up.html", {"form": form, "next": _safe_next(request) or ""}
    )


class LoginView(auth_views.LoginView):
    form_class = forms.LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        # The guest's cart lives under the session key that login replaces: keep it.
        guest_key = self.request.session.session_key
        response = super().form_valid(form)
        hook_call("customer_signed_in", customer=form.get_user(), guest_session_key=guest_key)
        return response


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("Vous êtes déconnecté. À bientôt !"))
        return response


# --- Forgotten password (ACC-3) ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def password_reset(request):
    form = forms.PasswordResetRequestForm(_data(request), request=request)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"])
        return redirect("accounts:password_reset_done")
    return render(request, "accounts/password_reset.html", {"form": form})


def _reset_link_hours() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)


def password_reset_done(request):
    return render(
        request, "accounts/password_reset_done.html", {"valid_hours": _reset_link_hours()}
    )


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = forms.SetNewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    reset_url_token = "nouveau"

    def get_context_data(self, **kwargs):
        return super().get_context_data(valid_hours=_reset_link_hours(), **kwargs)

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        # A link sent before the account was deactivated no longer opens anything.
        return user if user is not None and user.is_active else None


def password_reset_complete(request):
    return render(request, "accounts/password_reset_complete.html")


# --- The personal space (ACC-4, ACC-5, ACC-6, ACC-8) ------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_home(request):
    """ "Mes informations": name, phone, language of emails, with a summary of the space."""
    user = request.user
    form = forms.ProfileForm(
        _data(request),
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "language": user.language,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(user=user, **form.cleaned_data)
        messages.success(request, _("Vos informations sont enregistrées."))
        return redirect("accounts:home")
    default_delivery = selectors.default_delivery_address_get(user=user)
    return render(
        request,
        "accounts/home.html",
        {
            "form": form,
            "default_delivery": default_delivery,
            "section": "home",
            "sells": user.vendor_memberships.exists(),
        },
    )


@sensitive_post_parameters()
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_settings(request):
    """ "Paramètres de compte": change password (ACC-4) and "Modifier mon email" (ACC-5)."""
    user = request.user
    action = request.POST.get("action") if request.method == "POST" else None
    password_form = forms.ChangePasswordForm(
        user, request.POST if action == "password" else None, prefix="password", request=request
    )
    email_form = forms.ChangeEmailForm(
        user, request.POST if action == "email" else None, prefix="email", request=request
    )
    if action == "password" and password_form.is_valid():
        password = password_form.cleaned_data["new_password1"]
        if _apply(password_form, lambda: services.user_set_password(user=user, password=password)):
            update_session_auth_hash(request, user)
            messages.success(request, _("Votre mot de passe est modifié."))
            return redirect("accounts:settings")
    if action == "email" and email_form.is_valid():
        new_email = email_form.cleaned_data["email"]
        if _apply(email_form, lambda: services.user_change_email(user=user, new_email=new_email)):
            messages.success(
                request,
                _(
                    "Votre email est modifié : vous vous connectez désormais avec %(email)s. "
                    "Un message de confirmation vous a été envoyé."
                )
                % {"email": user.email},
            )
            return redirect("accounts:settings")
    return render(
        request,
        "accounts/settings.html",
        {"password_form": password_form, "email_form": email_form, "section": "settings"},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def newsletter_subscription(request):
    """ "Mes abonnements aux offres" (ACC-6)."""
    user = request.user
    form = forms.NewsletterForm(_data(request), initial={"subscribed": user.newsletter_opt_in})
    if request.method == "POST" and form.is_valid():
        subscribed = form.cleaned_data["subscribed"]
        services.newsletter_subscription_set(user=user, subscribed=subscribed)
        if subscribed:
            messages.success(request, _("C'est noté : vous recevrez nos offres en avant-première."))
        else:
            messages.success(request, _("C'est noté : vous ne recevrez plus nos offres par email."))
        return redirect("accounts:newsletter")
    return render(request, "accounts/newsletter.html", {"form": form, "section": "newsletter"})


@csrf_exempt  # RFC 8058 one-click: the mail provider POSTs without any cookie or token
@require_http_methods(["GET", "POST"])
def newsletter_unsubscribe(request, token: str):
    """The link of every newsletter: GET asks to confirm, POST unsubscribes (no login)."""
    user = selectors.newsletter_unsubscribe_user(token=token)
    if user is None:
        return render(
            request, "accounts/newsletter_unsubscribe.html", {"invalid": True}, status=400
        )
    if request.method == "POST":
        services.newsletter_subscription_set(user=user, subscribed=False)
        return render(
            request, "accounts/newsletter_unsubscribe.html", {"done": True, "email": user.email}
        )
    return render(
        request, "accounts/newsletter_unsubscribe.html", {"email": user.email, "token": token}
    )


# --- Address book (ACC-9) ------------------------------------------------------------------

_KIND_SLUGS = {"livraison": Address.Kind.DELIVERY, "facturation": Address.Kind.BILLING}


@dataclass(frozen=True)
class _AddressCard:
    """An address of "Mes adresses" with its delivery zone ("Corse", "Belgique"…)."""

    address: Address
    zone_label: str


def _zone_label(address: Address) -> str:
    try:
        return zone_for(address.country, address.postcode).label
    except ValidationError:
        return ""


@never_cache
@login_required
def address_list(request):
    addresses = selectors.address_list(user=request.user)
    cards = [_AddressCard(a, _zone_label(a)) for a in addresses]
    return render(
        request,
        "accounts/addresses.html",
        {
            "billing": next((c for c in cards if c.address.kind == Address.Kind.BILLING), None),
            "deliveries": [c for c in cards if c.address.kind == Address.Kind.DELIVERY],
            "section": "addresses",
        },
    )


def _address_form_page(request, *, kind: str, address: Address | None):
    initial: dict[str, Any] = {"country": "FR"}
    if address is not None:
        initial = {
            f: getattr(address, f)
            for f in (
                "recipient", "company", "street", "street_extra", "postcode", "city",
                "country", "phone", "instructions", "is_default",
            )
        }  # fmt: skip
    elif kind == Address.Kind.DELIVERY and not request.user.addresses.filter(kind=kind).exists():
        initial["is_default"] = True
    if address is None and not request.user.addresses.exists():
        initial["recipient"] = request.user.get_full_name()
        initial["phone"] = request.user.phone
    form = forms.AddressForm(_data(request), kind=kind, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _apply(
            form,
            lambda: services.address_save(
                user=request.user, kind=kind, address=address, **form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(
                request,
                _("Adresse enregistrée (zone de livraison : %(zone)s).")
                % {"zone": _zone_label(saved)},
            )
            return redirect("accounts:addresses")
    return render(
        request,
        "accounts/address_form.html",
        {"form": form, "address": address, "kind": kind, "section": "addresses"},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def address_add(request, kind: str):
    kind_value = _KIND_SLUGS.get(kind)
    if kind_value is None:
        raise Http404
    if kind_value == Address.Kind.BILLING:
        billing = selectors.billing_address_get(user=request.user)
        if billing is not None:
            return redirect("accounts:address_edit", pk=billing.pk)
    return _address_form_page(request, kind=kind_value, address=None)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def address_edit(request, pk: int):
    address = selectors.address_get(user=request.user, pk=pk)
    return _address_form_page(request, kind=address.kind, address=address)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def address_delete(request, pk: int):
    address = selectors.address_get(user=request.user, pk=pk)
    if address.kind == Address.Kind.BILLING:
        raise Http404
    if request.method == "POST":
        services.address_delete(user=request.user, address=address)
        messages.success(request, _("Adresse supprimée."))
        return redirect("accounts:addresses")
    return render(
        request, "accounts/address_delete.html", {"address": address, "section": "addresses"}
    )


@never_cache
@login_required
@require_POST
def address_set_default(request, pk: int):
    address = selectors.address_get(user=request.user, pk=pk)
    try:
        services.address_set_default(user=request.user, address=address)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Adresse de livraison par défaut modifiée."))
    return redirect("accounts:addresses")


# --- Deactivation (ACC-7) ------------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def deactivate(request):
    form = forms.DeactivateForm(request.user, _data(request), request=request)
    if request.method == "POST" and form.is_valid():
        services.user_deactivate(user=request.user)
        logout(request)
        return redirect("accounts:deactivated")
    return render(request, "accounts/deactivate.html", {"form": form, "section": "deactivate"})


def deactivated(request):
    if request.user.is_authenticated:
        return redirect("accounts:home")
    return render(request, "accounts/deactivated.html")
