"""Every route of the URL resolver, as each role, with odd values: no answer is a 5xx (issue 9).

The routes are read from `django.urls.get_resolver()` (a new page is fuzzed without being
listed here). For each route and each role (anonymous, the demo customer, another customer,
the demo vendor's user, staff) the walk:

- GETs it with its path parameters filled with real objects of the demo data, and every query
  parameter the site reads set to an odd value (ODD_NUMBERS, in turn);
- POSTs to it every field of the forms its page shows, each set to an odd value;
- GETs and POSTs it with odd path parameters ("²", 0, 23 nines…).

Admin pages are walked as staff only (others are sent to the login page before any view runs).
"""

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from allies.accounts.selectors import newsletter_unsubscribe_token
from allies.catalog.models import Category, Offer, OfferImport, Product
from allies.orders.models import Order, VendorOrder
from allies.payments.models import SandboxCheckout
from allies.vendors.models import Vendor, VendorApiKey, VendorMembership
from tests.hardening.conftest import DEMO_VENDOR
from tests.hardening.odd_values import ODD_NUMBERS

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("hardening")]

ROLES = ["anonymous", "customer", "other_customer", "vendor_user", "staff"]
# Query parameters the site's views read (listings, filters, pagination, API, return URLs).
QUERY_PARAMETERS = [
    "page", "p", "q", "tri", "prix_min", "prix_max", "categorie", "taille", "couleur",
    "vendeur", "dispo", "status", "statut", "offset", "limit", "colis", "mode", "zone",
    "cp", "postcode", "next", "response_wkToken", "o", "id", "quantity", "since",
]  # fmt: skip
ODD_PATH_VALUES = {
    "int": ["0", "99999999999999999999999", "9" * 40],
    "other": ["²", "1e999990", "x" * 300],
}
# Routes whose POST ends the session: walked last so the role's other requests stay logged in.
LAST = {"accounts:logout", "accounts:deactivate"}


def _routes(
    patterns=None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, dict]]:
    """(route text, "namespace:name", converters) of every named URL pattern."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            converters = getattr(entry.pattern, "converters", {})
            yield prefix + str(entry.pattern), name, converters


class _Fields(HTMLParser):
    """The names of a page's form fields (inputs, selects, text areas)."""

    def __init__(self):
        super().__init__()
        self.names: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("input", "select", "textarea"):
            attributes = dict(attrs)
            name = attributes.get("name")
            if name and name != "csrfmiddlewaretoken" and attributes.get("type") != "file":
                self.names.append(name)


def _form_fields(response) -> list[str]:
    if "html" not in response.get("Content-Type", ""):
        return []
    parser = _Fields()
    parser.feed(response.content.decode("utf-8", errors="replace"))
    return sorted(set(parser.names))


def _admin_model(name: str):
    """The model of an admin route "admin:<app>_<model>_<view>"."""
    parts = name.removeprefix("admin:").split("_")
    for cut in range(1, len(parts)):
        app_label, model_name = "_".join(parts[:cut]), "_".join(parts[cut:-1])
        try:
            return apps.get_model(app_label, model_name)
        except (LookupError, ValueError):
            continue
    return None


def _real_kwargs(name: str, converters: dict, world) -> dict | None:
    """Path parameters naming real objects of the demo data, or None when none fits."""
    vendor = Vendor.objects.get(slug=DEMO_VENDOR)
    customer_order = Order.objects.filter(customer=world.customer).order_by("id").first()
    objects = {
        "vendor_order": VendorOrder.objects.filter(vendor=vendor).order_by("id").first(),
        "offer": Offer.objects.filter(vendor=vendor).order_by("id").first(),
    }
    by_name = {
        "pk": {
            "vendor_portal:offer": objects["offer"],
            "vendor_portal:offer_toggle": objects["offer"],
            "vendor_portal:import": OfferImport.objects.filter(vendor=vendor).first(),
            "vendor_portal:team_remove": VendorMembership.objects.filter(vendor=vendor).first(),
            "vendor_portal:api_key_revoke": VendorApiKey.objects.filter(vendor=vendor).first(),
            "product_image": Product.objects.order_by("id").first(),
        },
        "slug": {
            "storefront:product": Product.objects.order_by("id").first(),
            "storefront:category": Category.objects.order_by("id").first(),
            "storefront:vendor": vendor,
        },
    }
    kwargs: dict = {}
    for param in converters:
        if param == "slug":
            found = by_name["slug"].get(name)
            kwargs[param] = found.slug if found else "x"
        elif param in ("pk", "vendor_order_id", "invoice_id", "line_id", "object_id"):
            found = by_name["pk"].get(name)
            if found is None and name.startswith("admin:"):
                model = _admin_model(name)
                found = model._default_manager.order_by("pk").first() if model else None
            if found is None and (name.startswith("vendor_portal:order") or param != "pk"):
                found = objects["vendor_order"]
            kwargs[param] = found.pk if found is not None else 1
        elif param == "token" and name == "accounts:newsletter_unsubscribe":
            kwargs[param] = newsletter_unsubscribe_token(user=world.customer)
        elif param == "token" and name.startswith("payments:"):
            checkout = SandboxCheckout.objects.order_by("-id").first()
            kwargs[param] = checkout.token if checkout else "x"
        elif param == "token":
            kwargs[param] = default_token_generator.make_token(world.customer)
        elif param == "uidb64":
            kwargs[param] = urlsafe_base64_encode(force_bytes(world.customer.pk))
        elif param == "reference":
            kwargs[param] = customer_order.reference if customer_order else "AL-1"
        else:
            kwargs[param] = {
                "gateway": "sandbox",
                "adapter": "simulated",
                "mode": "home",
                "zone": "FR",
                "kind": "delivery",
                "rest": "inconnu",
                "order_id": str(objects["vendor_order"].pk),
                "app_label": "catalog",
            }.get(param, "x")
    return kwargs


def _odd_path(route: str, converters: dict, turn: int) -> str:
    """The route with each parameter replaced by an odd value."""

    def odd(match: re.Match) -> str:
        kind = "int" if match.group(1) == "int" else "other"
        values = ODD_PATH_VALUES[kind]
        return quote(values[turn % len(values)], safe="")

    path = re.sub(r"<(?:(\w+):)?(\w+)>", odd, route)
    return "/" + path if "^" not in path else ""


def _client(world, role: str) -> Client:
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        client.force_login(getattr(world, role))
    return client


def _odd(turn: int) -> str:
    return ODD_NUMBERS[turn % len(ODD_NUMBERS)]


def _walk(world, role: str) -> tuple[int, list[str]]:
    """(requests sent, the 5xx answers) for one role over every route."""
    client = _client(world, role)
    failures: list[str] = []
    sent = 0
    routes = sorted(_routes(), key=lambda r: (r[1] in LAST, r[1]))
    for turn, (route, name, converters) in enumerate(routes):
        if name.startswith("admin:") and role != "staff":
            continue
        if role != "anonymous" and name in LAST:
            client.force_login(getattr(world, role))  # earlier routes may have logged out
        paths = []
        try:
            kwargs = _real_kwargs(name, converters, world)
            paths.append(reverse(name, kwargs=kwargs) if kwargs else reverse(name))
        except NoReverseMatch:
            pass
        if converters and (odd := _odd_path(route, converters, turn)):
            paths.append(odd)
        for number, path in enumerate(paths):
            query = {key: _odd(turn + number + i) for i, key in enumerate(QUERY_PARAMETERS)}
            page = client.get(path, query)
            sent += 1
            if page.status_code >= 500:
                failures.append(f"{role} GET {path}?{_odd(turn + number)} → {page.status_code}")
            if name.startswith("admin:") and name.endswith(("_delete", "_changelist")):
                continue  # a bulk or delete action on the demo data proves nothing more
            fields = _form_fields(page) or ["quantity", "offer_id", "code"]
            data = {field: _odd(turn + number + i) for i, field in enumerate(fields)}
            answer = client.post(path, data)
            sent += 1
            if answer.status_code >= 500:
                failures.append(f"{role} POST {path} {data} → {answer.status_code}")
    return sent, failures


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_5xx_to_odd_values(world, role, settings):
    # covers: issue 9 §3, §4
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    sent, failures = _walk(world, role)
    assert sent > 100
    assert not failures, "\n".join(failures)
