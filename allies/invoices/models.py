"""Invoices: one per vendor order, issued in the vendor's name (INV-1 … INV-4).

- `VendorInvoicing` says how a vendor invoices: the platform generates the PDF at shipment
  ("generated", the default when a vendor has no row) or the vendor uploads its own PDF
  ("uploaded").
- `Invoice` is an invoice or a credit note ("avoir"). Generated documents are numbered from
  `InvoiceSequence`; the PDF is stored once and never re-rendered, and the figures it shows are
  frozen in `data` (seller, buyer, lines, VAT per rate) and in the stored totals.
- `InvoiceRequest` is a customer's "Ma facture" click while the vendor's own invoice is
  missing: the vendor then owes it within 48 business hours (INV-2).

Numbering (INV-3, CGI art. 242 nonies A): one gapless chronological series per vendor, per kind
and per calendar year — `F-V0042-2026-000001` for invoices, `AV-V0042-2026-000001` for credit
notes. Separate series for credit notes and a yearly restart are admitted by the tax
administration as long as every number is unique, which the kind prefix and the year in the
number guarantee. See `services.invoice_number_next` for how it stays gapless under
concurrency.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VendorInvoicing(models.Model):
    class Mode(models.TextChoices):
        GENERATED = "generated", _("Générée par Les Alliés à l'expédition")
        UPLOADED = "uploaded", _("Déposée par le vendeur")

    vendor = models.OneToOneField(
        "vendors.Vendor", on_delete=models.CASCADE, related_name="invoicing", primary_key=True
    )
    mode = models.CharField(
        _("mode de facturation"), max_length=10, choices=Mode.choices, default=Mode.GENERATED
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("réglage de facturation")
        verbose_name_plural = _("réglages de facturation")

    def __str__(self) -> str:
        return f"{self.vendor_id}: {self.mode}"


class InvoiceSequence(models.Model):
    """The last number used in one series (vendor, kind, year); locked to take the next one."""

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("compteur de factures")
        verbose_name_plural = _("compteurs de factures")
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "kind", "year"], name="invoices_one_sequence_per_series"
            )
        ]

    def __str__(self) -> str:
        return f"{self.vendor_id}/{self.kind}/{self.year}: {self.last_value}"


def invoice_pdf_path(invoice: "Invoice", filename: str) -> str:
    """MEDIA_ROOT/invoices/<vendor_id>/<year>/<file>: never served as public media."""
    year = timezone.localtime(invoice.issued_at).year if invoice.issued_at else "misc"
    return f"invoices/{invoice.vendor_id}/{year}/{filename}"


class Invoice(models.Model):
    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Facture")
        CREDIT_NOTE = "credit_note", _("Avoir")

    class Source(models.TextChoices):
        GENERATED = "generated", _("Générée")
        UPLOADED = "uploaded", _("Déposée par le vendeur")

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    vendor_order = models.ForeignKey(
        "orders.VendorOrder", on_delete=models.PROTECT, related_name="invoices"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.GENERATED)
    # Generated documents: the series number; uploaded ones: the vendor's own number, if given.
    number = models.CharField(_("numéro"), max_length=40, blank=True)
    sequence_year = models.PositiveSmallIntegerField(null=True, blank=True)
    sequence_value = models.PositiveIntegerField(null=True, blank=True)
    issued_at = models.DateTimeField(_("émise le"))
    language = models.CharField(max_length=2, default="fr")
    pdf = models.FileField(upload_to=invoice_pdf_path, max_length=200)
    # Euros. Generated documents: exactly what the PDF shows (HT + TVA = TTC). Credit notes
    # hold the credited amounts as positive numbers. Uploaded PDFs: unknown, left empty.
    total_ht = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    total_vat = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    total_ttc = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # Credit notes: the invoice they correct, why, and the refund they document (idempotency).
    credits = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    reason = models.CharField(max_length=200, blank=True)
    refund_reference = models.CharField(max_length=64, blank=True)
    # The frozen content of a generated document (seller, buyer, lines, VAT breakdown).
    data = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        constraints = [
            # INV-1: one invoice per vendor order (credit notes may be several).
            models.UniqueConstraint(
                fields=["vendor_order"],
                condition=Q(kind="invoice"),
                name="invoices_one_invoice_per_vendor_order",
            ),
            models.UniqueConstraint(
                fields=["vendor", "number"],
                condition=~Q(number=""),
                name="invoices_number_unique_per_vendor",
            ),
            models.UniqueConstraint(
                fields=["vendor_order", "refund_reference"],
                condition=~Q(refund_reference=""),
                name="invoices_one_credit_note_per_refund",
            ),
        ]
        indexes = [models.Index(fields=["vendor", "-issued_at"])]

    def __str__(self) -> str:
        return self.number or f"{self.get_kind_display()} #{self.pk}"

    @property
    def amount(self):
        """The document's amount TTC (credited amount for a credit note)."""
        return self.total_ttc


class InvoiceRequest(models.Model):
    """ "Ma facture" clicked while the vendor's own invoice is missing (INV-2)."""

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    vendor_order = models.OneToOneField(
        "orders.VendorOrder", on_delete=models.PROTECT, related_name="invoice_request"
    )
    requested_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("demandée le"))
    due_at = models.DateTimeField(_("à fournir avant le"))
    fulfilled_at = models.DateTimeField(_("fournie le"), null=True, blank=True)
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("demande de facture")
        verbose_name_plural = _("demandes de facture")
        indexes = [
            models.Index(fields=["fulfilled_at", "due_at"]),
            models.Index(fields=["vendor", "fulfilled_at", "due_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.vendor_order_id} → {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_overdue(self) -> bool:
        return self.fulfilled_at is None and self.due_at < timezone.now()


# --- commission invoices: the operator invoices each vendor its monthly commission ---------------
# The rules (amounts, VAT, reverse charge, numbering) are in `allies.invoices.commissions`.


class CommissionInvoiceSequence(models.Model):
    """The last number of the operator's commission-invoice series of one year; locked to
    take the next one (the same mechanism as `InvoiceSequence`, whose rows belong to a
    vendor's series: this series is the operator's own, one for all vendors)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("compteur de factures de commission")
        verbose_name_plural = _("compteurs de factures de commission")

    def __str__(self) -> str:
        return f"COM/{self.year}: {self.last_value}"


def commission_invoice_pdf_path(invoice: "CommissionInvoice", filename: str) -> str:
    """MEDIA_ROOT/commission_invoices/<vendor_id>/<year>/<file>: never served as public media."""
    year = invoice.sequence_year or "misc"
    return f"commission_invoices/{invoice.vendor_id}/{year}/{filename}"


class CommissionInvoice(models.Model):
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    # The month invoiced: its first day.
    period = models.DateField(_("mois facturé"))
    number = models.CharField(_("numéro"), max_length=40, unique=True)
    sequence_year = models.PositiveSmallIntegerField()
    sequence_value = models.PositiveIntegerField()
    issued_at = models.DateTimeField(_("émise le"))
    language = models.CharField(max_length=2, default="fr")
    # Reverse charge (art. 196 of Directive 2006/112/EC): no VAT on the invoice.
    reverse_charge = models.BooleanField(_("autoliquidation"), default=False)
    vat_rate = models.DecimalField(max_digits=4, decimal_places=3)
    # Euros; HT + TVA = TTC = what the ledger took from the vendor that month (negative when
    # more commission was given back than charged).
    total_ht = models.DecimalField(max_digits=12, decimal_places=2)
    total_vat = models.DecimalField(max_digits=12, decimal_places=2)
    total_ttc = models.DecimalField(max_digits=12, decimal_places=2)
    # The frozen content of the document (operator, vendor, lines, mentions).
    data = models.JSONField(default=dict, blank=True)
    pdf = models.FileField(upload_to=commission_invoice_pdf_path, max_length=200)
    # The email with the PDF attached: when it went out, and the last attempt (a claim, so
    # that two sweeps never send it at the same time).
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempted_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period", "-id"]
        verbose_name = _("facture de commission")
        verbose_name_plural = _("factures de commission")
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "period"], name="invoices_one_commission_invoice_per_month"
            ),
        ]
        indexes = [
            models.Index(fields=["vendor", "-period"]),
            models.Index(
                fields=["email_attempted_at"],
                condition=Q(emailed_at__isnull=True),
                name="invoices_commission_unsent",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CommissionInvoiceRun(models.Model):
    """A month whose commission invoices have all been issued: the minute sweep reads this
    one row instead of the month's ledger."""

    period = models.DateField(unique=True)
    completed_at = models.DateTimeField()
    issued = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("émission des factures de commission")
        verbose_name_plural = _("émissions des factures de commission")

    def __str__(self) -> str:
        return f"{self.period:%Y-%m}: {self.issued}"
