"""Back-office views of payments: read-only. Money moves only through services (refunds are
rows created by `refund_create`, never edits of a paid amount)."""

from decimal import Decimal, InvalidOperation

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from allies.payments.models import (
    KycDocument,
    Payment,
    PaymentNotification,
    Refund,
    SandboxOperation,
    SandboxTransaction,
    VendorAccount,
    VendorAccountEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


REFUND_INLINE_FIELDS = (
    "created_at", "amount", "status", "sent_at", "provider_refund_id", "reason",
    "failure_message",
)  # fmt: skip


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = REFUND_INLINE_FIELDS
    readonly_fields = REFUND_INLINE_FIELDS

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
    """Every refund, newest first. Staff filter on "Échoué" to find the refunds the provider
    refused (the customer has not been paid back: their ledger reversal was cancelled), and
    search by order reference, payment reference or amount ("57,53")."""

    list_display = [
        "created_at",
        "order_reference",
        "amount",
        "status",
        "reason",
        "failure_message",
        "sent_at",
        "provider_refund_id",
    ]
    list_filter = ["status", "created_at"]
    search_fields = [
        "payment__order__reference",
        "payment__reference",
        "provider_refund_id",
        "idempotency_key",
    ]
    list_select_related = ["payment__order"]
    ordering = ["-created_at", "-id"]
    date_hierarchy = "created_at"

    @admin.display(description=_("Commande"), ordering="payment__order__reference")
    def order_reference(self, obj: Refund) -> str:
        return obj.payment.order.reference

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        amount = _amount(search_term)
        if amount is not None:
            results |= queryset.filter(amount=amount)
        return results, may_have_duplicates


def _amount(term: str) -> Decimal | None:
    """A search term read as an amount in euros ("57,53", "57.53 €"), else None."""
    text = term.replace("€", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.01")) if value.is_finite() else None


@admin.register(SandboxTransaction)
class SandboxTransactionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "checkout", "brand", "last4", "status", "failure_code"]
    list_filter = ["status"]


class VendorAccountEventInline(admin.TabularInline):
    model = VendorAccountEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "from_status", "to_status", "source", "actor", "note")
    readonly_fields = fields


class KycDocumentInline(admin.TabularInline):
    model = KycDocument
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "status", "original_name", "provider_document_id",
              "refusal_message", "sent_at")  # fmt: skip
    readonly_fields = fields


@admin.register(VendorAccount)
class VendorAccountAdmin(ReadOnlyAdmin):
    """Wallets change through `payments.accounts` only (provider calls, notifications); the
    full IBAN is not shown here either."""

    list_display = ["vendor", "gateway", "account_id", "status", "iban_masked", "iban_status",
                    "last_error", "updated_at"]  # fmt: skip
    list_filter = ["status", "iban_status", "gateway"]
    list_select_related = ["vendor"]
    search_fields = ["account_id", "vendor__name", "vendor__legal_name"]
    exclude = ["iban"]
    inlines = [KycDocumentInline, VendorAccountEventInline]


@admin.register(SandboxOperation)
class SandboxOperationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "reference", "account_id", "amount_cents", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["reference", "account_id"]
