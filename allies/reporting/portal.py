"""The vendor portal's money charts (issue 13): "Ventes" and "Virements" over the last 12
months, from `reporting.selectors.vendor_dashboard` (only the vendor given), shaped for the
template `reporting/_columns.html`. Called by `vendor_portal.views.dashboard`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from allies.reporting.charts import figure_chart
from allies.reporting.selectors import MONTH, vendor_dashboard
from allies.vendors.models import Vendor

MONTHS = 12


def vendor_money_charts(*, vendor: Vendor) -> list[dict[str, Any]]:
    board = vendor_dashboard(vendor=vendor, periods=MONTHS, granularity=MONTH)
    return [
        figure_chart(
            id="vp-sales",
            title=_("Ventes"),
            description=_(
                "Ce que vos clients ont payé par mois (articles et frais de port, après "
                "réductions), TTC, sur 12 mois."
            ),
            points=board.points,
            key="sales",
            total=board.totals.sales,
            total_label=_("Sur 12 mois"),
        ),
        figure_chart(
            id="vp-payouts",
            title=_("Virements"),
            description=_("Ce qui a été versé sur votre compte de paiement par mois, sur 12 mois."),
            points=board.points,
            key="payouts",
            total=board.totals.payouts,
            total_label=_("Sur 12 mois"),
        ),
    ]
