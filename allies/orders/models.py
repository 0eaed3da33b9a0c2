"""Orders. An `Order` is what the customer paid at once; it holds one `VendorOrder` per vendor.

Lines, shipping fee, shipments, invoice, threads and returns hang on the `VendorOrder`, whose
status follows Mirakl's model (see `VendorOrder.Status`). Addresses are copied onto the order
when payment starts and never change afterwards (CHK-6, INV-4). Every state change is written
as an `OrderEvent` by the service that makes it: that list is both the customer's timeline
and the audit log.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from allies.shipping.modes import ShippingMode


class Order(models.Model):
    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", _("En attente de paiement")
        VALIDATED = "validated", _("Validée")
        PAYMENT_FAILED = "payment_failed", _("Paiement refusé")
        CANCELLED = "cancelled", _("Annulée")

    reference = models.CharField(max_length=20, unique=True)  # AL-2026-000123
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.AWAITING_PAYMENT
    )
    language = models.CharField(max_length=2, default="fr")
    # Frozen copies of the addresses (recipient, company, street, street_extra, postcode,
    # city, country, phone, instructions).
    delivery_address = models.JSONField()
    billing_address = models.JSONField()
    # Totals in euros TTC: lines + shipping − discount = total.
    lines_total = models.DecimalField(max_digits=12, decimal_places=2)
    shipping_total = models.DecimalField(max_digits=12, decimal_places=2)
    discount_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(max_digits=12, decimal_places=2)
    discount_code = models.ForeignKey(
        "cart.DiscountCode", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Stock is held for the order until this moment while payment is awaited.
    reserved_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["status", "reserved_until"]),
        ]

    def __str__(self) -> str:
        return self.reference


class VendorOrder(models.Model):
    class Status(models.TextChoices):
        # Mirakl: WAITING_DEBIT while the order is unpaid; SHIPPING once paid.
        AWAITING_PAYMENT = "awaiting_payment", _("En attente de paiement")
        PREPARING = "preparing", _("En préparation")
        SHIPPED = "shipped", _("Expédiée")
        DELIVERED = "delivered", _("Livrée")
        CLOSED = "closed", _("Clôturée")
        REFUSED = "refused", _("Refusée par le vendeur")
        CANCELLED = "cancelled", _("Annulée")

    ShippingMode = ShippingMode  # one list of modes, owned by the shipping engine

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="vendor_orders")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.AWAITING_PAYMENT
    )
    shipping_mode = models.CharField(max_length=10, choices=ShippingMode.choices)
    carrier = models.CharField(max_length=30, blank=True)
    shipping_fee = models.DecimalField(max_digits=10, decimal_places=2)
    # The relay point chosen for "Point relais" (id, name, street, postcode, city).
    relay_point = models.JSONField(null=True, blank=True)
    lines_total = models.DecimalField(max_digits=12, decimal_places=2)
    # Part of the order's discount carried by this vendor order, and who funds it.
    discount_share = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    # The vendor's delay in working days, and the dates it gives from the validation day
    # (re-dated when payment is accepted: delays start once the order is validated).
    delivery_min_days = models.PositiveSmallIntegerField(default=0)
    delivery_max_days = models.PositiveSmallIntegerField(default=0)
    delivery_min_date = models.DateField()
    delivery_max_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "vendor"], name="orders_one_per_vendor")
        ]
        indexes = [models.Index(fields=["vendor", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.order.reference}-{self.vendor_id}"

    @property
    def total(self) -> Decimal:
        return self.lines_total + self.shipping_fee - self.discount_share


class OrderLine(models.Model):
    vendor_order = models.ForeignKey(VendorOrder, on_delete=models.CASCADE, related_name="lines")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    offer = models.ForeignKey("catalog.Offer", on_delete=models.PROTECT, related_name="+")
    # Snapshot of what was bought, as shown at the time.
    product_title = models.CharField(max_length=200)
    variant_label = models.CharField(max_length=100, blank=True)
    sku = models.CharField(max_length=64)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)  # TTC
    vat_rate = models.DecimalField(max_digits=4, decimal_places=3)
    quantity = models.PositiveIntegerField()
    parcel_count = models.PositiveSmallIntegerField(default=1)
    weight_grams = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


class OrderEvent(models.Model):
    """One entry of an order's timeline: who did what, when."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    vendor_order = models.ForeignKey(
        VendorOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class OrderSequence(models.Model):
    """Gapless yearly counter behind order references (AL-2026-000123)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_value = models.PositiveIntegerField(default=0)
