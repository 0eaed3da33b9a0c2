from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpcenterConfig(AppConfig):
    name = "allies.helpcenter"
    verbose_name = _("Centre d'aide")
