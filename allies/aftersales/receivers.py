"""The after-sales app's hook receivers (registered in `AftersalesConfig.ready`)."""

from allies.aftersales.address_requests import (
    on_vendor_order_shipped as address_requests_on_shipped,
)
from allies.aftersales.cancellation_requests import (
    on_vendor_order_shipped as cancellation_requests_on_shipped,
)
from allies.aftersales.claims import claim_on_tracking_event, vendor_order_claims_open
from allies.aftersales.returns import (
    return_on_parcel_refused,
    return_on_tracking_event,
    vendor_order_after_sales_open,
)

__all__ = [
    "address_requests_on_shipped",
    "cancellation_requests_on_shipped",
    "claim_on_tracking_event",
    "return_on_parcel_refused",
    "return_on_tracking_event",
    "vendor_order_after_sales_open",
    "vendor_order_claims_open",
]
