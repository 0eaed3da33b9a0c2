"""Returns (withdrawal, "rétractation", RET-1…6) and after-sales claims (SAV-1…4).

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
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allies.aftersales.address_request_states import AddressRequestStatus
from allies.aftersales.cancellation_states import CancellationStatus
from allies.aftersales.claim_states import CLAIM_STAGES, ClaimStatus
from allies.aftersales.return_states import RETURN_STAGES, ReturnStatus
from allies.shipping.carriers import carrier_name


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
    # Null for a parcel refused at delivery: the carrier's event opened the return, nobody
    # wrote anything (ORD-5; `refused_shipment`).
    thread = models.OneToOneField(
        "support.Thread",
        verbose_name=_("demande d'assistance"),
        on_delete=models.PROTECT,
        related_name="return_request",
        null=True,
        blank=True,
    )
    refused_shipment = models.OneToOneField(
        "orders.Shipment",
        verbose_name=_("colis refusé à la livraison"),
        on_delete=models.PROTECT,
        related_name="refused_return",
        null=True,
        blank=True,
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
    # CS-1: the vendor accepts or refuses within 48 h of the request (its thread's first
    # clock; null for a refused parcel, which nobody asks).
    answer_due_at = models.DateTimeField(_("réponse attendue avant le"), null=True, blank=True)
    # The vendor's "Tous" list order (`return_states.list_sort_at`).
    list_sort_at = models.DateTimeField(default=timezone.now, editable=False)
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
            models.Index(fields=["vendor", "list_sort_at", "id"], name="return_vendor_all"),
            # "À contrôler" spans two stages: its own index keeps it in order.
            models.Index(
                fields=["vendor", "created_at", "id"],
                condition=Q(status__in=["received", "sent"]),  # as the list filters: sorted
                name="return_to_inspect",
            ),
            # The tabs' counts read only this index.
            models.Index(
                fields=["vendor", "status", "answer_due_at", "refund_due_by"],
                name="return_vendor_counts",
            ),
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


# --- after-sales claims ("demande de SAV", SAV-1…4) ----------------------------------------


class ClaimProblem(models.TextChoices):
    """What is wrong; the same codes as the thread's motifs (`support.models.Motif`)."""

    DAMAGED = "damaged", _("Article abîmé ou cassé")
    INCOMPLETE = "incomplete", _("Colis incomplet ou article manquant")
    NOT_AS_DESCRIBED = "not_as_described", _("Article non conforme (taille, couleur, modèle)")


class ClaimRemedy(models.TextChoices):
    """What the customer wants (SAV-1), in the help page's words."""

    REPLACEMENT = "replacement", _("Remplacement du produit")
    REFUND = "refund", _("Remboursement")
    MISSING_PARTS = "missing_parts", _("Réception des pièces manquantes")


class ClaimReturnMode(models.TextChoices):
    """How the item comes back, at the vendor's cost (SAV-3)."""

    LABEL = "label", _("Bon de retour prépayé")
    PICKUP = "pickup", _("Enlèvement à votre domicile")


class ClaimResolution(models.TextChoices):
    """How the vendor settled the claim (SAV-4)."""

    REFUND = "refund", _("Remboursement")
    REPLACEMENT = "replacement", _("Échange contre un produit neuf")
    REPAIR = "repair", _("Réparation")
    MISSING_PARTS = "missing_parts", _("Envoi des pièces manquantes")
    # SAV-4: a refund asked without defect, treated as a withdrawal, return costs deducted.
    WITHDRAWAL = "withdrawal", _("Remboursement comme une rétractation, frais de retour déduits")


class Claim(models.Model):
    """One customer's after-sales claim about items of ONE delivered vendor order: broken,
    incomplete or not as described (SAV-1). It opens a support thread with the problem's
    motif, whose clock for the vendor counts 48 business hours (SAV-2); its stage moves only
    through `allies.aftersales.claim_states`; every write is in `allies.aftersales.claims`."""

    Status = ClaimStatus

    vendor_order = models.ForeignKey(
        "orders.VendorOrder",
        verbose_name=_("commande vendeur"),
        on_delete=models.PROTECT,
        related_name="claims",
    )
    vendor = models.ForeignKey(
        "vendors.Vendor", verbose_name=_("vendeur"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="claims",
    )
    thread = models.OneToOneField(
        "support.Thread",
        verbose_name=_("demande d'assistance"),
        on_delete=models.PROTECT,
        related_name="claim",
    )
    status = models.CharField(
        _("état"), max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.REQUESTED
    )
    problem = models.CharField(_("problème"), max_length=20, choices=ClaimProblem.choices)
    remedy = models.CharField(_("solution souhaitée"), max_length=15, choices=ClaimRemedy.choices)
    # SAV-2: the vendor answers within 48 business hours (French public holidays excluded).
    answer_due_at = models.DateTimeField(_("réponse attendue avant le"))
    decided_at = models.DateTimeField(_("répondu le"), null=True, blank=True)
    refusal_reason = models.TextField(_("motif du refus"), blank=True)
    # SAV-3: how the item comes back, at the vendor's cost.
    return_mode = models.CharField(
        _("retour du produit"), max_length=6, choices=ClaimReturnMode.choices, blank=True
    )
    return_address = models.JSONField(_("adresse de retour"), null=True, blank=True)
    pickup_dates = models.JSONField(_("dates d'enlèvement proposées"), default=list, blank=True)
    pickup_date = models.DateField(_("date d'enlèvement choisie"), null=True, blank=True)
    return_cost = models.DecimalField(
        _("coût du retour (à la charge du vendeur)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
    )
    carrier = models.CharField(_("transporteur du retour"), max_length=30, blank=True)
    tracking_number = models.CharField(_("numéro de suivi du retour"), max_length=40, blank=True)
    label_issued_at = models.DateTimeField(_("bon émis le"), null=True, blank=True)
    received_at = models.DateTimeField(_("reçu le"), null=True, blank=True)
    # The inspection and the outcome (SAV-4).
    defect_confirmed = models.BooleanField(_("défaut confirmé"), null=True, blank=True)
    resolution = models.CharField(
        _("solution apportée"), max_length=15, choices=ClaimResolution.choices, blank=True
    )
    inspection_note = models.TextField(_("note d'expertise"), blank=True)
    # A replacement, a repaired item or missing parts: a new free shipment with tracking.
    reship_carrier = models.CharField(_("transporteur de l'envoi"), max_length=30, blank=True)
    reship_tracking_number = models.CharField(_("numéro de suivi de l'envoi"), max_length=40,
                                              blank=True)  # fmt: skip
    reshipped_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    reship_delivered_at = models.DateTimeField(_("envoi livré le"), null=True, blank=True)
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
    closed_at = models.DateTimeField(_("terminée le"), null=True, blank=True)
    # The vendor's "Toutes" list order (`return_states.list_sort_at`).
    list_sort_at = models.DateTimeField(default=timezone.now, editable=False)
    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("réclamation")
        verbose_name_plural = _("réclamations")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The vendor's "Réclamations": by stage, the oldest first (its deadlines run from it).
            models.Index(fields=["vendor", "status", "created_at", "id"], name="claim_vendor"),
            models.Index(fields=["vendor", "-created_at", "-id"], name="claim_vendor_new"),
            models.Index(fields=["vendor", "list_sort_at", "id"], name="claim_vendor_all"),
            models.Index(fields=["vendor", "status", "answer_due_at"], name="claim_vendor_counts"),
            models.Index(fields=["vendor", "updated_at"], name="claim_vendor_upd"),
            # A carrier's event finds the claim of a return label or of a replacement.
            models.Index(
                fields=["tracking_number"], condition=~Q(tracking_number=""), name="claim_tracking"
            ),
            models.Index(
                fields=["reship_tracking_number"],
                condition=~Q(reship_tracking_number=""),
                name="claim_reship_tracking",
            ),
        ]

    def __str__(self) -> str:
        return f"SAV-{self.pk}"

    @property
    def reference(self) -> str:
        return f"SAV-{self.pk:06d}"

    @property
    def vendor_status_label(self) -> str:
        return str(CLAIM_STAGES[ClaimStatus(self.status)].vendor_label)

    @property
    def mirakl_state(self) -> str:
        return CLAIM_STAGES[ClaimStatus(self.status)].mirakl

    @property
    def is_open(self) -> bool:
        return CLAIM_STAGES[ClaimStatus(self.status)].open

    @property
    def reship_carrier_name(self) -> str:
        return carrier_name(self.reship_carrier)

    @property
    def awaits_pickup_choice(self) -> bool:
        return (
            self.status == ClaimStatus.AWAITING_RETURN
            and self.return_mode == ClaimReturnMode.PICKUP
            and self.pickup_date is None
        )


class ClaimItem(models.Model):
    """Units of one order line the claim is about, with the customer's description."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="items")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="claim_items"
    )
    quantity = models.PositiveIntegerField(_("quantité"))
    description = models.TextField(_("description du problème"))
    refunded_amount = models.DecimalField(
        _("montant remboursé"), max_digits=10, decimal_places=2, default=Decimal("0")
    )

    class Meta:
        verbose_name = _("article réclamé")
        verbose_name_plural = _("articles réclamés")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="claim_item_quantity"),
            models.UniqueConstraint(fields=["claim", "order_line"], name="claim_item_line"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id}"


class ClaimPhoto(models.Model):
    """A photo of one claimed item (SAV-1: at least one per item). The file is an attachment
    of the claim's first message, kept by the support app's private storage."""

    item = models.ForeignKey(ClaimItem, on_delete=models.CASCADE, related_name="photos")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    attachment = models.OneToOneField(
        "support.Attachment", on_delete=models.CASCADE, related_name="claim_photo"
    )

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"photo {self.attachment_id} of claim item {self.item_id}"


# --- cancellation requests after the vendor's acceptance (ORD-5) ----------------------------


class CancellationRequest(models.Model):
    """The customer asks the vendor to cancel lines it accepted but has not shipped (ORD-5).
    It opens a support thread (motif "Annulation de la commande"); the vendor confirms it
    (the lines are cancelled and refunded by `orders.cancellations`) or refuses it, and a
    shipment of the vendor order refuses it at once (the parcel left). Its stage moves only
    through `allies.aftersales.cancellation_requests.cancellation_transition`."""

    Status = CancellationStatus

    vendor_order = models.ForeignKey(
        "orders.VendorOrder",
        verbose_name=_("commande vendeur"),
        on_delete=models.PROTECT,
        related_name="cancellation_requests",
    )
    vendor = models.ForeignKey(
        "vendors.Vendor", verbose_name=_("vendeur"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="cancellation_requests",
    )
    thread = models.OneToOneField(
        "support.Thread",
        verbose_name=_("demande d'assistance"),
        on_delete=models.PROTECT,
        related_name="cancellation_request",
    )
    status = models.CharField(
        _("état"),
        max_length=10,
        choices=CancellationStatus.choices,
        default=CancellationStatus.REQUESTED,
    )
    line_ids = models.JSONField(_("articles"), default=list)
    refusal_reason = models.TextField(_("motif du refus"), blank=True)
    refunded_amount = models.DecimalField(
        _("montant remboursé"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    decided_at = models.DateTimeField(_("répondu le"), null=True, blank=True)
    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("demande d'annulation")
        verbose_name_plural = _("demandes d'annulation")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["vendor_order"],
                condition=Q(status="requested"),
                name="cancel_request_open",
            ),
        ]

    def __str__(self) -> str:
        return f"cancellation request {self.pk}"


# --- delivery address change requests (ORD-6) -----------------------------------------------


class AddressHandler(models.TextChoices):
    VENDOR = "vendor", _("Le vendeur (avant expédition)")
    OPERATOR = "operator", _("Le service client (colis expédié)")


class AddressChangeRequest(models.Model):
    """The customer asks for a new delivery address once they may no longer edit it: past 24 h
    and before shipping, the vendor decides; once shipped, the operator has the carrier
    redirect the parcels (ORD-6, `allies.aftersales.address_requests`). It opens a support
    thread (motif "Modification de la commande ou de l'adresse de livraison")."""

    Status = AddressRequestStatus
    Handler = AddressHandler

    vendor_order = models.ForeignKey(
        "orders.VendorOrder",
        verbose_name=_("commande vendeur"),
        on_delete=models.PROTECT,
        related_name="address_requests",
    )
    vendor = models.ForeignKey(
        "vendors.Vendor", verbose_name=_("vendeur"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="address_requests",
    )
    thread = models.OneToOneField(
        "support.Thread",
        verbose_name=_("demande d'assistance"),
        on_delete=models.PROTECT,
        related_name="address_request",
    )
    handler = models.CharField(_("traitée par"), max_length=10, choices=AddressHandler.choices)
    status = models.CharField(
        _("état"),
        max_length=10,
        choices=AddressRequestStatus.choices,
        default=AddressRequestStatus.REQUESTED,
    )
    address = models.JSONField(_("nouvelle adresse"))
    refusal_reason = models.TextField(_("motif du refus"), blank=True)
    decided_at = models.DateTimeField(_("répondu le"), null=True, blank=True)
    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("demande de changement d'adresse")
        verbose_name_plural = _("demandes de changement d'adresse")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["vendor_order"],
                condition=Q(status="requested"),
                name="address_request_open",
            ),
        ]

    def __str__(self) -> str:
        return f"address request {self.pk}"
