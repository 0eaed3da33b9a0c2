"""Anonymous page cache (core.page_cache): speed for visitors, never a stale personal page."""

import pytest
from django.contrib.messages import constants, get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from allies.core.page_cache import anonymous_page_cache
from tests.factories import UserFactory, VendorFactory
from tests.storefront.conftest import add_product, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.PAGE_CACHE_SECONDS = 60


@pytest.fixture
def product(shirts):
    return add_product(
        category=shirts, title="Chemise Oxford", offers=[{"vendor": VendorFactory()}]
    )


@pytest.mark.parametrize("url", ["/", "/c/chemises/", "/recherche/?q=chemise", "/en/c/chemises/"])
def test_second_anonymous_visit_is_served_from_the_cache(
    client, cached, product, url, django_assert_max_num_queries
):
    # covers: CAT-1 (speed)
    first = client.get(url)
    assert first.status_code == 200 and first["X-Page-Cache"] == "miss"
    with django_assert_max_num_queries(1):
        second = client.get(url)
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content


def test_product_and_vendor_pages_are_cached_too(
    client, cached, product, django_assert_max_num_queries
):
    # covers: CAT-2 (speed)
    vendor_url = product.variants.get().offers.get().vendor.get_absolute_url()
    for url in (product.get_absolute_url(), vendor_url):
        client.get(url)
        with django_assert_max_num_queries(1):
            assert client.get(url)["X-Page-Cache"] == "hit"


def test_cache_is_keyed_by_full_path_and_language(client, cached, product):
    # covers: SITE-4
    fr = client.get("/c/chemises/")
    en = client.get("/en/c/chemises/")
    sorted_fr = client.get("/c/chemises/?tri=prix-croissant")
    assert '<html lang="fr">' in text(fr) and '<html lang="en">' in text(en)
    assert sorted_fr["X-Page-Cache"] == "miss"


def _header(response) -> str:
    """The page's personal part (base.html's account link and cart count)."""
    html = text(response)
    return html[html.index("<!--personal-->") : html.index("<!--/personal-->")]


def _without_header(response) -> str:
    html = text(response)
    return html.replace(_header(response), "")


def test_a_customer_gets_the_cached_page_with_their_own_header(client, cached, product):
    # covers: ACC-8 (speed for customers; nothing personal leaks either way)
    url = product.get_absolute_url()
    anonymous = client.get(url)  # stored by an anonymous visitor
    assert anonymous["X-Page-Cache"] == "miss"
    customer = UserFactory()
    client.force_login(customer)
    client.post(
        "/panier/ajouter/",
        {"offer": product.variants.get().offers.get().pk, "quantity": 3},
        follow=True,  # the message "ajouté au panier" is shown on the cart page
    )
    # Only the header is rendered for them, from one query: the session, read with its
    # customer and their cart's count (storefront.sessions).
    with CaptureQueriesContext(connection) as queries:
        mine = client.get(url)
    tables = [q["sql"].rsplit(" FROM ", 1)[1].split()[0].strip('"') for q in queries]
    assert tables == ["accounts_session"]
    assert mine["X-Page-Cache"] == "hit"
    assert "COMPTE" in _header(mine) and "Se connecter" not in _header(mine)
    assert '<span class="cart-count">3' in _header(mine)
    assert _without_header(mine) == _without_header(anonymous)  # the rest is the same page
    # The page stays theirs: it is not cached by a browser or a proxy for someone else.
    assert "Cookie" in mine["Vary"]
    # An anonymous visitor after them still gets the anonymous header.
    client.logout()
    client.cookies.clear()
    again = client.get(url)
    assert again["X-Page-Cache"] == "hit"
    assert "Se connecter" in _header(again) and "cart-count" not in _header(again)


def test_the_cached_page_shows_the_count_of_the_cart_as_it_is_now(client, cached, product):
    # covers: CHK-1 (the header's count read with the customer, never a remembered one)
    url = product.get_absolute_url()
    client.get(url)
    customer = UserFactory()
    client.force_login(customer)
    page = client.get(url)
    assert page["X-Page-Cache"] == "hit" and "cart-count" not in _header(page)  # no cart yet
    # The same customer fills the cart on another device: this one's next page shows it.
    phone = Client()
    phone.force_login(customer)
    offer = product.variants.get().offers.get()
    phone.post("/panier/ajouter/", {"offer": offer.pk, "quantity": 2}, follow=True)
    assert '<span class="cart-count">2' in _header(client.get(url))
    line = customer.cart.lines.get()
    phone.post(f"/panier/ligne/{line.pk}/supprimer/", follow=True)
    page = client.get(url)
    assert page["X-Page-Cache"] == "hit" and "cart-count" not in _header(page)


def test_a_page_first_asked_by_a_customer_is_stored_as_an_anonymous_visitor_sees_it(
    client, cached, product
):
    # covers: ACC-8 (what a customer's visit stores is never their page)
    customer = UserFactory()
    client.force_login(customer)
    client.post(
        "/panier/ajouter/",
        {"offer": product.variants.get().offers.get().pk, "quantity": 1},
        follow=True,
    )
    urls = ("/c/chemises/", product.get_absolute_url(), "/en/c/chemises/")
    for url in urls:
        mine = client.get(url)
        assert mine["X-Page-Cache"] == "miss"
        assert "COMPTE" in _header(mine) or "ACCOUNT" in _header(mine)
        assert '<span class="cart-count">1' in _header(mine)
    client.logout()
    client.cookies.clear()
    for url in urls:
        page = client.get(url)
        assert page["X-Page-Cache"] == "hit", url
        assert "COMPTE" not in text(page) and "ACCOUNT" not in text(page)
        assert "cart-count" not in text(page)
        assert customer.email not in text(page)


def test_a_guest_with_a_cart_sees_their_count_on_cached_pages(client, cached, product):
    # covers: CHK-1 (the header's cart count, also on cached pages)
    url = product.get_absolute_url()
    client.get(url)
    client.post(
        "/panier/ajouter/",
        {"offer": product.variants.get().offers.get().pk, "quantity": 2},
        follow=True,
    )
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page["X-Page-Cache"] == "hit"
    assert "Se connecter" in _header(page) and '<span class="cart-count">2' in _header(page)
    # One query: the session, read with its cart's count (storefront.sessions).
    assert len(queries) == 1 and '"accounts_session"' in queries[0]["sql"]


def test_a_customer_with_a_message_gets_a_fresh_page_that_shows_it(client, cached, product):
    # covers: ACC-8 (a message is shown once, on the customer's own page)
    url = product.get_absolute_url()
    client.get(url)
    client.force_login(UserFactory())
    offer = product.variants.get().offers.get()
    added = client.post("/panier/ajouter/", {"offer": offer.pk, "quantity": 1})
    assert added.status_code == 302  # the message waits for the next page
    page = client.get(url)
    assert "X-Page-Cache" not in page
    assert "L'article a été ajouté à votre panier." in text(page).replace("&#x27;", "'")
    assert '<span class="cart-count">1' in _header(page)
    again = client.get(url)  # shown once; then the cached page with their header
    assert again["X-Page-Cache"] == "hit"
    assert "ajouté à votre panier" not in text(again)
    assert '<span class="cart-count">1' in _header(again)


def test_not_found_pages_are_not_cached(client, cached):
    # covers: CAT-1
    assert client.get("/c/inconnue/").status_code == 404
    assert "X-Page-Cache" not in client.get("/c/inconnue/")


def test_disabled_when_page_cache_seconds_is_zero(client, settings, product):
    # covers: CAT-1
    settings.PAGE_CACHE_SECONDS = 0
    client.get("/c/chemises/")
    assert "X-Page-Cache" not in client.get("/c/chemises/")


def test_a_page_with_a_pending_message_is_neither_cached_nor_served_from_cache(cached):
    # covers: CAT-1
    calls = []

    @anonymous_page_cache
    def view(request):
        calls.append(1)
        if request.GET.get("flash"):
            request._messages.add(constants.SUCCESS, "Bienvenue")
        return HttpResponse("page")

    factory = RequestFactory()

    def request(path, cookies=None):
        req = factory.get(path)
        req.COOKIES.update(cookies or {})
        req._messages = CookieStorage(req)
        return req

    view(request("/x/?flash=1"))
    view(request("/x/?flash=1"))
    assert len(calls) == 2  # the page with a message was not stored
    view(request("/y/"))
    assert view(request("/y/"))["X-Page-Cache"] == "hit"
    # someone holding a message cookie gets a fresh page, not the cached one
    response = view(request("/y/", {"messages": "x"}))
    assert "X-Page-Cache" not in response
    assert len(get_messages(request("/y/"))) == 0


# --- exactness: a cached page is served only until something it shows changes -------------


def test_a_stock_change_through_the_api_shows_on_the_very_next_anonymous_visit(
    client, cached, shirts, django_capture_on_commit_callbacks
):
    # covers: CAT-2, VEN-3
    from allies.vendors.services import api_key_create
    from tests.vendor_api.conftest import API, api_client
    from tests.vendor_api.test_orders import put

    vendor = VendorFactory()
    product = add_product(category=shirts, title="Chemise Oxford", offers=[{"vendor": vendor}])
    offer = product.variants.get().offers.get()
    url = product.get_absolute_url()
    assert "En stock" in text(client.get(url))
    assert client.get(url)["X-Page-Cache"] == "hit"
    listing = client.get("/c/chemises/")
    assert client.get("/c/chemises/")["X-Page-Cache"] == "hit"

    erp = api_client(api_key_create(vendor=vendor, name="ERP")[1])
    body = {"offers": [{"sku": offer.variant.sku, "stock": 0}]}
    with django_capture_on_commit_callbacks(execute=True):  # the API's transaction commits
        assert put(erp, f"{API}/offers/stock", body).status_code == 200

    after = client.get(url)
    assert after["X-Page-Cache"] == "miss"
    assert "En rupture de stock" in text(after) and "En stock<" not in text(after)
    assert client.get(url)["X-Page-Cache"] == "hit"  # and cached again from then on
    assert client.get("/c/chemises/").content != listing.content


def test_a_price_a_product_text_and_a_shipping_rate_show_at_once(
    client, cached, product, django_capture_on_commit_callbacks
):
    # covers: CAT-2, SHP-1
    from allies.shipping.models import ShippingRate
    from allies.shipping.services import shipping_rate_deactivate

    commit = django_capture_on_commit_callbacks
    url = product.get_absolute_url()
    client.get(url)
    offer = product.variants.get().offers.get()
    with commit(execute=True):
        offer.price = "12.34"
        offer.save()
    assert "12,34 €" in text(client.get(url))

    with commit(execute=True):
        product.title = "Chemise Oxford lavée"
        product.save()
    assert "Chemise Oxford lavée" in text(client.get(url))

    rate = ShippingRate.objects.create(
        vendor=offer.vendor, mode="home", zone="FR", base_fee=4, min_days=2, max_days=4
    )
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    with commit(execute=True):
        shipping_rate_deactivate(vendor=offer.vendor, mode=rate.mode, zone=rate.zone)
    assert client.get(url)["X-Page-Cache"] == "miss"


def test_a_lost_generation_never_serves_an_older_page(client, cached, product):
    # covers: CAT-2
    from django.core.cache import cache

    from allies.core.page_cache import GENERATION_KEY

    url = product.get_absolute_url()
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    cache.delete(GENERATION_KEY)  # evicted: the next generation is a new random token
    assert client.get(url)["X-Page-Cache"] == "miss"


# --- scope: a write renews the pages that show what it changed, and only them ---------------


@pytest.fixture
def two_shirts(shirts):
    from decimal import Decimal

    from allies.shipping.models import ShippingRate

    vendor = VendorFactory()
    ShippingRate.objects.create(
        vendor=vendor, mode="home", zone="FR", carrier="colissimo",
        base_fee=Decimal("7.00"), min_days=2, max_days=4,
    )  # fmt: skip
    sold = add_product(
        category=shirts, title="Chemise Oxford", offers=[{"vendor": vendor, "stock": 3}]
    )
    other = add_product(category=shirts, title="Chemise en lin", offers=[{"vendor": vendor}])
    return vendor, sold, other


@pytest.fixture
def all_cached(client, cached, two_shirts):
    """Both products' pages and every listing stored; returns the shop and the sold offer."""
    vendor, sold, other = two_shirts
    _all_cached(client, [sold.get_absolute_url(), other.get_absolute_url(), *listings(vendor)])
    return vendor, sold, other, sold.variants.get().offers.get()


def listings(vendor) -> list[str]:
    """The pages that list the shirts: home, category, search, the vendor's page."""
    return ["/", "/c/chemises/", "/recherche/?q=chemise", vendor.get_absolute_url()]


def _all_cached(client, urls) -> None:
    for url in urls:
        client.get(url)
        assert client.get(url)["X-Page-Cache"] == "hit", url


def _order(vendor, offer, quantity: int, commit) -> None:
    """ "Payer" for `quantity` units of `offer` (the order placed, its stock taken)."""
    from allies.cart.models import Cart
    from allies.cart.services import cart_add
    from allies.checkout.services import CheckoutChoices, order_place
    from tests.factories import AddressFactory

    customer = UserFactory()
    address = AddressFactory(user=customer, is_default=True)
    cart = Cart.objects.create(customer=customer)
    cart_add(cart=cart, offer_id=offer.pk, quantity=quantity)
    with commit(execute=True):
        order_place(
            customer=customer,
            cart=cart,
            choices=CheckoutChoices(delivery_address_id=address.pk, modes={vendor.pk: "home"}),
        )


def test_a_sale_renews_the_page_of_the_product_sold_and_no_other(
    client, cached, all_cached, django_capture_on_commit_callbacks
):
    # covers: CAT-2, CHK-8
    vendor, sold, other, offer = all_cached

    _order(vendor, offer, 2, django_capture_on_commit_callbacks)
    offer.refresh_from_db()
    assert offer.stock == 1

    page = client.get(sold.get_absolute_url())
    assert page["X-Page-Cache"] == "miss" and "En stock" in text(page)
    # Still in stock at the same price: no listing shows anything new, nor the other product.
    for url in [other.get_absolute_url(), *listings(vendor)]:
        assert client.get(url)["X-Page-Cache"] == "hit", url


def test_the_last_unit_sold_renews_the_listings_that_show_it(
    client, cached, all_cached, django_capture_on_commit_callbacks
):
    # covers: CAT-1, CAT-2
    vendor, sold, other, offer = all_cached

    _order(vendor, offer, 3, django_capture_on_commit_callbacks)

    page = client.get(sold.get_absolute_url())
    assert page["X-Page-Cache"] == "miss" and "En rupture de stock" in text(page)
    in_stock = client.get("/c/chemises/?dispo=en-stock")
    assert "Chemise en lin" in text(in_stock) and "Chemise Oxford" not in text(in_stock)
    for url in listings(vendor):
        assert client.get(url)["X-Page-Cache"] == "miss", url
    assert client.get(other.get_absolute_url())["X-Page-Cache"] == "hit"


def test_a_new_stock_or_price_from_the_vendor_renews_what_shows_it(
    client, cached, two_shirts, django_capture_on_commit_callbacks
):
    # covers: CAT-2, VEN-3
    from allies.catalog.offers import offer_update

    vendor, sold, other = two_shirts
    offer = sold.variants.get().offers.get()
    urls = [sold.get_absolute_url(), other.get_absolute_url(), *listings(vendor)]
    _all_cached(client, urls)

    # More units: the product's page only (the listings show "En stock" either way).
    with django_capture_on_commit_callbacks(execute=True):
        offer_update(vendor=vendor, offer_id=offer.pk, stock="8")
    assert client.get(urls[0])["X-Page-Cache"] == "miss"
    for url in urls[1:]:
        assert client.get(url)["X-Page-Cache"] == "hit", url

    # A new price: the product's page and the listings (its "à partir de").
    _all_cached(client, urls)
    with django_capture_on_commit_callbacks(execute=True):
        offer_update(vendor=vendor, offer_id=offer.pk, price="12,34")
    assert "12,34 €" in text(client.get(urls[0]))
    for url in listings(vendor):
        page = client.get(url)
        assert page["X-Page-Cache"] == "miss" and "12,34" in text(page), url
    assert client.get(urls[1])["X-Page-Cache"] == "hit"


def test_a_lost_product_token_never_serves_an_older_page(client, cached, product):
    # covers: CAT-2
    from django.core.cache import cache

    from allies.core.page_cache import product_token_key

    url = product.get_absolute_url()
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    cache.delete(product_token_key(product.slug))  # evicted: a new random token replaces it
    assert client.get(url)["X-Page-Cache"] == "miss"


def test_without_the_page_cache_a_new_price_shows_on_the_home_page_at_once(
    client, two_shirts, django_capture_on_commit_callbacks
):
    # covers: CAT-1 (the home page's products are kept by each process under the listings
    # token: a new summary shows at the next request)
    from allies.catalog.offers import offer_update

    vendor, sold, _other = two_shirts
    offer = sold.variants.get().offers.get()
    assert "12,34" not in text(client.get("/"))
    with django_capture_on_commit_callbacks(execute=True):
        offer_update(vendor=vendor, offer_id=offer.pk, price="12,34")
    assert "12,34" in text(client.get("/"))
