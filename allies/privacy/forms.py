"""The erasure confirmation: the current password (under the login throttle) and a tick."""

from django import forms
from django.utils.translation import gettext_lazy as _

from allies.accounts.forms import DeactivateForm


class ErasureForm(DeactivateForm):
    confirm = forms.BooleanField(
        label=_(
            "Je comprends que l'effacement est définitif et que je ne pourrai plus me connecter."
        ),
        error_messages={"required": _("Cochez la case pour confirmer l'effacement.")},
    )
