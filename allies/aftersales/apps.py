from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "allies.aftersales"
    verbose_name = _("Retours et SAV")

    def ready(self) -> None:
        from allies.aftersales.receivers import (
            return_on_tracking_event,
            vendor_order_after_sales_open,
        )
        from allies.core.hooks import hook_register

        hook_register("tracking_event_unmatched", return_on_tracking_event)
        hook_register("vendor_order_after_sales_open", vendor_order_after_sales_open)
