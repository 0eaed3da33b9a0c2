"""'Assistance en ligne': threads between a customer, a vendor and the operator's customer
service, their messages, attachments and audit trail.

A `Thread` is one request: a pre-sale question on an offer ("Posez une question", CAT-4), a
question about a vendor order ("Contacter le vendeur" / "Assistance en ligne", ORD-7, CS-1),
or a contact-form request to the operator (CS-4). Its stage and clocks move only through
`allies.support.states`; every write is a service of `allies.support.services`.

`vendor_id` sits on every row a vendor owns (thread, message, attachment, event), so the
vendor's inbox and the API filter on their own column.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allies.orders.events import ActorKind
from allies.support.states import (
    SORT_LAST,
    THREAD_STAGES,
    ThreadEventKind,
    ThreadStage,
)
from allies.support.storage import support_storage


class ThreadKind(models.TextChoices):
    QUESTION = "question", _("Question avant achat")
    ORDER = "order", _("Question sur une commande")
    CONTACT = "contact", _("Demande au service client")


class Motif(models.TextChoices):
    """The "motif" / "objet" the customer picks (CS-1, ORD-7), for a men's-fashion shop."""

    SIZE = "size", _("Taille et coupe")
    PRODUCT = "product", _("Question sur un article (matière, entretien, disponibilité)")
    DELIVERY = "delivery", _("Livraison")
    TRACKING = "tracking", _("Suivi de colis")
    MODIFICATION = "modification", _("Modification de la commande ou de l'adresse de livraison")
    CANCELLATION = "cancellation", _("Annulation de la commande")
    INVOICE = "invoice", _("Facture")
    RETURN = "return", _("Retour ou rétractation")
    DAMAGED = "damaged", _("Article abîmé ou cassé")
    INCOMPLETE = "incomplete", _("Colis incomplet ou article manquant")
    NOT_AS_DESCRIBED = "not_as_described", _("Article non conforme (taille, couleur, modèle)")
    PAYMENT = "payment", _("Paiement ou remboursement")
    ACCOUNT = "account", _("Mon compte")
    OTHER = "other", _("Autre demande")


M = Motif
# The motifs offered for each kind of thread, in the order the form lists them.
MOTIFS_BY_KIND: dict[ThreadKind, tuple[Motif, ...]] = {
    ThreadKind.QUESTION: (M.SIZE, M.PRODUCT, M.DELIVERY, M.OTHER),
    ThreadKind.ORDER: (
        M.DELIVERY,
        M.TRACKING,
        M.MODIFICATION,
        M.CANCELLATION,
        M.INVOICE,
        M.RETURN,
        M.DAMAGED,
        M.INCOMPLETE,
        M.NOT_AS_DESCRIBED,
        M.PRODUCT,
        M.OTHER,
    ),  # fmt: skip
    ThreadKind.CONTACT: (
        M.DELIVERY,
        M.TRACKING,
        M.MODIFICATION,
        M.CANCELLATION,
        M.INVOICE,
        M.RETURN,
        M.DAMAGED,
        M.INCOMPLETE,
        M.NOT_AS_DESCRIBED,
        M.PAYMENT,
        M.ACCOUNT,
        M.PRODUCT,
        M.OTHER,
    ),  # fmt: skip
}
# The motifs that hand over to the returns and claims flows (allies.aftersales): the pages
# offer those flows instead of a plain message.
HANDED_OVER_MOTIFS = frozenset({M.RETURN, M.DAMAGED, M.INCOMPLETE, M.NOT_AS_DESCRIBED})
del M


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Client, vendeur et service client")
    VENDOR = "vendor", _("Vendeur et service client")
    INTERNAL = "internal", _("Note interne (service client seulement)")


class Channel(models.TextChoices):
    WEB = "web", _("Site")
    EMAIL = "email", _("Email")
    API = "api", _("API")


def reply_token_new() -> str:
    """The secret of a thread's relayed reply address (128 bits, lower-case hex: an email
    local part survives any case folding)."""
    return secrets.token_hex(16)


class Thread(models.Model):
    Stage = ThreadStage  # stages and moves: allies.support.states
    Kind = ThreadKind

    kind = models.CharField(_("type"), max_length=10, choices=ThreadKind.choices)
    motif = models.CharField(_("motif"), max_length=20, choices=Motif.choices)
    subject = models.CharField(_("objet"), max_length=200, blank=True)
    stage = models.CharField(
        _("état"), max_length=20, choices=ThreadStage.choices, default=ThreadStage.WAITING_VENDOR
    )
    # Who asks: a customer's account, or a visitor of the contact form (name and address).
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="support_threads",
    )
    contact_name = models.CharField(_("nom du contact"), max_length=150, blank=True)
    contact_email = models.EmailField(_("email du contact"), max_length=254, blank=True)
    # The language of the customer's emails (a visitor has no account to hold it).
    language = models.CharField(_("langue"), max_length=2, default="fr")
    # Who answers first: a vendor, or nobody but the operator (contact form).
    vendor = models.ForeignKey(
        "vendors.Vendor",
        verbose_name=_("vendeur"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="support_threads",
    )
    # What it is about.
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("commande"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="support_threads",
    )
    vendor_order = models.ForeignKey(
        "orders.VendorOrder",
        verbose_name=_("commande vendeur"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="support_threads",
    )
    offer = models.ForeignKey(
        "catalog.Offer",
        verbose_name=_("offre"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("produit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_support_threads",
        limit_choices_to={"is_staff": True},
    )
    # The secret part of the relayed reply address (SUPPORT_REPLY_ADDRESS_FORMAT).
    reply_token = models.CharField(max_length=32, unique=True, default=reply_token_new)
    # The clocks (allies.support.states): who owes an answer, and by when.
    vendor_due_at = models.DateTimeField(
        _("réponse du vendeur attendue avant"), null=True, blank=True
    )
    operator_due_at = models.DateTimeField(
        _("intervention du service client attendue avant"), null=True, blank=True
    )
    # The lists' sort keys, set with the clocks (states.sort_keys): non-null so that an index
    # serves "the next deadline first" (SORT_LAST when no clock runs).
    vendor_sort_at = models.DateTimeField(default=SORT_LAST, editable=False)
    queue_sort_at = models.DateTimeField(default=SORT_LAST, editable=False)
    answer_owed_since = models.DateTimeField(null=True, blank=True)
    vendor_reminded_at = models.DateTimeField(_("vendeur relancé le"), null=True, blank=True)
    vendor_breaches = models.PositiveSmallIntegerField(_("délais du vendeur dépassés"), default=0)
    operator_breaches = models.PositiveSmallIntegerField(
        _("délais du service client dépassés"), default=0
    )
    escalated_at = models.DateTimeField(_("transmise au service client le"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("résolue le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("clôturée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("demande d'assistance")
        verbose_name_plural = _("demandes d'assistance")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("handle_thread", _("Traiter les demandes (agent du service client)")),
            ("supervise_thread", _("Superviser le service client (réattribuer les demandes)")),
        ]
        indexes = [
            # The vendor's inbox: by deadline (the late first), then the newest.
            models.Index(
                fields=["vendor", "stage", "vendor_due_at"], name="support_thread_vendor_due"
            ),
            models.Index(fields=["vendor", "-updated_at", "-id"], name="support_thread_vendor_new"),
            models.Index(
                fields=["vendor", "vendor_sort_at", "-updated_at", "-id"],
                name="support_thread_vendor_sort",
            ),
            # The vendor API's "updated since".
            models.Index(fields=["vendor", "updated_at"], name="support_thread_vendor_upd"),
            # The console's queue: what the operator owes, by deadline.
            # It also covers the console's counters (one index-only read of escalated threads).
            models.Index(
                fields=["operator_due_at", "assigned_agent", "kind", "id"],
                condition=Q(stage="escalated"),
                name="support_thread_operator_due",
            ),
            models.Index(fields=["stage", "-updated_at"], name="support_thread_stage_new"),
            models.Index(
                fields=["queue_sort_at", "-updated_at", "-id"], name="support_thread_queue_sort"
            ),
            # The queue's default filters ("à traiter", "transmises"): only escalated threads.
            models.Index(
                fields=["queue_sort_at", "-updated_at", "-id"],
                condition=Q(stage="escalated"),
                name="support_thread_escalated_sort",
            ),
            models.Index(fields=["assigned_agent", "stage"], name="support_thread_agent"),
            # The queue filtered by vendor or by agent, in the queue's order.
            models.Index(
                fields=["vendor", "queue_sort_at", "-updated_at", "-id"],
                name="support_thread_vendor_queue",
            ),
            models.Index(
                fields=["assigned_agent", "queue_sort_at", "-updated_at", "-id"],
                name="support_thread_agent_queue",
            ),
            # "Mes demandes".
            models.Index(fields=["customer", "-updated_at", "-id"], name="support_thread_customer"),
            # The console's "En retard" count, vendors' side: waiting threads by deadline (the
            # operator's side is counted on `support_thread_operator_due`).
            models.Index(
                fields=["vendor_due_at"],
                condition=Q(stage="waiting_vendor"),
                name="support_thread_waiting_due",
            ),
            # The reminder sweep: waiting threads not yet reminded, by deadline.
            models.Index(
                fields=["vendor_due_at"],
                condition=Q(stage="waiting_vendor", vendor_reminded_at__isnull=True),
                name="support_thread_to_remind",
            ),
        ]
        constraints = [
            # Someone to answer to: an account, or a visitor's address.
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(contact_email=""),
                name="support_thread_has_requester",
            ),
            # Only a thread with a vendor waits for one (states.VENDOR_STAGES).
            models.CheckConstraint(
                condition=Q(vendor__isnull=False) | ~Q(stage__in=["waiting_vendor", "answered"]),
                name="support_thread_vendor_stage",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_motif_display()}"

    @property
    def title(self) -> str:
        """The subject the customer gave, else the motif's label."""
        return self.subject or str(self.get_motif_display())

    @property
    def vendor_stage_label(self) -> str:
        return str(THREAD_STAGES[ThreadStage(self.stage)].vendor_label)

    @property
    def staff_stage_label(self) -> str:
        return str(THREAD_STAGES[ThreadStage(self.stage)].staff_label)

    @property
    def requester_email(self) -> str:
        """Where the customer's emails go (never shown to the vendor)."""
        return self.customer.email if self.customer_id and self.customer else self.contact_email

    @property
    def due_at(self):
        """The running clock's moment, whoever owes the answer (None: nobody)."""
        return self.vendor_due_at or self.operator_due_at


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    vendor = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who wrote it (orders.events.Actor): its kind, and the user, key or address behind it.
    author_kind = models.CharField(_("auteur"), max_length=12, choices=ActorKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_api_key = models.ForeignKey(
        "vendors.VendorApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A sender known only by address (a visitor, a vendor's order-email address): staff see
    # it, the other party never does.
    author_email = models.EmailField(max_length=254, blank=True)
    body = models.TextField(_("message"))
    visibility = models.CharField(
        _("visibilité"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    # Inbound emails: their Message-ID, so a re-delivered email is not posted twice.
    email_message_id = models.CharField(max_length=255, blank=True)
    # The answer this message gave against a running clock (VEN-1's response-time record).
    response_seconds = models.PositiveIntegerField(null=True, blank=True)
    on_time = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(_("envoyé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["thread", "created_at", "id"], name="support_message_thread"),
            # VEN-1: a vendor's answers with their timing.
            models.Index(
                fields=["vendor", "created_at"],
                condition=Q(on_time__isnull=False),
                name="support_message_timed",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "email_message_id"],
                condition=~Q(email_message_id=""),
                name="support_message_email_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.thread_id}: {self.get_author_kind_display()} ({self.created_at:%Y-%m-%d})"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    vendor = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Kept under the "support" storage alias (allies.support.storage), never public.
    file = models.FileField(storage=support_storage, max_length=200)
    original_name = models.CharField(_("nom du fichier"), max_length=120)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("taille (octets)"))
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class ThreadEvent(models.Model):
    """One entry of a thread's audit trail: who did what, when."""

    Kind = ThreadEventKind

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="events")
    vendor = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("action"), max_length=30, choices=ThreadEventKind.choices)
    actor_kind = models.CharField(
        _("auteur"), max_length=12, choices=ActorKind.choices, default=ActorKind.SYSTEM
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        "vendors.VendorApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.EmailField(max_length=254, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("événement de demande")
        verbose_name_plural = _("historique des demandes")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "created_at"], name="support_event_thread")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.created_at:%Y-%m-%d %H:%M})"
