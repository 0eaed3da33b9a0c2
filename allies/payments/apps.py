from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "allies.payments"
    verbose_name = _("Paiements et relevés")

    def ready(self) -> None:
        # The ledger sits above orders: it learns of refunds through hooks (core.hooks).
        from allies.core.hooks import hook_register
        from allies.payments.ledger import ledger_on_refund_failed, ledger_on_refund_recorded

        hook_register("refund_recorded", ledger_on_refund_recorded)
        hook_register("refund_failed", ledger_on_refund_failed)
