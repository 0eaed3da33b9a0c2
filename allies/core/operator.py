"""The operator's own identity (legal notice, terms, privacy policy, the commission invoices
it issues to vendors): each value from settings when set, else a fictional default for the
demonstration site. A real deployment sets them as environment-backed settings."""

from django.conf import settings

OPERATOR_DEFAULTS: dict[str, str] = {
    "OPERATOR_LEGAL_NAME": "Les Alliés SAS",
    "OPERATOR_LEGAL_FORM": "société par actions simplifiée",
    "OPERATOR_SHARE_CAPITAL": "50 000 €",
    "OPERATOR_STREET": "18 rue des Petites-Écuries",
    "OPERATOR_POSTCODE": "75010",
    "OPERATOR_CITY": "Paris",
    "OPERATOR_RCS": "RCS Paris 912 345 675",
    "OPERATOR_SIRET": "91234567500017",
    "OPERATOR_VAT_NUMBER": "FR65912345675",
    "OPERATOR_PHONE": "01 84 60 12 34",
    "OPERATOR_DIRECTOR": "Antoine Mercier",
    "OPERATOR_DPO_EMAIL": "",  # empty: the customer-service address answers privacy requests
    "OPERATOR_MEDIATOR": "CM2C — Centre de la Médiation de la Consommation de Conciliateurs "
    "de Justice",
    "OPERATOR_MEDIATOR_ADDRESS": "14 rue Saint-Jean, 75017 Paris",
    "OPERATOR_MEDIATOR_URL": "https://www.cm2c.net",
    "HOSTING_PROVIDER": "OVH SAS",
    "HOSTING_ADDRESS": "2 rue Kellermann, 59100 Roubaix, France",
    "HOSTING_PHONE": "1007",
}


def operator() -> dict[str, str]:
    """The operator's identity, each value from settings when set, else the default."""
    found = {
        key: str(getattr(settings, key, "") or default)
        for key, default in OPERATOR_DEFAULTS.items()
    }
    found["OPERATOR_DPO_EMAIL"] = found["OPERATOR_DPO_EMAIL"] or settings.CUSTOMER_SERVICE_EMAIL
    return {key.lower(): value for key, value in found.items()}
