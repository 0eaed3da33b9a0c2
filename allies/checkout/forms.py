"""Checkout forms; addresses reuse the address book's form and service."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from allies.accounts.forms import AddressForm
from allies.accounts.models import Address
from allies.accounts.services import address_save


def address_form_save(form: AddressForm, *, user, address: Address | None = None) -> Address | None:
    """Save a valid address form through the address book's service; errors go on the form."""
    try:
        return address_save(user=user, kind=form.kind, address=address, **form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return None


class BillingSameForm(forms.Form):
    same = forms.BooleanField(
        required=False, label=_("Identique à l'adresse de livraison"), initial=True
    )
