"""Each vendor's shipping rates: one row per (vendor, mode, zone) it delivers (CHK-4, VEN-1).

A vendor without an active row for a mode and a zone does not offer that mode there. The fee
of a shipment is computed by `shipping.engine` from a frozen copy of the row (`as_rule`);
the scheme is documented there (`RateRule`). Amounts are euros TTC.

Weight brackets, stored as JSON: a list ordered by weight, e.g.
    [{"up_to_kg": "2", "fee": "0"}, {"up_to_kg": "10", "fee": "3.50"},
     {"up_to_kg": "30", "fee": "9.00"}]
Each `fee` is a surcharge added to the base fee when the shipment's total weight is at most
`up_to_kg` (and above the previous bracket); beyond the last bracket, `per_kg_beyond` is
added for every kilogram started. Fees never decrease with weight (validated).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from allies.shipping.carriers import CARRIER_CHOICES
from allies.shipping.modes import ShippingMode
from allies.shipping.zones import ZONE_CHOICES

_ZERO = Decimal("0")


def _fee_field(label, **options) -> models.DecimalField:
    """A non-negative amount in euros TTC."""
    options.setdefault("default", _ZERO)
    return models.DecimalField(
        label, max_digits=8, decimal_places=2, validators=[MinValueValidator(_ZERO)], **options
    )


class ShippingRate(models.Model):
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.CASCADE, related_name="shipping_rates"
    )
    mode = models.CharField(_("mode de livraison"), max_length=10, choices=ShippingMode.choices)
    zone = models.CharField(_("zone de livraison"), max_length=10, choices=ZONE_CHOICES)
    carrier = models.CharField(_("transporteur"), max_length=30, choices=CARRIER_CHOICES)
    base_fee = models.DecimalField(
        _("frais de port (premier article)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(_ZERO)],
    )
    per_extra_item_fee = _fee_field(_("par article supplémentaire"))
    # Bulky products ship in several parcels (CAT-5): each parcel beyond one per article.
    per_extra_parcel_fee = _fee_field(_("par colis supplémentaire d'un article volumineux"))
    weight_brackets = models.JSONField(_("tranches de poids"), default=list, blank=True)
    per_kg_beyond = _fee_field(_("par kg au-delà de la dernière tranche"))
    # Heaviest parcel the mode accepts (relay points usually take up to 20–30 kg).
    max_parcel_weight_kg = models.DecimalField(
        _("poids maximal d'un colis (kg)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    free_shipping_threshold = models.DecimalField(
        _("livraison offerte dès (€)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(_ZERO)],
    )
    # Working days from the order's validation to delivery, preparation included.
    min_days = models.PositiveSmallIntegerField(_("délai minimal (jours ouvrés)"))
    max_days = models.PositiveSmallIntegerField(_("délai maximal (jours ouvrés)"))
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["vendor_id", "zone", "mode"]
        verbose_name = _("tarif de livraison")
        verbose_name_plural = _("tarifs de livraison")
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "mode", "zone"], name="shipping_rate_unique_vendor_mode_zone"
            ),
            models.CheckConstraint(
                condition=Q(min_days__lte=F("max_days")), name="shipping_rate_days_ordered"
            ),
            models.CheckConstraint(
                condition=Q(base_fee__gte=0)
                & Q(per_extra_item_fee__gte=0)
                & Q(per_extra_parcel_fee__gte=0)
                & Q(per_kg_beyond__gte=0),
                name="shipping_rate_fees_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(free_shipping_threshold__isnull=True)
                | Q(free_shipping_threshold__gte=0),
                name="shipping_rate_threshold_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor_id} {self.mode} {self.zone} {self.base_fee}"

    def clean(self) -> None:
        # The same checks as the service, so the admin form refuses what the service refuses.
        from allies.shipping.services import shipping_rate_errors

        errors = shipping_rate_errors(
            mode=self.mode,
            zone=self.zone,
            carrier=self.carrier,
            base_fee=self.base_fee,
            per_extra_item_fee=self.per_extra_item_fee,
            per_extra_parcel_fee=self.per_extra_parcel_fee,
            weight_brackets=self.weight_brackets,
            per_kg_beyond=self.per_kg_beyond,
            max_parcel_weight_kg=self.max_parcel_weight_kg,
            free_shipping_threshold=self.free_shipping_threshold,
            min_days=self.min_days,
            max_days=self.max_days,
        )
        if errors:
            raise ValidationError(errors)

    def as_rule(self):
        """A frozen, database-free copy for the engine."""
        from allies.shipping.engine import RateRule

        return RateRule.from_values(
            vendor_id=self.vendor_id,
            mode=self.mode,
            zone=self.zone,
            carrier=self.carrier,
            base_fee=self.base_fee,
            per_extra_item_fee=self.per_extra_item_fee,
            per_extra_parcel_fee=self.per_extra_parcel_fee,
            weight_brackets=self.weight_brackets,
            per_kg_beyond=self.per_kg_beyond,
            max_parcel_weight_kg=self.max_parcel_weight_kg,
            free_shipping_threshold=self.free_shipping_threshold,
            min_days=self.min_days,
            max_days=self.max_days,
        )
