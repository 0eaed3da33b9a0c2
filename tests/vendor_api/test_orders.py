"""Vendor API — orders: list (OR11), get, accept/refuse (OR21), ship (OR23/OR24), delivered,
invoice upload, carriers. Every route is tried with another vendor's order id too."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from allies.invoices.models import Invoice
from allies.invoices.services import vendor_invoicing_set
from allies.orders.events import ActorKind
from allies.orders.models import OrderEvent, OrderLine, Shipment, VendorOrder
from allies.payments.models import Refund
from tests.invoices.conftest import minimal_pdf
from tests.vendor_api.conftest import (
    API,
    TRACKING_1,
    TRACKING_2,
    buy,
    lines_by_title,
    paid_vendor_orders_make,
    vendor_order_of,
)

pytestmark = pytest.mark.django_db

JSON = "application/json"


def put(client, path, body, **headers):
    return client.put(path, body, content_type=JSON, headers=headers)


def post(client, path, body, **headers):
    return client.post(path, body, content_type=JSON, headers=headers)


def error_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


@pytest.fixture
def bought(market):
    """One paid order: Verlaine sells a shirt and 2 belts, Brun a wallet."""
    order = buy(market, [(market["shirt"], 1), (market["belt"], 2), (market["wallet"], 1)])
    return {
        "order": order,
        "verlaine_vo": vendor_order_of(order, market["verlaine"]),
        "brun_vo": vendor_order_of(order, market["brun"]),
    }


def accept_all(client, vendor_order):
    body = {"order_lines": [{"id": ln.pk, "accepted": True} for ln in vendor_order.lines.all()]}
    response = put(client, f"{API}/orders/{vendor_order.pk}/accept", body)
    assert response.status_code == 200, response.content
    return response


def ship(client, vendor_order, parcels=(TRACKING_1,), **headers):
    return post(
        client,
        f"{API}/orders/{vendor_order.pk}/shipments",
        {"carrier": "colissimo", "parcels": list(parcels)},
        **headers,
    )


# --- OR11: list and get ---------------------------------------------------------------------


def test_the_list_shows_the_keys_vendor_orders_only_with_what_is_needed_to_ship(
    market, bought, verlaine_api
):
    # covers: VEN-3
    response = verlaine_api.get(f"{API}/orders")
    assert response.status_code == 200
    data = response.json()
    assert data["total_count"] == 1 and data["offset"] == 0 and data["limit"] == 20
    [order] = data["orders"]
    vo = bought["verlaine_vo"]
    assert order["id"] == vo.pk and order["reference"] == bought["order"].reference
    assert order["state"] == "WAITING_ACCEPTANCE" and order["status"] == "waiting_acceptance"
    assert order["acceptance_deadline"] and order["paid_at"]
    assert order["shipping"]["mode"] == "home" and order["shipping_fee"] == "7.00"
    assert order["lines_total"] == "129.90" and order["total"] == "136.90"
    assert order["customer"]["first_name"] == "Luc"
    assert order["customer"]["shipping_address"]["postcode"] == "75002"
    assert order["customer"]["shipping_address"]["recipient"] == "Luc Martin"
    assert "luc@example.test" not in response.content.decode()  # never the customer's email
    titles = {line["title"]: line for line in order["order_lines"]}
    assert set(titles) == {"Chemise Oxford bleue", "Ceinture en cuir"}  # not Brun's wallet
    belt = titles["Ceinture en cuir"]
    assert belt["quantity"] == 2 and belt["unit_price"] == "35.00" and belt["total"] == "70.00"
    assert belt["status"] == "pending" and belt["sku"] == market["belt"].variant.sku
    assert order["shipments"] == []


def test_the_list_filters_by_state_and_update_time_and_pages(market, verlaine_api):
    # covers: VEN-3
    vendor = market["verlaine"]
    waiting = paid_vendor_orders_make(vendor, 3)
    shipped = paid_vendor_orders_make(vendor, 2, shipped=True)
    get = verlaine_api.get

    def ids(response):
        assert response.status_code == 200, response.content
        return {order["id"] for order in response.json()["orders"]}

    assert ids(get(f"{API}/orders?status=WAITING_ACCEPTANCE")) == {vo.pk for vo in waiting}
    assert ids(get(f"{API}/orders?status=SHIPPED")) == {vo.pk for vo in shipped}
    assert ids(get(f"{API}/orders?status=SHIPPED,WAITING_ACCEPTANCE")) == {
        vo.pk for vo in waiting + shipped
    }
    assert ids(get(f"{API}/orders?status=shipped")) == {vo.pk for vo in shipped}  # ours too
    assert ids(get(f"{API}/orders?status=RECEIVED")) == set()

    later = timezone.now() + timedelta(minutes=5)
    VendorOrder.objects.filter(pk=waiting[0].pk).update(updated_at=later)
    since = (later - timedelta(seconds=1)).isoformat()
    response = get(f"{API}/orders", {"updated_since": since})
    assert ids(response) == {waiting[0].pk}

    page1 = get(f"{API}/orders?limit=2").json()
    page2 = get(f"{API}/orders?limit=2&offset=2").json()
    page3 = get(f"{API}/orders?limit=2&offset=4").json()
    assert page1["total_count"] == 5 and page1["limit"] == 2
    seen = [o["id"] for page in (page1, page2, page3) for o in page["orders"]]
    assert len(seen) == 5 and len(set(seen)) == 5
    assert get(f"{API}/orders?offset=50").json()["orders"] == []
    by_update = ids(get(f"{API}/orders?sort=updated_asc&limit=5"))
    assert by_update == {vo.pk for vo in waiting + shipped}


def test_bad_list_parameters_are_a_422_with_the_field(verlaine_api):
    # covers: VEN-3
    response = verlaine_api.get(f"{API}/orders?status=SHIPPED,EN_COURS")
    error = error_of(response)
    assert response.status_code == 422 and error["code"] == "invalid_status"
    assert "EN_COURS" in error["message"] and "SHIPPING" in error["details"]["allowed"]
    response = verlaine_api.get(f"{API}/orders?limit=101")
    error = error_of(response)
    assert response.status_code == 422 and error["code"] == "invalid_request"
    assert error["details"][0]["field"] == "limit"
    response = verlaine_api.get(f"{API}/orders?updated_since=hier")
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "updated_since"


@pytest.mark.parametrize("count", [20, 100])
def test_a_page_of_orders_costs_the_same_queries_whatever_its_size(
    market, verlaine_api, django_assert_max_num_queries, count
):
    # covers: VEN-3
    paid_vendor_orders_make(market["verlaine"], count, lines=3, shipped=True)
    paid_vendor_orders_make(market["brun"], 5, lines=1)
    verlaine_api.get(f"{API}/orders")  # the key's "last used" write happens once a minute
    # key and vendor · total · the page's rows (keys of each order's cached JSON) · the
    # orders not cached (here all but the first page's 20) with customer · lines with offer
    # SKU · shipments · parcels · shipment contents
    with django_assert_max_num_queries(8):
        response = verlaine_api.get(f"{API}/orders?limit=100")
    data = response.json()
    assert data["total_count"] == count and len(data["orders"]) == count
    order = data["orders"][0]
    assert len(order["order_lines"]) == 3 and order["order_lines"][0]["shipped_quantity"] == 2
    [shipment] = order["shipments"]
    assert [p["index"] for p in shipment["parcels"]] == [1, 2]
    assert shipment["parcels"][0]["tracking_url"].startswith("https://www.laposte.fr/")


def test_get_one_order_and_another_vendors_order_is_not_found(bought, verlaine_api, brun_api):
    # covers: VEN-3
    vo = bought["verlaine_vo"]
    response = verlaine_api.get(f"{API}/orders/{vo.pk}")
    assert response.status_code == 200 and response.json()["id"] == vo.pk
    theirs = brun_api.get(f"{API}/orders/{vo.pk}")
    missing = brun_api.get(f"{API}/orders/999999")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert error_of(theirs)["code"] == "not_found"
    assert error_of(theirs)["message"] == "Commande introuvable."
    assert brun_api.get(f"{API}/orders/abc").status_code == 422


# --- OR21: accept or refuse -----------------------------------------------------------------


def test_accept_and_refuse_lines(market, bought, verlaine_api):
    # covers: ORD-8
    vo = bought["verlaine_vo"]
    by_title = lines_by_title(vo)
    shirt, belt = by_title["Chemise Oxford bleue"], by_title["Ceinture en cuir"]
    body = {
        "order_lines": [
            {"id": shirt.pk, "accepted": True},
            {"id": belt.pk, "accepted": False, "reason": "out_of_stock"},
        ]
    }
    response = put(verlaine_api, f"{API}/orders/{vo.pk}/accept", body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "SHIPPING" and data["accepted_at"]
    lines = {line["id"]: line for line in data["order_lines"]}
    assert lines[shirt.pk]["status"] == "accepted"
    assert lines[belt.pk]["status"] == "refused"
    assert lines[belt.pk]["refusal_reason"] == "out_of_stock"
    assert Refund.objects.count() == 1  # the refused belts went back to the customer
    # The audit log says which key acted (a program, not a person).
    event = OrderEvent.objects.get(vendor_order=vo, kind="accepted")
    assert event.actor is None and event.actor_kind == ActorKind.API_KEY
    assert event.api_key.name.startswith("ERP") and "api_key" not in event.data


def test_a_refusal_without_reason_or_a_duplicate_line_changes_nothing(bought, verlaine_api):
    # covers: ORD-8
    vo = bought["verlaine_vo"]
    shirt = lines_by_title(vo)["Chemise Oxford bleue"]
    path = f"{API}/orders/{vo.pk}/accept"
    response = put(verlaine_api, path, {"order_lines": [{"id": shirt.pk, "accepted": False}]})
    assert response.status_code == 422 and error_of(response)["code"] == "invalid"
    assert "motif" in error_of(response)["message"]
    twice = {"order_lines": [{"id": shirt.pk, "accepted": True}] * 2}
    response = put(verlaine_api, path, twice)
    assert response.status_code == 422 and error_of(response)["code"] == "duplicate_line"
    response = put(verlaine_api, path, {"order_lines": [{"id": 999999, "accepted": True}]})
    assert response.status_code == 422 and error_of(response)["code"] == "invalid"
    assert set(OrderLine.objects.filter(vendor_order=vo).values_list("status", flat=True)) == {
        "pending"
    }


def test_accepting_another_vendors_order_is_not_found_and_changes_nothing(
    bought, verlaine_api, brun_api
):
    # covers: VEN-3, ORD-8
    vo = bought["verlaine_vo"]
    body = {"order_lines": [{"id": ln.pk, "accepted": True} for ln in vo.lines.all()]}
    response = put(brun_api, f"{API}/orders/{vo.pk}/accept", body)
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert response.json() == put(brun_api, f"{API}/orders/999999/accept", body).json()
    vo.refresh_from_db()
    assert vo.accepted_at is None
    assert set(vo.lines.values_list("status", flat=True)) == {"pending"}
    assert not OrderEvent.objects.filter(vendor_order=vo, kind="lines_accepted").exists()


# --- OR23/OR24: ship; delivered -------------------------------------------------------------


def test_ship_in_two_parcels_then_confirm_delivery(bought, verlaine_api):
    # covers: ORD-8, ORD-3, CAT-5
    vo = bought["verlaine_vo"]
    accept_all(verlaine_api, vo)
    response = ship(verlaine_api, vo, parcels=(TRACKING_1, TRACKING_2))
    assert response.status_code == 201, response.content
    shipment = response.json()
    assert shipment["carrier"] == "colissimo" and shipment["carrier_name"] == "Colissimo"
    assert [p["tracking_number"] for p in shipment["parcels"]] == [TRACKING_1, TRACKING_2]
    assert TRACKING_1 in shipment["parcels"][0]["tracking_url"]
    assert sum(line["quantity"] for line in shipment["lines"]) == 3
    order = verlaine_api.get(f"{API}/orders/{vo.pk}").json()
    assert order["state"] == "SHIPPED" and len(order["shipments"]) == 1

    response = put(verlaine_api, f"{API}/orders/{vo.pk}/delivered", {})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "RECEIVED" and response.json()["delivered_at"]


def test_a_partial_shipment_names_the_lines(bought, verlaine_api):
    # covers: ORD-8
    vo = bought["verlaine_vo"]
    accept_all(verlaine_api, vo)
    belt = lines_by_title(vo)["Ceinture en cuir"]
    body = {
        "carrier": "colissimo",
        "parcels": [TRACKING_1],
        "lines": [{"id": belt.pk, "quantity": 1}],
    }
    response = post(verlaine_api, f"{API}/orders/{vo.pk}/shipments", body)
    assert response.status_code == 201, response.content
    assert response.json()["lines"] == [{"line_id": belt.pk, "quantity": 1}]
    order = verlaine_api.get(f"{API}/orders/{vo.pk}").json()
    assert order["state"] == "SHIPPING"
    shipped = {line["id"]: line["shipped_quantity"] for line in order["order_lines"]}
    assert shipped[belt.pk] == 1


def test_shipping_errors_are_clear_and_ship_nothing(bought, verlaine_api):
    # covers: ORD-8, ORD-3
    vo = bought["verlaine_vo"]
    response = ship(verlaine_api, vo)
    assert response.status_code == 409 and error_of(response)["code"] == "invalid_state"
    assert "Acceptez" in error_of(response)["message"]
    accept_all(verlaine_api, vo)
    response = ship(verlaine_api, vo, parcels=("123",))
    assert response.status_code == 422 and error_of(response)["code"] == "invalid"
    assert "Colis 1/1" in error_of(response)["message"]
    body = {"carrier": "pigeon", "parcels": [TRACKING_1]}
    response = post(verlaine_api, f"{API}/orders/{vo.pk}/shipments", body)
    assert response.status_code == 422 and "transporteur" in error_of(response)["message"]
    response = post(verlaine_api, f"{API}/orders/{vo.pk}/shipments", {"carrier": "colissimo"})
    assert response.status_code == 422 and error_of(response)["code"] == "invalid_request"
    assert error_of(response)["details"][0]["field"] == "parcels"
    assert not Shipment.objects.exists()


def test_shipping_or_delivering_another_vendors_order_is_not_found(bought, verlaine_api, brun_api):
    # covers: VEN-3, ORD-8
    vo = bought["verlaine_vo"]
    accept_all(verlaine_api, vo)
    response = ship(brun_api, vo)
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert not Shipment.objects.exists()
    ship(verlaine_api, vo)
    response = put(brun_api, f"{API}/orders/{vo.pk}/delivered", {})
    assert response.status_code == 404
    vo.refresh_from_db()
    assert vo.status == VendorOrder.Status.SHIPPED and vo.delivered_at is None


def test_delivery_before_shipping_is_a_conflict(bought, verlaine_api):
    # covers: ORD-8
    vo = bought["verlaine_vo"]
    response = put(verlaine_api, f"{API}/orders/{vo.pk}/delivered", {})
    assert response.status_code == 409 and error_of(response)["code"] == "invalid_state"


def test_delivered_takes_a_moment_or_no_body_at_all(bought, verlaine_api):
    # covers: ORD-8
    vo = bought["verlaine_vo"]
    accept_all(verlaine_api, vo)
    ship(verlaine_api, vo)
    future = (timezone.now() + timedelta(days=2)).isoformat()
    response = put(verlaine_api, f"{API}/orders/{vo.pk}/delivered", {"delivered_at": future})
    assert response.status_code == 422 and "futur" in error_of(response)["message"]
    response = verlaine_api.put(f"{API}/orders/{vo.pk}/delivered")
    assert response.status_code == 200 and response.json()["state"] == "RECEIVED"


# --- invoice --------------------------------------------------------------------------------


def upload(client, vendor_order, content: bytes, name="facture.pdf", **data):
    file = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post(f"{API}/orders/{vendor_order.pk}/invoice", {"file": file, **data})


def test_invoice_upload_once_shipped(market, bought, verlaine_api, brun_api):
    # covers: INV-1, VEN-3
    vendor_invoicing_set(vendor=market["verlaine"], mode="uploaded")
    vo = bought["verlaine_vo"]
    response = upload(verlaine_api, vo, minimal_pdf())
    assert response.status_code == 409 and error_of(response)["code"] == "not_shipped"
    accept_all(verlaine_api, vo)
    ship(verlaine_api, vo)
    response = upload(brun_api, vo, minimal_pdf())
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    response = upload(verlaine_api, vo, b"Bonjour, ceci n'est pas un PDF", name="f.pdf")
    assert response.status_code == 422 and error_of(response)["code"] == "not_pdf"
    assert not Invoice.objects.filter(vendor_order=vo).exists()
    response = upload(verlaine_api, vo, minimal_pdf(), number="FV-2026-0042")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["order_id"] == vo.pk and data["number"] == "FV-2026-0042"
    assert data["source"] == "uploaded"
    invoice = Invoice.objects.get(vendor_order=vo)
    assert invoice.pdf.read().startswith(b"%PDF-")
    response = upload(verlaine_api, vo, minimal_pdf())
    assert response.status_code == 409 and error_of(response)["code"] == "already_invoiced"


def test_invoice_upload_without_a_file_is_a_422(bought, verlaine_api):
    # covers: VEN-3
    response = verlaine_api.post(f"{API}/orders/{bought['verlaine_vo'].pk}/invoice", {})
    assert response.status_code == 422 and error_of(response)["code"] == "invalid_request"
    assert error_of(response)["details"][0]["field"] == "file"


# --- carriers -------------------------------------------------------------------------------


def test_carriers_are_listed_with_their_codes(verlaine_api):
    # covers: VEN-3, ORD-3
    response = verlaine_api.get(f"{API}/carriers")
    assert response.status_code == 200
    carriers = {c["code"]: c for c in response.json()}
    assert carriers["colissimo"]["name"] == "Colissimo"
    assert "{number}" in carriers["colissimo"]["tracking_url_pattern"]
    assert "relay" in carriers["mondial_relay"]["modes"]
