from django.apps import AppConfig


class VendorPortalConfig(AppConfig):
    name = "allies.vendor_portal"
    label = "vendor_portal"
    default_auto_field = "django.db.models.BigAutoField"
