"""The catalogue: categories, products with variants, and vendors' offers on each variant.

A product is what the customer looks at; a variant is one size/colour of it; an offer is one
vendor's price and stock for one variant (CAT-2). Several vendors may offer the same variant.

Listing pages must not touch offers row by row, so each product carries a summary of its
offers (lowest price, best availability, number of offers and of vendors, filter tokens) and
its search terms, kept current by `catalog.services.product_summaries_refresh`, which every offer or
product write calls.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from allies.core.links import reverse_one


class Availability(models.IntegerChoices):
    """Ordered best first, so the minimum over offers is the product's best availability."""

    IN_STOCK = 0, _("En stock")
    RESTOCKING = 1, _("En cours de réapprovisionnement")
    OUT_OF_STOCK = 2, _("En rupture de stock")


class Category(models.Model):
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # Sizes shown in this category's size filter, in their natural order ("S,M,L,XL").
    size_scale = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("catégorie")
        verbose_name_plural = _("catégories")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse_one("storefront:category", "slug", self.slug)

    @property
    def label(self) -> str:
        return self.name_en if get_language() == "en" and self.name_en else self.name

    @property
    def intro(self) -> str:
        return (
            self.description_en
            if get_language() == "en" and self.description_en
            else self.description
        )

    @property
    def sizes(self) -> list[str]:
        return [s for s in self.size_scale.split(",") if s]


class Product(models.Model):
    class Kind(models.TextChoices):
        """What the product is drawn as (its generated image) and how it ships."""

        SHIRT = "shirt", "shirt"
        TROUSERS = "trousers", "trousers"
        SHOES = "shoes", "shoes"
        WATCH = "watch", "watch"
        LEATHER = "leather", "leather"
        GROOMING = "grooming", "grooming"
        FURNITURE = "furniture", "furniture"
        KNITWEAR = "knitwear", "knitwear"

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    brand = models.CharField(max_length=100, blank=True)
    description = models.TextField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Bulky goods ship in several parcels ("Colis 1/3", CAT-5); weight drives shipping fees.
    parcel_count = models.PositiveSmallIntegerField(default=1)
    weight_grams = models.PositiveIntegerField(default=500)
    vat_rate = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.200"))
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(db_index=True)
    # Summary of the active offers, for listings (see module docstring).
    price_from = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    availability = models.PositiveSmallIntegerField(
        choices=Availability.choices, default=Availability.OUT_OF_STOCK
    )
    offer_count = models.PositiveIntegerField(default=0)
    # Distinct vendors with an active offer: "3 vendeurs" on a card (offer_count counts every
    # size of every vendor, so it cannot say how many sellers there are).
    vendor_count = models.PositiveIntegerField(default=0)
    # Accent- and case-free terms of title, brand and category (core.text.search_document),
    # searched through the full-text index of catalog.search_index (FTS5 table on SQLite,
    # generated `search_words` tsvector column with a GIN index on PostgreSQL).
    search_text = models.TextField(blank=True)
    # The same, for the title alone: search ranks title matches first (catalog.selectors).
    title_search = models.TextField(blank=True)
    # Vendor and size filter tokens of the active offers (catalog.facets).
    facets = models.TextField(blank=True)

    class Meta:
        verbose_name = _("produit")
        verbose_name_plural = _("produits")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["category", "is_active", "price_from"]),
            models.Index(fields=["category", "is_active", "created_at"]),
            models.Index(fields=["is_active", "created_at"]),
            # Counting a category's listed products reads this index only.
            models.Index(
                fields=["category", "is_active", "offer_count"], name="catalog_product_listed"
            ),
            # ...and those with an availability ("En stock"): 44 → 6 ms at 200,000 products.
            models.Index(
                fields=["category", "is_active", "availability", "offer_count"],
                name="catalog_product_listed_avail",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse_one("storefront:product", "slug", self.slug)

    @property
    def image_url(self) -> str:
        return reverse_one("product_image", "pk", self.pk)


class Variant(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=64, unique=True)
    size = models.CharField(max_length=20, blank=True)
    colour = models.CharField(max_length=40, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("variante")
        verbose_name_plural = _("variantes")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["size", "product"])]

    def __str__(self) -> str:
        parts = [p for p in (self.size, self.colour) if p]
        return f"{self.product.title} ({', '.join(parts)})" if parts else self.product.title

    @property
    def label(self) -> str:
        return " · ".join(p for p in (self.size, self.colour) if p)


class Offer(models.Model):
    """One vendor's price (euros TTC) and stock for one variant."""

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="offers")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="offers")
    vendor_sku = models.CharField(max_length=64, blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    stock = models.PositiveIntegerField(default=0)
    # When out of stock but being restocked: "Livré sous X semaines".
    restock_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("offre")
        verbose_name_plural = _("offres")
        constraints = [
            models.UniqueConstraint(fields=["vendor", "variant"], name="catalog_offer_unique"),
            models.CheckConstraint(
                condition=models.Q(price__gt=0), name="catalog_offer_price_gt_0"
            ),
        ]
        indexes = [models.Index(fields=["variant", "is_active", "price"])]

    def __str__(self) -> str:
        return f"{self.vendor_id}:{self.variant_id} {self.price}"

    @property
    def availability(self) -> Availability:
        if self.stock > 0:
            return Availability.IN_STOCK
        if self.restock_weeks:
            return Availability.RESTOCKING
        return Availability.OUT_OF_STOCK


class OfferImport(models.Model):
    """A vendor's CSV file of offers and stock, processed in the background (VEN-3).

    Written by `catalog.imports` only: `offer_import_start` stores the checked file and
    queues the task; `offer_import_run` streams it a chunk at a time, committing each chunk
    together with the counters below and the place in the file where the next chunk starts
    (`resume_offset`, `resume_line`), so the portal's progress bar can poll `percent` and a
    run interrupted midway (worker killed) resumes after the last committed chunk, counting
    every line once. `heartbeat_at` moves with each chunk: a RUNNING import whose heartbeat
    is old lost its worker (`imports.offer_imports_resume_stale`).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    # Errors kept for the report; `rejected` still counts every one.
    MAX_ERRORS = 1000

    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.CASCADE, related_name="offer_imports"
    )
    created_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("importé par"),
    )
    file = models.FileField(_("fichier"), upload_to="imports/offres/%Y/%m/", max_length=255)
    filename = models.CharField(_("nom du fichier"), max_length=255)
    sha256 = models.CharField(max_length=64)
    # The language of the person who sent the file: the report's messages are written in it.
    language = models.CharField(max_length=10, default="fr")
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("lignes"), default=0)
    processed_rows = models.PositiveIntegerField(_("lignes traitées"), default=0)
    created = models.PositiveIntegerField(_("offres créées"), default=0)
    updated = models.PositiveIntegerField(_("offres modifiées"), default=0)
    unchanged = models.PositiveIntegerField(_("offres inchangées"), default=0)
    rejected = models.PositiveIntegerField(_("lignes rejetées"), default=0)
    # [{"line": spreadsheet row (header = 1), "sku", "code", "reason"}], first MAX_ERRORS.
    errors = models.JSONField(default=list, blank=True)
    # Why the run stopped (status failed), for the vendor.
    failure = models.TextField(_("message d'échec"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Where the first line not yet committed starts: byte offset in the stored file, and the
    # spreadsheet line number just before it (0: not started, the header comes first).
    resume_offset = models.PositiveBigIntegerField(default=0)
    resume_line = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import d'offres")
        verbose_name_plural = _("imports d'offres")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["vendor", "-created_at"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.vendor_id}:{self.filename} ({self.status})"

    @property
    def percent(self) -> int:
        """Progress for the portal's bar, 0–100 (100 only once finished)."""
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.processed_rows * 100 // self.total_rows)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class OfferImportSku(models.Model):
    """A SKU an unfinished import has met, with its first line: the later lines with the same
    SKU are rejected as duplicates, whichever chunk they fall in, without holding every SKU
    of the file in memory. Written with each chunk (so a resumed run knows them), deleted
    when the import finishes."""

    offer_import = models.ForeignKey(OfferImport, on_delete=models.CASCADE, related_name="+")
    # The SKU as cleaned, or "sha256:<hex>" of a longer one (no variant has such a SKU).
    sku = models.CharField(max_length=80)
    line = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("ligne d'import d'offres")
        verbose_name_plural = _("lignes d'import d'offres")
        constraints = [
            models.UniqueConstraint(fields=["offer_import", "sku"], name="offer_import_sku_once")
        ]

    def __str__(self) -> str:
        return f"{self.sku} (line {self.line})"
