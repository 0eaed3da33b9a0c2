"""Vendor API — incidents (after-sales claims, SAV-1…4, Mirakl OR62–OR64): list and read one,
ask for the item back (label or pickup), refuse, received, resolve (refund or a new
shipment), reject, idempotent. Every route is tried with another vendor's key and with odd
bodies."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from allies.aftersales.claim_states import CLAIM_STAGES, ClaimStatus
from allies.aftersales.claims import claim_refuse
from allies.aftersales.models import Claim, ClaimPhoto
from allies.notifications.models import OutgoingEmail
from allies.orders.events import Actor
from allies.orders.models import OrderEvent
from allies.payments.models import Refund
from allies.vendor_api.incidents import MIRAKL_STATES
from tests.aftersales.conftest import (  # noqa: F401  (autouse fixtures of the aftersales tests)
    DELIVERED_AT,
    _fast_passwords,
    _support_storage_in_tmp,
    claimed,
    delivered,
)
from tests.vendor_api.conftest import API, api_client

pytestmark = pytest.mark.django_db

JSON = "application/json"
SHIRT, BELT, WALLET = "Chemise Oxford bleue", "Ceinture en cuir", "Portefeuille en cuir"
CLAIMED_AT = DELIVERED_AT + timedelta(days=20)  # Monday 21 December 2026, 10:00 Paris
LATER = CLAIMED_AT + timedelta(hours=1)  # when the vendor's program calls
GOOD_TRACKING = "6A12345678901"


def error_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content
    return response.json()["error"]


def put(client, path, body=None, **headers):
    data = "" if body is None else json.dumps(body)
    with time_machine.travel(LATER, tick=False):
        return client.put(f"{API}{path}", data, content_type=JSON, headers=headers)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["incidents"]]


def status_of(claim) -> str:
    return Claim.objects.values_list("status", flat=True).get(pk=claim.pk)


@pytest.fixture
def shirt_claim(market):
    """Luc's claim about Verlaine's shirt (damaged, refund wanted), one photo."""
    return claimed(delivered(market), {SHIRT: 1}, at=CLAIMED_AT)


@pytest.fixture
def claims(market):
    """Verlaine: the shirt (open), two belts of a second order (refused on the spot);
    Brun: the wallet."""
    shirt = claimed(delivered(market), {SHIRT: 1}, at=CLAIMED_AT, remedy="replacement")
    second = delivered(market, [(market["belt"], 2)], at=DELIVERED_AT + timedelta(days=1))
    belts = claimed(second, {BELT: 2}, at=CLAIMED_AT + timedelta(minutes=5))
    brun = claimed(delivered(market, [(market["wallet"], 1)]), {WALLET: 1}, at=CLAIMED_AT)
    with time_machine.travel(CLAIMED_AT + timedelta(hours=2), tick=False):
        claim_refuse(
            claim=belts,
            actor=Actor.vendor_user(market["verlaine_user"]),
            vendor=market["verlaine"],
            reason="Usure normale, pas un défaut.",
        )
    return {"shirt": shirt, "belts": belts, "brun": brun}


# --- list and read --------------------------------------------------------------------------


def test_list_shows_own_incidents_with_filters_pages_and_the_claims_details(verlaine_api, claims):
    # covers: VEN-2, SAV-1, SAV-2
    shirt, belts = claims["shirt"], claims["belts"]
    every = verlaine_api.get(f"{API}/incidents")
    assert ids(every) == [belts.pk, shirt.pk] and every.json()["total_count"] == 2
    assert ids(verlaine_api.get(f"{API}/incidents?state=INCIDENT_OPEN")) == [shirt.pk]
    assert ids(verlaine_api.get(f"{API}/incidents?state=INCIDENT_CLOSED")) == [belts.pk]
    assert ids(verlaine_api.get(f"{API}/incidents?status=refused,cancelled")) == [belts.pk]
    both = verlaine_api.get(f"{API}/incidents", {"state": "INCIDENT_OPEN", "status": "refused"})
    assert ids(both) == []
    assert ids(verlaine_api.get(f"{API}/incidents?order_id={shirt.vendor_order_id}")) == [shirt.pk]
    since = (CLAIMED_AT + timedelta(hours=1)).isoformat()
    changed = verlaine_api.get(f"{API}/incidents", {"updated_since": since, "sort": "updated_asc"})
    assert ids(changed) == [belts.pk]
    page_1 = verlaine_api.get(f"{API}/incidents?limit=1")
    page_2 = verlaine_api.get(f"{API}/incidents?limit=1&offset=1")
    beyond = verlaine_api.get(f"{API}/incidents?offset=10")
    assert ids(page_1) + ids(page_2) == [belts.pk, shirt.pk]
    assert ids(beyond) == [] and beyond.json()["total_count"] == 2
    row = next(r for r in every.json()["incidents"] if r["id"] == shirt.pk)
    assert row["reference"] == shirt.reference == f"SAV-{shirt.pk:06d}"
    assert row["order_id"] == shirt.vendor_order_id
    assert row["order_reference"] == shirt.vendor_order.order.reference
    assert row["thread_id"] == shirt.thread_id
    assert row["state"] == "INCIDENT_OPEN" and row["status"] == "requested"
    assert row["problem"] == "damaged" and row["remedy"] == "replacement"
    assert row["customer_first_name"] == "Luc"
    # SAV-2: 48 business hours from Monday 10:00 Paris → Wednesday 10:00 (09:00 UTC).
    assert row["answer_due_at"].startswith("2026-12-23T09:00")
    assert row["return"] is None and row["reship"] is None and row["resolution"] is None
    assert row["refunded_amount"] == "0.00"
    [item] = row["items"]
    line = shirt.items.get().order_line
    assert item["order_line_id"] == line.pk and item["quantity"] == 1
    assert item["product_title"] == SHIRT and item["offer_sku"] == line.offer.vendor_sku
    assert item["description"] == f"{SHIRT} : couture ouverte"
    photo = ClaimPhoto.objects.get(item__claim=shirt)
    assert item["photo_count"] == 1 and item["photo_ids"] == [photo.attachment_id]
    refused = next(r for r in every.json()["incidents"] if r["id"] == belts.pk)
    assert refused["state"] == "INCIDENT_CLOSED"
    assert refused["refusal_reason"] == "Usure normale, pas un défaut."
    assert "luc@example.test" not in every.content.decode()


def test_a_claim_photo_downloads_through_the_thread_of_the_incident(verlaine_api, shirt_claim):
    # covers: SAV-1, VEN-2 (the vendor sees the customer's photos)
    data = verlaine_api.get(f"{API}/incidents/{shirt_claim.pk}").json()
    [photo_id] = data["items"][0]["photo_ids"]
    response = verlaine_api.get(f"{API}/threads/{data['thread_id']}/attachments/{photo_id}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"


def test_odd_list_parameters_are_refused_clearly(verlaine_api):
    # covers: VEN-2
    response = verlaine_api.get(f"{API}/incidents?state=INCIDENT_OPEN,LOST")
    error = error_of(response)
    assert response.status_code == 422 and error["code"] == "invalid_state_filter"
    assert "LOST" in error["message"] and "INCIDENT_CLOSED" in error["message"]
    assert error["details"]["allowed"] == list(MIRAKL_STATES)
    response = verlaine_api.get(f"{API}/incidents?status=requested,lost")
    error = error_of(response)
    assert response.status_code == 422 and error["code"] == "invalid_status_filter"
    assert "lost" in error["message"] and "awaiting" in error["message"]
    for query, field in (
        ("limit=101", "limit"),
        ("offset=-1", "offset"),
        ("offset=99999999999999999999999", "offset"),
        ("order_id=١٢", "order_id"),
        ("order_id=99999999999999999999999", "order_id"),
        ("updated_since=hier", "updated_since"),
        ("sort=random", "sort"),
        ("state=" + "X" * 501, "state"),
    ):
        response = verlaine_api.get(f"{API}/incidents?{query}")
        error = error_of(response)
        assert response.status_code == 422, query
        assert error["code"] == "invalid_request" and error["details"][0]["field"] == field


def test_every_incident_state_is_a_filter():
    # covers: VEN-2
    assert set(MIRAKL_STATES) == {stage.mirakl for stage in CLAIM_STAGES.values()}
    assert set(MIRAKL_STATES) == {"INCIDENT_OPEN", "INCIDENT_CLOSED"}


@pytest.mark.parametrize("count", [2, 10])
def test_a_page_of_incidents_costs_the_same_queries_whatever_its_size(
    market, verlaine_api, django_assert_max_num_queries, count
):
    # covers: VEN-2 (queries constant in the number of incidents)
    for offer in (market["shirt"], market["belt"]):
        offer.stock = 30
        offer.save(update_fields=["stock"])
    for _ in range(count):
        vendor_order = delivered(market, [(market["shirt"], 1), (market["belt"], 1)])
        claimed(vendor_order, {SHIRT: 1, BELT: 1}, at=CLAIMED_AT)
    verlaine_api.get(f"{API}/incidents")  # the key's "last used" write happens once a minute
    # key and vendor · count · page ids · claims with order and customer · items · photos
    with django_assert_max_num_queries(6):
        response = verlaine_api.get(f"{API}/incidents?limit=100")
    assert len(ids(response)) == count
    assert all(
        [i["photo_count"] for i in r["items"]] == [1, 1] for r in response.json()["incidents"]
    )


def test_read_one_incident(verlaine_api, shirt_claim):
    # covers: VEN-2
    response = verlaine_api.get(f"{API}/incidents/{shirt_claim.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == shirt_claim.pk
    assert response.json()["state_label"] == "À traiter"
    missing = verlaine_api.get(f"{API}/incidents/{shirt_claim.pk + 1000}")
    assert missing.status_code == 404
    assert error_of(missing)["message"] == "Réclamation introuvable."


# --- the item back, received, refund ------------------------------------------------------


def test_label_then_received_then_refund_refunds_once_even_when_replayed(verlaine_api, shirt_claim):
    # covers: SAV-3, SAV-4, VEN-2
    path = f"/incidents/{shirt_claim.pk}"
    early = put(verlaine_api, f"{path}/received")
    assert early.status_code == 409 and error_of(early)["code"] == "invalid_state"
    response = put(verlaine_api, f"{path}/return", {"mode": "label", "message": "Désolés !"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "awaiting" and data["state"] == "INCIDENT_OPEN"
    assert data["return"]["mode"] == "label" and data["return"]["tracking_number"]
    assert data["return"]["cost"] != "0.00" and data["decided_at"]
    assert OutgoingEmail.objects.filter(template="aftersales_claim_return_proposed").count() == 1
    assert OrderEvent.objects.get(kind="claim_return_proposed").actor_kind == "api_key"
    again = put(verlaine_api, f"{path}/return", {"mode": "label"})
    assert again.status_code == 409 and error_of(again)["code"] == "invalid_state"
    received = put(verlaine_api, f"{path}/received")
    assert received.status_code == 200 and received.json()["status"] == "received"
    assert received.json()["return"]["received_at"]
    body = {"resolution": "refund", "note": "Couture défectueuse confirmée."}
    first = put(verlaine_api, f"{path}/resolve", body, **{"Idempotency-Key": "sav-1"})
    replay = put(verlaine_api, f"{path}/resolve", body, **{"Idempotency-Key": "sav-1"})
    assert first.status_code == replay.status_code == 200, first.content
    assert replay["Idempotent-Replayed"] == "true" and replay.content == first.content
    data = first.json()
    # 59.90 + its shipping share round(7.00 × 59.90 / 129.90) = 63.13 (a defect: all of it).
    assert data["state"] == "INCIDENT_CLOSED" and data["status"] == "refunded"
    assert data["resolution"] == "refund" and data["defect_confirmed"] is True
    assert data["refunded_amount"] == "63.13" and data["items"][0]["refunded_amount"] == "63.13"
    assert Refund.objects.get().amount == Decimal("63.13")
    assert OutgoingEmail.objects.filter(template="aftersales_claim_refunded").count() == 1
    # Without the key, a second call is refused by the claim's stage: still one refund.
    once_more = put(verlaine_api, f"{path}/resolve", body)
    assert once_more.status_code == 409 and Refund.objects.count() == 1


def test_home_pickup_dates_are_checked_with_the_services_message(verlaine_api, shirt_claim):
    # covers: SAV-3
    path = f"/incidents/{shirt_claim.pk}/return"
    for dates, code, words in (
        ([], "dates_required", "au moins une date"),
        (["2026-12-26"], "not_working_day", "pas un jour ouvré"),  # a Saturday
        (["2027-03-01"], "date_out_of_range", "21 jours"),
        (["22/12/2026"], "invalid_date", "AAAA-MM-JJ"),
        (["２０２６-12-22"], "invalid_date", "AAAA-MM-JJ"),
        (["2026-12-22", "2026-12-23", "2026-12-24", "2026-12-28", "2026-12-29", "2026-12-30"],
         "too_many_dates", "au plus 5"),
    ):  # fmt: skip
        response = put(verlaine_api, path, {"mode": "pickup", "pickup_dates": dates})
        error = error_of(response)
        assert response.status_code == 422 and error["code"] == code, (dates, error)
        assert words in error["message"]
    label_with_dates = put(verlaine_api, path, {"mode": "label", "pickup_dates": ["2026-12-22"]})
    assert error_of(label_with_dates)["code"] == "dates_not_expected"
    assert status_of(shirt_claim) == ClaimStatus.REQUESTED
    assert not OutgoingEmail.objects.filter(template="aftersales_claim_return_proposed").exists()
    body = {"mode": "pickup", "pickup_dates": ["2026-12-23", "2026-12-22"]}
    response = put(verlaine_api, path, body)
    assert response.status_code == 200, response.content
    back = response.json()["return"]
    assert back["mode"] == "pickup" and back["pickup_dates"] == ["2026-12-22", "2026-12-23"]
    assert back["pickup_date"] is None and back["tracking_number"] == ""


# --- refuse, new shipment, reject ---------------------------------------------------------


def test_refuse_needs_a_reason_and_closes_the_incident(verlaine_api, shirt_claim):
    # covers: SAV-2, VEN-2 (Mirakl OR64)
    path = f"/incidents/{shirt_claim.pk}/refuse"
    blank = put(verlaine_api, path, {"reason": "   "})
    assert blank.status_code == 422 and error_of(blank)["code"] == "reason_required"
    assert error_of(blank)["message"] == "Indiquez la raison du refus."
    too_long = put(verlaine_api, path, {"reason": "x" * 1001})
    assert too_long.status_code == 422 and error_of(too_long)["code"] == "reason_too_long"
    response = put(verlaine_api, path, {"reason": "Produit utilisé hors garantie."})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "INCIDENT_CLOSED" and data["status"] == "refused"
    assert data["refusal_reason"] == "Produit utilisé hors garantie."
    assert OutgoingEmail.objects.filter(template="aftersales_claim_refused").count() == 1


def test_a_replacement_ships_with_a_checked_tracking_number(verlaine_api, shirt_claim):
    # covers: SAV-4 (Mirakl OR63)
    path = f"/incidents/{shirt_claim.pk}/resolve"
    for body, code in (
        ({"resolution": "replacement", "carrier": "colissimo", "tracking_number": "123"},
         "invalid_tracking"),
        ({"resolution": "replacement", "carrier": "colissimo"}, "tracking_required"),
        ({"resolution": "replacement", "carrier": "pigeon", "tracking_number": GOOD_TRACKING},
         "invalid_carrier"),
        ({"resolution": "refund", "carrier": "colissimo", "tracking_number": GOOD_TRACKING},
         "tracking_not_expected"),
        ({"resolution": "refund", "note": "x " * 600}, "note_too_long"),
    ):  # fmt: skip
        response = put(verlaine_api, path, body)
        error = error_of(response)
        assert response.status_code == 422 and error["code"] == code, (body, error)
        assert error["message"]
    repair = put(verlaine_api, path, {"resolution": "repair", "carrier": "colissimo",
                                      "tracking_number": GOOD_TRACKING})  # fmt: skip
    assert repair.status_code == 409 and error_of(repair)["code"] == "item_not_received"
    assert status_of(shirt_claim) == ClaimStatus.REQUESTED and not Refund.objects.exists()
    response = put(
        verlaine_api,
        path,
        {
            "resolution": "replacement",
            "carrier": "colissimo",
            "tracking_number": "6a 1234 5678 901",
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "reshipped" and data["state"] == "INCIDENT_CLOSED"
    assert data["reship"]["carrier"] == "colissimo"
    assert data["reship"]["tracking_number"] == GOOD_TRACKING and data["reship"]["shipped_at"]
    assert data["refunded_amount"] == "0.00" and not Refund.objects.exists()
    assert OutgoingEmail.objects.filter(template="aftersales_claim_reshipped").count() == 1


def test_reject_after_inspection_sends_the_item_back(verlaine_api, shirt_claim):
    # covers: SAV-4
    path = f"/incidents/{shirt_claim.pk}"
    early = put(verlaine_api, f"{path}/reject", {"note": "Aucun défaut."})
    assert early.status_code == 409 and error_of(early)["code"] == "invalid_state"
    put(verlaine_api, f"{path}/return", {"mode": "label"})
    put(verlaine_api, f"{path}/received")
    blank = put(verlaine_api, f"{path}/reject", {"note": ""})
    assert blank.status_code == 422 and error_of(blank)["code"] == "note_required"
    response = put(verlaine_api, f"{path}/reject", {"note": "Aucun défaut : couture intacte."})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "rejected" and data["state"] == "INCIDENT_CLOSED"
    assert data["defect_confirmed"] is False
    assert data["inspection_note"] == "Aucun défaut : couture intacte."
    assert OutgoingEmail.objects.filter(template="aftersales_claim_rejected").count() == 1


def test_odd_bodies_and_ids_are_refused_and_write_nothing(verlaine_api, shirt_claim):
    # covers: VEN-2
    path = f"/incidents/{shirt_claim.pk}"
    for route, body in (
        ("return", {"mode": "drone"}),
        ("return", {"mode": "pickup", "pickup_dates": "2026-12-22"}),
        ("return", {"mode": "pickup", "pickup_dates": ["2026-12-22"] * 21}),
        ("return", {"mode": "pickup", "pickup_dates": ["2" * 33]}),
        ("return", {"mode": "pickup", "pickup_dates": [20261222]}),
        ("return", {"mode": "label", "message": "x" * 4001}),
        ("return", {"mode": "label", "address": "ailleurs"}),
        ("refuse", {}),
        ("refuse", {"reason": 12}),
        ("resolve", {"resolution": "voucher"}),
        ("resolve", {"resolution": "replacement", "carrier": "c" * 31}),
        ("resolve", {"resolution": "replacement", "tracking_number": "9" * 101}),
        ("reject", {"note": ["a"]}),
    ):
        response = put(verlaine_api, f"{path}/{route}", body)
        assert response.status_code == 422, (route, body, response.content)
        assert error_of(response)["message"]
    for bad in ("0", "99999999999999999999999", "x", "١٢", "1e3"):
        response = put(verlaine_api, f"/incidents/{bad}/received")
        assert response.status_code in (404, 422) and error_of(response)
    assert status_of(shirt_claim) == ClaimStatus.REQUESTED
    kinds = set(OrderEvent.objects.filter(kind__startswith="claim_").values_list("kind", flat=True))
    assert kinds == {"claim_opened"}


# --- who may ------------------------------------------------------------------------------


def test_another_vendors_key_reaches_nothing(keys, shirt_claim):
    # covers: VEN-2
    brun = api_client(keys["brun"])
    path = f"/incidents/{shirt_claim.pk}"
    calls = [
        brun.get(f"{API}{path}"),
        put(brun, f"{path}/return", {"mode": "label"}),
        put(brun, f"{path}/return", {"mode": "pickup", "pickup_dates": ["2026-12-22"]}),
        put(brun, f"{path}/refuse", {"reason": "Non"}),
        put(brun, f"{path}/received"),
        put(brun, f"{path}/resolve", {"resolution": "refund"}),
        put(
            brun,
            f"{path}/resolve",
            {"resolution": "replacement", "carrier": "colissimo", "tracking_number": GOOD_TRACKING},
        ),  # fmt: skip
        put(brun, f"{path}/reject", {"note": "Rien"}),
    ]
    for response in calls:
        assert response.status_code == 404, response.content
        assert error_of(response) == {
            "code": "not_found", "message": "Réclamation introuvable.", "details": None
        }  # fmt: skip
    assert ids(brun.get(f"{API}/incidents")) == []
    assert ids(brun.get(f"{API}/incidents?order_id={shirt_claim.vendor_order_id}")) == []
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.REQUESTED and claim.decided_at is None
    assert claim.return_mode == "" and claim.refusal_reason == "" and claim.resolution == ""
    assert not Refund.objects.exists()
    assert (
        not OutgoingEmail.objects.filter(template__startswith="aftersales_claim_")
        .exclude(template="aftersales_claim_opened")
        .exists()
    )
    anonymous = api_client(None)
    assert anonymous.get(f"{API}{path}").status_code == 401
    assert anonymous.get(f"{API}/incidents").status_code == 401
    assert put(anonymous, f"{path}/received").status_code == 401


def test_the_openapi_document_lists_the_incident_routes():
    # covers: VEN-2
    paths = api_client(None).get("/api/v1/openapi.json").json()["paths"]
    expected = {
        "/api/v1/vendor/incidents": "get",
        "/api/v1/vendor/incidents/{incident_id}": "get",
        "/api/v1/vendor/incidents/{incident_id}/return": "put",
        "/api/v1/vendor/incidents/{incident_id}/refuse": "put",
        "/api/v1/vendor/incidents/{incident_id}/received": "put",
        "/api/v1/vendor/incidents/{incident_id}/resolve": "put",
        "/api/v1/vendor/incidents/{incident_id}/reject": "put",
    }
    for path, method in expected.items():
        assert set(paths[path]) == {method}, path
        assert paths[path][method]["tags"] == ["Incidents"]
    assert "OR63" in paths["/api/v1/vendor/incidents/{incident_id}/resolve"]["put"]["summary"]
    assert "OR64" in paths["/api/v1/vendor/incidents/{incident_id}/refuse"]["put"]["summary"]
    one = paths["/api/v1/vendor/incidents/{incident_id}"]["get"]["responses"]["200"]
    assert one  # the incident's shape is documented, with its "return"
