from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _shown_row_changed(sender: Any, using: str | None = None, **kwargs: Any) -> None:
    from allies.core.page_cache import pages_changed

    pages_changed(using=using)


def _offer_changed(sender: Any, instance: Any, using: str | None = None, **kwargs: Any) -> None:
    """An offer shows on its product's page only (the listings show the product's summary,
    whose refresh says when it changed): that page's token, when the offer's variant and
    product are at hand (as `catalog.offers.offer_update` reads them); else every page's."""
    from allies.core.page_cache import pages_changed, product_pages_changed

    variant_field = type(instance)._meta.get_field("variant")
    variant = variant_field.get_cached_value(instance, default=None)
    product = (
        None
        if variant is None
        else variant._meta.get_field("product").get_cached_value(variant, default=None)
    )
    if product is None or variant.pk != instance.variant_id or product.pk != variant.product_id:
        pages_changed(using=using)
    else:
        product_pages_changed([product.slug], using=using)


class StorefrontConfig(AppConfig):
    name = "allies.storefront"

    def ready(self) -> None:
        # The anonymous page cache (core.page_cache) serves a page only until something it
        # may show changes: any saved or deleted row of what the storefront shows changes
        # every page's generation after the commit, but an offer, only its product's page.
        # Bulk writes (offers, stock, summaries) say what they changed themselves
        # (catalog.services, catalog.offers, checkout.services, shipping.services).
        from allies.catalog.models import Category, Offer, Product, Variant
        from allies.shipping.models import ShippingRate
        from allies.vendors.models import Vendor

        for model in (Category, Product, Variant, Vendor, ShippingRate):
            for signal in (post_save, post_delete):
                signal.connect(
                    _shown_row_changed, sender=model, dispatch_uid=f"page-cache-{model.__name__}"
                )
        for signal in (post_save, post_delete):
            signal.connect(_offer_changed, sender=Offer, dispatch_uid="page-cache-Offer")
