from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "allies.reporting"
    verbose_name = _("Tableaux de bord")
