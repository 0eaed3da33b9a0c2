"""Customers with real data, built through the real services: Luc has a delivered order from
Maison Verlaine (its invoice PDF generated at shipping), an address book, a cart, the
newsletter and a pre-sale question with a photo answered by the vendor; Zoé, another
customer, has her own order, address and question (she must never show up in Luc's data,
nor lose any of hers).
"""

import io
import zipfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from allies.accounts.services import newsletter_subscription_set
from allies.cart.models import Cart
from allies.cart.services import cart_add
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.shipments import vendor_order_mark_delivered, vendor_order_ship
from allies.support.actors import Actor
from allies.support.models import Motif
from allies.support.services import message_post, thread_open
from tests.aftersales.conftest import (  # noqa: F401 (fixtures)
    _fast_passwords,
    _support_storage_in_tmp,
)
from tests.factories import PASSWORD, AddressFactory, UserFactory
from tests.orders.conftest import buy, market, vendor_order_of  # noqa: F401 (fixture)
from tests.support.conftest import jpeg_bytes

PARIS = ZoneInfo("Europe/Paris")
DELIVERED_AT = datetime(2026, 11, 2, 10, 0, tzinfo=PARIS)
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=PARIS)


def delivered(shop, items, *, customer, address, tracking):
    """`items` bought by `customer` to `address`, accepted, shipped (the invoice is generated)
    and delivered on DELIVERED_AT."""
    vendor = items[0][0].vendor
    with time_machine.travel(DELIVERED_AT - timedelta(days=3), tick=False):
        order = buy(shop, items, customer=customer, address=address)
        vendor_order = vendor_order_of(order, vendor)
        vendor_order_lines_decide(
            vendor_order=vendor_order,
            vendor=vendor,
            decisions={line.pk: "accept" for line in vendor_order.lines.all()},
        )
    with time_machine.travel(DELIVERED_AT - timedelta(days=1), tick=False):
        vendor_order_ship(vendor_order=vendor_order, vendor=vendor, carrier="colissimo",
                          parcels=[tracking])  # fmt: skip
    with time_machine.travel(DELIVERED_AT, tick=False):
        vendor_order_mark_delivered(vendor_order=vendor_order, vendor=vendor)
    vendor_order.refresh_from_db()
    return vendor_order


def ask(shop, customer, body, *, photo=False):
    thread = thread_open(
        actor=Actor.customer(customer),
        offer=shop["shirt"],
        motif=Motif.SIZE,
        body=body,
        attachments=[SimpleUploadedFile("mesures.jpg", jpeg_bytes(), "image/jpeg")]
        if photo
        else [],
    )
    message_post(
        thread=thread,
        actor=Actor.vendor_user(shop["verlaine_user"]),
        vendor=shop["verlaine"],
        body="Oui, la taille M vous ira.",
    )
    return thread


@pytest.fixture
def people(market):  # noqa: F811 (the fixture imported above)
    luc = market["customer"]
    luc.phone = "0611223344"
    luc.save()
    zoe = UserFactory(email="zoe@example.test", first_name="Zoé", last_name="Durand")
    zoe_address = AddressFactory(user=zoe, recipient="Zoé Durand", street="3 quai Zola",
                                 postcode="69002", city="Lyon", is_default=True)  # fmt: skip
    AddressFactory(user=luc, kind="billing", recipient="Luc Martin", street="8 rue Oberkampf")
    luc_vo = delivered(market, [(market["shirt"], 1)], customer=luc, address=market["address"],
                       tracking="6A12345600001")  # fmt: skip
    zoe_vo = delivered(market, [(market["shirt"], 1)], customer=zoe, address=zoe_address,
                       tracking="6A12345600002")  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        ask(market, luc, "Je mesure 1,82 m pour 78 kg, quelle taille ?", photo=True)
        ask(market, zoe, "Zoé demande : cette chemise existe-t-elle en rose ?", photo=True)
    newsletter_subscription_set(user=luc, subscribed=True)
    cart, _ = Cart.objects.get_or_create(customer=luc)
    cart_add(cart=cart, offer_id=market["belt"].pk, quantity=1)
    zoe_cart, _ = Cart.objects.get_or_create(customer=zoe)
    cart_add(cart=zoe_cart, offer_id=market["belt"].pk, quantity=2)
    return {"luc": luc, "zoe": zoe, "luc_vo": luc_vo, "zoe_vo": zoe_vo}


def login(client, user):
    assert client.login(username=user.email, password=PASSWORD)
    return client


def unzip(response) -> zipfile.ZipFile:
    body = b"".join(response.streaming_content)
    return zipfile.ZipFile(io.BytesIO(body))
