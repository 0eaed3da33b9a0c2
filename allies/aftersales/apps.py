from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "allies.aftersales"
    verbose_name = _("Retours et SAV")

    def ready(self) -> None:
        from allies.aftersales.receivers import (
            address_requests_on_shipped,
            cancellation_requests_on_shipped,
            claim_on_tracking_event,
            return_on_parcel_refused,
            return_on_tracking_event,
            vendor_order_after_sales_open,
            vendor_order_claims_open,
        )
        from allies.core.hooks import hook_register

        hook_register("tracking_event_unmatched", return_on_tracking_event)
        hook_register("tracking_event_unmatched", claim_on_tracking_event)
        hook_register("vendor_order_after_sales_open", vendor_order_after_sales_open)
        hook_register("vendor_order_after_sales_open", vendor_order_claims_open)
        hook_register("vendor_order_shipped", cancellation_requests_on_shipped)
        hook_register("vendor_order_shipped", address_requests_on_shipped)
        hook_register("parcel_refused", return_on_parcel_refused)
