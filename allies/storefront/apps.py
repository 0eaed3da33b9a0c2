from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _shown_row_changed(sender: Any, using: str | None = None, **kwargs: Any) -> None:
    from allies.core.page_cache import pages_changed

    pages_changed(using=using)


class StorefrontConfig(AppConfig):
    name = "allies.storefront"

    def ready(self) -> None:
        # The anonymous page cache (core.page_cache) serves a page only until something it
        # may show changes: any saved or deleted row of what the storefront shows starts a
        # new generation after the commit. Bulk writes (offers, stock, summaries) call
        # `pages_changed` themselves (catalog.services, catalog.offers, shipping.services).
        from allies.catalog.models import Category, Offer, Product, Variant
        from allies.shipping.models import ShippingRate
        from allies.vendors.models import Vendor

        for model in (Category, Product, Variant, Offer, Vendor, ShippingRate):
            for signal in (post_save, post_delete):
                signal.connect(
                    _shown_row_changed, sender=model, dispatch_uid=f"page-cache-{model.__name__}"
                )
