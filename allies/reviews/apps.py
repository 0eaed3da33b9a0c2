from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "allies.reviews"
    verbose_name = _("Avis clients")

    def ready(self) -> None:
        from allies.core.hooks import hook_register
        from allies.reviews.receivers import review_invitation_send

        hook_register("vendor_order_delivered", review_invitation_send)
