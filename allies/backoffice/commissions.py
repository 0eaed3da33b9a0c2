"""Console: the operator's commission rates with their dates of effect (PAY-2).

Staff with `ledger.view_commissionrate` read each vendor's default rate and per-category
rates, past, in force and scheduled; with `ledger.change_commissionrate` they schedule a new
rate from a day on (never before today: orders already paid keep their rate) and delete one
that has not taken effect yet. The rules live in `allies.ledger.commissions`; these views
only parse, call and render. Everyone else: visitors go to the login page, anyone logged in
without the permission (customers, vendors, other staff) gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from allies.backoffice.views import MAX_ID, _render
from allies.catalog.models import Category
from allies.ledger.commissions import (
    MAX_DAYS_AHEAD,
    CommissionRateError,
    commission_rate_delete,
    commission_rate_set,
    percent_label,
    percent_parse,
    site_today,
    vendor_rate_histories,
    vendors_with_current_rate,
)
from allies.ledger.models import CommissionRate
from allies.vendors.models import Vendor

VIEW_PERMISSION = "ledger.view_commissionrate"
CHANGE_PERMISSION = "ledger.change_commissionrate"
PER_PAGE = 50
MAX_PAGE = 10_000


def _may(user: Any, permission: str) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(permission))


def staff_permission_required(
    permission: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @login_required
        @never_cache
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not _may(request.user, permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class CommissionRateForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("S'applique à"), required=False)
    rate = forms.CharField(
        label=gettext_lazy("Taux de commission (%)"),
        max_length=40,
        help_text=gettext_lazy("Un pourcentage entre 0 et 100, par exemple 12,5."),
    )
    valid_from = forms.DateField(
        label=gettext_lazy("En vigueur à partir du"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy(
            "Aujourd'hui ou plus tard : les commandes déjà payées gardent leur taux."
        ),
    )

    def __init__(self, *args: Any, categories: list[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {str(c.pk): c for c in categories}
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            ("", _("Toutes les catégories (taux par défaut du vendeur)")),
            *((str(c.pk), c.name) for c in categories),
        ]
        today = site_today()
        self.fields["valid_from"].widget.attrs["min"] = today.isoformat()

    def clean_rate(self) -> Any:
        try:
            return percent_parse(self.cleaned_data["rate"])
        except CommissionRateError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_category(self) -> Category | None:
        value = self.cleaned_data.get("category") or ""
        return self.categories.get(value) if value else None


def _vendor(vendor_id: int) -> Vendor:
    if vendor_id > MAX_ID:
        raise Http404("vendor")
    return get_object_or_404(Vendor, pk=vendor_id)


@staff_permission_required(VIEW_PERMISSION)
@require_GET
def commission_vendors(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()[:100]
    raw_page = request.GET.get("page") or "1"
    if not raw_page.isascii() or not raw_page.isdigit() or not 1 <= int(raw_page[:6]) <= MAX_PAGE:
        raise Http404("page")
    paginator = Paginator(vendors_with_current_rate(q=q), PER_PAGE)
    page = paginator.get_page(int(raw_page))
    return _render(
        request,
        "commissions/vendors.html",
        {
            "page": page,
            "rows": [(v, percent_label(v.current_rate)) for v in page.object_list],  # type: ignore[attr-defined]
            "q": q,
            "today": site_today(),
        },
        section="commissions",
    )


def _vendor_page(
    request: HttpRequest, vendor: Vendor, *, form: CommissionRateForm | None = None,
    status: int = 200,
) -> HttpResponse:  # fmt: skip
    may_change = _may(request.user, CHANGE_PERMISSION)
    if may_change and form is None:
        form = CommissionRateForm(
            categories=list(Category.objects.order_by("name", "id")),
            initial={"valid_from": site_today()},
        )
    return _render(
        request,
        "commissions/vendor.html",
        {
            "vendor": vendor,
            "histories": vendor_rate_histories(vendor=vendor),
            "form": form if may_change else None,
            "may_change": may_change,
            "fallback_label": percent_label(vendor.commission_rate),
            "today": site_today(),
            "max_years": MAX_DAYS_AHEAD // 366,
        },
        section="commissions",
        status=status,
    )


@staff_permission_required(VIEW_PERMISSION)
@require_http_methods(["GET", "POST"])
def commission_vendor(request: HttpRequest, vendor_id: int) -> HttpResponse:
    vendor = _vendor(vendor_id)
    if request.method != "POST":
        return _vendor_page(request, vendor)
    if not _may(request.user, CHANGE_PERMISSION):
        raise PermissionDenied
    form = CommissionRateForm(
        request.POST, categories=list(Category.objects.order_by("name", "id"))
    )
    if not form.is_valid():
        return _vendor_page(request, vendor, form=form, status=400)
    try:
        row = commission_rate_set(
            vendor=vendor,
            category=form.cleaned_data["category"],
            rate=form.cleaned_data["rate"],
            valid_from=form.cleaned_data["valid_from"],
            by=request.user,
        )
    except CommissionRateError as exc:
        form.add_error(None, exc.message)
        return _vendor_page(request, vendor, form=form, status=400)
    messages.success(
        request,
        _("Taux de %(rate)s enregistré, en vigueur à partir du %(day)s.")
        % {"rate": percent_label(row.rate), "day": row.valid_from.strftime("%d/%m/%Y")},
    )
    return redirect("backoffice:commission_vendor", vendor_id=vendor.pk)


@staff_permission_required(CHANGE_PERMISSION)
@require_POST
def commission_rate_delete_view(request: HttpRequest, rate_id: int) -> HttpResponse:
    if rate_id > MAX_ID:
        raise Http404("rate")
    row = get_object_or_404(CommissionRate, pk=rate_id)
    try:
        commission_rate_delete(rate=row, by=request.user)
    except CommissionRateError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Le taux programmé a été supprimé."))
    return redirect("backoffice:commission_vendor", vendor_id=row.vendor_id)
