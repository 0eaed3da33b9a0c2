"""Staff see every order; changes go through the services, so the admin only reads."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from allies.orders.models import Order, OrderEvent, OrderLine, Parcel, Shipment, VendorOrder


class VendorOrderInline(admin.TabularInline):
    model = VendorOrder
    extra = 0
    can_delete = False
    fields = (
        "vendor", "stage", "shipping_mode", "shipping_fee", "lines_total", "discount_share",
        "acceptance_deadline", "accepted_at", "overdue_flagged_at", "shipped_at", "delivered_at",
        "closed_at", "cancelled_at",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("Étape"))
    def stage(self, obj: VendorOrder) -> str:
        # Staff read the vendor's word ("À accepter", "À expédier"…), finer than the customer's.
        return obj.vendor_status_label


class EventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "actor_kind", "actor", "api_key", "vendor_order", "data")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("reference", "customer", "status", "total", "created_at")
    list_filter = ("status",)
    search_fields = ("reference", "customer__email")
    list_select_related = ("customer",)
    inlines = [VendorOrderInline, EventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OrderLine)
class OrderLineAdmin(admin.ModelAdmin):
    list_display = (
        "vendor_order", "product_title", "quantity", "unit_price", "status", "refunded_amount",
    )  # fmt: skip
    search_fields = ("vendor_order__order__reference", "product_title")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


class ParcelInline(admin.TabularInline):
    model = Parcel
    extra = 0
    can_delete = False
    fields = ("index", "tracking_number", "tracking_status", "tracking_updated_at", "delivered_at")
    readonly_fields = fields


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = (
        "vendor_order",
        "vendor",
        "carrier",
        "parcel_count",
        "shipped_at",
        "delivered_at",
    )
    list_filter = ("carrier",)
    search_fields = ("vendor_order__order__reference", "parcels__tracking_number")
    list_select_related = ("vendor_order__order", "vendor")
    inlines = [ParcelInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
