"""What the customer is told about a payment, by outcome. French source, translated by gettext.

Failure codes are stable strings shared by every gateway, so the same situation reads the same
whatever the provider.
"""

from django.utils.translation import gettext_lazy as _

REFUSED = "refused"
INSUFFICIENT_FUNDS = "insufficient_funds"
EXPIRED_CARD = "expired_card"
AUTHENTICATION_FAILED = "authentication_failed"
CANCELLED = "cancelled"
PROVIDER_ERROR = "provider_error"
ABANDONED = "abandoned"
ORDER_CLOSED = "order_closed"  # paid, but the order could no longer take it: refunded

FAILURE_MESSAGES = {
    REFUSED: _(
        "Votre banque a refusé le paiement. Aucun montant n'a été débité : vous pouvez "
        "réessayer avec une autre carte ou contacter votre banque."
    ),
    INSUFFICIENT_FUNDS: _(
        "Le paiement a été refusé faute de provision suffisante. Aucun montant n'a été débité."
    ),
    EXPIRED_CARD: _(
        "Votre banque indique que cette carte est expirée. Aucun montant n'a été débité : "
        "essayez avec une autre carte."
    ),
    AUTHENTICATION_FAILED: _(
        "L'authentification 3-D Secure n'a pas abouti, le paiement n'a donc pas été effectué. "
        "Aucun montant n'a été débité."
    ),
    CANCELLED: _("Vous avez annulé le paiement. Aucun montant n'a été débité."),
    PROVIDER_ERROR: _(
        "Le service de paiement est momentanément indisponible. Aucun montant n'a été "
        "débité : merci de réessayer dans quelques instants."
    ),
    ABANDONED: _(
        "Le délai pour payer cette commande est dépassé. Aucun montant n'a été débité et "
        "les articles ont été remis en vente."
    ),
    ORDER_CLOSED: _(
        "Votre paiement est arrivé après la clôture de la commande : il vous est intégralement "
        "remboursé sur votre carte."
    ),
}

SUCCEEDED_MESSAGE = _("Paiement accepté : votre commande est validée.")
PENDING_MESSAGE = _(
    "Votre paiement est en cours de vérification auprès de votre banque. Votre commande sera "
    "validée dès sa confirmation."
)
GENERIC_FAILURE = FAILURE_MESSAGES[REFUSED]


def failure_message(code: str) -> str:
    return str(FAILURE_MESSAGES.get(code, GENERIC_FAILURE))


def outcome_message(*, status: str, failure_code: str = "") -> str:
    """The sentence for a payment in this state, in the active language."""
    if status == "succeeded":
        if failure_code == ORDER_CLOSED:
            return str(FAILURE_MESSAGES[ORDER_CLOSED])
        return str(SUCCEEDED_MESSAGE)
    if status == "pending":
        return str(PENDING_MESSAGE)
    if status == "cancelled" and not failure_code:
        return str(FAILURE_MESSAGES[CANCELLED])
    return failure_message(failure_code)
