"""The operator's dashboard (issue 13): sales, orders, average basket, refunds, commission and
payouts per day, week or month, per vendor and per category, and the vendors ranked by late
acceptances, late shipments, refusals and claims — each chart with the table behind it.

Staff only, with the permission to read the ledger (`ledger.view_ledgerentry`): a visitor
goes to the login page, anyone else (customers, vendors, agents without it) gets the 403
page. The figures come from `allies.reporting.selectors` (defined in
`allies/reporting/facts.py`); this module parses the filters and shapes the charts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from allies.reporting import charts
from allies.reporting.selectors import (
    DAY,
    MONTH,
    WEEK,
    OperatorDashboard,
    names_for_filters,
    operator_dashboard,
    today,
)
from allies.support.services import is_supervisor

PERMISSION = "ledger.view_ledgerentry"
# Bounds of the filters: a date between these years, a period of at most MAX_DAYS, and at
# most MAX_BUCKETS columns in a chart (a day chart over years would be unreadable).
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_DAYS = 3 * 366
MAX_BUCKETS = 400
DEFAULT_DAYS = 30
GRANULARITY_SLUGS = {"jour": DAY, "semaine": WEEK, "mois": MONTH}
GRANULARITY_LABELS = (
    ("jour", gettext_lazy("Jour")),
    ("semaine", gettext_lazy("Semaine")),
    ("mois", gettext_lazy("Mois")),
)


def ledger_reader_required(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    @login_required
    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not (user.is_active and user.is_staff and user.has_perm(PERMISSION)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class DashboardFilterForm(forms.Form):
    granularite = forms.ChoiceField(
        label=gettext_lazy("Regrouper par"), choices=GRANULARITY_LABELS, required=False
    )
    du = forms.DateField(
        label=gettext_lazy("Du"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    au = forms.DateField(
        label=gettext_lazy("Au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    vendeur = forms.TypedChoiceField(
        label=gettext_lazy("Vendeur"), coerce=int, required=False, empty_value=None
    )
    categorie = forms.TypedChoiceField(
        label=gettext_lazy("Catégorie"), coerce=int, required=False, empty_value=None
    )

    def __init__(
        self, data: Any, *, vendors: list[tuple[int, str]], categories: list[tuple[int, str]]
    ) -> None:
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["vendeur"]).choices = [
            ("", _("Tous les vendeurs")),
            *vendors,
        ]
        cast(forms.ChoiceField, self.fields["categorie"]).choices = [
            ("", _("Toutes les catégories")),
            *categories,
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        end = data.get("au") or today()
        start = data.get("du") or end - timedelta(days=DEFAULT_DAYS - 1)
        for when in (start, end):
            if not MIN_YEAR <= when.year <= MAX_YEAR:
                raise forms.ValidationError(
                    _("Choisissez des dates entre %(low)s et %(high)s.")
                    % {"low": MIN_YEAR, "high": MAX_YEAR}
                )
        if start > end:
            raise forms.ValidationError(_("La date de début doit précéder la date de fin."))
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(_("Choisissez une période de trois ans au plus."))
        granularity = GRANULARITY_SLUGS[data.get("granularite") or "jour"]
        if granularity == DAY and (end - start).days + 1 > MAX_BUCKETS:
            raise forms.ValidationError(
                _("Trop de jours pour un graphique par jour : regroupez par semaine ou par mois.")
            )
        data.update(start=start, end=end, granularity=granularity)
        return data


def _series_charts(board: OperatorDashboard) -> list[dict[str, Any]]:
    """One chart per figure over time, each with its table (period, value)."""
    specs = [
        (
            "sales",
            _("Ventes"),
            _("Ce que les clients ont payé (articles et frais de port, après réductions), TTC."),
            True,
        ),
        ("orders", _("Commandes"), _("Commandes payées sur la période."), False),
        ("basket", _("Panier moyen"), _("Ventes divisées par le nombre de commandes, TTC."), True),
        ("refunds", _("Remboursements"), _("Ce qui a été rendu aux clients, TTC."), True),
        (
            "commission",
            _("Commission gagnée"),
            _("Commission d'Alliés, nette des commissions restituées."),
            True,
        ),
        (
            "payouts",
            _("Virements effectués"),
            _("Ce qui a été versé sur le compte des vendeurs."),
            True,
        ),
    ]
    return [
        charts.figure_chart(
            id=f"dash-{key}",
            title=title,
            description=description,
            points=board.points,
            key=key,
            total=getattr(board.totals, key),
            total_label=_("Sur la période") if key == "basket" else _("Total"),
            is_money=is_money,
        )
        for key, title, description, is_money in specs
    ]


@ledger_reader_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    vendors, categories = names_for_filters()
    form = DashboardFilterForm(request.GET or None, vendors=vendors, categories=categories)
    end = today()
    params: dict[str, Any] = {
        "start": end - timedelta(days=DEFAULT_DAYS - 1),
        "end": end,
        "granularity": DAY,
    }
    vendor_id = category_id = None
    if form.is_bound and form.is_valid():
        params = {k: form.cleaned_data[k] for k in ("start", "end", "granularity")}
        vendor_id = form.cleaned_data.get("vendeur")
        category_id = form.cleaned_data.get("categorie")
    vendor_names, category_names = dict(vendors), dict(categories)
    board = operator_dashboard(
        **params,
        vendor=vendor_id,
        category=category_id,
        vendor_names=vendor_names,
        category_names=category_names,
    )
    no_category = _("Frais de port et hors catégorie")
    vendor_rows = [
        (row.name if not row.others else _("Autres vendeurs (%(n)s)") % {"n": row.others}, row)
        for row in board.by_vendor
    ]
    category_rows = [
        (row.name if row.key is not None else no_category, row) for row in board.by_category
    ]
    rankings = [
        ("late_acceptances", _("Acceptations en retard"), board.rankings.late_acceptances),
        ("late_shipments", _("Expéditions en retard"), board.rankings.late_shipments),
        ("refusals", _("Commandes refusées"), board.rankings.refusals),
        ("claims", _("Réclamations"), board.rankings.claims),
    ]
    vendor_chart = charts.hbar_chart([(label, row.sales) for label, row in vendor_rows])
    category_chart = charts.hbar_chart([(label, row.sales) for label, row in category_rows])
    context = {
        "section": "dashboard",
        "is_supervisor": is_supervisor(request.user),
        "form": form,
        "board": board,
        "series": _series_charts(board),
        "vendor_rows": vendor_rows,
        "vendor_chart": vendor_chart,
        "vendor_svg": charts.hbars_svg(vendor_chart, labelledby="dash-vendors-title"),
        "category_rows": category_rows,
        "category_chart": category_chart,
        "category_svg": charts.hbars_svg(category_chart, labelledby="dash-categories-title"),
        "rankings": [
            {
                "id": f"rank-{key}",
                "title": title,
                "rows": rows,
                "svg": charts.hbars_svg(
                    charts.hbar_chart([(r.name, r.count) for r in rows], is_money=False),
                    labelledby=f"rank-{key}-title",
                    bad=True,
                ),
            }
            for key, title, rows in rankings
        ],
        "vendor_name": vendor_names.get(vendor_id) if vendor_id else None,
        "category_name": category_names.get(category_id) if category_id else None,
    }
    return render(request, "backoffice/dashboard/dashboard.html", context)
