"""Vendor onboarding: a company's application to sell ("Devenir vendeur"), its review
timeline, and the record of vendors suspended and reinstated by staff.

An application holds what the vendor will be made of on approval (the same legal identity
fields as `vendors.Vendor`), the contact person who becomes its first user, the categories
and sample products staff judge it by, and what its provider wallet gets: the bank account
and the company's legal representative (the person the payment provider identifies). Its
stage only moves through `onboarding.states.application_transition`, which writes an
`ApplicationEvent` (who, when, why) for each move.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ApplicationStage(models.TextChoices):
    SUBMITTED = "submitted", _("Reçue")
    CHANGES_REQUESTED = "changes", _("Modifications demandées")
    RESUBMITTED = "resubmitted", _("Modifiée, à revoir")
    APPROVED = "approved", _("Acceptée")
    REJECTED = "rejected", _("Refusée")


# Still open: a company has at most one of these (by SIRET, and by contact email).
PENDING_STAGES = (
    ApplicationStage.SUBMITTED,
    ApplicationStage.CHANGES_REQUESTED,
    ApplicationStage.RESUBMITTED,
)


class VendorApplication(models.Model):
    stage = models.CharField(
        _("étape"),
        max_length=12,
        choices=ApplicationStage.choices,
        default=ApplicationStage.SUBMITTED,
    )
    # --- the company: the fields of vendors.Vendor it becomes --------------------------------
    name = models.CharField(_("nom commercial"), max_length=120)
    legal_name = models.CharField(_("raison sociale"), max_length=200)
    legal_form = models.CharField(_("forme juridique"), max_length=50, blank=True)
    share_capital = models.CharField(_("capital social"), max_length=50, blank=True)
    # France: the 14-digit SIRET; Belgium: the 10-digit enterprise number (BCE). Compacted.
    siret = models.CharField(_("SIRET ou numéro d'entreprise"), max_length=14)
    vat_number = models.CharField(_("numéro de TVA intracommunautaire"), max_length=20)
    rcs_city = models.CharField(_("ville du RCS"), max_length=100, blank=True)
    street = models.CharField(_("adresse"), max_length=200)
    postcode = models.CharField(_("code postal"), max_length=10)
    city = models.CharField(_("ville"), max_length=100)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    # --- the contact person: the vendor's first user ---------------------------------------
    contact_first_name = models.CharField(_("prénom"), max_length=100)
    contact_last_name = models.CharField(_("nom"), max_length=100)
    contact_email = models.EmailField(_("email"), max_length=254)
    contact_phone = models.CharField(_("téléphone"), max_length=30)
    # --- the legal representative (copied to the provider wallet on approval) ------------
    # Blank only on applications sent before it was asked: they cannot be approved until the
    # company completes them (staff ask for changes).
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
    # --- what it would sell ---------------------------------------------------------------
    categories = models.ManyToManyField(
        "catalog.Category", related_name="+", verbose_name=_("catégories")
    )
    sample_products = models.TextField(_("exemples de produits"), max_length=3000)
    message = models.TextField(_("message"), max_length=3000, blank=True)
    # --- where it is paid (copied to the provider wallet on approval) ----------------------
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11)
    account_holder = models.CharField(_("titulaire du compte"), max_length=100)
    # --- review ---------------------------------------------------------------------------
    # How many times staff asked for changes: an edit link carries the round it was sent
    # for, so only the latest link works.
    changes_round = models.PositiveSmallIntegerField(default=0)
    language = models.CharField(max_length=2, choices=settings.LANGUAGES, default="fr")
    vendor = models.OneToOneField(
        "vendors.Vendor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="application",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("candidature vendeur")
        verbose_name_plural = _("candidatures vendeurs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["stage", "created_at"])]
        constraints = [
            # Two open applications of one company cannot both be written (a double click,
            # two tabs): the database refuses the second one.
            models.UniqueConstraint(
                fields=["siret"],
                condition=Q(stage__in=PENDING_STAGES),
                name="onboarding_one_pending_application_per_siret",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_stage_display()})"

    @property
    def contact_name(self) -> str:
        return f"{self.contact_first_name} {self.contact_last_name}".strip()

    @property
    def representative_name(self) -> str:
        return f"{self.representative_first_name} {self.representative_last_name}".strip()

    @property
    def is_pending(self) -> bool:
        return self.stage in PENDING_STAGES


class ApplicationEvent(models.Model):
    """The application's timeline: each stage change, who made it and the note sent."""

    application = models.ForeignKey(
        VendorApplication, on_delete=models.CASCADE, related_name="events"
    )
    from_stage = models.CharField(max_length=12, blank=True, choices=ApplicationStage.choices)
    to_stage = models.CharField(max_length=12, choices=ApplicationStage.choices)
    # None: the applicant (submitting or editing through the emailed link).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("événement de candidature")
        verbose_name_plural = _("événements de candidature")

    def __str__(self) -> str:
        return f"application {self.application_id}: {self.from_stage} → {self.to_stage}"


class VendorStatusEvent(models.Model):
    """A vendor suspended or reinstated by staff: who, when, why (the audit trail of
    `Vendor.suspended_at`)."""

    class Action(models.TextChoices):
        SUSPENDED = "suspended", _("Suspendu")
        REINSTATED = "reinstated", _("Rétabli")

    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.CASCADE, related_name="status_events"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("suspension de vendeur")
        verbose_name_plural = _("suspensions de vendeurs")

    def __str__(self) -> str:
        return f"vendor {self.vendor_id}: {self.action}"
