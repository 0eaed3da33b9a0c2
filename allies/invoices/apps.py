from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    name = "allies.invoices"
    verbose_name = _("Factures")

    def ready(self) -> None:
        # Invoices sit above orders: they learn of refunds and shipments through hooks
        # (core.hooks).
        from allies.core.hooks import hook_register
        from allies.invoices.services import (
            credit_note_on_refund_recorded,
            invoice_on_vendor_order_shipped,
        )

        hook_register("refund_recorded", credit_note_on_refund_recorded)
        hook_register("vendor_order_shipped", invoice_on_vendor_order_shipped)
