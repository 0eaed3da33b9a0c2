from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "allies.onboarding"
    verbose_name = _("Candidatures vendeurs")
