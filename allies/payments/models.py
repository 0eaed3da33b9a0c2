"""Payments: what the customer paid, what the provider told us, and money sent back or on.

- `Payment`: one attempt to pay one order through one gateway. Its status only changes in
  `services.py`, after the status was re-read from the provider (never from a redirect or a
  notification body alone). At most one live (pending or succeeded) payment per order: the
  database refuses a second one, so an order can never be paid twice.
- `PaymentNotification`: every provider notification as received, with what we did with it
  (audit trail and proof of idempotency).
- `Refund`: money sent back to the card. A refund is its own row; a paid amount is never
  edited. Pending and succeeded refunds together never exceed the captured amount.
- `VendorTransfer`: a vendor's share moved from the marketplace wallet to the vendor's wallet
  (LemonWay P2P). The sandbox records it without moving anything.
- `SandboxCheckout` / `SandboxTransaction`: the in-process test provider's own records (its
  "bank side"). The sandbox gateway re-reads them like a real provider's API.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        SUCCEEDED = "succeeded", _("Payé")
        FAILED = "failed", _("Échoué")
        CANCELLED = "cancelled", _("Annulé")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(max_length=20)
    # Euros TTC as shown to the customer, and the same in integer cents as sent to providers.
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Our unique id of the attempt, sent to the provider (LemonWay `reference`) and echoed
    # back on the return URLs as `response_wkToken`.
    reference = models.CharField(max_length=50, unique=True)
    # The provider's token for its hosted page (LemonWay `webKitToken` / moneyintoken).
    webkit_token = models.CharField(max_length=256, blank=True, db_index=True)
    provider_transaction_id = models.CharField(max_length=64, blank=True, db_index=True)
    redirect_url = models.CharField(max_length=1000, blank=True)
    return_url = models.CharField(max_length=1000)
    error_url = models.CharField(max_length=1000)
    cancel_url = models.CharField(max_length=1000)
    # Why it failed: a stable code, and the customer-facing message (French source) given.
    failure_code = models.CharField(max_length=40, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=["pending", "succeeded"]),
                name="payments_one_live_payment_per_order",
            ),
            models.UniqueConstraint(
                fields=["gateway", "provider_transaction_id"],
                condition=~Q(provider_transaction_id=""),
                name="payments_unique_provider_transaction",
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="payments_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.gateway}, {self.status})"

    @property
    def customer_message(self) -> str:
        from allies.payments.messages import outcome_message

        return outcome_message(status=self.status, failure_code=self.failure_code)


class PaymentNotification(models.Model):
    class Outcome(models.TextChoices):
        RECEIVED = "received", _("Reçue")
        APPLIED = "applied", _("Appliquée")
        DUPLICATE = "duplicate", _("Déjà traitée")
        PENDING = "pending", _("Paiement toujours en attente")
        MISMATCH = "mismatch", _("Contredite par le prestataire")
        UNKNOWN = "unknown", _("Transaction inconnue")
        INVALID = "invalid", _("Illisible")
        IGNORED = "ignored", _("Catégorie ignorée")
        ERROR = "error", _("Vérification impossible")

    gateway = models.CharField(max_length=20)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    refund = models.ForeignKey(
        "Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    provider_transaction_id = models.CharField(max_length=64, blank=True, db_index=True)
    payload = models.JSONField(default=dict)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RECEIVED)
    detail = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("notification de paiement")
        verbose_name_plural = _("notifications de paiement")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.gateway} {self.provider_transaction_id} {self.outcome}"


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En cours")
        SUCCEEDED = "succeeded", _("Remboursé")
        FAILED = "failed", _("Échoué")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    amount_cents = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    provider_refund_id = models.CharField(max_length=64, blank=True, db_index=True)
    reason = models.CharField(max_length=300)
    # Same key, same refund: a retried call never refunds twice.
    idempotency_key = models.CharField(max_length=100, unique=True)
    failure_message = models.CharField(max_length=300, blank=True)
    # When the provider was first asked to pay it back (claimed under the row lock, so it is
    # asked at most once): a row without it was written but never sent (a crash between
    # the commit and the call) and is sent by `refunds_unsent_send`.
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("remboursement")
        verbose_name_plural = _("remboursements")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="refunds_amount_positive")
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="payments_refund_status")]

    def __str__(self) -> str:
        return f"refund {self.amount_cents}c of {self.payment.reference} ({self.status})"


class VendorTransfer(models.Model):
    """A vendor's share moved to the vendor's wallet (LemonWay P2P); recorded only in sandbox."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En cours")
        SUCCEEDED = "succeeded", _("Effectué")
        FAILED = "failed", _("Échoué")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="transfers")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    gateway = models.CharField(max_length=20)
    credit_account_id = models.CharField(max_length=256)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    amount_cents = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    provider_transfer_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    comment = models.CharField(max_length=140, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("virement au vendeur")
        verbose_name_plural = _("virements aux vendeurs")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="vendor_transfers_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"transfer {self.amount_cents}c to {self.credit_account_id} ({self.status})"


# --- The sandbox provider's own records -------------------------------------------------


class SandboxCheckout(models.Model):
    """A hosted-page session opened by `start` (LemonWay's web-init token, in the sandbox)."""

    class Status(models.TextChoices):
        OPEN = "open", "open"
        USED = "used", "used"  # a card was accepted for processing: see the transaction
        CANCELLED = "cancelled", "cancelled"  # the buyer left from the card page
        EXPIRED = "expired", "expired"  # the merchant abandoned it

    token = models.CharField(max_length=64, unique=True)
    reference = models.CharField(max_length=50, unique=True)
    amount_cents = models.PositiveIntegerField()
    label = models.CharField(max_length=100, blank=True)
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    return_url = models.CharField(max_length=1000)
    error_url = models.CharField(max_length=1000)
    cancel_url = models.CharField(max_length=1000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("paiement de test (bac à sable)")
        verbose_name_plural = _("paiements de test (bac à sable)")

    def __str__(self) -> str:
        return f"sandbox checkout {self.reference} ({self.status})"


class SandboxTransaction(models.Model):
    """What the sandbox bank did with a submitted card. Created only for a card it processed."""

    class Status(models.TextChoices):
        CHALLENGE = "challenge", "challenge"  # 3-D Secure code awaited
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        CANCELLED = "cancelled", "cancelled"

    checkout = models.OneToOneField(
        SandboxCheckout, on_delete=models.CASCADE, related_name="transaction"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    failure_code = models.CharField(max_length=40, blank=True)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    amount_cents = models.PositiveIntegerField()
    refunded_cents = models.PositiveIntegerField(default=0)
    refund_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("transaction de test (bac à sable)")
        verbose_name_plural = _("transactions de test (bac à sable)")

    def __str__(self) -> str:
        return f"{self.provider_id} {self.brand} {self.last4} ({self.status})"

    @property
    def provider_id(self) -> str:
        return f"SBX-{self.pk:08d}"
