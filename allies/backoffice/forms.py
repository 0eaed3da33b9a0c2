"""The console's forms: they parse and say what is missing; the rules are the services'."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from allies.support.models import Visibility

# The queue's filters, as the address shows them (French slugs) → the support selector's.
QUEUE_FILTERS: dict[str, tuple[str, Any]] = {
    "a-traiter": ("to_answer", _("À traiter")),
    "en-retard": ("late", _("En retard")),
    "transmises": ("escalated", _("Transmises au service client")),
    "formulaire": ("contact", _("Formulaire de contact")),
    "ouvertes": ("open", _("Ouvertes")),
    "resolues": ("resolved", _("Résolues")),
    "cloturees": ("closed", _("Clôturées")),
    "toutes": ("all", _("Toutes")),
}
MINE, NOBODY = "moi", "aucun"


class _ChoicesForm(forms.Form):
    def _choices(self, name: str) -> forms.ChoiceField:
        """A choice field whose choices are the reader's (agents, vendors, lines)."""
        return cast(forms.ChoiceField, self.fields[name])


class QueueFilterForm(_ChoicesForm):
    filtre = forms.ChoiceField(
        choices=[(slug, label) for slug, (_name, label) in QUEUE_FILTERS.items()], required=False
    )
    vendeur = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    agent = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, vendors: Any = (), agents: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("vendeur").choices = [("", _("Tous les vendeurs"))] + [
            (v.pk, v.name) for v in vendors
        ]
        self._choices("agent").choices = [
            ("", _("Tous les agents")),
            (MINE, _("Mes demandes")),
            (NOBODY, _("Non attribuées")),
        ] + [(str(a.pk), a.get_full_name() or a.email) for a in agents]


class MessageForm(forms.Form):
    destinataire = forms.ChoiceField(
        label=_("Destinataire"),
        choices=[
            (Visibility.PUBLIC, _("Répondre au client")),
            (Visibility.VENDOR, _("Écrire au vendeur")),
            (Visibility.INTERNAL, _("Note interne")),
        ],
        initial=Visibility.PUBLIC,
        widget=forms.RadioSelect,
    )
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}))


class AssignForm(_ChoicesForm):
    agent = forms.TypedChoiceField(label=_("Agent"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, agents: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("agent").choices = [("", _("Personne"))] + [
            (a.pk, a.get_full_name() or a.email) for a in agents
        ]


class StageForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("resolve", _("Résoudre")), ("close", _("Clôturer")), ("reopen", _("Rouvrir"))]
    )


class RefundForm(_ChoicesForm):
    articles = forms.TypedMultipleChoiceField(
        label=_("Articles à rembourser"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins un article à rembourser.")},
    )
    motif = forms.CharField(
        label=_("Motif du remboursement"),
        max_length=300,
        error_messages={"required": _("Indiquez le motif.")},
    )

    def __init__(self, *args: Any, lines: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("articles").choices = [(line.pk, line.product_title) for line in lines]


class CancelForm(forms.Form):
    motif = forms.CharField(
        label=_("Motif de l'annulation"),
        max_length=300,
        error_messages={"required": _("Indiquez le motif.")},
    )
