"""What the vendor API keeps: the answers to writes sent with an `Idempotency-Key`."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """One write call sent with `Idempotency-Key: <key>`, per API key (VEN-3).

    The row is inserted *before* the call acts, under the unique (api_key, key) constraint:
    of two identical calls racing, only one inserts and acts; the other sees the row. While
    the call runs `status_code` is null ("in flight"); afterwards it holds the answer, which
    any retry with the same fingerprint (method, path, body hash) gets back unchanged.
    Records older than 24 hours are ignored and purged (`idempotency.RETENTION`).
    """

    api_key = models.ForeignKey("vendors.VendorApiKey", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and body
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("clé d'idempotence de l'API")
        verbose_name_plural = _("clés d'idempotence de l'API")
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="vendor_api_idempotency_key")
        ]
        indexes = [models.Index(fields=["api_key", "created_at"])]

    def __str__(self) -> str:
        return f"{self.api_key_id}:{self.key} {self.method} {self.path} → {self.status_code}"
