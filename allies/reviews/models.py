"""Reviews from verified buyers (SITE-3).

A `Review` is written by the customer of a delivered vendor order. It is either about one
ordered item (`kind=product`, one per order line) or about the vendor of that order
(`kind=vendor`, one per vendor order): the invitation asks to "rate each item and its vendor",
and folding both into one model gives them the same moderation, status machine, answers and
reports. Its status moves only through `allies.reviews.states.review_transition`, which also
updates the aggregates (`ProductRating`, `VendorRating`) in the same transaction.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

RATINGS = (1, 2, 3, 4, 5)


class ReviewKind(models.TextChoices):
    PRODUCT = "product", _("Article")
    VENDOR = "vendor", _("Vendeur")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("En attente de modération")
    PUBLISHED = "published", _("Publié")
    HIDDEN = "hidden", _("Masqué")


class Review(models.Model):
    kind = models.CharField(max_length=10, choices=ReviewKind.choices)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    vendor_order = models.ForeignKey(
        "orders.VendorOrder", on_delete=models.PROTECT, related_name="reviews"
    )
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120, blank=True)
    text = models.TextField()
    # What the buyer bought ("Taille M, Bleu"), shown next to the review.
    variant_label = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    # Why the rules held it for staff (links, insults…), shown in the console only.
    held_reason = models.CharField(max_length=300, blank=True)
    hidden_reason = models.CharField(max_length=300, blank=True)
    open_reports = models.PositiveIntegerField(default=0)
    has_photos = models.BooleanField(default=False)
    language = models.CharField(max_length=2, default="fr")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("avis")
        verbose_name_plural = _("avis")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_line"],
                condition=Q(kind="product"),
                name="reviews_one_per_line",
            ),
            models.UniqueConstraint(
                fields=["vendor_order"],
                condition=Q(kind="vendor"),
                name="reviews_one_vendor_rating_per_vendor_order",
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="reviews_rating_1_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "status", "-created_at"]),
            models.Index(fields=["vendor", "kind", "status", "-created_at"]),
            models.Index(fields=["status", "open_reports"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} ({self.rating}/5)"


class ReviewPhoto(models.Model):
    """A photo of a product review, checked and cleaned by `support.attachments`."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="photos")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    file = models.CharField(max_length=255)  # a name in the "support" storage
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"photo {self.pk} of review {self.review_id}"


class ReviewAnswer(models.Model):
    """The vendor's one public answer to a review."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="answer")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"answer to review {self.review_id}"


class ReportReason(models.TextChoices):
    OFFENSIVE = "offensive", _("Propos injurieux ou haineux")
    PERSONAL = "personal", _("Informations personnelles")
    OFF_TOPIC = "off_topic", _("Sans rapport avec le produit ou le vendeur")
    FAKE = "fake", _("Avis mensonger ou publicitaire")
    OTHER = "other", _("Autre")


class ReviewReport(models.Model):
    """A customer's or vendor's report of a review: one per person per review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # Set when the reporter acted for a vendor (the portal's "Signaler").
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=ReportReason.choices)
    note = models.CharField(max_length=500, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "reporter"], name="reviews_one_report")
        ]

    def __str__(self) -> str:
        return f"report {self.pk} of review {self.review_id}"


class ReviewEvent(models.Model):
    """The review's audit trail: every status change, who made it and why."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"review {self.review_id}: {self.from_status} → {self.to_status}"


class RatingSummary(models.Model):
    """Published reviews of one subject: count, sum and distribution 1..5. Written only by
    `states.review_transition`, with F() updates on a locked row."""

    count = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    r1 = models.PositiveIntegerField(default=0)
    r2 = models.PositiveIntegerField(default=0)
    r3 = models.PositiveIntegerField(default=0)
    r4 = models.PositiveIntegerField(default=0)
    r5 = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @property
    def average(self) -> float:
        return round(self.total / self.count, 1) if self.count else 0.0

    @property
    def distribution(self) -> list[tuple[int, int, int]]:
        """[(stars, count, percent)] from 5 stars down to 1."""
        rows = []
        for stars in (5, 4, 3, 2, 1):
            n = getattr(self, f"r{stars}")
            rows.append((stars, n, round(100 * n / self.count) if self.count else 0))
        return rows


class ProductRating(RatingSummary):
    product = models.OneToOneField(
        "catalog.Product", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"product {self.product_id}: {self.count} reviews"


class VendorRating(RatingSummary):
    vendor = models.OneToOneField(
        "vendors.Vendor", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"vendor {self.vendor_id}: {self.count} ratings"
