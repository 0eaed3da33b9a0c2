"""Every delay and value an answer may state, read from where the code takes it.

An answer never types "14 jours": it writes `{{delai:retractation}}`, rendered here from
`allies.orders.closing.WITHDRAWAL_DAYS`, the very constant the return flow uses. Change a
setting and the help centre says the new delay at once; a test renders every token against
its source, and the staff form refuses a typed delay (`markup.literal_delays`).

Units are written per language here rather than through gettext: the token is part of an
answer's text, whose French and English versions are both stored content.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings

from allies.aftersales import returns
from allies.invoices import services as invoices
from allies.orders import acceptance, closing, delivery_changes
from allies.support import states as support_states

NBSP = "\u00a0"

# unit → (French singular, French plural, English singular, English plural)
UNITS: dict[str, tuple[str, str, str, str]] = {
    "calendar_days": ("jour calendaire", "jours calendaires", "calendar day", "calendar days"),
    "days": ("jour", "jours", "day", "days"),
    "working_days": ("jour ouvré", "jours ouvrés", "working day", "working days"),
    "hours": ("h", "h", "hour", "hours"),
    "business_hours": ("heure ouvrée", "heures ouvrées", "business hour", "business hours"),
}
# The words of each unit a typed delay may use, for the suggestion of the right token.
UNIT_FAMILY = {
    "calendar_days": "days",
    "days": "days",
    "working_days": "days",
    "hours": "hours",
    "business_hours": "hours",
}


@dataclass(frozen=True)
class Delay:
    key: str
    unit: str
    source: Callable[[], int]
    label: str  # what it is, for the console's list of tokens (French, staff only)

    def value(self) -> int:
        return int(self.source())

    def text(self, lang: str) -> str:
        n = self.value()
        fr_one, fr_many, en_one, en_many = UNITS[self.unit]
        if lang == "en":
            return f"{n}{NBSP}{en_one if n == 1 else en_many}"
        return f"{n}{NBSP}{fr_one if n == 1 else fr_many}"


def _password_min_length() -> int:
    validators = cast(list[dict[str, Any]], settings.AUTH_PASSWORD_VALIDATORS)
    for validator in validators:
        if str(validator["NAME"]).endswith("MinimumLengthValidator"):
            return int(validator.get("OPTIONS", {}).get("min_length", 8))
    return 8


# Sources are read at call time (module attributes, settings), never copied at import.
DELAYS: dict[str, Delay] = {
    d.key: d
    for d in (
        Delay(
            "retractation",
            "calendar_days",
            lambda: closing.WITHDRAWAL_DAYS,
            "Délai pour demander un retour (rétractation), après la livraison — RET-1",
        ),
        Delay(
            "renvoi",
            "calendar_days",
            lambda: returns.SEND_BACK_DAYS,
            "Délai pour renvoyer l'article une fois le retour accepté — RET-2",
        ),
        Delay(
            "remboursement",
            "days",
            lambda: returns.REFUND_DAYS,
            "Délai du remboursement après la demande de rétractation — RET-6",
        ),
        Delay(
            "reponse_vendeur",
            "hours",
            support_states.vendor_answer_hours,
            "Délai de réponse du vendeur (Assistance en ligne) — CS-1",
        ),
        Delay(
            "reclamation",
            "business_hours",
            support_states.vendor_answer_hours,
            "Délai de réponse du vendeur à une réclamation (SAV) — SAV-2",
        ),
        Delay(
            "intervention",
            "hours",
            support_states.operator_answer_hours,
            "Délai d'intervention du service client après « Non » — CS-2",
        ),
        Delay(
            "facture",
            "business_hours",
            lambda: invoices.REQUEST_DELAY_BUSINESS_HOURS,
            "Délai du vendeur pour fournir une facture demandée — INV-2",
        ),
        Delay(
            "modification_adresse",
            "hours",
            lambda: delivery_changes.ADDRESS_EDIT_HOURS,
            "Délai pour changer soi-même l'adresse de livraison après la commande — ORD-6",
        ),
        Delay(
            "acceptation",
            "working_days",
            acceptance.acceptance_working_days,
            "Délai du vendeur pour accepter ou refuser une commande payée",
        ),
        Delay(
            "annulation_auto",
            "working_days",
            acceptance.auto_cancel_working_days,
            "Délai après lequel une commande sans réponse du vendeur est annulée et remboursée",
        ),
    )
}


@dataclass(frozen=True)
class Value:
    key: str
    source: Callable[[], str]
    label: str
    is_email: bool = False


VALUES: dict[str, Value] = {
    v.key: v
    for v in (
        Value(
            "mot_de_passe",
            lambda: str(_password_min_length()),
            "Nombre minimum de caractères d'un mot de passe — ACC-1",
        ),
        Value(
            "email_service_client",
            lambda: str(settings.CUSTOMER_SERVICE_EMAIL),
            "Adresse email du service client (lien mailto) — CS-4",
            is_email=True,
        ),
    )
}
