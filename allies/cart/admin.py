"""Staff manage discount codes here (CHK-5)."""

from django.contrib import admin

from allies.cart.models import DiscountCode
from allies.core.admin import ReadableAutocompleteMixin


@admin.register(DiscountCode)
class DiscountCodeAdmin(ReadableAutocompleteMixin, admin.ModelAdmin):
    list_display = (
        "code", "kind", "value", "valid_from", "valid_until", "minimum_amount", "max_uses",
        "max_uses_per_customer", "vendor", "category", "funded_by", "is_active",
    )  # fmt: skip
    list_filter = ("is_active", "kind", "funded_by")
    search_fields = ("code", "description")
    autocomplete_fields = ("vendor", "category")

    def save_model(self, request, obj, form, change):
        from allies.cart.discounts import normalize_code

        obj.code = normalize_code(obj.code)
        super().save_model(request, obj, form, change)
