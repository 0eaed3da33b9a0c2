"""Payouts (PAY-1): the vendor's available money moved to its wallet (P2P), then to its bank
account (money-out). The stages, the transition table and the one function that moves a
payout are in `allies/payouts/states.py`; the rule that says what money is available is the
selector `allies.payouts.selectors.vendor_payable`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PayoutRun(models.Model):
    """One pass over every vendor (the scheduled task, or a staff member's button)."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Planifié")
        STAFF = "staff", _("Lancé par l'équipe")

    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    vendors_seen = models.PositiveIntegerField(default=0)
    payouts_made = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    errors = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("passage de virements")
        verbose_name_plural = _("passages de virements")

    def __str__(self) -> str:
        return f"run {self.pk} ({self.started_at:%Y-%m-%d %H:%M})"


class Payout(models.Model):
    """One vendor's payout: a P2P to its wallet, then a money-out to its IBAN.

    `transfer_reference` and `money_out_reference` are our ids for each step at the provider
    (unique): a retry re-reads the step by its reference before doing it again.
    """

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="payouts")
    run = models.ForeignKey(
        PayoutRun, null=True, blank=True, on_delete=models.PROTECT, related_name="payouts"
    )
    # Stages: see allies/payouts/states.py.
    status = models.CharField(max_length=20, db_index=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    amount_cents = models.PositiveIntegerField()
    # The bank account paid, masked (FR76 •••• 0189), as it was at the payout.
    iban_masked = models.CharField(max_length=40, blank=True)
    transfer_reference = models.CharField(max_length=50, unique=True)
    transfer_provider_id = models.CharField(max_length=64, blank=True)
    money_out_reference = models.CharField(max_length=50, unique=True)
    money_out_provider_id = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    transferred_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("virement au vendeur")
        verbose_name_plural = _("virements aux vendeurs")
        indexes = [models.Index(fields=["vendor", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payout_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"payout {self.pk} {self.amount} to {self.vendor_id} ({self.status})"
