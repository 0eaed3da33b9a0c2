"""Staff: invoices (read only), vendors' invoicing mode, and the invoice requests to chase.

"Demandes de facture" filtered on "En retard" lists every request whose 48 business hours are
over while the vendor has not provided the invoice (INV-2).
"""

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allies.invoices.models import Invoice, InvoiceRequest, VendorInvoicing


class OverdueFilter(admin.SimpleListFilter):
    title = _("délai")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [
            ("yes", _("En retard")),
            ("pending", _("En attente, dans les délais")),
            ("done", _("Fournie")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(fulfilled_at=None, due_at__lt=now)
        if self.value() == "pending":
            return queryset.filter(fulfilled_at=None, due_at__gte=now)
        if self.value() == "done":
            return queryset.filter(~Q(fulfilled_at=None))
        return queryset


@admin.register(InvoiceRequest)
class InvoiceRequestAdmin(admin.ModelAdmin):
    list_display = (
        "order_reference", "vendor", "requested_at", "due_at", "fulfilled_at", "overdue",
    )  # fmt: skip
    list_filter = (OverdueFilter, "vendor")
    list_select_related = ("vendor", "vendor_order__order")
    search_fields = ("vendor_order__order__reference", "vendor__name")
    ordering = ("due_at",)
    date_hierarchy = "due_at"

    @admin.display(description=_("commande"), ordering="vendor_order__order__reference")
    def order_reference(self, obj):
        return obj.vendor_order.order.reference

    @admin.display(description=_("en retard"), boolean=True)
    def overdue(self, obj):
        return obj.is_overdue

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "source", "vendor", "order_reference", "issued_at",
                    "total_ttc")  # fmt: skip
    list_filter = ("kind", "source", "vendor")
    list_select_related = ("vendor", "vendor_order__order")
    search_fields = ("number", "vendor_order__order__reference", "vendor__name")
    date_hierarchy = "issued_at"

    @admin.display(description=_("commande"), ordering="vendor_order__order__reference")
    def order_reference(self, obj):
        return obj.vendor_order.order.reference

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    # Issued invoices are legal records: never added, changed or deleted by hand.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(VendorInvoicing)
class VendorInvoicingAdmin(admin.ModelAdmin):
    list_display = ("vendor", "mode", "updated_at")
    list_filter = ("mode",)
    list_select_related = ("vendor",)
    raw_id_fields = ("vendor",)
