"""Pre-aggregated daily facts for the dashboards (issue 13): one row per Paris day and scope.

The ledger (`allies.ledger`) is the only source of the money figures; these rows are a cache
of its sums, per closed day, so that a year of dashboards reads a few thousand rows instead
of millions of entries. How they stay exact is written at the top of
`allies/reporting/facts.py` (closed days are frozen by `reporting_refresh`, the days after
them are computed live from the ledger on every request, by the same function).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyFact(models.Model):
    """The figures of one Paris day, at one grain (`scope`).

    - `all`: the whole marketplace (vendor and category empty);
    - `vendor`: one vendor (category empty: all its categories);
    - `category`: one category over every vendor (category empty: what has no category —
      shipping fees, payouts, order-level refunds);
    - `vendor_category`: one vendor in one category (empty: its order-level amounts);
    - `vendor_month`: one vendor over a whole frozen month (`day` is the 1st).

    Vendor and category are plain ids, not foreign keys: a cache must never block deleting a
    category, nor be deleted with one (the ledger keeps the truth; a rebuild redoes it).
    """

    class Scope(models.TextChoices):
        ALL = "all", _("Toute la place de marché")
        VENDOR = "vendor", _("Par vendeur")
        CATEGORY = "category", _("Par catégorie")
        VENDOR_CATEGORY = "vendor_category", _("Par vendeur et catégorie")
        # One vendor's whole month (`day` = its first day): the `vendor` rows summed, written
        # once the month is frozen, so a year split per vendor reads 12 rows per vendor.
        VENDOR_MONTH = "vendor_month", _("Par vendeur, mois clos")

    scope = models.CharField(max_length=16, choices=Scope.choices)
    day = models.DateField()
    vendor_id = models.IntegerField(null=True, blank=True)
    category_id = models.IntegerField(null=True, blank=True)
    # Money (euros TTC), signs as read on the dashboard: what customers paid (articles and
    # shipping, after discount codes), what they got back, the operator's commission net of
    # the commission given back, and what reached the vendors' wallets.
    sales = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    refunds = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    commission = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    payouts = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # Orders paid that day: customer orders at the `all` scope, vendor orders elsewhere
    # (with a line in the category at the category scopes).
    orders = models.PositiveIntegerField(default=0)
    # Vendor operations (scopes `all` and `vendor` only), each on the day it became due.
    late_acceptances = models.PositiveIntegerField(default=0)
    late_shipments = models.PositiveIntegerField(default=0)
    refusals = models.PositiveIntegerField(default=0)
    claims = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("chiffres du jour")
        verbose_name_plural = _("chiffres des jours")
        indexes = [
            models.Index(fields=["scope", "day"], name="reporting_scope_day"),
            models.Index(fields=["scope", "vendor_id", "day"], name="reporting_scope_vendor"),
            models.Index(fields=["scope", "category_id", "day"], name="reporting_scope_category"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.day} v{self.vendor_id} c{self.category_id}"


class RefreshState(models.Model):
    """One row: every day before `frozen_until` is in `DailyFact`; later days are live."""

    frozen_until = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("état des tableaux de bord")
        verbose_name_plural = _("états des tableaux de bord")

    def __str__(self) -> str:
        return f"frozen until {self.frozen_until}"
