"""Back office of the ledger (PAY-2): every vendor's entries, read-only, with each vendor's
balance and the operator's side; commission rates per vendor and category, read-only (they
are set with their dates of effect in the console, `backoffice.commissions`, which never lets a
rate start in the past).

Entries are never added, changed or deleted here (a correction is a new entry written by
`allies.ledger.services`); the admin only lists and shows them.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from allies.core.admin import ReadableAutocompleteMixin
from allies.ledger.models import CommissionRate, LedgerEntry
from allies.ledger.selectors import operator_summary, vendor_balances


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    change_list_template = "ledger/admin_change_list.html"
    list_display = [
        "created_at",
        "vendor",
        "order_reference",
        "kind",
        "amount",
        "operator_amount",
        "base",
        "rate",
        "refund",
        "description",
    ]
    list_filter = [("vendor", admin.RelatedOnlyFieldListFilter), "kind"]
    search_fields = ["vendor_order__order__reference", "vendor__name", "description"]
    list_select_related = ["vendor", "vendor_order__order", "refund"]
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False
    actions = None

    @admin.display(description=_("commande"), ordering="vendor_order__order__reference")
    def order_reference(self, obj: LedgerEntry) -> str:
        return obj.vendor_order.order.reference

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            entries = context["cl"].queryset  # the filters of the page apply to the totals
            context["vendor_balances"] = vendor_balances(entries=entries)
            context["operator_summary"] = operator_summary(entries=entries)
        return response


@admin.register(CommissionRate)
class CommissionRateAdmin(ReadableAutocompleteMixin, admin.ModelAdmin):
    list_display = ["vendor", "category", "rate", "valid_from", "updated_at"]
    list_filter = ["category"]
    search_fields = ["vendor__name"]
    list_select_related = ["vendor", "category"]
    autocomplete_fields = ["vendor"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
