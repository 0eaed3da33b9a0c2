"""The cart (one per customer, or per session for a guest) and discount codes (CHK-5)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Cart(models.Model):
    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="cart",
    )  # fmt: skip
    session_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    discount_code = models.ForeignKey(
        "DiscountCode", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Until when the customer's unpaid order holds the units in `CartLine.held_quantity`
    # (written by the checkout when it places or resumes that order): the cart counts them
    # as available to this customer, not as gone.
    held_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("panier")
        verbose_name_plural = _("paniers")

    def __str__(self) -> str:
        return f"cart {self.pk} ({self.customer_id or 'guest'})"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    offer = models.ForeignKey("catalog.Offer", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    # The price when the item was added: a later change is shown to the customer.
    price_when_added = models.DecimalField(max_digits=10, decimal_places=2)
    # Units taken from the offer's stock for the customer's unpaid order (see Cart.held_until).
    held_quantity = models.PositiveIntegerField(default=0)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ligne de panier")
        verbose_name_plural = _("lignes de panier")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "offer"], name="cart_line_unique_offer")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × offer {self.offer_id}"


class DiscountCode(models.Model):
    class Kind(models.TextChoices):
        PERCENT = "percent", _("Pourcentage")
        AMOUNT = "amount", _("Montant fixe")

    class FundedBy(models.TextChoices):
        OPERATOR = "operator", _("Opérateur")
        VENDOR = "vendor", _("Vendeur")

    code = models.CharField(_("code"), max_length=40, unique=True)  # stored upper-case
    description = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Percent (e.g. 10 for 10 %) or an amount in euros TTC.
    value = models.DecimalField(max_digits=10, decimal_places=2)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    minimum_amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    max_uses_per_customer = models.PositiveIntegerField(null=True, blank=True, default=1)
    vendor = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        "catalog.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    funded_by = models.CharField(max_length=10, choices=FundedBy.choices, default=FundedBy.OPERATOR)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("code de réduction")
        verbose_name_plural = _("codes de réduction")

    def __str__(self) -> str:
        return self.code
