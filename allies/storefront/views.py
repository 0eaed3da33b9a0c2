"""Storefront pages: home, category, search, product, vendor; images, sitemap, robots, 404.

Views only parse the request, call one selector and render. Every catalogue page runs a
fixed number of queries whatever the size of the catalogue (tests assert it), and anonymous
visitors get the cached HTML (`core.page_cache`).
"""

import json
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from allies.catalog import selectors
from allies.catalog.images import product_svg, svg_etag
from allies.catalog.models import Availability, Category, Product, Variant
from allies.catalog.selectors import PAGE_SIZE, Sort
from allies.core.languages import page_path_in
from allies.core.numbers import NumberError, ascii_digits, parse_int
from allies.core.page_cache import anonymous_page_cache, generation_memo
from allies.core.templatetags.allies import eur
from allies.reviews.selectors import product_review_block, vendor_rating_get
from allies.shipping.selectors import shipping_tables_for_offers
from allies.storefront.forms import ListingFilterForm
from allies.vendors.models import Vendor

SITEMAP_MAX_URLS = 50_000
MAX_DB_INT = 2**63 - 1
MAX_PAGE = 100_000  # deeper pages are a 404 (and keep OFFSET within the database's range)
IMAGE_MAX_AGE = 60 * 60 * 24


# --- helpers --------------------------------------------------------------------------------


class ListingPaginator(Paginator):
    """Counts with `selectors.listing_count`, which the count index serves alone (once per
    change of the listings when the filters that made the list are given)."""

    count_exact = True  # a search's count may stop at its cap (paginate_search)
    filters: selectors.ListingFilters | None = None

    @cached_property
    def count(self) -> int:
        if self.filters is not None:
            return selectors.listing_count_kept(self.object_list, self.filters)  # type: ignore[arg-type]
        return selectors.listing_count(self.object_list)  # type: ignore[arg-type]


def _page_number(request) -> int:
    """`?page=`: a page number that is not a positive integer within range is a 404, never
    an error page. Read as text first (core.numbers): "²", "1e9" or 5,000 digits are a 404."""
    raw = request.GET.get("page", "1")
    if not ascii_digits(raw):
        raise Http404("page")
    try:
        return parse_int(raw, min_value=1, max_value=MAX_PAGE)
    except NumberError as exc:
        raise Http404("page") from exc


def paginate(
    request,
    queryset,
    *,
    per_page: int = PAGE_SIZE,
    capped: bool = False,
    filters: selectors.ListingFilters | None = None,
) -> Page:
    """The requested page of a listing counted by its index (`selectors.listing_count`).
    Page 1 of an empty list exists (the empty state). `capped`: counted only as far as
    SEARCH_COUNT_CAP or this page ("plus de 1 000 produits", as a search says). `filters`:
    those `queryset` was made from, its count shared by every sort and page."""
    number = _page_number(request)
    paginator = ListingPaginator(queryset, per_page)
    paginator.filters = filters
    if capped:
        count = selectors.listing_count_capped(queryset, at_least=number * per_page)
        paginator.count = count
        paginator.count_exact = count <= selectors.SEARCH_COUNT_CAP
    try:
        page = paginator.page(number)
    except EmptyPage as exc:
        raise Http404("page") from exc
    page.object_list = list(page.object_list)
    return page


def count_cap_label() -> str:
    """SEARCH_COUNT_CAP as a listing says it past the cap ("plus de 1 000 produits")."""
    return number_format(selectors.SEARCH_COUNT_CAP, force_grouping=True)


def paginate_search(request, filters, *, per_page: int = PAGE_SIZE) -> Page:
    """The requested page of a search (`selectors.search_slice`: rows and total together).
    `page.paginator.count_exact` is False past SEARCH_COUNT_CAP matches ("plus de …")."""
    number = _page_number(request)
    start = (number - 1) * per_page
    found = selectors.search_slice(filters=filters, start=start, stop=start + per_page)
    if not found.rows and number > 1:
        raise Http404("page")
    paginator = ListingPaginator([], per_page)
    paginator.count = found.total
    paginator.count_exact = found.exact
    return Page(found.rows, number, paginator)


def seo_links(request, *, canonical_query: str = "") -> dict:
    """Absolute canonical URL of this page and its French/English alternates (SITE-4)."""
    path = request.path
    alternates = {lang: settings.SITE_URL + page_path_in(request, lang) for lang in ("fr", "en")}
    return {
        "canonical_url": settings.SITE_URL + path + canonical_query,
        "alternate_urls": alternates,
    }


def _page_query(page: Page) -> str:
    return f"?page={page.number}" if page.number > 1 else ""


def _json_ld(data: dict) -> str:
    """JSON for a <script type="application/ld+json">, safe inside HTML."""
    text = json.dumps(data, ensure_ascii=False)
    return mark_safe(  # noqa: S308 - <, > and & are escaped just below
        text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )


def _without(request, *params: str) -> str:
    """This page's URL without the given query parameters (and back to page 1)."""
    query = request.GET.copy()
    for param in (*params, "page"):
        query.pop(param, None)
    return request.path + (f"?{query.urlencode()}" if query else "")


def _listing_context(request, *, form, page: Page, vendors, sizes, is_search: bool) -> dict:
    chips = _active_filters(form)
    for chip in chips:
        chip["url"] = _without(request, chip["param"])
    return {
        "form": form,
        "is_search": is_search,
        "default_sort": form.default_sort,
        "reset_url": _without(
            request, "categorie", "prix_min", "prix_max", "vendeur", "taille", "dispo"
        ),
        "page": page,
        "products": page.object_list,
        "vendor_options": vendors,
        "size_options": sizes,
        "sort_choices": form.sort_choices,
        "current_sort": form.sort,
        "availability_choices": [
            ("", _("Tous les produits")),
            ("en-stock", _("En stock")),
            ("reappro", _("En cours de réapprovisionnement")),
        ],
        "active_filters": chips,
        "elided_pages": list(
            page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
        ),
    }


def _active_filters(form: ListingFilterForm) -> list[dict]:
    """The filters in effect, each with the query parameter its "remove" link drops."""
    chips = []
    if form.category:
        chips.append({"label": form.category.label, "param": "categorie"})
    if form.vendor:
        chips.append({"label": form.vendor["name"], "param": "vendeur"})
    if form.size:
        chips.append({"label": _("Taille %(size)s") % {"size": form.size}, "param": "taille"})
    if form.price_min is not None:
        chips.append(
            {
                "label": _("Prix min. %(price)s") % {"price": eur(form.price_min)},
                "param": "prix_min",
            }
        )
    if form.price_max is not None:
        chips.append(
            {
                "label": _("Prix max. %(price)s") % {"price": eur(form.price_max)},
                "param": "prix_max",
            }
        )
    if form.availability_param == "en-stock":
        chips.append({"label": _("En stock"), "param": "dispo"})
    elif form.availability_param == "reappro":
        chips.append({"label": _("En cours de réapprovisionnement"), "param": "dispo"})
    return chips


# --- pages ----------------------------------------------------------------------------------


@anonymous_page_cache(scope="listings")
def home(request):
    # The same for every visitor until something shown changes: kept by the process for the
    # pages' generation (core.page_cache), whether the page cache is on or not.
    categories, products = generation_memo(
        "storefront:home",
        lambda: (selectors.home_categories(), selectors.home_products(limit=8)),
        listings=True,
    )
    return render(
        request,
        "storefront/home.html",
        {"categories": categories, "products": products, **seo_links(request)},
    )


@anonymous_page_cache(scope="listings")
def category(request, slug):
    category = selectors.category_get(slug=slug)
    if category is None:
        raise Http404("category")
    vendors = selectors.vendor_options(category_id=category.pk)
    sizes = selectors.size_options(category=category)
    form = ListingFilterForm(
        request.GET,
        vendors=selectors.vendors_active(),
        sizes=sizes,
        sorts=[Sort.PRICE_ASC, Sort.PRICE_DESC, Sort.NEWEST],
        default_sort=Sort.NEWEST,
    )
    filters = form.filters(category_id=category.pk)
    page = paginate(request, selectors.product_listing(filters=filters), filters=filters)
    return render(
        request,
        "storefront/category.html",
        {
            "category": category,
            "current_category_slug": category.slug,
            "all_categories": selectors.categories_all(),
            **_listing_context(
                request, form=form, page=page, vendors=vendors, sizes=sizes, is_search=False
            ),
            **seo_links(request, canonical_query=_page_query(page)),
        },
    )


@anonymous_page_cache(scope="listings")
def search(request):
    categories = selectors.categories_all()
    form = ListingFilterForm(
        request.GET,
        categories=categories,
        vendors=selectors.vendors_active(),
        sorts=[Sort.RELEVANCE, Sort.PRICE_ASC, Sort.PRICE_DESC, Sort.NEWEST],
        default_sort=Sort.RELEVANCE,
    )
    # Sizes and vendors on offer depend on the category chosen, if any.
    chosen = form.category
    vendors = selectors.vendor_options(category_id=chosen.pk if chosen else None)
    sizes = form.sizes = selectors.size_options(category=chosen)
    filters = form.filters()
    page = paginate_search(request, filters)
    return render(
        request,
        "storefront/search.html",
        {
            "search_query": form.query,
            "has_terms": bool(filters.terms),
            "search_count_cap": count_cap_label(),
            "all_categories": categories,
            **_listing_context(
                request, form=form, page=page, vendors=vendors, sizes=sizes, is_search=True
            ),
            **seo_links(request),
        },
    )


@anonymous_page_cache(scope="product")
def product(request, slug):
    detail = selectors.product_detail(slug=slug, variant_id=request.GET.get("variante"))
    if detail is None:
        raise Http404("product")
    item = detail.product
    canonical = seo_links(request)
    best = detail.best_offer
    json_ld = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": item.title,
        "description": Truncator(strip_tags(item.description)).chars(300),
        "image": settings.SITE_URL + item.image_url,
        "url": canonical["canonical_url"],
        "category": item.category.label,
    }
    if item.brand:
        json_ld["brand"] = {"@type": "Brand", "name": item.brand}
    if detail.variant is not None:
        json_ld["sku"] = detail.variant.sku
    # "Modes de livraison disponibles" for each offer (CAT-3), one query for all of them.
    tables = shipping_tables_for_offers(detail.offers, item, timezone.localdate())
    if best is not None:
        json_ld["offers"] = {
            "@type": "AggregateOffer",
            "priceCurrency": "EUR",
            "lowPrice": str(min(o.price for o in detail.offers)),
            "highPrice": str(max(o.price for o in detail.offers)),
            "offerCount": len(detail.offers),
            "availability": {
                Availability.IN_STOCK: "https://schema.org/InStock",
                Availability.RESTOCKING: "https://schema.org/BackOrder",
                Availability.OUT_OF_STOCK: "https://schema.org/OutOfStock",
            }[best.availability],
        }
    # Reviews of verified buyers (SITE-3): from the cache when warm; refreshed on publish/hide.
    review_block = product_review_block(product_id=item.pk)
    if review_block.summary.count:
        json_ld["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": review_block.summary.average,
            "reviewCount": review_block.summary.count,
            "bestRating": 5,
            "worstRating": 1,
        }
        json_ld["review"] = [
            {
                "@type": "Review",
                "reviewRating": {"@type": "Rating", "ratingValue": r.rating, "bestRating": 5},
                "author": {
                    "@type": "Person",
                    "name": getattr(r, "author_name", "") or _("Un client"),
                },
                "datePublished": r.created_at.date().isoformat(),
                "reviewBody": r.text,
                **({"name": r.title} if r.title else {}),
            }
            for r in review_block.reviews
        ]
    return render(
        request,
        "storefront/product.html",
        {
            "detail": detail,
            "product": item,
            "category": item.category,
            "current_category_slug": item.category.slug,
            "offers": detail.offers,
            "offer_rows": [(offer, tables.get(offer.id, [])) for offer in detail.offers],
            "best_offer": best,
            "json_ld": _json_ld(json_ld),
            "review_block": review_block,
            "meta_description": Truncator(" ".join(strip_tags(item.description).split())).chars(
                155
            ),
            **canonical,
        },
    )


@anonymous_page_cache(scope="listings")
def vendor(request, slug):
    found = selectors.vendor_get(slug=slug)
    if found is None:
        raise Http404("vendor")
    # A vendor may sell a large share of the catalogue: counted up to a cap.
    page = paginate(request, selectors.vendor_products(vendor=found), capped=True)
    return render(
        request,
        "storefront/vendor.html",
        {
            "vendor": found,
            "count_cap": count_cap_label(),
            "vendor_rating": vendor_rating_get(vendor_id=found.pk),
            "page": page,
            "products": page.object_list,
            "elided_pages": list(
                page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
            ),
            **seo_links(request, canonical_query=_page_query(page)),
        },
    )


# --- images, sitemap, robots ---------------------------------------------------------------


def product_image(request, pk):
    """The generated SVG of a product (catalog.images), cacheable for a day by anyone."""
    first_colour = Subquery(
        Variant.objects.filter(product=OuterRef("pk"))
        .order_by("position", "id")
        .values("colour")[:1]
    )
    if pk > MAX_DB_INT:  # the URL accepts any digits; the database does not
        raise Http404("image")
    row = (
        Product.objects.filter(pk=pk)
        .annotate(colour=first_colour)
        .values_list("kind", "colour")
        .first()
    )
    if row is None:
        raise Http404("image")
    kind, colour = row
    svg = product_svg(kind=kind, colour=colour, seed=pk)
    etag = svg_etag(svg)
    response: HttpResponse
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(svg, content_type="image/svg+xml")
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=IMAGE_MAX_AGE)
    return response


def robots_txt(request):
    lines = ["User-agent: *", "Allow: /", "", f"Sitemap: {settings.SITE_URL}/sitemap.xml", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def _sitemap_paths():
    """Every public page path (French), streamed from the database in id order."""
    yield reverse("storefront:home")
    for slug in Category.objects.order_by("position", "id").values_list("slug", flat=True):
        yield reverse("storefront:category", kwargs={"slug": slug})
    for slug in Vendor.objects.filter(is_active=True).order_by("id").values_list("slug", flat=True):
        yield reverse("storefront:vendor", kwargs={"slug": slug})
    products = Product.objects.filter(is_active=True).order_by("id").values_list("slug", flat=True)
    product_prefix = reverse("storefront:product", kwargs={"slug": "x"})[:-2]
    for slug in products.iterator(chunk_size=5000):
        yield f"{product_prefix}{slug}/"


def _sitemap_url(path: str) -> str:
    fr = escape(settings.SITE_URL + path)
    en = escape(settings.SITE_URL + "/en" + path)
    return (
        f"<url><loc>{fr}</loc>"
        f'<xhtml:link rel="alternate" hreflang="fr" href="{fr}"/>'
        f'<xhtml:link rel="alternate" hreflang="en" href="{en}"/></url>\n'
    )


def sitemap_xml(request):
    """/sitemap.xml: every category, vendor and product page with its English alternate.

    Past 50,000 URLs (the protocol's limit per file) it becomes an index of
    /sitemap.xml?p=1, ?p=2 …; each file is streamed, never built in memory."""
    total = (
        1
        + Category.objects.count()
        + Vendor.objects.filter(is_active=True).count()
        + Product.objects.filter(is_active=True).count()
    )
    files = max(1, -(-total // SITEMAP_MAX_URLS))
    raw_page = request.GET.get("p")
    if files > 1 and raw_page is None:
        body = ['<?xml version="1.0" encoding="UTF-8"?>\n']
        body.append('<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n')
        for n in range(1, files + 1):
            body.append(
                f"<sitemap><loc>{escape(settings.SITE_URL)}/sitemap.xml?p={n}</loc></sitemap>\n"
            )
        body.append("</sitemapindex>\n")
        return HttpResponse("".join(body), content_type="application/xml")
    number = 1
    if raw_page is not None:
        if not ascii_digits(raw_page):
            raise Http404("sitemap page")
        try:
            number = parse_int(raw_page, min_value=1, max_value=files)
        except NumberError as exc:
            raise Http404("sitemap page") from exc
    start, stop = (number - 1) * SITEMAP_MAX_URLS, number * SITEMAP_MAX_URLS

    def stream():
        yield (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
        )
        batch = []
        for index, path in enumerate(_sitemap_paths()):
            if index >= stop:
                break
            if index >= start:
                batch.append(_sitemap_url(path))
                if len(batch) == 1000:
                    yield "".join(batch)
                    batch = []
        batch.append("</urlset>\n")
        yield "".join(batch)

    return StreamingHttpResponse(stream(), content_type="application/xml")


# --- errors ---------------------------------------------------------------------------------


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
