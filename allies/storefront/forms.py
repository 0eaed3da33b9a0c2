"""The listing filter form (GET): parses the query string into `ListingFilters`.

Anything invalid (`prix_min=abc`, an unknown vendor, a size not in the list) is dropped
silently: a shared or hand-edited URL still shows a page, never an error.
"""

from decimal import Decimal, InvalidOperation

from django import forms

from allies.catalog.models import Availability
from allies.catalog.selectors import ListingFilters, Sort, search_terms_of

# URL value of the availability filter -> Product.availability
AVAILABILITY_PARAMS = {
    "en-stock": Availability.IN_STOCK,
    "reappro": Availability.RESTOCKING,
}
MAX_PRICE = Decimal("1000000")


def parse_price(raw: str | None) -> Decimal | None:
    """'49,90', '49.90', ' 49 ' -> Decimal; anything else (or negative, or huge) -> None."""
    if not raw:
        return None
    text = raw.strip().replace("\u00a0", "").replace(" ", "").replace("€", "").replace(",", ".")
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value < 0 or value > MAX_PRICE:
        return None
    return value.quantize(Decimal("0.01"))


class ListingFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    categorie = forms.CharField(required=False, max_length=120)
    prix_min = forms.CharField(required=False, max_length=20)
    prix_max = forms.CharField(required=False, max_length=20)
    vendeur = forms.CharField(required=False, max_length=140)
    taille = forms.CharField(required=False, max_length=20)
    dispo = forms.CharField(required=False, max_length=20)
    tri = forms.CharField(required=False, max_length=30)

    def __init__(self, data, *, categories=(), vendors=(), sizes=(), sorts=(), default_sort):
        super().__init__(data)
        self.categories = {c.slug: c for c in categories}
        self.vendors = {v["slug"]: v for v in vendors}
        self.sizes = list(sizes)
        self.sorts = list(sorts)
        self.sort_choices = [(value, Sort.LABELS[value]) for value in self.sorts]
        self.default_sort = default_sort
        self.is_valid()  # fills cleaned_data with the fields that are valid

    def value(self, name: str) -> str:
        return (self.cleaned_data.get(name) or "").strip()

    @property
    def category(self):
        return self.categories.get(self.value("categorie"))

    @property
    def vendor(self):
        return self.vendors.get(self.value("vendeur"))

    @property
    def size(self) -> str | None:
        size = self.value("taille")
        return size if size in self.sizes else None

    @property
    def price_min(self) -> Decimal | None:
        return parse_price(self.value("prix_min"))

    @property
    def price_max(self) -> Decimal | None:
        return parse_price(self.value("prix_max"))

    @property
    def availability_param(self) -> str:
        dispo = self.value("dispo")
        return dispo if dispo in AVAILABILITY_PARAMS else ""

    @property
    def sort(self) -> str:
        tri = self.value("tri")
        return tri if tri in self.sorts else self.default_sort

    @property
    def query(self) -> str:
        return self.value("q")

    def filters(self, *, category_id: int | None = None) -> ListingFilters:
        vendor = self.vendor
        category = self.category
        price_min, price_max = self.price_min, self.price_max
        if price_min is not None and price_max is not None and price_min > price_max:
            price_min, price_max = price_max, price_min
        return ListingFilters(
            terms=search_terms_of(self.query),
            category_id=category_id or (category.pk if category else None),
            vendor_id=vendor["id"] if vendor else None,
            price_min=price_min,
            price_max=price_max,
            size=self.size,
            availability=AVAILABILITY_PARAMS.get(self.availability_param),
            sort=self.sort,
        )

    def active_count(self) -> int:
        """How many filters (not the query, not the sort) are in effect: "Filtres (2)"."""
        return sum(
            1
            for present in (
                self.category,
                self.vendor,
                self.size,
                self.price_min is not None,
                self.price_max is not None,
                self.availability_param,
            )
            if present
        )
