from django import forms
from django.utils.translation import gettext_lazy as _

from allies.accounts.models import Address


class AddToCartForm(forms.Form):
    offer = forms.IntegerField(min_value=1)
    quantity = forms.IntegerField(min_value=1, max_value=99, initial=1, label=_("Quantité"))


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(min_value=0, max_value=99, label=_("Quantité"))


class DiscountForm(forms.Form):
    code = forms.CharField(max_length=40, required=False, label=_("Code de réduction"))


class SimulationForm(forms.Form):
    """Postcode + city give every vendor's options before payment (CHK-2)."""

    postcode = forms.CharField(max_length=10, label=_("Code postal"))
    city = forms.CharField(max_length=100, label=_("Ville"))
    country = forms.ChoiceField(choices=Address.Country.choices, initial="FR", label=_("Pays"))
