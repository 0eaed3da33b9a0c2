"""Returns (withdrawal, "rétractation", RET-1…6) and their items.

A `ReturnRequest` is one customer's request to send back units of ONE delivered vendor order,
made from the order's "Assistance en ligne": it opens a support thread (motif "Retour ou
rétractation") in which customer, vendor and the operator talk, and whose 48 h clock
escalates an unanswered request like any other. Its stage moves only through
`allies.aftersales.return_states`; every write is a service of `allies.aftersales.returns`.
`vendor_id` sits on every row a vendor owns.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allies.aftersales.return_states import RETURN_STAGES, ReturnStatus


class ReturnMethod(models.TextChoices):
    PREPAID_LABEL = "label", _("Bon de retour prépayé")
    OWN_CARRIER = "own", _("Envoi par mes soins, avec suivi")


class LabelPayer(models.TextChoices):
    """Who pays a prepaid return label (the vendor's policy, `Vendor.return_label_payer`,
    whose choices are the same)."""

    VENDOR = "vendor", _("Le vendeur")
    OPERATOR = "operator", _("Les Alliés")


class DeductionReason(models.TextChoices):
    """Why a vendor keeps part of a returned item's price (RET-3)."""

    USED = "used", _("Article porté ou utilisé")
    INCOMPLETE = "incomplete", _("Article incomplet")
    PACKAGING = "packaging", _("Emballage d'origine abîmé ou manquant")
    RETURN_COST = "return_cost", _("Frais de retour")


class RejectionReason(models.TextChoices):
    """Why a returned item is not refunded at all after inspection."""

    NOT_RESALEABLE = "not_resaleable", _("Article trop usé ou abîmé pour être revendu")
    WRONG_ITEM = "wrong_item", _("Ce n'est pas l'article vendu")
    OTHER = "other", _("Autre raison")


class ReturnRequest(models.Model):
    Status = ReturnStatus

    vendor_order = models.ForeignKey(
        "orders.VendorOrder",
        verbose_name=_("commande vendeur"),
        on_delete=models.PROTECT,
        related_name="returns",
    )
    vendor = models.ForeignKey(
        "vendors.Vendor", verbose_name=_("vendeur"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="returns",
    )
    thread = models.OneToOneField(
        "support.Thread",
        verbose_name=_("demande d'assistance"),
        on_delete=models.PROTECT,
        related_name="return_request",
    )
    status = models.CharField(
        _("état"), max_length=12, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED
    )
    # Within 14 calendar days of delivery: a legal withdrawal the vendor must accept; later,
    # a request it may refuse (RET-1). Fixed when the request is made.
    legal = models.BooleanField(_("rétractation légale"))
    withdrawal_until = models.DateField(_("fin du délai de rétractation"))
    comment = models.TextField(_("commentaire du client"), blank=True)
    # The vendor's answer.
    decided_at = models.DateTimeField(_("répondu le"), null=True, blank=True)
    refusal_reason = models.TextField(_("motif du refus"), blank=True)
    # Where the customer sends the parcel (a copy of the vendor's return address when it
    # accepted), and by when (RET-2: 14 calendar days after the acceptance).
    return_address = models.JSONField(_("adresse de retour"), null=True, blank=True)
    send_back_by = models.DateField(_("à renvoyer avant le"), null=True, blank=True)
    # The refund is due within 14 days of the withdrawal (L221-24), once the item is back.
    refund_due_by = models.DateField(_("à rembourser avant le"))
    # How the parcel travels: a prepaid label (RET-5: free in France) or the customer's
    # own carrier with a tracking number (RET-4: without one, a lost parcel is not refunded).
    method = models.CharField(
        _("mode de retour"), max_length=6, choices=ReturnMethod.choices, blank=True
    )
    label_payer = models.CharField(
        _("bon de retour payé par"), max_length=10, choices=LabelPayer.choices, blank=True
    )
    label_cost = models.DecimalField(
        _("coût du bon de retour"), max_digits=8, decimal_places=2, default=Decimal("0")
    )
    carrier = models.CharField(_("transporteur du retour"), max_length=30, blank=True)
    tracking_number = models.CharField(_("numéro de suivi du retour"), max_length=40, blank=True)
    label_issued_at = models.DateTimeField(_("bon émis le"), null=True, blank=True)
    sent_at = models.DateTimeField(_("renvoyé le"), null=True, blank=True)
    received_at = models.DateTimeField(_("reçu le"), null=True, blank=True)
    # The inspection's outcome.
    rejection_reason = models.CharField(
        _("motif de non-conformité"), max_length=20, choices=RejectionReason.choices, blank=True
    )
    inspection_note = models.TextField(_("note de contrôle"), blank=True)
    refund = models.ForeignKey(
        "payments.Refund",
        verbose_name=_("remboursement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    refunded_amount = models.DecimalField(
        _("montant remboursé"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    closed_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("retour")
        verbose_name_plural = _("retours")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The vendor's "Retours": by stage, the oldest first (the deadlines run from it).
            models.Index(fields=["vendor", "status", "created_at", "id"], name="return_vendor"),
            models.Index(fields=["vendor", "-created_at", "-id"], name="return_vendor_new"),
            models.Index(fields=["vendor", "updated_at"], name="return_vendor_upd"),
            # A carrier's event finds the return of a prepaid label.
            models.Index(
                fields=["tracking_number"], condition=~Q(tracking_number=""), name="return_tracking"
            ),
            # The sweep of accepted returns never sent.
            models.Index(
                fields=["send_back_by"], condition=Q(status="accepted"), name="return_to_expire"
            ),
        ]

    def __str__(self) -> str:
        return f"RET-{self.pk}"

    @property
    def reference(self) -> str:
        return f"RET-{self.pk:06d}"

    @property
    def vendor_status_label(self) -> str:
        return str(RETURN_STAGES[ReturnStatus(self.status)].vendor_label)

    @property
    def mirakl_state(self) -> str:
        return RETURN_STAGES[ReturnStatus(self.status)].mirakl

    @property
    def is_open(self) -> bool:
        return RETURN_STAGES[ReturnStatus(self.status)].open


class ReturnItem(models.Model):
    """Units of one order line sent back, and what the inspection decided for them."""

    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="items")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="return_items"
    )
    quantity = models.PositiveIntegerField(_("quantité"))
    # RET-3: what the vendor keeps of these units' price, and why.
    deduction = models.DecimalField(
        _("retenue"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    deduction_reason = models.CharField(
        _("motif de la retenue"), max_length=20, choices=DeductionReason.choices, blank=True
    )
    refunded_amount = models.DecimalField(
        _("montant remboursé"), max_digits=10, decimal_places=2, default=Decimal("0")
    )

    class Meta:
        verbose_name = _("article retourné")
        verbose_name_plural = _("articles retournés")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_item_quantity"),
            models.UniqueConstraint(fields=["request", "order_line"], name="return_item_line"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id}"
