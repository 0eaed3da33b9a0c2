""" "Devenir vendeur": the public application form, its confirmation, and the page where an
applicant corrects the application after staff asked for changes (a signed link by email).

The form only parses; every rule (company numbers, IBAN and BIC, one open application per
company) is `onboarding.services`', whose messages are shown under the fields. Like the
contact form it is throttled per client address and per email address, and carries a
honeypot (`website`): a robot filling it is told it succeeded and nothing is written.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from allies.accounts.throttling import client_ip
from allies.catalog.models import Category
from allies.core.text import normalize_email
from allies.onboarding import checks
from allies.onboarding.forms import LegalRepresentativeFields, representative_initial
from allies.onboarding.models import VendorApplication
from allies.onboarding.services import (
    EDIT_LINK_DAYS,
    ApplicationError,
    application_for_token,
    vendor_application_resubmit,
    vendor_application_submit,
)
from allies.onboarding.states import ApplicationTransitionNotAllowed

# Applications per hour from one client address, and with one contact address.
WINDOW_SECONDS = 60 * 60
PER_IP = 5
PER_EMAIL = 3
_DONE_KEY = "onboarding:application-done"


class CategoryChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name_en if get_language() == "en" and obj.name_en else obj.name


def _text(label: Any, name: str, **options: Any) -> forms.CharField:
    max_length, required = checks.TEXT_FIELDS[name]
    return forms.CharField(label=label, max_length=max_length, required=required, **options)


class ApplicationForm(LegalRepresentativeFields, forms.Form):
    name = _text(gettext_lazy("Nom commercial (affiché sur le site)"), "name")
    legal_name = _text(gettext_lazy("Raison sociale"), "legal_name")
    legal_form = _text(gettext_lazy("Forme juridique (SAS, SARL, SRL…)"), "legal_form")
    share_capital = _text(gettext_lazy("Capital social"), "share_capital")
    country = forms.ChoiceField(
        label=gettext_lazy("Pays du siège"),
        choices=[("FR", gettext_lazy("France")), ("BE", gettext_lazy("Belgique"))],
        error_messages={"invalid_choice": gettext_lazy("Choisissez la France ou la Belgique.")},
    )
    siret = _text(
        gettext_lazy("SIRET (France) ou numéro d'entreprise BCE (Belgique)"),
        "siret",
        help_text=gettext_lazy("14 chiffres pour un SIRET, 10 pour un numéro d'entreprise belge."),
    )
    vat_number = _text(
        gettext_lazy("Numéro de TVA intracommunautaire"),
        "vat_number",
        help_text=gettext_lazy("Par exemple FR12345678901 ou BE0123456749."),
    )
    rcs_city = _text(gettext_lazy("Ville du RCS"), "rcs_city")
    street = _text(gettext_lazy("Adresse du siège"), "street")
    postcode = _text(gettext_lazy("Code postal"), "postcode")
    city = _text(gettext_lazy("Ville"), "city")
    contact_first_name = _text(gettext_lazy("Prénom"), "contact_first_name")
    contact_last_name = _text(gettext_lazy("Nom"), "contact_last_name")
    contact_email = forms.EmailField(
        label=gettext_lazy("Adresse email"),
        max_length=254,
        help_text=gettext_lazy("Elle servira à vous connecter à votre espace vendeur."),
        error_messages={
            "invalid": gettext_lazy(
                "Indiquez une adresse email valide, par exemple nom@entreprise.fr."
            )
        },
    )
    contact_phone = _text(gettext_lazy("Téléphone"), "contact_phone")
    categories = CategoryChoices(
        label=gettext_lazy("Catégories de vos produits"),
        queryset=Category.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": gettext_lazy("Choisissez au moins une catégorie."),
            "invalid_choice": gettext_lazy("Choisissez des catégories de la liste."),
            "invalid_pk_value": gettext_lazy("Choisissez des catégories de la liste."),
        },
    )
    sample_products = _text(
        gettext_lazy("Exemples de produits"),
        "sample_products",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "Quelques produits que vous vendriez : nom, prix, et un lien vers votre site ou une "
            "description."
        ),
    )
    iban = _text(
        gettext_lazy("IBAN"), "iban", help_text=gettext_lazy("Tel qu'il figure sur votre RIB.")
    )
    bic = _text(gettext_lazy("BIC"), "bic")
    account_holder = _text(gettext_lazy("Titulaire du compte"), "account_holder")
    message = _text(
        gettext_lazy("Un mot pour notre équipe"),
        "message",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    website = forms.CharField(
        label=gettext_lazy("Ne pas remplir ce champ"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, categories: list[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["categories"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Category.objects.filter(pk__in=[c.pk for c in categories])
        # The choices from the list already read: no second query to render them.
        field.choices = [(c.pk, field.label_from_instance(c)) for c in categories]
        for name in ("contact_email", "contact_phone"):
            self.fields[name].widget.attrs["autocomplete"] = (
                "email" if name == "contact_email" else "tel"
            )

    @property
    def is_bot(self) -> bool:
        return bool((self.data.get("website") or "").strip())

    def add_service_errors(self, error: ApplicationError) -> None:
        for field, message in error.errors.items():
            self.add_error(field if field in self.fields else None, message)
        if not error.errors:
            self.add_error(None, error.message)


def _categories() -> list[Category]:
    return list(
        Category.objects.only("id", "name", "name_en", "position").order_by("position", "name")
    )


def _allowed(*, ip: str | None, email: str) -> bool:
    """Count one application from this address and with this email; False once either hourly
    allowance is spent (fixed windows, as the contact form's)."""
    window = int(time.time() // WINDOW_SECONDS)
    digest = hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]
    subjects = [(f"email:{digest}", PER_EMAIL)]
    if ip:
        subjects.append((f"ip:{ip}", PER_IP))
    allowed = True
    for subject, limit in subjects:
        key = f"onboarding:apply-throttle:v1:{subject}:{window}"
        if cache.add(key, 1, WINDOW_SECONDS):
            continue
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, WINDOW_SECONDS)
            continue
        allowed = allowed and count <= limit
    return allowed


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(
        request,
        f"storefront/{template}",
        {"customer_service_email": settings.CUSTOMER_SERVICE_EMAIL, **context},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def become_vendor(request: HttpRequest) -> HttpResponse:
    categories = _categories()
    form = ApplicationForm(request.POST or None, categories=categories)
    status = 200
    if request.method == "POST":
        if form.is_bot:
            return redirect("storefront:become_vendor_done")
        if form.is_valid():
            if not _allowed(ip=client_ip(request), email=form.cleaned_data["contact_email"]):
                form.add_error(
                    None,
                    _(
                        "Plusieurs candidatures ont été envoyées en peu de temps : réessayez dans "
                        "une heure, ou écrivez-nous à %(email)s."
                    )
                    % {"email": settings.CUSTOMER_SERVICE_EMAIL},
                )
                status = 429
            else:
                try:
                    vendor_application_submit(data=form.cleaned_data, language=get_language())
                except ApplicationError as error:
                    form.add_service_errors(error)
                else:
                    request.session[_DONE_KEY] = "submitted"
                    return redirect("storefront:become_vendor_done")
        status = status if status != 200 else 400
    return _render(request, "become_vendor.html", {"form": form, "edit": None}, status)


@never_cache
@require_GET
def become_vendor_done(request: HttpRequest) -> HttpResponse:
    done = request.session.pop(_DONE_KEY, "") if hasattr(request, "session") else ""
    return _render(request, "become_vendor_done.html", {"resubmitted": done == "resubmitted"})


def _initial(application: VendorApplication) -> dict[str, Any]:
    initial: dict[str, Any] = {name: getattr(application, name) for name in checks.TEXT_FIELDS}
    initial["categories"] = [c.pk for c in application.categories.all()]
    initial.update(representative_initial(application))
    return initial


@never_cache
@require_http_methods(["GET", "POST"])
def become_vendor_edit(request: HttpRequest) -> HttpResponse:
    token = (request.POST.get("jeton") if request.method == "POST" else None) or request.GET.get(
        "jeton", ""
    )
    application = application_for_token(token=token)
    if application is None:
        return _render(
            request, "become_vendor_link_invalid.html", {"valid_days": EDIT_LINK_DAYS}, status=404
        )
    categories = _categories()
    if request.method == "POST":
        form = ApplicationForm(request.POST, categories=categories)
        if form.is_bot:
            return redirect("storefront:become_vendor_done")
        if form.is_valid():
            try:
                vendor_application_resubmit(application=application, data=form.cleaned_data)
            except ApplicationTransitionNotAllowed:
                return _render(
                    request,
                    "become_vendor_link_invalid.html",
                    {"valid_days": EDIT_LINK_DAYS},
                    status=404,
                )
            except ApplicationError as error:
                form.add_service_errors(error)
            else:
                request.session[_DONE_KEY] = "resubmitted"
                return redirect("storefront:become_vendor_done")
        status = 400
    else:
        form = ApplicationForm(initial=_initial(application), categories=categories)
        status = 200
    note = application.events.filter(to_stage="changes").order_by("-created_at", "-id").first()
    return _render(
        request,
        "become_vendor.html",
        {"form": form, "edit": application, "token": token, "note": note.note if note else ""},
        status,
    )
