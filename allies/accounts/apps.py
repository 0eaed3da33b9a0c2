from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "allies.accounts"
    verbose_name = _("Comptes clients")
