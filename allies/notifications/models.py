"""The outbox: every email Alliés sends is a row, so none is lost when the mail server is down.

`notification_send` renders the message and writes an `OutgoingEmail` in the caller's
transaction; the `email_deliver` task sends it. A failed attempt is tried again later with a
growing delay (`RETRY_DELAYS`), and after `MAX_ATTEMPTS` the email is "dead": staff see it in
the back office and send it again with the "Renvoyer" action. Every status change goes
through `notifications.services.outgoing_email_transition`, which checks `TRANSITIONS`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutgoingEmail(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("À envoyer")
        SENDING = "sending", _("Envoi en cours")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec, nouvel essai prévu")
        DEAD = "dead", _("Abandonné après plusieurs échecs")
        BLOCKED = "blocked", _("Non envoyé : compte désactivé")

    # status → the statuses it may move to.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.PENDING: frozenset({Status.SENDING, Status.BLOCKED}),
        # FAILED from SENDING also covers a worker that died mid-send (see the services).
        Status.SENDING: frozenset({Status.SENT, Status.FAILED, Status.DEAD}),
        Status.FAILED: frozenset({Status.SENDING, Status.BLOCKED, Status.PENDING}),
        Status.DEAD: frozenset({Status.PENDING}),
        Status.SENT: frozenset(),
        Status.BLOCKED: frozenset(),
    }

    template = models.CharField(_("modèle"), max_length=100, blank=True)
    to = models.EmailField(_("destinataire"), max_length=254)
    subject = models.TextField(_("objet"))
    # The rendered bodies; emptied once the email is sent (they may hold a password-reset
    # link, which nobody should read back from the database).
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    next_attempt_at = models.DateTimeField(_("prochain essai"), null=True, blank=True)
    # When the current (or last) attempt started: a SENDING row much older than the SMTP
    # timeout belongs to a worker that died mid-send.
    attempted_at = models.DateTimeField(_("dernier essai"), null=True, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("email sortant")
        verbose_name_plural = _("emails sortants")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
