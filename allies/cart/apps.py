from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CartConfig(AppConfig):
    name = "allies.cart"
    verbose_name = _("Panier et codes de réduction")

    def ready(self) -> None:
        # accounts (a lower layer) logs customers in; the guest's cart follows them here.
        from allies.cart.services import cart_merge
        from allies.core.hooks import hook_register

        hook_register("customer_signed_in", cart_merge)
