"""The sandbox card page's form: what a real payment page checks before contacting the bank.

A number failing the Luhn check, a card other than Visa or MasterCard, a past expiry or a CVC
that is not 3 digits are refused here: nothing is sent, no transaction is recorded.
"""

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allies.core.checksums import luhn_valid
from allies.core.numbers import ascii_digits
from allies.payments.gateways.sandbox import MASTERCARD, VISA, card_brand

EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2})\s*$", re.ASCII)


class SandboxCardForm(forms.Form):
    card_number = forms.CharField(
        label=_("Numéro de carte"),
        max_length=30,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "cc-number",
                "placeholder": "1234 5678 9012 3456",
                "spellcheck": "false",
            }
        ),
    )
    expiry = forms.CharField(
        label=_("Expiration"),
        max_length=7,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "cc-exp", "placeholder": "MM/AA"}
        ),
    )
    cvc = forms.CharField(
        label=_("Cryptogramme"),
        max_length=4,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "cc-csc", "placeholder": "123"}
        ),
    )
    holder = forms.CharField(
        label=_("Nom du titulaire"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "cc-name", "spellcheck": "false"}),
    )

    def clean_card_number(self) -> str:
        number = re.sub(r"[\s-]", "", self.cleaned_data["card_number"])
        # ASCII only: "²" passes str.isdigit() but is no card digit.
        if not ascii_digits(number) or not 12 <= len(number) <= 19 or not luhn_valid(number):
            raise forms.ValidationError(
                _("Ce numéro de carte n'est pas valide : vérifiez les chiffres saisis.")
            )
        brand = card_brand(number)
        if brand not in (VISA, MASTERCARD):
            raise forms.ValidationError(_("Seules les cartes Visa et MasterCard sont acceptées."))
        self.brand = brand
        return number

    def clean_expiry(self) -> tuple[int, int]:
        match = EXPIRY.match(self.cleaned_data["expiry"])
        if not match or not 1 <= int(match.group(1)) <= 12:
            raise forms.ValidationError(_("Indiquez la date d'expiration au format MM/AA."))
        month, year = int(match.group(1)), 2000 + int(match.group(2))
        today = timezone.localdate()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError(_("Cette date d'expiration est dépassée."))
        return month, year

    def clean_cvc(self) -> str:
        cvc = self.cleaned_data["cvc"].strip()
        if not re.fullmatch(r"[0-9]{3}", cvc):
            raise forms.ValidationError(_("Saisissez les 3 chiffres du cryptogramme."))
        return cvc

    def clean_holder(self) -> str:
        holder = self.cleaned_data["holder"].strip()
        if not holder:
            raise forms.ValidationError(_("Indiquez le nom figurant sur la carte."))
        return holder


class SandboxChallengeForm(forms.Form):
    code = forms.CharField(
        label=_("Code reçu par SMS"),
        max_length=12,
        required=False,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "placeholder": "123456"}
        ),
    )
