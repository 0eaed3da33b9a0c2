"""Back-office views of payments: read-only. Money moves only through services (refunds are
rows created by `payment_refund`, never edits of a paid amount)."""

from django.contrib import admin

from allies.payments.models import (
    Payment,
    PaymentNotification,
    Refund,
    SandboxTransaction,
    VendorTransfer,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ["created_at", "amount", "status", "provider_refund_id", "reason", "failure_message"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "order",
        "gateway",
        "amount",
        "status",
        "failure_code",
        "created_at",
    ]
    list_filter = ["status", "gateway", "failure_code"]
    search_fields = ["reference", "order__reference", "provider_transaction_id"]
    list_select_related = ["order"]
    inlines = [RefundInline]


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "gateway", "provider_transaction_id", "outcome", "payment"]
    list_filter = ["gateway", "outcome"]
    search_fields = ["provider_transaction_id", "payment__reference"]
    list_select_related = ["payment"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "payment", "amount", "status", "provider_refund_id"]
    list_filter = ["status"]
    search_fields = ["payment__reference", "provider_refund_id", "idempotency_key"]
    list_select_related = ["payment"]


@admin.register(VendorTransfer)
class VendorTransferAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "payment", "vendor", "amount", "status", "provider_transfer_id"]
    list_filter = ["status", "gateway"]
    list_select_related = ["payment", "vendor"]


@admin.register(SandboxTransaction)
class SandboxTransactionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "checkout", "brand", "last4", "status", "failure_code"]
    list_filter = ["status"]


from allies.payments import ledger_admin  # noqa: E402,F401  (PAY-2: registers the ledger's admin)
