"""Forms of the customer account: they parse and check the shape of input (labels, formats,
password strength); the rules (unique email, delivery zones, throttling…) are in services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from allies.accounts import services
from allies.accounts.models import Address, User

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django_stubs_ext import StrOrPromise

    # The mixins below are only used on these forms: mypy checks them as such.
    _CurrentPasswordBase = forms.Form
    _NewPasswordBase = SetPasswordForm[User]
else:
    _CurrentPasswordBase = _NewPasswordBase = object

PASSWORD_HELP = _(
    "Au moins 8 caractères. Pour un mot de passe sûr, mélangez des lettres, des chiffres et "
    "des symboles."
)
PASSWORD_MISMATCH = _("Les deux mots de passe ne sont pas identiques.")

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 .\-()]{5,24}$",
    _("Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78 ou +32 470 12 34 56."),
)


def _email_field(label, **attrs) -> forms.EmailField:
    return forms.EmailField(
        label=label,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false", **attrs}),
        error_messages={
            "required": _("Saisissez votre adresse email."),
            "invalid": _("Saisissez une adresse email valide, par exemple nom@exemple.fr."),
        },
    )


def _password_field(label, *, autocomplete: str, help_text=None, **attrs) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete, **attrs}),
        error_messages={"required": _("Saisissez un mot de passe.")},
    )


class CurrentPasswordMixin(_CurrentPasswordBase):
    """A "current password" field checked against the signed-in customer, under the login
    throttle (`services.user_current_password_check`)."""

    user: User
    request: HttpRequest | None = None

    def _check_current_password(self, password: str) -> str:
        services.user_current_password_check(request=self.request, user=self.user,
                                             password=password)  # fmt: skip
        return password

    def clean_password(self) -> str:
        return self._check_current_password(self.cleaned_data["password"])


class SignUpForm(forms.Form):
    email = _email_field(_("Adresse email"), autofocus=True)
    password = _password_field(
        _("Mot de passe"), autocomplete="new-password", help_text=PASSWORD_HELP, minlength=8
    )
    password_confirm = _password_field(_("Confirmez le mot de passe"), autocomplete="new-password")
    newsletter_opt_in = forms.BooleanField(
        label=_("Je souhaite recevoir avant tout le monde les offres de Les Alliés par email"),
        required=False,
    )

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        # Checked again by the service; asked here too so every error shows at once.
        email = self.cleaned_data["email"]
        if services.email_account_lookup(request=self.request, email=email, refuse_if=True):
            raise ValidationError(services.EMAIL_TAKEN, code="email_taken")
        return email

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        password, confirm = cleaned.get("password"), cleaned.get("password_confirm")
        if password:
            try:
                password_validation.validate_password(
                    password, User(email=cleaned.get("email") or "")
                )
            except ValidationError as error:
                self.add_error("password", error)
        if password and confirm and password != confirm:
            self.add_error("password_confirm", ValidationError(PASSWORD_MISMATCH))
        return cleaned


class LoginForm(AuthenticationForm):
    """Django's login form, asking for an email and applying the login policy of services."""

    username = _email_field(_("Adresse email"), autofocus=True)
    password = _password_field(_("Mot de passe"), autocomplete="current-password")

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            self.user_cache = services.user_authenticate(
                request=self.request, email=email, password=password
            )
        return self.cleaned_data


class PasswordResetRequestForm(forms.Form):
    email = _email_field(_("Adresse email"), autofocus=True)

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if not services.email_account_lookup(request=self.request, email=email, refuse_if=False):
            raise ValidationError(services.NO_ACCOUNT, code="no_account")
        return email


class NewPasswordMixin(_NewPasswordBase):
    def _french_labels(self, *, first: StrOrPromise) -> None:
        self.fields["new_password1"].label = first
        self.fields["new_password1"].help_text = PASSWORD_HELP
        self.fields["new_password1"].widget.attrs["minlength"] = 8
        self.fields["new_password2"].label = _("Confirmez le nouveau mot de passe")
        self.fields["new_password2"].help_text = ""
        self.error_messages = {**self.error_messages, "password_mismatch": PASSWORD_MISMATCH}


class SetNewPasswordForm(NewPasswordMixin, SetPasswordForm):
    """The form behind the emailed reset link (ACC-3)."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self._french_labels(first=_("Nouveau mot de passe"))
        self.fields["new_password1"].widget.attrs["autofocus"] = True

    def save(self, commit=True):
        return services.user_set_password(
            user=self.user, password=self.cleaned_data["new_password1"]
        )


class ChangePasswordForm(NewPasswordMixin, CurrentPasswordMixin, PasswordChangeForm):
    """Change the password from "Paramètres de compte" (ACC-4)."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)
        self._french_labels(first=_("Nouveau mot de passe"))
        self.fields["old_password"].label = _("Mot de passe actuel")
        self.fields["old_password"].widget.attrs.pop("autofocus", None)

    def clean_old_password(self) -> str:
        return self._check_current_password(self.cleaned_data["old_password"])


class ChangeEmailForm(CurrentPasswordMixin, forms.Form):
    """ "Modifier mon email" (ACC-5)."""

    email = _email_field(_("Votre email"))
    password = _password_field(
        _("Saisissez votre mot de passe actuel"), autocomplete="current-password"
    )

    def __init__(self, user: User, *args, request=None, **kwargs):
        self.user = user
        self.request = request
        super().__init__(*args, **kwargs)


class ProfileForm(forms.Form):
    first_name = forms.CharField(
        label=_("Prénom"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Nom"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    phone = forms.CharField(
        label=_("Téléphone"),
        max_length=30,
        required=False,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    language = forms.ChoiceField(
        label=_("Langue de vos emails"),
        choices=User.Language.choices,
        help_text=_("Nos emails vous seront écrits dans cette langue."),
    )


class NewsletterForm(forms.Form):
    subscribed = forms.BooleanField(
        label=_("Je souhaite recevoir avant tout le monde les offres de Les Alliés par email"),
        required=False,
    )


class DeactivateForm(CurrentPasswordMixin, forms.Form):
    password = _password_field(
        _("Saisissez votre mot de passe actuel"), autocomplete="current-password"
    )

    def __init__(self, user: User, *args, request=None, **kwargs):
        self.user = user
        self.request = request
        super().__init__(*args, **kwargs)


class AddressForm(forms.Form):
    recipient = forms.CharField(
        label=_("Destinataire (prénom et nom)"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    company = forms.CharField(
        label=_("Société"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    street = forms.CharField(
        label=_("Adresse"),
        max_length=200,
        help_text=_("Numéro et nom de la rue"),
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    street_extra = forms.CharField(
        label=_("Complément d'adresse"),
        max_length=200,
        required=False,
        help_text=_("Bâtiment, résidence, lieu-dit…"),
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    postcode = forms.CharField(
        label=_("Code postal"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "postal-code", "inputmode": "numeric", "class": "short"}
        ),
    )
    city = forms.CharField(
        label=_("Ville"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    country = forms.ChoiceField(
        label=_("Pays"),
        choices=Address.Country.choices,
        widget=forms.Select(attrs={"autocomplete": "country"}),
        error_messages={
            "invalid_choice": _(
                "Nous livrons uniquement en France (Corse comprise) et en Belgique : "
                "choisissez l'un de ces deux pays."
            )
        },
    )
    phone = forms.CharField(
        label=_("Téléphone"),
        max_length=30,
        validators=[phone_validator],
        help_text=_("Le transporteur vous appelle en cas de besoin."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    instructions = forms.CharField(
        label=_("Instructions de livraison"),
        max_length=300,
        required=False,
        help_text=_("Étage, digicode, interphone…"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "short"}),
    )
    is_default = forms.BooleanField(
        label=_("Utiliser comme adresse de livraison par défaut"), required=False
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind != Address.Kind.DELIVERY:
            del self.fields["is_default"]
            del self.fields["instructions"]
            self.fields["recipient"].label = _("Nom (ou raison sociale) à facturer")
            self.fields["phone"].help_text = ""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        # The service checks the zone again; asking here shows it with the other errors.
        if cleaned.get("country") and "postcode" in cleaned:
            try:
                services.address_zone(country=cleaned["country"], postcode=cleaned["postcode"])
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned
