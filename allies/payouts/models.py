"""Payouts (PAY-1): the vendor's available money moved to its wallet (P2P), then to its bank
account (money-out). The stages, the transition table and the one function that moves a
payout are in `allies/payouts/states.py`; the rule that says what money is available is the
selector `allies.payouts.selectors.vendor_payable`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allies.payouts.states import OPEN_STATUSES, PayoutEventKind, PayoutStatus


class PayoutRun(models.Model):
    """One pass over every vendor (the scheduled task, or a staff member's button)."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Planifié")
        STAFF = "staff", _("Lancé par l'équipe")

    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    # The day a scheduled run is for (local date): unique, so two sweeps started at once
    # cannot both run the day's payouts. Empty for staff runs.
    scheduled_for = models.DateField(null=True, blank=True, unique=True)
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
    status = models.CharField(
        max_length=20, db_index=True, choices=PayoutStatus.choices, default=PayoutStatus.PENDING
    )
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
    # Who holds the payout's next provider call, until when: a run takes it with one
    # conditional UPDATE before calling the provider (never inside a row lock), so two runs
    # never call the provider for the same step at once; a run that died frees it by expiry.
    claimed_until = models.DateTimeField(null=True, blank=True)
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
            # Never two open payouts for one vendor (OPEN_STATUSES of states.py: a payout
            # whose money has not reached the bank account yet, or is to retry).
            models.UniqueConstraint(
                fields=["vendor"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="payout_one_open_per_vendor",
            ),
        ]

    def __str__(self) -> str:
        return f"payout {self.pk} {self.amount} to {self.vendor_id} ({self.status})"


class PayoutLine(models.Model):
    """One vendor order a payout pays, with its net frozen when the payout was created.

    The payout's amount is the sum of its lines; once the P2P succeeded, each line becomes
    one `payout` ledger entry of −amount (a debt line, negative, becomes a positive entry).
    """

    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="lines")
    vendor_order = models.ForeignKey(
        "orders.VendorOrder", on_delete=models.PROTECT, related_name="payout_lines"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        verbose_name = _("ligne de virement")
        verbose_name_plural = _("lignes de virement")
        constraints = [
            models.UniqueConstraint(
                fields=["payout", "vendor_order"], name="payout_line_one_per_vendor_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payout_id}/{self.vendor_order_id}: {self.amount}"


class PayoutEvent(models.Model):
    """The payout's timeline (audit log): each stage change and each provider attempt, who or
    what did it, and the provider's answer. Written only by `states.payout_transition` and
    `states.payout_event_add`."""

    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=PayoutEventKind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    # Who acted (orders.events.Actor): staff with its user, or the system (scheduled run).
    actor_kind = models.CharField(max_length=12, default="system")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("événement de virement")
        verbose_name_plural = _("événements de virement")

    def __str__(self) -> str:
        return f"{self.payout_id}: {self.kind}"
