"""Back office for vendors' shipping rates (operator staff helping a vendor set them up).

The admin form runs `ShippingRate.clean`, i.e. the same checks as `services.shipping_rate_save`
(the vendor portal's path), so both refuse the same values.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from allies.shipping.models import ShippingRate


@admin.register(ShippingRate)
class ShippingRateAdmin(admin.ModelAdmin):
    list_display = (
        "vendor",
        "zone",
        "mode",
        "carrier",
        "base_fee",
        "per_extra_item_fee",
        "free_shipping_threshold",
        "min_days",
        "max_days",
        "is_active",
    )
    list_filter = ("zone", "mode", "carrier", "is_active")
    list_select_related = ("vendor",)
    search_fields = ("vendor__name", "vendor__slug")
    raw_id_fields = ("vendor",)
    ordering = ("vendor__name", "zone", "mode")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("vendor", "zone", "mode", "carrier", "is_active")}),
        (
            _("Frais de port"),
            {
                "fields": (
                    "base_fee",
                    "per_extra_item_fee",
                    "per_extra_parcel_fee",
                    "weight_brackets",
                    "per_kg_beyond",
                    "max_parcel_weight_kg",
                    "free_shipping_threshold",
                ),
                "description": _(
                    "Tranches de poids : une liste JSON du plus léger au plus lourd, par "
                    'exemple [{"up_to_kg": "2", "fee": "0"}, {"up_to_kg": "10", "fee": "3.50"}]'
                    " ; chaque montant s'ajoute aux frais de base."
                ),
            },
        ),
        (_("Délai de livraison"), {"fields": ("min_days", "max_days")}),
        (None, {"fields": ("created_at", "updated_at")}),
    )
