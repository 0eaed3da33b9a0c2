"""Vendor API — what every route shares: the key, the rate limit, Idempotency-Key, the JSON
errors in the caller's language, the OpenAPI document, the demo keys."""

import json
import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory, override_settings
from django.utils import timezone

from allies.invoices.models import Invoice
from allies.invoices.services import vendor_invoicing_set
from allies.orders.models import OrderEvent, Shipment
from allies.vendor_api import ratelimit
from allies.vendor_api.demo import demo_api_key_for, demo_api_keys_create
from allies.vendor_api.idempotency import request_fingerprint
from allies.vendor_api.models import IdempotencyRecord
from allies.vendors.models import VendorApiKey
from allies.vendors.services import api_key_authenticate, api_key_create, api_key_revoke
from tests.factories import VendorFactory
from tests.invoices.conftest import minimal_pdf
from tests.vendor_api.conftest import API, TRACKING_1, api_client, buy, vendor_order_of
from tests.vendor_api.test_orders import JSON, accept_all, error_of, post, put, ship

pytestmark = pytest.mark.django_db


@pytest.fixture
def verlaine_vo(market):
    order = buy(market, [(market["shirt"], 1), (market["belt"], 1)])
    return vendor_order_of(order, market["verlaine"])


# --- the key --------------------------------------------------------------------------------


def test_without_a_key_every_route_is_a_401(verlaine_vo):
    # covers: VEN-3
    anonymous = api_client(None)
    calls = [
        anonymous.get(f"{API}/orders"),
        anonymous.get(f"{API}/orders/{verlaine_vo.pk}"),
        anonymous.put(f"{API}/orders/{verlaine_vo.pk}/accept", "{}", content_type=JSON),
        anonymous.post(f"{API}/orders/{verlaine_vo.pk}/shipments", "{}", content_type=JSON),
        anonymous.put(f"{API}/orders/{verlaine_vo.pk}/delivered", "{}", content_type=JSON),
        anonymous.post(f"{API}/orders/{verlaine_vo.pk}/invoice", {}),
        anonymous.get(f"{API}/carriers"),
        anonymous.get(f"{API}/offers"),
        anonymous.post(f"{API}/offers", "{}", content_type=JSON),
        anonymous.put(f"{API}/offers/stock", "{}", content_type=JSON),
    ]
    for response in calls:
        assert response.status_code == 401, response.request
        assert error_of(response)["code"] == "invalid_api_key"
        assert "Authorization: Bearer" in error_of(response)["message"]
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_a_revoked_or_a_malformed_key_is_a_401(market, keys, verlaine_vo):
    # covers: VEN-3
    key = api_key_authenticate(keys["verlaine"])
    api_key_revoke(vendor=market["verlaine"], key_id=key.pk)
    for client in (
        api_client(keys["verlaine"]),  # revoked
        api_client("alk_" + "x" * 43),  # unknown
        api_client(None, Authorization=f"Token {keys['brun']}"),  # not "Bearer"
    ):
        response = client.get(f"{API}/orders")
        assert response.status_code == 401
        assert error_of(response) == {
            "code": "invalid_api_key",
            "message": "Clé d'API inconnue ou révoquée.",
            "details": None,
        }
    # The vendor's other keys still work; a deactivated vendor's do not.
    _key, other = api_key_create(vendor=market["verlaine"], name="Second")
    assert api_client(other).get(f"{API}/orders").status_code == 200
    market["verlaine"].is_active = False
    market["verlaine"].save(update_fields=["is_active"])
    assert api_client(other).get(f"{API}/orders").status_code == 401


def test_a_key_records_when_it_was_last_used(keys):
    # covers: VEN-3
    api_client(keys["brun"]).get(f"{API}/carriers")
    assert api_key_authenticate(keys["brun"]).last_used_at is not None


# --- rate limit -----------------------------------------------------------------------------


@override_settings(VENDOR_API_RATE_LIMIT=3)
def test_past_the_limit_a_key_gets_a_429_with_retry_after(keys):
    # covers: VEN-3
    verlaine = api_client(keys["verlaine"])
    for _ in range(3):
        assert verlaine.get(f"{API}/carriers").status_code == 200
    response = verlaine.get(f"{API}/carriers")
    assert response.status_code == 429
    error = error_of(response)
    assert error["code"] == "rate_limited" and "3 requêtes par minute" in error["message"]
    assert 1 <= int(response["Retry-After"]) <= 60
    assert error["details"]["retry_after"] == int(response["Retry-After"])
    # Per key: the other vendor's key is not slowed down.
    assert api_client(keys["brun"]).get(f"{API}/carriers").status_code == 200


@override_settings(VENDOR_API_RATE_LIMIT=3)
def test_two_first_requests_of_a_window_at_once_are_both_counted(monkeypatch):
    # covers: VEN-3 (the other request added the window's counter between our incr and add)
    class Raced:
        def __init__(self):
            self.value = None

        def incr(self, key):
            if self.value is None:
                self.value = 1  # the other request's add lands now
                raise ValueError(key)
            self.value += 1
            return self.value

        def add(self, key, value, timeout):
            return False

    monkeypatch.setattr(ratelimit, "cache", Raced())
    assert ratelimit.rate_limit_hit(key_id=1, now=120.0) == 1  # 2 of 3 counted, 1 left


@override_settings(VENDOR_API_RATE_LIMIT=1)
def test_a_limited_write_does_not_act(keys, verlaine_vo):
    # covers: VEN-3
    verlaine = api_client(keys["verlaine"])
    verlaine.get(f"{API}/carriers")
    body = {"order_lines": [{"id": ln.pk, "accepted": True} for ln in verlaine_vo.lines.all()]}
    response = put(
        verlaine, f"{API}/orders/{verlaine_vo.pk}/accept", body, **{"Idempotency-Key": "a"}
    )
    assert response.status_code == 429
    verlaine_vo.refresh_from_db()
    assert verlaine_vo.accepted_at is None
    assert not IdempotencyRecord.objects.exists()


# --- Idempotency-Key ------------------------------------------------------------------------


def test_a_replayed_shipment_ships_once_and_answers_the_same(verlaine_api, verlaine_vo):
    # covers: VEN-3, ORD-8
    accept_all(verlaine_api, verlaine_vo)
    first = ship(verlaine_api, verlaine_vo, **{"Idempotency-Key": "ship-42"})
    again = ship(verlaine_api, verlaine_vo, **{"Idempotency-Key": "ship-42"})
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Shipment.objects.filter(vendor_order=verlaine_vo).count() == 1
    assert OrderEvent.objects.filter(vendor_order=verlaine_vo, kind="shipment_created").count() == 1
    # Without the key the same call is a new call: refused, everything already shipped.
    response = ship(verlaine_api, verlaine_vo)
    assert response.status_code == 409


def test_a_replayed_acceptance_acts_once(verlaine_api, verlaine_vo):
    # covers: VEN-3, ORD-8
    path = f"{API}/orders/{verlaine_vo.pk}/accept"
    body = {"order_lines": [{"id": ln.pk, "accepted": True} for ln in verlaine_vo.lines.all()]}
    first = put(verlaine_api, path, body, **{"Idempotency-Key": "acc-1"})
    # Same JSON, other key order and spacing: the same request.
    text = json.dumps(
        {"order_lines": [dict(reversed(list(d.items()))) for d in body["order_lines"]]}, indent=2
    )
    again = verlaine_api.put(path, text, content_type=JSON, headers={"Idempotency-Key": "acc-1"})
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    kinds = list(OrderEvent.objects.filter(vendor_order=verlaine_vo).values_list("kind", flat=True))
    assert kinds.count("lines_accepted") == 1 and kinds.count("accepted") == 1


def test_the_same_key_for_another_request_is_a_422_and_does_not_act(verlaine_api, verlaine_vo):
    # covers: VEN-3
    accept_all(verlaine_api, verlaine_vo)
    ship(verlaine_api, verlaine_vo, parcels=["6A12345678905"], **{"Idempotency-Key": "k"})
    response = ship(
        verlaine_api, verlaine_vo, parcels=["6A12345678906"], **{"Idempotency-Key": "k"}
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"
    response = put(
        verlaine_api, f"{API}/orders/{verlaine_vo.pk}/delivered", {}, **{"Idempotency-Key": "k"}
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"
    verlaine_vo.refresh_from_db()
    assert verlaine_vo.delivered_at is None
    assert Shipment.objects.filter(vendor_order=verlaine_vo).count() == 1


def test_keys_are_per_api_key(market, keys, verlaine_vo):
    # covers: VEN-3
    _key, second = api_key_create(vendor=market["verlaine"], name="Second")
    body = {"order_lines": [{"id": ln.pk, "accepted": True} for ln in verlaine_vo.lines.all()]}
    path = f"{API}/orders/{verlaine_vo.pk}/accept"
    put(api_client(keys["verlaine"]), path, body, **{"Idempotency-Key": "same"})
    response = put(api_client(second), path, body, **{"Idempotency-Key": "same"})
    assert response.status_code == 200 and not response.has_header("Idempotent-Replayed")


def test_a_malformed_call_is_not_kept_so_the_fixed_call_may_reuse_the_key(
    verlaine_api, verlaine_vo
):
    # covers: VEN-3
    path = f"{API}/orders/{verlaine_vo.pk}/accept"
    response = put(verlaine_api, path, {"order_lines": "tout"}, **{"Idempotency-Key": "fix"})
    assert response.status_code == 422 and error_of(response)["code"] == "invalid_request"
    body = {"order_lines": [{"id": ln.pk, "accepted": True} for ln in verlaine_vo.lines.all()]}
    response = put(verlaine_api, path, body, **{"Idempotency-Key": "fix"})
    assert response.status_code == 200 and response.json()["state"] == "SHIPPING"


def test_a_refusal_by_the_service_is_kept_and_replayed(verlaine_api, verlaine_vo):
    # covers: VEN-3
    first = ship(verlaine_api, verlaine_vo, **{"Idempotency-Key": "early"})  # not accepted yet
    assert first.status_code == 409
    accept_all(verlaine_api, verlaine_vo)
    again = ship(verlaine_api, verlaine_vo, **{"Idempotency-Key": "early"})
    assert again.status_code == 409 and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert not Shipment.objects.exists()


def test_a_duplicate_while_the_first_runs_does_not_act(keys, verlaine_api, verlaine_vo):
    # covers: VEN-3
    accept_all(verlaine_api, verlaine_vo)
    path = f"{API}/orders/{verlaine_vo.pk}/shipments"
    body = {"carrier": "colissimo", "parcels": [TRACKING_1]}
    # What a concurrent first call leaves while it runs: its record, without an answer yet.
    request = RequestFactory().post(path, body, content_type=JSON)
    IdempotencyRecord.objects.create(
        api_key=api_key_authenticate(keys["verlaine"]),
        key="busy",
        method="POST",
        path=path,
        fingerprint=request_fingerprint(request),
    )
    response = post(verlaine_api, path, body, **{"Idempotency-Key": "busy"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_in_progress"
    assert response["Retry-After"] == "1"
    assert not Shipment.objects.exists()


def test_records_expire_after_a_day(verlaine_api, verlaine_vo):
    # covers: VEN-3
    accept_all(verlaine_api, verlaine_vo)
    first = ship(verlaine_api, verlaine_vo, **{"Idempotency-Key": "old"})
    assert first.status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = ship(verlaine_api, verlaine_vo, **{"Idempotency-Key": "old"})
    assert again.status_code == 409 and not again.has_header("Idempotent-Replayed")
    assert IdempotencyRecord.objects.count() == 1  # the old one replaced


def test_an_unusable_idempotency_key_is_a_422(verlaine_api, verlaine_vo):
    # covers: VEN-3
    response = ship(verlaine_api, verlaine_vo, **{"Idempotency-Key": "x" * 256})
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_idempotency_key"


def test_an_invoice_upload_replayed_is_stored_once(market, verlaine_api, verlaine_vo):
    # covers: VEN-3, INV-1
    vendor_invoicing_set(vendor=market["verlaine"], mode="uploaded")
    accept_all(verlaine_api, verlaine_vo)
    ship(verlaine_api, verlaine_vo)
    headers = {"HTTP_IDEMPOTENCY_KEY": "inv-1"}
    path = f"{API}/orders/{verlaine_vo.pk}/invoice"

    def call():
        file = SimpleUploadedFile("f.pdf", minimal_pdf(), content_type="application/pdf")
        return verlaine_api.post(path, {"file": file, "number": "F-7"}, **headers)

    one, two = call(), call()  # two multipart bodies, two boundaries: the same request
    assert one.status_code == two.status_code == 201
    assert two["Idempotent-Replayed"] == "true" and two.content == one.content
    assert Invoice.objects.filter(vendor_order=verlaine_vo).count() == 1


# --- errors ---------------------------------------------------------------------------------


def test_a_body_that_is_not_json_is_a_422(verlaine_api, verlaine_vo):
    # covers: VEN-3
    path = f"{API}/orders/{verlaine_vo.pk}/accept"
    response = verlaine_api.put(path, '{"order_lines": [', content_type=JSON)
    assert response.status_code == 422 and error_of(response)["code"] == "malformed_json"
    response = verlaine_api.put(path, "[1, 2]", content_type=JSON)
    assert response.status_code == 422 and error_of(response)["code"] == "invalid_request"
    response = put(verlaine_api, path, {"order_lines": [{"id": "un", "accepted": "peut-être"}]})
    error = error_of(response)
    assert response.status_code == 422 and error["code"] == "invalid_request"
    fields = {d["field"]: d for d in error["details"]}
    assert fields["order_lines.0.id"]["message"] == "Un nombre entier est attendu."
    assert fields["order_lines.0.accepted"]["code"] == "bool_parsing"
    verlaine_vo.refresh_from_db()
    assert verlaine_vo.accepted_at is None


def test_messages_are_english_with_accept_language_en(verlaine_api, verlaine_vo, brun_api):
    # covers: VEN-3, SITE-4
    english = {"Accept-Language": "en-GB,en;q=0.8"}
    response = brun_api.get(f"{API}/orders/{verlaine_vo.pk}", headers=english)
    assert error_of(response)["message"] == "Order not found."
    response = api_client(None).get(f"{API}/orders", headers=english)
    assert error_of(response)["message"].startswith("Missing API key")
    response = put(
        verlaine_api, f"{API}/orders/{verlaine_vo.pk}/accept", {"order_lines": [{}]}, **english
    )
    assert error_of(response)["message"] == "The request is invalid: fix the fields listed."
    assert error_of(response)["details"][0]["message"] == "This field is required."
    response = ship(verlaine_api, verlaine_vo, **english)  # the orders app's own message
    assert error_of(response)["message"].startswith("Accept or refuse")
    response = verlaine_api.get(f"{API}/orders/{verlaine_vo.pk}", headers={"Accept-Language": "de"})
    assert response.status_code == 200
    assert (
        error_of(brun_api.get(f"{API}/orders/0", headers={"Accept-Language": "de"}))["message"]
        == "Commande introuvable."
    )


def test_unknown_routes_and_methods_answer_in_json(verlaine_api, verlaine_vo):
    # covers: VEN-3
    response = verlaine_api.get(f"{API}/commandes")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    response = verlaine_api.post(f"{API}/orders/{verlaine_vo.pk}/accept", "{}", content_type=JSON)
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"
    assert response["Allow"] == "PUT"
    response = verlaine_api.delete(f"{API}/orders")
    assert response.status_code == 405 and response["Allow"] == "GET"


# --- OpenAPI --------------------------------------------------------------------------------


def test_the_openapi_document_lists_the_vendor_routes_with_mirakl_names():
    # covers: VEN-3
    response = api_client(None).get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    expected = {
        "/api/v1/vendor/orders": {"get"},
        "/api/v1/vendor/orders/{order_id}": {"get"},
        "/api/v1/vendor/orders/{order_id}/accept": {"put"},
        "/api/v1/vendor/orders/{order_id}/shipments": {"post"},
        "/api/v1/vendor/orders/{order_id}/delivered": {"put"},
        "/api/v1/vendor/orders/{order_id}/invoice": {"post"},
        "/api/v1/vendor/carriers": {"get"},
        "/api/v1/vendor/offers": {"get", "post"},
        "/api/v1/vendor/offers/stock": {"put"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
    summaries = " ".join(op["summary"] for ops in paths.values() for op in ops.values())
    for name in ("OR11", "OR21", "OR23", "OR24", "OF24"):
        assert name in summaries
    assert not any("{rest}" in path for path in paths)  # the JSON 404 is not documented
    schemes = document["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    item = paths["/api/v1/vendor/offers"]["post"]["requestBody"]["content"][JSON]["schema"]
    assert item  # the OF24 body is documented


# --- demo keys ------------------------------------------------------------------------------


def test_demo_keys_are_known_and_made_once():
    # covers: VEN-3
    vendor = VendorFactory(slug="maison-verlaine")
    assert demo_api_key_for("maison-verlaine") == "alk_demo_maison_verlaine"
    assert demo_api_keys_create([vendor]) == 1
    assert demo_api_keys_create([vendor]) == 0
    key = api_key_authenticate(demo_api_key_for("maison-verlaine"))
    assert key.vendor == vendor and VendorApiKey.objects.filter(vendor=vendor).count() == 1
    response = api_client(demo_api_key_for("maison-verlaine")).get(f"{API}/orders")
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_identical_calls_at_the_same_moment_act_once(market, keys):
    # covers: VEN-3
    order = buy(market, [(market["shirt"], 1)])
    vendor_order = vendor_order_of(order, market["verlaine"])
    accept_all(api_client(keys["verlaine"]), vendor_order)
    barrier = threading.Barrier(2)
    answers = []

    def call():
        try:
            client = api_client(keys["verlaine"])
            barrier.wait()
            answers.append(ship(client, vendor_order, **{"Idempotency-Key": "race"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Shipment.objects.filter(vendor_order=vendor_order).count() == 1
    statuses = sorted(a.status_code for a in answers)
    # The loser either waited for the winner's answer (replayed) or was told to retry.
    assert statuses in ([201, 201], [201, 409])
    if statuses == [201, 409]:
        loser = next(a for a in answers if a.status_code == 409)
        assert error_of(loser)["code"] == "idempotency_in_progress"


@override_settings(VENDOR_API_RATE_LIMIT=1)
def test_a_broken_cache_does_not_take_the_api_down(keys, monkeypatch, caplog):
    # covers: VEN-3
    class Unreachable:
        def __getattr__(self, name):
            raise ConnectionError("cache down")

    monkeypatch.setattr(ratelimit, "cache", Unreachable())
    verlaine = api_client(keys["verlaine"])
    assert [verlaine.get(f"{API}/carriers").status_code for _ in range(3)] == [200] * 3
    assert "rate limit skipped" in caplog.text


def test_api_docs_page_needs_no_internet(client, db):
    # covers: VEN-3 (the documentation vendors read works offline: no CDN)
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    body = response.content.decode()
    assert "swagger-ui-bundle.js" in body
    assert "cdn.jsdelivr" not in body and "https://" not in body.split("<body")[0]
