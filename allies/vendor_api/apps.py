from django.apps import AppConfig


class VendorApiConfig(AppConfig):
    name = "allies.vendor_api"
    label = "vendor_api"
    default_auto_field = "django.db.models.BigAutoField"
