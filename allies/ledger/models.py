"""The money ledger (PAY-2): what the marketplace owes each vendor, one append-only row per fact.

Every write goes through `allies.ledger.services`; this module only guards what the database
must never see: an entry that is changed or deleted after it was written. The identity the
entries keep, and how each amount is computed, are written at the top of
`allies/ledger/services.py`.

The tables keep the names they had when the ledger lived in the `payments` app
(`payments_ledgerentry`, `payments_commissionrate`): moving the models to this app changed
no table (migration `ledger.0001` only records them in this app's state).

- `CommissionRate`: the operator's commission for one vendor, optionally for one category; it
  overrides `Vendor.commission_rate` (the vendor's default) for that category's lines.
- `LedgerEntry`: one signed amount seen from the vendor's side (`amount`: what the
  marketplace owes the vendor; a commission is negative) and the same fact seen from the
  operator's side (`operator_amount`: the operator's revenue, positive for a commission,
  negative for a discount the operator pays for).
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allies.ledger.balances import BALANCE_TABLE, ENTRY_TABLE, balances_add, entry_deltas


class LedgerImmutable(Exception):
    """A ledger entry is never updated or deleted: write a reversing entry instead."""


def _today() -> date:
    return timezone.localdate()


class CommissionRate(models.Model):
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.CASCADE, related_name="commission_rates"
    )
    # Empty: every category of this vendor (overrides `Vendor.commission_rate`).
    category = models.ForeignKey(
        "catalog.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    rate = models.DecimalField(
        _("taux de commission"),
        max_digits=5,
        decimal_places=4,
        help_text=_("Entre 0 et 1 : 0,15 pour 15 %."),
    )
    # Dates of effect (PAY-2): the rate in force on a day is the one with the latest
    # `valid_from` not after it; an order uses the rates in force on the day it was paid.
    valid_from = models.DateField(_("en vigueur à partir du"), default=_today)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "payments_commissionrate"
        verbose_name = _("taux de commission")
        verbose_name_plural = _("taux de commission")
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "category", "valid_from"],
                condition=Q(category__isnull=False),
                name="ledger_one_rate_per_vendor_category_day",
            ),
            models.UniqueConstraint(
                fields=["vendor", "valid_from"],
                condition=Q(category__isnull=True),
                name="ledger_one_default_rate_per_vendor_day",
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=1), name="ledger_rate_between_0_and_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor_id}/{self.category_id or '*'}: {self.rate}"

    def clean(self) -> None:
        if self.rate is not None and not (0 <= self.rate <= 1):
            raise ValidationError({"rate": _("Le taux doit être compris entre 0 et 1.")})


class LedgerEntryQuerySet(models.QuerySet["LedgerEntry"]):
    def bulk_create(  # type: ignore[override]
        self, objs: Iterable["LedgerEntry"], batch_size: int | None = None
    ) -> list["LedgerEntry"]:
        """Insert entries; the vendor orders' balances move in the same transaction
        (allies/ledger/balances.py). No conflict options: an entry is inserted or refused."""
        entries = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(entries, batch_size=batch_size)  # type: ignore[arg-type]
            balances_add(transaction.get_connection(self.db), entry_deltas(entries))
        return cast("list[LedgerEntry]", created)

    def update(self, **kwargs: Any) -> int:
        raise LedgerImmutable("ledger entries are never updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise LedgerImmutable("ledger entries are never deleted")


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        SALE = "sale", _("Vente")
        SHIPPING = "shipping", _("Frais de port")
        COMMISSION = "commission", _("Commission")
        DISCOUNT_OPERATOR = "discount_operator", _("Réduction prise en charge par Alliés")
        DISCOUNT_VENDOR = "discount_vendor", _("Réduction prise en charge par le vendeur")
        REFUND_SALE = "refund_sale", _("Remboursement d'articles")
        REFUND_SHIPPING = "refund_shipping", _("Remboursement de frais de port")
        REFUND_COMMISSION = "refund_commission", _("Commission restituée")
        REFUND_DISCOUNT_OPERATOR = (
            "refund_discount_operator",
            _("Réduction remboursée (prise en charge par Alliés)"),
        )
        REFUND_DISCOUNT_VENDOR = (
            "refund_discount_vendor",
            _("Réduction remboursée (prise en charge par le vendeur)"),
        )
        REFUND_FAILED = "refund_failed", _("Remboursement échoué : écritures annulées")
        # A prepaid return label (RET-5): charged to the vendor (−cost, +cost to the operator,
        # who buys it from the carrier), or at the operator's expense (0, 0, `base` = cost).
        RETURN_LABEL = "return_label", _("Bon de retour prépayé")
        # A payout (allies.payouts): −(what the vendor order had left to pay), written when
        # the money reached the vendor's wallet (P2P). `payout` says which one.
        PAYOUT = "payout", _("Virement au vendeur")

    # `vendor_id` on the row (a vendor's rows are found without a join).
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    vendor_order = models.ForeignKey(
        "orders.VendorOrder", on_delete=models.PROTECT, related_name="ledger_entries"
    )
    # The line a commission (or its reversal) was computed on; empty for order-level entries.
    order_line = models.ForeignKey(
        "orders.OrderLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refund = models.ForeignKey(
        "payments.Refund",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    payout = models.ForeignKey(
        "payouts.Payout",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # Euros TTC, signed. `amount`: owed to the vendor. `operator_amount`: the operator's own
    # revenue (+) or cost (−) in the same fact. Their sum is the customer money it moves.
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    operator_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # What the amount was computed from: a commission's base and rate, a discount's value
    # when the operator pays it (the vendor's `amount` is then 0).
    base = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    rate = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        db_table = ENTRY_TABLE
        ordering = ["created_at", "id"]
        verbose_name = _("écriture du relevé")
        verbose_name_plural = _("écritures du relevé")
        indexes = [
            models.Index(fields=["vendor", "created_at", "id"]),
            # The dashboards' days read the refunds that failed in them (few) on every page.
            models.Index(
                fields=["created_at"],
                condition=Q(kind="refund_failed"),
                name="ledger_failed_refunds",
            ),
        ]
        constraints = [
            # One sale set per vendor order: one sale, discount and commission per line…
            models.UniqueConstraint(
                fields=["vendor_order", "kind", "order_line"],
                condition=Q(refund__isnull=True, order_line__isnull=False),
                name="ledger_one_sale_entry_per_line_and_kind",
            ),
            # …and one shipping entry (the database refuses a second set, even concurrent).
            models.UniqueConstraint(
                fields=["vendor_order", "kind"],
                condition=Q(kind="shipping"),
                name="ledger_one_shipping_per_vendor_order",
            ),
            # A payout pays a vendor order once.
            models.UniqueConstraint(
                fields=["payout", "vendor_order"],
                condition=Q(payout__isnull=False),
                name="ledger_one_payout_entry_per_vendor_order",
            ),
            # One set of reversing entries per refund.
            models.UniqueConstraint(
                fields=["refund", "kind", "order_line"],
                condition=Q(refund__isnull=False, order_line__isnull=False),
                name="ledger_one_reversal_per_refund_line_and_kind",
            ),
            models.UniqueConstraint(
                fields=["refund", "kind"],
                condition=Q(refund__isnull=False, order_line__isnull=True),
                name="ledger_one_reversal_per_refund_and_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.vendor_id}/{self.vendor_order_id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Integrity guard, not business logic: a written entry is history.
        if not self._state.adding:
            raise LedgerImmutable("ledger entries are never updated")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            super().save(*args, **kwargs)
            balances_add(transaction.get_connection(using), entry_deltas([self]))

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise LedgerImmutable("ledger entries are never deleted")

    @property
    def rate_percent(self) -> Decimal | None:
        """The commission rate as a percentage (0.1250 → 12.5), for display."""
        return None if self.rate is None else self.rate * 100


class VendorOrderBalance(models.Model):
    """What the ledger still owes for one vendor order: Σ of its entries' `amount`, in cents
    (negative: a debt). Only vendor orders not at zero have a row. Written by the entries'
    own inserts, never by hand (allies/ledger/balances.py); read by the payout rule."""

    vendor_order = models.OneToOneField(
        "orders.VendorOrder", primary_key=True, on_delete=models.PROTECT, related_name="+"
    )
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    due_cents = models.BigIntegerField()
    # The vendor order's `delivered_at` while it is delivered or closed, else empty: what the
    # payout rule needs from it, kept with the row (allies/ledger/balances.py).
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = BALANCE_TABLE
        verbose_name = _("solde d'une commande vendeur")
        verbose_name_plural = _("soldes des commandes vendeurs")
        # What a payout now would pay reads only the rows that may count: delivered before
        # the withdrawal cutoff, or debts.
        indexes = [
            models.Index(fields=["delivered_at"], name="ledger_balance_delivered"),
            models.Index(
                fields=["due_cents"], condition=Q(due_cents__lt=0), name="ledger_balance_debts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor_order_id}: {self.due_cents}"
