"""The hook receivers the after-sales app registers (`AftersalesConfig.ready`)."""

from allies.aftersales.returns import return_on_tracking_event, vendor_order_after_sales_open

__all__ = ["return_on_tracking_event", "vendor_order_after_sales_open"]
