from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "allies.orders"
    verbose_name = _("Commandes")

    def ready(self) -> None:
        # payments (a lower layer) reports on an order's payment through hooks.
        from allies.core.hooks import hook_register
        from allies.orders.payment_receivers import (
            order_on_payment_failed,
            order_on_payment_succeeded,
        )
        from allies.orders.revisions import post_migrate_ensure

        hook_register("payment_succeeded", order_on_payment_succeeded)
        hook_register("payment_failed", order_on_payment_failed)
        # The revision triggers survive Django's SQLite table rebuilds.
        post_migrate.connect(post_migrate_ensure, sender=self, dispatch_uid="orders-revisions")
