"""SQL queries of one whole purchase through the pages (issue 14 goal 6).

The flow is bench/checkout.py's, request by request, with the Django test client: "Ajouter au
panier" for each item, "Livraison de vos achats" (shown, then the modes chosen), billing
"Identique à l'adresse de livraison", "Payer", the sandbox bank's card page (a card without
3-D Secure, or one with it), the return to the shop, and the confirmation page.

Counted like the benchmark: every statement Django sends, transaction brackets (BEGIN,
COMMIT, savepoints) included, with the settings `make run` uses without Redis (sessions in the
database, tasks queued in the database: a queued task is one INSERT, its work is the
worker's). The database commits for real (transactional test), so what runs after the commit
is counted too.

What the count may depend on: the number of items only through their "Ajouter au panier"
requests (one each); the number of vendors not at all (PER_VENDOR) — vendor orders, their
lines, stock, timeline events, ledger entries and balances are each written in one statement
per order, and the emails (customer and vendors) are the worker's, after the commit.

Issue 14 asks for at most 40. Before this work the split order took 163 queries, the one-item
purchase 140. Where the 69 of the split order still go (SQLite and PostgreSQL alike):
- 8: every request but the return reads its session, with its customer and their cart's count,
  in one query (storefront.sessions);
- 13: the two "Ajouter au panier" beyond that (the cart app: its cart, the offer, the line, a
  transaction; the first one creates the cart in that transaction, with no line to look for);
- 8: the sandbox bank's card page (6; 8 more with 3-D Secure) and its own row and token when
  the payment opens (2) — with LemonWay these are the provider's, not SQL of ours;
- "Payer" (17 of its own): the cart locked and read, the address, the shipping rates, an
  unpaid order to resume, the reference, the order, its vendor orders, lines, stock, event,
  the cart's hold (2), the payment, a transaction; then the expiry task;
- the return (15): the payment and the provider's answer, then in one transaction the
  payment and order locked, the order, the vendor orders (read, one UPDATE), their events,
  the cart's lines, the ledger (read, entries, balances), the emails' task, the payment;
- the checkout pages (6: the cart once with its lines, the addresses, the rates, shown then
  chosen) and the confirmation (2: the order's vendor orders and their lines; the header's
  count is the one read with the session, a GET changing no cart).
With Redis (production: tasks in Redis) 2 fewer.

On failure the message lists each request's count and its SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from allies.cart.models import CartLine
from allies.catalog.models import Offer, Product
from allies.ledger.models import LedgerEntry, VendorOrderBalance
from allies.notifications.models import OutgoingEmail
from allies.orders.models import Order, OrderEvent, VendorOrder
from allies.payments.models import Payment
from allies.shipping.demo import demo_rates_for_vendor
from allies.shipping.models import ShippingRate
from tests.factories import (
    AddressFactory,
    OfferFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

# The whole purchase of bench/checkout.py (one item, one vendor; the customer's first, so
# "Ajouter au panier" creates the cart) and of a split order (one item from each of two
# vendors, so one more "Ajouter au panier").
BUDGET_ONE_ITEM = 61
BUDGET_SPLIT_ORDER = 69
# What one more vendor in the cart costs, beyond its item's "Ajouter au panier": nothing.
PER_VENDOR = 0
# Each request's ceiling, so that a regression names its step.
STEP_BUDGET = {
    "add": 8,  # the first creates the cart in its own transaction: 7
    "delivery": 4,
    "delivery_modes": 4,
    "billing": 1,
    "pay": 20,
    "bank_card": 7,
    "bank_3ds": 9,
    "return": 15,
    "confirmation": 3,
}

CARD = "4111 1111 1111 1111"
CARD_3DS = "4000 0000 0000 3220"


@dataclass
class Step:
    name: str
    status: int
    queries: list[str]


@dataclass
class Purchase:
    client: object
    steps: list[Step] = field(default_factory=list)

    def request(self, name: str, method: str, url: str, data: dict | None = None):
        with CaptureQueriesContext(connection) as ctx:
            response = getattr(self.client, method)(url, data or {})
        self.steps.append(
            Step(name, response.status_code, [q["sql"] for q in ctx.captured_queries])
        )
        return response

    def count(self, *, skip: tuple[str, ...] = ()) -> int:
        return sum(len(s.queries) for s in self.steps if s.name not in skip)

    def counts(self) -> list[tuple[str, int]]:
        return [(s.name, len(s.queries)) for s in self.steps]

    def report(self) -> str:
        lines = [f"{self.count()} queries: {self.counts()}"]
        for step in self.steps:
            lines.append(f"--- {step.name} ({step.status}): {len(step.queries)}")
            lines.extend("    " + " ".join(sql.split())[:220] for sql in step.queries)
        return "\n".join(lines)


def _vendor(name: str, index: int):
    vendor = VendorFactory(name=name)
    ShippingRate.objects.bulk_create(demo_rates_for_vendor(vendor, index % 2))
    return vendor


def _offer(vendor, title: str, price: str, stock: int = 50):
    product = ProductFactory(title=title, weight_grams=400)
    return OfferFactory(
        vendor=vendor, variant=VariantFactory(product=product), price=Decimal(price), stock=stock
    )


@pytest.fixture
def tasks_in_the_database(settings):
    """Tasks queued as `make run` queues them (one row each), run later by the worker."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


@pytest.fixture
def market(db, tasks_in_the_database):
    vendors = [_vendor(name, i) for i, name in enumerate(["Maison Verlaine", "Atelier Brun"])]
    vendors.append(_vendor("Les Tissages Marty", 2))
    offers = [
        _offer(vendors[0], "Chemise Oxford bleue", "59.90"),
        _offer(vendors[0], "Ceinture en cuir", "35.00"),
        _offer(vendors[0], "Écharpe en laine", "42.00"),
        _offer(vendors[1], "Portefeuille en cuir", "45.00"),
        _offer(vendors[2], "Plaid en lin", "89.00"),
    ]
    return {"vendors": vendors, "offers": offers}


def _customer(email: str):
    customer = UserFactory(email=email, first_name="Luc")
    AddressFactory(
        user=customer, recipient="Luc Santoni", street="3 rue de la Paix", postcode="75002",
        city="Paris", is_default=True,
    )  # fmt: skip
    return customer


def buy(client, offers, *, card: str = CARD) -> tuple[Purchase, object]:
    """One whole purchase of one unit of each offer, as bench/checkout.py makes it; returns the
    purchase's steps and the confirmation page."""
    purchase = Purchase(client)
    for offer in offers:
        response = purchase.request(
            "add", "post", reverse("cart:add"), {"offer": offer.pk, "quantity": 1}
        )
        assert response.status_code == 302
    # The customer looks at the cart (the cart app's page, not in the benchmark's flow, not
    # counted); this also fills the header's category menu cache, as on a live site.
    assert client.get(reverse("cart:detail")).status_code == 200
    page = purchase.request("delivery", "get", reverse("checkout:delivery"))
    assert page.status_code == 200, page.content.decode()[:2000]
    data = {"action": "choose_modes"}
    for vendor_id, mode in page.context["quote"].cheapest_modes().items():
        data[f"mode_{vendor_id}"] = mode
        if mode == "relay":
            data[f"relay_{vendor_id}"] = re.search(
                rf'name="relay_{vendor_id}" value="([^"]+)"', page.content.decode()
            ).group(1)
    response = purchase.request("delivery_modes", "post", reverse("checkout:delivery"), data)
    assert response.status_code == 302 and response.url == reverse("checkout:billing")
    response = purchase.request("billing", "post", reverse("checkout:billing"), {"same": "on"})
    assert response.url == reverse("checkout:review")
    card_page = purchase.request("pay", "post", reverse("checkout:pay"))
    assert card_page.status_code == 302 and "/sandbox/" in card_page.url, card_page.url
    card_data = {"card_number": card, "expiry": "12/30", "cvc": "123", "holder": "Luc Santoni"}
    paid = purchase.request("bank_card", "post", card_page.url, card_data)
    assert paid.status_code == 302
    if "/3ds/" in paid.url:
        paid = purchase.request("bank_3ds", "post", paid.url, {"code": "123456"})
        assert paid.status_code == 302
    back = purchase.request("return", "get", paid.url)
    assert back.status_code == 302
    result = purchase.request("confirmation", "get", back.url)
    assert "Merci, votre commande est validée" in result.content.decode(), purchase.report()
    return purchase, result


def run_worker() -> None:
    """What the task worker does with what the purchase queued (emails, vendors' news)."""
    call_command("db_worker", batch=True, startup_delay=False, interval=0, verbosity=0)


def _assert_within_budget(purchase: Purchase, total: int) -> None:
    report = purchase.report()
    for step in purchase.steps:
        assert len(step.queries) <= STEP_BUDGET.get(step.name, 99), (step.name, report)
    assert purchase.count() <= total, report


def test_one_whole_purchase_of_a_split_order_within_the_budget(client, market):
    # covers: CHK-1, CHK-3, CHK-6, CHK-7, CHK-8, ORD-1, PAY-2
    customer = _customer("luc@example.test")
    client.force_login(customer)
    shirt, wallet = market["offers"][0], market["offers"][3]
    purchase, page = buy(client, [shirt, wallet])
    print(purchase.report())
    _assert_within_budget(purchase, BUDGET_SPLIT_ORDER)

    # Nothing was lost on the way: one order split per vendor, paid, stock taken once…
    order = Order.objects.get(customer=customer)
    assert order.status == Order.Status.VALIDATED
    assert order.reference in page.content.decode()
    vendor_orders = list(order.vendor_orders.order_by("id"))
    assert [vo.vendor_id for vo in vendor_orders] == [shirt.vendor_id, wallet.vendor_id]
    assert {vo.status for vo in vendor_orders} == {VendorOrder.Status.WAITING_ACCEPTANCE}
    assert all(vo.acceptance_deadline and vo.delivery_min_date for vo in vendor_orders)
    assert Offer.objects.get(pk=shirt.pk).stock == 49
    assert Offer.objects.get(pk=wallet.pk).stock == 49
    assert Payment.objects.get(order=order).status == Payment.Status.SUCCEEDED
    assert not CartLine.objects.filter(cart__customer=customer).exists()
    # …its timeline has the order's and each vendor order's events…
    kinds = sorted(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds == sorted(
        ["created", "payment_succeeded", "vendor_order_paid", "vendor_order_paid"]
    )
    # …the ledger owes each vendor its sale and shipping less commission, in entries and
    # in the stored balances…
    for vo in vendor_orders:
        entries = list(LedgerEntry.objects.filter(vendor_order=vo))
        assert sum(e.amount for e in entries if e.kind == "sale") == vo.lines_total
        assert sum(e.amount for e in entries if e.kind == "shipping") == vo.shipping_fee
        owed = sum(e.amount for e in entries)
        assert 0 < owed < vo.lines_total + vo.shipping_fee  # less the commission
        balance = VendorOrderBalance.objects.get(vendor_order=vo)
        assert balance.due_cents == int(owed * 100)
    # …and what follows the validation is queued with it, for the worker: nothing was
    # emailed under the rows' locks.
    assert not OutgoingEmail.objects.exists()
    queued = DBTaskResult.objects.values_list("task_path", flat=True)
    assert "allies.orders.tasks.order_validated_notify" in queued

    # The worker writes and sends the customer's confirmation and tells each vendor what it
    # has to accept.
    run_worker()
    assert OutgoingEmail.objects.get(template="order_confirmation").status == "sent"
    sent = {m.to[0]: m for m in mail.outbox}
    assert order.reference in sent[customer.email].subject
    assert "Maison Verlaine" in sent[customer.email].body
    assert "Atelier Brun" in sent[customer.email].body
    subjects = {address: m.subject for address, m in sent.items()}
    for vendor in market["vendors"][:2]:
        assert f"Nouvelle commande {order.reference}" in subjects[vendor.email]
    assert market["vendors"][2].email not in subjects


def test_the_bench_purchase_of_one_item_within_the_budget(client, market):
    # covers: CHK-7, CHK-8
    customer = _customer("ines@example.test")
    client.force_login(customer)
    purchase, _page = buy(client, [market["offers"][4]])
    print(purchase.report())
    _assert_within_budget(purchase, BUDGET_ONE_ITEM)


def test_the_count_grows_with_items_only_by_their_adds_and_not_with_vendors(client, market):
    # covers: CHK-1, ORD-1
    offers = market["offers"]
    counted = {}
    for name, items in {
        "one item": [offers[0]],
        "three items, one vendor": offers[0:3],
        "two vendors": [offers[0], offers[3]],
        "three vendors, five items": offers,
    }.items():
        customer = _customer(f"{len(counted)}@example.test")
        client.force_login(customer)
        purchase, _page = buy(client, items)
        counted[name] = (purchase.count(skip=("add",)), len(items), purchase)
    base = counted["one item"][0]
    report = "\n\n".join(f"{name}:\n{p.report()}" for name, (_c, _n, p) in counted.items())
    assert counted["three items, one vendor"][0] == base, report
    assert counted["two vendors"][0] == base + PER_VENDOR, report
    assert counted["three vendors, five items"][0] == base + 2 * PER_VENDOR, report
    # Each item's "Ajouter au panier" is one request of bounded cost.
    for _name, (_count, _items, purchase) in counted.items():
        assert all(len(s.queries) <= STEP_BUDGET["add"] for s in purchase.steps if s.name == "add")


def test_a_purchase_with_3d_secure_costs_the_challenge_page_only(client, market):
    # covers: CHK-7
    customer = _customer("ana@example.test")
    client.force_login(customer)
    purchase, page = buy(client, [market["offers"][0], market["offers"][3]], card=CARD_3DS)
    assert [s.name for s in purchase.steps if s.name.startswith("bank")] == [
        "bank_card",
        "bank_3ds",
    ]
    bank = sum(len(s.queries) for s in purchase.steps if s.name.startswith("bank"))
    assert purchase.count() - bank <= BUDGET_SPLIT_ORDER - STEP_BUDGET["bank_card"], (
        purchase.report()
    )
    order = Order.objects.get(customer=customer)
    assert order.status == Order.Status.VALIDATED


def test_coming_back_twice_from_the_bank_changes_nothing(client, market):
    # covers: CHK-7 (settled once: idempotent return)
    customer = _customer("leo@example.test")
    client.force_login(customer)
    purchase, _page = buy(client, [market["offers"][0], market["offers"][3]])
    back = next(s for s in purchase.steps if s.name == "return")
    assert back.status == 302
    order = Order.objects.get(customer=customer)
    before = (
        LedgerEntry.objects.count(),
        OrderEvent.objects.filter(order=order).count(),
        OutgoingEmail.objects.count(),
        list(Offer.objects.order_by("id").values_list("stock", flat=True)),
    )
    payment = Payment.objects.get(order=order)
    again = Purchase(client)
    url = reverse("payments:return") + f"?response_wkToken={payment.reference}"
    response = again.request("return", "get", url)
    assert response.status_code == 302
    # A settled payment is not asked of the bank again: one read.
    assert again.count() <= 1, again.report()
    after = (
        LedgerEntry.objects.count(),
        OrderEvent.objects.filter(order=order).count(),
        OutgoingEmail.objects.count(),
        list(Offer.objects.order_by("id").values_list("stock", flat=True)),
    )
    assert after == before
    assert Product.objects.exists()
