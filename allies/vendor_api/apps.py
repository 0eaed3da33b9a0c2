from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VendorApiConfig(AppConfig):
    name = "allies.vendor_api"
    verbose_name = _("API des vendeurs")
    label = "vendor_api"
    default_auto_field = "django.db.models.BigAutoField"
