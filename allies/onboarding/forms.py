"""Form fields of onboarding that other pages embed: the company's legal representative.

`LegalRepresentativeFields` is mixed into the "Devenir vendeur" application form (and its
edit page); `onboarding/_legal_representative_fields.html` renders them. The fields only
parse (a date, a country of the list); the rules are `payments.accounts.representative_errors`,
applied by the services, whose messages the required-field messages repeat.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from allies.core.world_countries import world_country_choices
from allies.payments.accounts import (
    ADULT_AGE,
    OLDEST_AGE,
    REPRESENTATIVE_CITY_MAX,
    REPRESENTATIVE_FIELDS,
    REPRESENTATIVE_NAME_MAX,
)

BIRTH_DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class LegalRepresentativeFields(forms.Form):
    representative_first_name = forms.CharField(
        label=gettext_lazy("Prénom du représentant légal"),
        max_length=REPRESENTATIVE_NAME_MAX,
        error_messages={"required": gettext_lazy("Indiquez le prénom du représentant légal.")},
    )
    representative_last_name = forms.CharField(
        label=gettext_lazy("Nom du représentant légal"),
        max_length=REPRESENTATIVE_NAME_MAX,
        error_messages={"required": gettext_lazy("Indiquez le nom du représentant légal.")},
    )
    representative_nationality = forms.ChoiceField(
        label=gettext_lazy("Nationalité"),
        error_messages={
            "required": gettext_lazy(
                "Choisissez la nationalité du représentant légal dans la liste."
            ),
            "invalid_choice": gettext_lazy(
                "Choisissez la nationalité du représentant légal dans la liste."
            ),
        },
    )
    representative_birth_date = forms.DateField(
        label=gettext_lazy("Date de naissance"),
        input_formats=BIRTH_DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": gettext_lazy("Indiquez la date de naissance du représentant légal."),
            "invalid": gettext_lazy(
                "Indiquez une date de naissance valide, par exemple 14/07/1980."
            ),
        },
    )
    representative_birth_city = forms.CharField(
        label=gettext_lazy("Ville de naissance"),
        max_length=REPRESENTATIVE_CITY_MAX,
        error_messages={
            "required": gettext_lazy("Indiquez la ville de naissance du représentant légal.")
        },
    )
    representative_birth_country = forms.ChoiceField(
        label=gettext_lazy("Pays de naissance"),
        error_messages={
            "required": gettext_lazy("Choisissez le pays de naissance dans la liste."),
            "invalid_choice": gettext_lazy("Choisissez le pays de naissance dans la liste."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The country names of the request's language, France and Belgium first.
        choices = [("", gettext_lazy("Choisissez un pays")), *world_country_choices()]
        for name in ("representative_nationality", "representative_birth_country"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices
        today = timezone.localdate()
        # The browser's date picker within the bounds the service checks.
        self.fields["representative_birth_date"].widget.attrs.update(
            {
                "min": _years_before(today, OLDEST_AGE + 1).isoformat(),
                "max": _years_before(today, ADULT_AGE).isoformat(),
            }
        )
        # Not the browser's own name for the person filling the form: often someone else.
        for name in ("representative_first_name", "representative_last_name"):
            self.fields[name].widget.attrs["autocomplete"] = "off"


def representative_initial(application: Any) -> dict[str, Any]:
    """The representative's fields of a stored application, as a form's initial data."""
    return {name: getattr(application, name) for name in REPRESENTATIVE_FIELDS}
