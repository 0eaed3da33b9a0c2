"""The record of each erasure (GDPR art. 17): when, and what was removed.

The account row itself stays, anonymised, because the orders kept for the accounting law
point to it; this record tells staff why it has no name, and that it must never be reopened.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Erasure(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="erasure"
    )
    erased_at = models.DateTimeField(_("effacé le"))
    # What each part removed ({"addresses": 2, "messages": 5, …}): counts, never content.
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("effacement de données")
        verbose_name_plural = _("effacements de données")

    def __str__(self) -> str:
        return f"{self.user_id} ({self.erased_at:%Y-%m-%d})"
