from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "allies.backoffice"
    label = "backoffice"
    verbose_name = _("Console du service client")
    default_auto_field = "django.db.models.BigAutoField"
