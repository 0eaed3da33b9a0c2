"""The portal's forms: they parse and show errors; the rules live in the services they feed."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from allies.core.countries import Country
from allies.invoices.models import VendorInvoicing
from allies.shipping.carriers import CARRIERS
from allies.shipping.modes import ShippingMode
from allies.shipping.zones import ZONE_CHOICES

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProfileForm(forms.Form):
    legal_name = forms.CharField(label=_("Raison sociale"), max_length=200)
    legal_form = forms.CharField(label=_("Forme juridique"), max_length=50, required=False)
    share_capital = forms.CharField(label=_("Capital social"), max_length=50, required=False)
    siret = forms.CharField(
        label=_("SIRET (ou numéro d'entreprise belge)"),
        max_length=20,
        help_text=_("14 chiffres en France ; sa clé de contrôle est vérifiée."),
    )
    rcs_city = forms.CharField(
        label=_("Ville du RCS"), max_length=100, required=False,
        help_text=_("Imprimée sur vos factures : « RCS Paris »."),
    )  # fmt: skip
    vat_number = forms.CharField(
        label=_("Numéro de TVA intracommunautaire"), max_length=20,
        help_text=_("Par exemple FR12345678901."),
    )  # fmt: skip
    street = forms.CharField(label=_("Adresse du siège"), max_length=200)
    postcode = forms.CharField(label=_("Code postal"), max_length=10)
    city = forms.CharField(label=_("Ville"), max_length=100)
    country = forms.ChoiceField(label=_("Pays"), choices=Country.choices)
    email = forms.EmailField(label=_("Email de contact"))
    phone = forms.CharField(label=_("Téléphone"), max_length=30, required=False)
    order_email_recipients = forms.CharField(
        label=_("Adresses qui reçoivent les emails de commande"), max_length=500,
        required=False,
        help_text=_("Séparées par des virgules, 5 au plus. Vide : l'email de contact."),
    )  # fmt: skip
    # Not required: a form posted without it (older pages, scripts) keeps the current language.
    email_language = forms.ChoiceField(
        label=_("Langue des emails"), choices=settings.LANGUAGES, required=False
    )
    return_street = forms.CharField(label=_("Adresse de retour"), max_length=200, required=False)
    return_postcode = forms.CharField(label=_("Code postal"), max_length=10, required=False)
    return_city = forms.CharField(label=_("Ville"), max_length=100, required=False)
    return_country = forms.ChoiceField(
        label=_("Pays"), choices=[("", "—"), *Country.choices], required=False
    )
    invoice_mode = forms.ChoiceField(
        label=_("Factures"), choices=VendorInvoicing.Mode.choices, widget=forms.RadioSelect
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        parts = [data.get("return_street"), data.get("return_postcode"), data.get("return_city")]
        if any(parts) and not all(parts):
            raise forms.ValidationError(
                _(
                    "Complétez l'adresse de retour (adresse, code postal et ville) "
                    "ou laissez-la vide."
                )
            )
        return data


class OfferForm(forms.Form):
    price = forms.DecimalField(
        label=_("Prix TTC (€)"), min_value=0.01, max_digits=10, decimal_places=2,
        localize=True, widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )  # fmt: skip
    stock = forms.IntegerField(label=_("Stock"), min_value=0, max_value=1_000_000)
    restock_weeks = forms.IntegerField(
        label=_("Réapprovisionnement : livré sous X semaines"), min_value=1, max_value=52,
        required=False,
        help_text=_(
            "Quand le stock est à 0 : « En cours de réapprovisionnement - Livré sous X "
            "semaines ». Vide : « En rupture de stock »."
        ),
    )  # fmt: skip
    is_active = forms.BooleanField(label=_("Offre active (visible sur le site)"), required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Fichier CSV"))


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Nom de la clé"), max_length=80,
        help_text=_("Pour la reconnaître : « ERP », « Logiciel de stock »…"),
    )  # fmt: skip


class MemberForm(forms.Form):
    email = forms.EmailField(
        label=_("Email de la personne"),
        help_text=_(
            "Elle reçoit un email ; sans compte Les Alliés, elle choisit son mot de passe."
        ),
    )


class InvoiceUploadForm(forms.Form):
    file = forms.FileField(label=_("Facture (PDF)"))
    number = forms.CharField(label=_("Numéro de facture"), max_length=40, required=False)


class RateForm(forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=ShippingMode.choices)
    zone = forms.ChoiceField(label=_("Zone"), choices=ZONE_CHOICES)
    carrier = forms.ChoiceField(
        label=_("Transporteur"), choices=[(c.code, c.name) for c in CARRIERS]
    )
    base_fee = forms.CharField(label=_("Frais de port du premier article (€)"), max_length=12)
    per_extra_item_fee = forms.CharField(
        label=_("Par article supplémentaire (€)"), max_length=12, required=False
    )
    per_extra_parcel_fee = forms.CharField(
        label=_("Par colis supplémentaire d'un article volumineux (€)"), max_length=12,
        required=False,
    )  # fmt: skip
    per_kg_beyond = forms.CharField(
        label=_("Par kg au-delà de la dernière tranche (€)"), max_length=12, required=False
    )
    max_parcel_weight_kg = forms.CharField(
        label=_("Poids maximal d'un colis (kg)"), max_length=12, required=False
    )
    free_shipping_threshold = forms.CharField(
        label=_("Livraison offerte dès (€)"), max_length=12, required=False
    )
    min_days = forms.CharField(label=_("Délai minimal (jours ouvrés)"), max_length=3)
    max_days = forms.CharField(label=_("Délai maximal (jours ouvrés)"), max_length=3)
    brackets = forms.CharField(
        label=_("Tranches de poids"), required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Une tranche par ligne : « jusqu'à kg ; prix », par exemple « 2 ; 5,90 »."),
    )  # fmt: skip

    def brackets_parsed(self) -> list[dict[str, str]] | None:
        """The brackets typed as lines "kg ; fee", or None with a form error."""
        rows: list[dict[str, str]] = []
        for number, line in enumerate(self.cleaned_data.get("brackets", "").splitlines(), 1):
            if not line.strip():
                continue
            parts = [p.strip().replace(",", ".") for p in line.replace("\t", ";").split(";")]
            if len(parts) != 2:
                self.add_error(
                    "brackets",
                    _("Ligne %(n)s : écrivez « jusqu'à kg ; prix », par exemple « 2 ; 5,90 ».")
                    % {"n": number},
                )
                return None
            rows.append({"up_to_kg": parts[0], "fee": parts[1]})
        return rows


class StatementPeriodForm(forms.Form):
    """The period of the "Relevé"; both ends optional (this month when neither is given)."""

    du = forms.DateField(label=_("Du"), required=False, widget=DATE_INPUT)
    au = forms.DateField(label=_("Au"), required=False, widget=DATE_INPUT)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("du") and data.get("au") and data["du"] > data["au"]:
            raise forms.ValidationError(_("La date de début doit précéder la date de fin."))
        return data
