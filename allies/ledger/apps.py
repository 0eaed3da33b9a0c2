from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "allies.ledger"
    verbose_name = _("Relevés et commissions")

    def ready(self) -> None:
        # The ledger sits above orders and payments: it learns of paid orders and of refunds
        # through hooks (allies.core.hooks), and writes its entries in their transactions.
        from allies.core.hooks import hook_register
        from allies.ledger.balances import balances_follow
        from allies.ledger.services import (
            ledger_on_order_paid,
            ledger_on_refund_failed,
            ledger_on_refund_recorded,
        )

        hook_register("order_paid", ledger_on_order_paid)
        hook_register("refund_recorded", ledger_on_refund_recorded)
        hook_register("refund_failed", ledger_on_refund_failed)
        # The vendor orders' balances keep their moment of delivery (the payout rule's).
        hook_register("vendor_orders_moved", balances_follow)
