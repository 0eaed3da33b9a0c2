"""Anonymous page cache (core.page_cache): speed for visitors, never a stale personal page."""

import pytest
from django.contrib.messages import constants, get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import RequestFactory

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


def test_logged_in_customer_never_gets_the_cached_page(client, cached, product):
    # covers: ACC-8 (no personal page leaks, and no anonymous page is shown to a customer)
    client.get("/c/chemises/")  # fills the cache as an anonymous visitor
    user = UserFactory()
    client.force_login(user)
    response = client.get("/c/chemises/")
    assert "X-Page-Cache" not in response
    assert "Se connecter" not in text(response)
    # ...and their page is not stored for others
    client.logout()
    client.cookies.clear()
    assert "COMPTE" not in text(client.get("/c/chemises/"))


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
