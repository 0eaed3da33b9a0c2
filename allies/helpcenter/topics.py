"""The six topics of the help centre (SITE-2), fixed in this order.

Topics are part of the product, not content the operator edits: the help page names these six,
and the URLs `/aide/<slug>/` rely on their slugs. Their English names sit beside the French
ones, like the questions' own texts (`models.Question.question_en`), so an English page never
waits for a translation catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Topic(models.TextChoices):
    ACCOUNT = "compte-client", _("Compte client")
    ORDERS = "gestion-de-commande", _("Gestion de commande")
    DELIVERY = "livraison", _("Livraison")
    PAYMENT = "moyens-de-paiement", _("Moyens de paiement")
    RETURNS = "retours-et-remboursements", _("Retours et remboursements")
    OTHER = "autres-questions", _("Autres questions")


@dataclass(frozen=True)
class TopicInfo:
    slug: str
    label_fr: str
    label_en: str
    summary_fr: str
    summary_en: str
    icon: str  # the name of an inline SVG drawing in helpcenter/_icon.html

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_fr

    def summary(self, lang: str) -> str:
        return self.summary_en if lang == "en" else self.summary_fr


TOPICS: tuple[TopicInfo, ...] = (
    TopicInfo(
        Topic.ACCOUNT,
        "Compte client",
        "Customer account",
        "Inscription, mot de passe, email, newsletter, adresses",
        "Sign-up, password, email, newsletter, addresses",
        "account",
    ),
    TopicInfo(
        Topic.ORDERS,
        "Gestion de commande",
        "Managing an order",
        "Modifier, annuler, contacter un vendeur, statuts",
        "Change, cancel, contact a vendor, statuses",
        "order",
    ),
    TopicInfo(
        Topic.DELIVERY,
        "Livraison",
        "Delivery",
        "Modes, frais, zones, adresse, suivi de colis",
        "Modes, fees, zones, address, parcel tracking",
        "delivery",
    ),
    TopicInfo(
        Topic.PAYMENT,
        "Moyens de paiement",
        "Payment methods",
        "Cartes acceptées, 3-D Secure, factures, codes de réduction",
        "Accepted cards, 3-D Secure, invoices, discount codes",
        "payment",
    ),
    TopicInfo(
        Topic.RETURNS,
        "Retours et remboursements",
        "Returns and refunds",
        "Rétractation, frais de retour, remboursement, article abîmé",
        "Withdrawal, return costs, refunds, damaged items",
        "returns",
    ),
    TopicInfo(
        Topic.OTHER,
        "Autres questions",
        "Other questions",
        "Service client, suivi de vos demandes, disponibilité",
        "Customer service, your requests, availability",
        "other",
    ),
)
TOPICS_BY_SLUG: dict[str, TopicInfo] = {t.slug: t for t in TOPICS}
TOPIC_ORDER: dict[str, int] = {t.slug: i for i, t in enumerate(TOPICS)}
