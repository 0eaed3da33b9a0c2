"""Payments: what the customer paid, what the provider told us, and money sent back or on.

- `Payment`: one attempt to pay one order through one gateway. Its status only changes in
  `services.py`, after the status was re-read from the provider (never from a redirect or a
  notification body alone). At most one live (pending or succeeded) payment per order: the
  database refuses a second one, so an order can never be paid twice.
- `PaymentNotification`: every provider notification as received, with what we did with it
  (audit trail and proof of idempotency).
- `Refund`: money sent back to the card. A refund is its own row; a paid amount is never
  edited. Pending and succeeded refunds together never exceed the captured amount.
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


# --- Vendors' payment accounts (wallet, KYC, bank account): PAY-1, issue 13 ----------------


class VendorAccount(models.Model):
    """A vendor's wallet at the payment provider, its KYC state and its bank account.

    One per vendor. Its status only moves through `allies.payments.account_states`
    (created → documents pending → validated | refused; refused → documents pending when a new
    document is sent; blocked while the provider blocks the wallet). `account_id` stays empty
    until the provider confirmed the wallet, and `iban_provider_id` until it registered the
    IBAN: `vendor_account_open` finishes whichever step is missing, so a provider that timed
    out leaves a row that a re-run completes.
    """

    class Status(models.TextChoices):
        CREATED = "created", _("Compte en cours d'ouverture")
        DOCUMENTS_PENDING = "documents_pending", _("Documents en attente")
        VALIDATED = "validated", _("Validé")
        REFUSED = "refused", _("Refusé")
        BLOCKED = "blocked", _("Bloqué par le prestataire de paiement")

    class IbanStatus(models.TextChoices):
        NONE = "none", _("Non enregistré")
        PENDING = "pending", _("En attente de vérification")
        VALIDATED = "validated", _("Validé")
        REFUSED = "refused", _("Refusé")

    vendor = models.OneToOneField(
        "vendors.Vendor", on_delete=models.PROTECT, related_name="payment_account"
    )
    gateway = models.CharField(max_length=20)
    account_id = models.CharField(_("portefeuille de paiement"), max_length=60, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATED)
    # Stored normalised: upper case, no spaces (FR7630006000011234567890189).
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    holder = models.CharField(_("titulaire du compte"), max_length=100, blank=True)
    iban_provider_id = models.CharField(max_length=64, blank=True)
    iban_status = models.CharField(
        max_length=10, choices=IbanStatus.choices, default=IbanStatus.NONE
    )
    # The company's legal representative, sent when the wallet is opened (LemonWay identifies
    # that person: names, nationality, birth). Copied from the vendor's application; empty for
    # accounts opened before it was asked, whose wallet then waits for it.
    representative_first_name = models.CharField(
        _("prénom du représentant légal"), max_length=100, blank=True
    )
    representative_last_name = models.CharField(
        _("nom du représentant légal"), max_length=100, blank=True
    )
    representative_nationality = models.CharField(
        _("nationalité du représentant légal"), max_length=2, blank=True
    )
    representative_birth_date = models.DateField(
        _("date de naissance du représentant légal"), null=True, blank=True
    )
    representative_birth_city = models.CharField(
        _("ville de naissance du représentant légal"), max_length=100, blank=True
    )
    representative_birth_country = models.CharField(
        _("pays de naissance du représentant légal"), max_length=2, blank=True
    )
    # The last provider failure (English, for staff): why a step is still to do.
    last_error = models.CharField(max_length=300, blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("compte de paiement vendeur")
        verbose_name_plural = _("comptes de paiement vendeurs")
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "account_id"],
                condition=~Q(account_id=""),
                name="payments_vendor_account_unique_wallet",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id or '-'} ({self.vendor_id}, {self.status})"

    @property
    def reference(self) -> str:
        """Our id of the wallet at the provider (LemonWay `accountId` we choose)."""
        return f"ALLIES-V{self.vendor_id:06d}"

    @property
    def iban_masked(self) -> str:
        from allies.payments.ibans import iban_mask

        return iban_mask(self.iban)


class VendorAccountEvent(models.Model):
    """The account's timeline: each status change, who or what caused it, and why."""

    account = models.ForeignKey(VendorAccount, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "provider" when a notification moved it, "" for a person (actor) or the system.
    source = models.CharField(max_length=20, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("événement du compte de paiement")
        verbose_name_plural = _("événements des comptes de paiement")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_status} -> {self.to_status}"


def _kyc_storage():  # a callable, so migrations do not freeze a path
    from allies.payments.storage import kyc_storage

    return kyc_storage()


class KycDocument(models.Model):
    """One KYC document sent for a vendor's wallet. A new upload of a kind is a new row; the
    latest row of each kind is the one that counts."""

    class Kind(models.TextChoices):
        KBIS = "kbis", _("Extrait Kbis")
        ID = "id", _("Pièce d'identité du dirigeant")
        RIB = "rib", _("RIB")

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de vérification")
        VALIDATED = "validated", _("Validé")
        REFUSED = "refused", _("Refusé")

    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.PROTECT, related_name="kyc_documents"
    )
    account = models.ForeignKey(VendorAccount, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Private storage (allies.payments.storage), named by a random id; never served publicly.
    file = models.FileField(storage=_kyc_storage, max_length=200)
    original_name = models.CharField(_("nom du fichier"), max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # Our id of the upload at the provider, and the provider's id of the document.
    reference = models.CharField(max_length=50, unique=True)
    provider_document_id = models.CharField(max_length=64, blank=True, db_index=True)
    # Set when the provider has the file; empty means still to send (a retry sends it).
    sent_at = models.DateTimeField(null=True, blank=True)
    refusal_message = models.CharField(_("motif du refus"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("document KYC")
        verbose_name_plural = _("documents KYC")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["vendor", "kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} of {self.vendor_id} ({self.status})"


class SandboxOperation(models.Model):
    """What the sandbox provider did for wallets: accounts, documents, IBANs, P2P, money-outs.

    Like a provider's own records: `fetch_transfer` / `fetch_money_out` re-read them by our
    reference. A repeated reference is NOT refused (each call is a new operation, as a
    careless provider would do), so tests can count what was really moved.
    """

    class Kind(models.TextChoices):
        ACCOUNT = "account", "account"
        DOCUMENT = "document", "document"
        IBAN = "iban", "iban"
        P2P = "p2p", "p2p"
        MONEY_OUT = "money_out", "money_out"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    reference = models.CharField(max_length=100, db_index=True)
    account_id = models.CharField(max_length=60, blank=True, db_index=True)
    target_id = models.CharField(max_length=64, blank=True)  # the IBAN id of a money-out
    status = models.CharField(max_length=10)  # pending / succeeded / failed
    amount_cents = models.PositiveIntegerField(default=0)
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("opération de test (bac à sable)")
        verbose_name_plural = _("opérations de test (bac à sable)")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.kind} {self.reference} ({self.status})"

    @property
    def provider_id(self) -> str:
        prefix = {
            "account": "SBXA",
            "document": "SBXD",
            "iban": "SBXI",
            "p2p": "SBXP",
            "money_out": "SBXM",
        }[self.kind]
        return f"{prefix}-{self.pk:08d}"
