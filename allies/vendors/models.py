"""Vendors: the independent sellers, their legal identity and the people who act for them."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from allies.core.links import reverse_one


class Vendor(models.Model):
    name = models.CharField(_("nom commercial"), max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    # Legal identity printed on invoices (INV-3).
    legal_name = models.CharField(_("raison sociale"), max_length=200)
    legal_form = models.CharField(_("forme juridique"), max_length=50, blank=True)
    share_capital = models.CharField(_("capital social"), max_length=50, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14)
    vat_number = models.CharField(_("numéro de TVA intracommunautaire"), max_length=20)
    street = models.CharField(_("adresse"), max_length=200)
    postcode = models.CharField(_("code postal"), max_length=10)
    city = models.CharField(_("ville"), max_length=100)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    # "RCS Paris" / the registry city: printed on invoices after the SIRET (INV-3).
    rcs_city = models.CharField(_("ville du RCS"), max_length=100, blank=True)
    # Where customers send returns (allies.aftersales); empty = the legal address.
    return_street = models.CharField(_("adresse de retour"), max_length=200, blank=True)
    return_postcode = models.CharField(_("code postal de retour"), max_length=10, blank=True)
    return_city = models.CharField(_("ville de retour"), max_length=100, blank=True)
    return_country = models.CharField(_("pays de retour"), max_length=2, blank=True)
    # The vendor's return policy (RET, ORD-5), shown to the customer before a return:
    # who pays the prepaid label of a withdrawal in France (RET-5: free for the customer
    # either way), whether the customer may send with their own carrier and tracking number
    # instead, and the return cost deducted when a customer refuses a parcel at delivery.
    return_label_payer = models.CharField(
        _("bon de retour prépayé payé par"),
        max_length=10,
        choices=[("vendor", _("Le vendeur")), ("operator", _("Les Alliés"))],
        default="vendor",
    )
    returns_own_carrier = models.BooleanField(
        _("le client peut renvoyer avec son propre transporteur"), default=True
    )
    refused_parcel_cost = models.DecimalField(
        _("frais de retour d'un colis refusé"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
    )
    # The wallet at the payment provider, its KYC and bank account: payments.VendorAccount.
    email = models.EmailField(_("email de contact"))
    # Where the order emails go (new order, late answer, invoice asked for…): one or more
    # addresses separated by commas; empty = the contact address. Read through
    # `order_email_addresses`; checked and normalised by `vendors.services.email_list_parse`.
    order_email_recipients = models.CharField(
        _("destinataires des emails de commande"), max_length=500, blank=True
    )
    # The language of every email sent to the vendor (order emails included).
    email_language = models.CharField(
        _("langue des emails"), max_length=2, choices=settings.LANGUAGES, default="fr"
    )
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    commission_rate = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0.15"))
    is_active = models.BooleanField(default=True)
    # Set by staff through `onboarding.services.vendor_suspend` (is_active then False: offers
    # hidden) and cleared by `vendor_reinstate`. A suspended vendor, unlike a closed one,
    # still handles its open orders in the portal.
    suspended_at = models.DateTimeField(_("suspendu le"), null=True, blank=True)
    suspension_reason = models.CharField(_("motif de la suspension"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("vendeur")
        verbose_name_plural = _("vendeurs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse_one("storefront:vendor", "slug", self.slug)

    @property
    def order_email_addresses(self) -> list[str]:
        """The addresses that receive the vendor's order emails (the contact one by default)."""
        chosen = [a.strip() for a in self.order_email_recipients.split(",") if a.strip()]
        return chosen or [self.email]


class VendorMembership(models.Model):
    """A user acting for a vendor; one vendor may have several users."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vendor_memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membre d'équipe vendeur")
        verbose_name_plural = _("membres d'équipe vendeur")
        constraints = [
            models.UniqueConstraint(fields=["vendor", "user"], name="vendors_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.vendor_id}"


class VendorApiKey(models.Model):
    """A secret a vendor's program sends as `Authorization: Bearer <key>` to the vendor API.

    Only a SHA-256 digest of the key is stored (keys are 32 random bytes, so a slow hash adds
    nothing); the key itself is shown once, when created. `prefix` (the first characters) lets
    the vendor tell its keys apart. A revoked key stays listed and never works again.
    """

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("nom"), max_length=80)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("clé d'API")
        verbose_name_plural = _("clés d'API")

    def __str__(self) -> str:
        return f"{self.vendor_id}: {self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
