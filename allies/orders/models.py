"""Orders. An `Order` is what the customer paid at once; it holds one `VendorOrder` per vendor.

Lines, shipping fee, shipments, invoice, threads and returns hang on the `VendorOrder`, whose
status follows Mirakl's model: stages, moves and labels are in `allies.orders.states`.
Addresses are copied onto the order when payment starts and never change afterwards (CHK-6,
INV-4). Every state change is written as an `OrderEvent` by the service that makes it: that
list is both the customer's timeline and the audit log.

The vendor side (ORD-8, CAT-5): each `OrderLine` is accepted or refused by its vendor
(Mirakl OR21); a `Shipment` carries some accepted units (`ShipmentLine`) with one carrier,
in one or more `Parcel`s, each with its tracking number ("Colis 1/3"). The writes are in
`allies.orders.acceptance` and `allies.orders.shipments`.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allies.orders.events import ActorKind, EventKind
from allies.orders.states import (
    IN_PREPARATION,
    UNPAID,
    VENDOR_ORDER_STAGES,
    OrderStatus,
    VendorOrderStatus,
)
from allies.shipping.carriers import carrier_name, tracking_url
from allies.shipping.modes import ShippingMode


class Order(models.Model):
    Status = OrderStatus  # stages and moves: allies.orders.states

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
        verbose_name = _("commande")
        verbose_name_plural = _("commandes")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["status", "reserved_until"]),
        ]

    def __str__(self) -> str:
        return self.reference


class VendorOrder(models.Model):
    Status = VendorOrderStatus  # stages, moves and labels: allies.orders.states

    ShippingMode = ShippingMode  # one list of modes, owned by the shipping engine

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="vendor_orders")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.AWAITING_PAYMENT
    )
    shipping_mode = models.CharField(max_length=10, choices=ShippingMode.choices)
    carrier = models.CharField(max_length=30, blank=True)
    shipping_fee = models.DecimalField(max_digits=10, decimal_places=2)
    # The cheapest fee offered at checkout for this shipment (≤ shipping_fee): a withdrawal
    # refunds the standard delivery cost, not the extra of a dearer mode (L221-24). Null on
    # vendor orders placed before it was kept: the fee paid is then refunded.
    standard_shipping_fee = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True
    )
    # The relay point chosen for "Point relais" (id, name, street, postcode, city).
    relay_point = models.JSONField(null=True, blank=True)
    # ORD-6: where this vendor order's parcels go when the customer changed the recipient or
    # the address after ordering (`orders.delivery_changes`); null = the order's delivery
    # address, which stays what was bought. Read it through `ship_to`.
    delivery_address = models.JSONField(null=True, blank=True)
    lines_total = models.DecimalField(max_digits=12, decimal_places=2)
    # Part of the order's discount carried by this vendor order, and who funds it.
    discount_share = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    # The vendor's delay in working days, and the dates it gives from the validation day
    # (re-dated when payment is accepted: delays start once the order is validated).
    delivery_min_days = models.PositiveSmallIntegerField(default=0)
    delivery_max_days = models.PositiveSmallIntegerField(default=0)
    delivery_min_date = models.DateField()
    delivery_max_date = models.DateField()
    # Acceptance (Mirakl OR21): the vendor accepts or refuses every line before this moment
    # (ORDER_ACCEPTANCE_WORKING_DAYS after validation); past it the vendor order is flagged,
    # and past the operator's longer limit it is cancelled and refunded.
    acceptance_deadline = models.DateTimeField(null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)
    # When each stage was reached (set by allies.orders.states): accepted (to ship), every
    # accepted unit shipped ("Expédiée"), every shipment delivered ("Livrée": the withdrawal
    # window starts from `delivered_at`), closed once that window passed, cancelled.
    accepted_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("commande vendeur")
        verbose_name_plural = _("commandes vendeur")
        ordering = ["order_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "vendor"], name="orders_one_per_vendor")
        ]
        indexes = [
            models.Index(fields=["vendor", "status", "-created_at"]),
            # The vendor's order list (portal and API), newest first, paginated.
            models.Index(fields=["vendor", "-created_at", "-id"], name="orders_vo_vendor_newest"),
            # Its count: only paid orders reach a vendor (states.UNPAID, in the order of
            # orders.selectors' scope). PostgreSQL counts a vendor's from this index alone;
            # SQLite cannot match a condition to a query's bound parameters and counts from
            # (vendor, status, -created_at).
            models.Index(
                fields=["vendor"], condition=~Q(status__in=sorted(UNPAID)), name="orders_vo_paid"
            ),
            models.Index(fields=["vendor", "updated_at"]),
            models.Index(
                fields=["acceptance_deadline"],
                condition=Q(status="waiting_acceptance"),
                name="orders_vo_awaiting_acceptance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.reference}-{self.vendor_id}"

    @property
    def total(self) -> Decimal:
        return self.lines_total + self.shipping_fee - self.discount_share

    @property
    def awaiting_acceptance(self) -> bool:
        """Paid, and some line still waits for the vendor's decision (WAITING_ACCEPTANCE)."""
        return self.status == VendorOrderStatus.WAITING_ACCEPTANCE

    @property
    def in_preparation(self) -> bool:
        """Paid and not fully shipped: "En préparation" for the customer."""
        return self.status in IN_PREPARATION

    @property
    def vendor_status_label(self) -> str:
        """The stage as vendors and staff name it ("À accepter", "À expédier"…)."""
        return str(VENDOR_ORDER_STAGES[VendorOrderStatus(self.status)].vendor_label)

    @property
    def mirakl_state(self) -> str:
        """The Mirakl order state vendors know (OR11), for the vendor API."""
        return VENDOR_ORDER_STAGES[VendorOrderStatus(self.status)].mirakl

    @property
    def ship_to(self) -> dict[str, Any]:
        """The delivery address of this vendor order: changed after ordering (ORD-6), else
        the order's."""
        return self.delivery_address or self.order.delivery_address

    @property
    def delivery_postcode(self) -> str:
        """Where the parcels go: the relay point's postcode for "Point relais" (tracking pages
        of some carriers ask for it)."""
        return delivery_postcode(relay_point=self.relay_point, delivery_address=self.ship_to)


def delivery_postcode(
    *, relay_point: dict[str, Any] | None, delivery_address: dict[str, Any] | None
) -> str:
    """`VendorOrder.delivery_postcode` from the two fields it reads (the vendor API's rows
    have them without a model instance)."""
    if relay_point and relay_point.get("postcode"):
        return str(relay_point["postcode"])
    return str((delivery_address or {}).get("postcode", ""))


class OrderLine(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En attente d'acceptation")
        ACCEPTED = "accepted", _("Accepté")
        REFUSED = "refused", _("Refusé par le vendeur")
        CANCELLED = "cancelled", _("Annulé")

    class RefusalReason(models.TextChoices):
        OUT_OF_STOCK = "out_of_stock", _("Rupture de stock")
        PRICE_ERROR = "price_error", _("Erreur de prix")
        OTHER = "other", _("Autre")

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
    # This line's part of the vendor order's `discount_share`, fixed when the order is placed
    # (the lines' parts add up to the share, to the cent): what the customer did not pay for
    # this line. A refund gives back `total − discount_amount` (allies.orders.refunds).
    discount_amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    # Sold on restock ("En cours de réapprovisionnement - Livré sous X semaines", CAT-2): the
    # weeks quoted at checkout. Such a line took no stock, so releasing the order gives none back.
    restock_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    # The vendor's decision (Mirakl OR21).
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    refusal_reason = models.CharField(max_length=20, choices=RefusalReason.choices, blank=True)
    refusal_note = models.CharField(max_length=500, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # What was sent back to the customer for this line, over every refund of it (refused,
    # cancelled, returned…), in euros TTC: refunded_amount = unit price × refunded_quantity
    # + refunded_shipping − refunded_discount − refunded_deduction (allies.orders.refunds).
    # A unit counted in refunded_quantity is never refunded again.
    refunded_quantity = models.PositiveIntegerField(default=0)
    refunded_amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    refunded_shipping = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    refunded_discount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    # Kept by the vendor on returned units (used, incomplete, damaged packaging: RET-3).
    refunded_deduction = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    # When every unit of the line was refunded, and the last refund that carried its money
    # (none when nothing was left to pay back, e.g. a line fully paid by a code).
    refunded_at = models.DateTimeField(null=True, blank=True)
    refund = models.ForeignKey(
        "payments.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )

    class Meta:
        verbose_name = _("ligne de commande")
        verbose_name_plural = _("lignes de commande")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_title}"

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def quantity_left(self) -> int:
        """Units not refunded yet (what a return or a cancellation may still take)."""
        return self.quantity - self.refunded_quantity

    @property
    def is_refunded(self) -> bool:
        return self.status in (self.Status.REFUSED, self.Status.CANCELLED)


class OrderEvent(models.Model):
    """One entry of an order's timeline: who did what, when."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    vendor_order = models.ForeignKey(
        VendorOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    # Who acted (events.Actor): its kind, and the user or the vendor's API key behind it.
    actor_kind = models.CharField(
        max_length=12, choices=ActorKind.choices, default=ActorKind.SYSTEM
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        "vendors.VendorApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("événement de commande")
        verbose_name_plural = _("historique des commandes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.created_at:%Y-%m-%d %H:%M})"


class Shipment(models.Model):
    """Units of one vendor order handed to one carrier at once, in one or more parcels."""

    class DeliverySource(models.TextChoices):
        CARRIER = "carrier", _("Transporteur")
        VENDOR = "vendor", _("Vendeur")

    vendor_order = models.ForeignKey(
        VendorOrder, on_delete=models.CASCADE, related_name="shipments"
    )
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    carrier = models.CharField(max_length=30)  # a code of allies.shipping.carriers
    parcel_count = models.PositiveSmallIntegerField(default=1)
    shipped_at = models.DateTimeField()
    estimated_delivery_date = models.DateField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_source = models.CharField(max_length=10, choices=DeliverySource.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("expédition")
        verbose_name_plural = _("expéditions")
        ordering = ["shipped_at", "id"]
        indexes = [models.Index(fields=["delivered_at", "shipped_at"])]

    def __str__(self) -> str:
        return f"shipment {self.pk} of vendor order {self.vendor_order_id}"

    @property
    def carrier_name(self) -> str:
        return carrier_name(self.carrier)


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="shipment_lines"
    )
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("article expédié")
        verbose_name_plural = _("articles expédiés")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="orders_shipment_line_quantity_positive"
            ),
            models.UniqueConstraint(
                fields=["shipment", "order_line"], name="orders_shipment_line_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id}"


class Parcel(models.Model):
    """One parcel of a shipment: "Colis <index>/<shipment.parcel_count>" (CAT-5)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="parcels")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    index = models.PositiveSmallIntegerField()  # 1-based
    tracking_number = models.CharField(max_length=40, db_index=True)  # normalised
    # The last tracking event the carrier told us (allies.shipping.tracking.EVENTS).
    tracking_status = models.CharField(max_length=20, blank=True)
    tracking_updated_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("colis")
        verbose_name_plural = _("colis")
        ordering = ["shipment_id", "index"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "index"], name="orders_parcel_index"),
            models.CheckConstraint(condition=Q(index__gte=1), name="orders_parcel_index_min"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.tracking_number}"

    @property
    def label(self) -> str:
        return str(
            _("Colis %(index)s/%(count)s")
            % {"index": self.index, "count": self.shipment.parcel_count}
        )

    @property
    def tracking_status_label(self) -> str:
        from allies.shipping.tracking import EVENTS

        label = EVENTS.get(self.tracking_status)
        return str(label) if label else ""

    @property
    def tracking_url(self) -> str:
        vendor_order = self.shipment.vendor_order
        return tracking_url(
            self.shipment.carrier, self.tracking_number, postcode=vendor_order.delivery_postcode
        )


class OrderSequence(models.Model):
    """Gapless yearly counter behind order references (AL-2026-000123)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("compteur de commandes")
        verbose_name_plural = _("compteurs de commandes")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_value}"


class VendorOrderRevision(models.Model):
    """How many times the rows shown with a vendor order, beyond its own row, have changed:
    its lines, shipments, parcels, what each shipment holds, and the vendor SKU of its lines'
    offers. Written by database triggers only (`allies.orders.revisions`), so that no writer,
    bulk update or raw statement included, can change those rows without moving it; no Python
    code writes it. The vendor API keys each order's cached JSON by it (with the order's own
    row), so a cached order is never older than the database."""

    vendor_order = models.OneToOneField(
        VendorOrder,
        primary_key=True,
        # The triggers may write it while Django deletes a vendor order's rows: no
        # constraint, and nothing to delete (a left-over row is a number nobody reads).
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="revision",
    )
    number = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("révision de commande vendeur")
        verbose_name_plural = _("révisions de commande vendeur")

    def __str__(self) -> str:
        return f"vendor order {self.vendor_order_id} revision {self.number}"
