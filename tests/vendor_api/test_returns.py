"""Vendor API — returns (withdrawals): list (RT11) and read one, accept or refuse (RT21), the
parcel received (RT25), the inspection's outcome with deductions or not compliant (RT26),
idempotent. Every route is tried with another vendor's key and with odd numbers."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from allies.aftersales.models import ReturnItem, ReturnRequest
from allies.aftersales.return_states import RETURN_STAGES, ReturnStatus
from allies.aftersales.returns import return_accept
from allies.notifications.models import OutgoingEmail
from allies.orders.events import Actor
from allies.orders.models import OrderEvent
from allies.payments.models import Refund
from allies.vendor_api.returns import MIRAKL_STATES
from tests.aftersales.conftest import (  # noqa: F401  (autouse fixtures of the returns tests)
    DELIVERED_AT,
    _fast_passwords,
    _support_storage_in_tmp,
    delivered,
    returned,
)
from tests.vendor_api.conftest import API, api_client

pytestmark = pytest.mark.django_db

JSON = "application/json"
SHIRT, BELT = "Chemise Oxford bleue", "Ceinture en cuir"
LATER = DELIVERED_AT + timedelta(days=3)  # when the vendor's program calls


def error_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content
    return response.json()["error"]


def put(client, path, body=None, **headers):
    data = "" if body is None else json.dumps(body)
    with time_machine.travel(LATER, tick=False):
        return client.put(f"{API}{path}", data, content_type=JSON, headers=headers)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["returns"]]


@pytest.fixture
def shirt_return(market):
    """Verlaine's delivered order; Luc sends the shirt back on day 2 (a legal withdrawal)."""
    vendor_order = delivered(market)
    return returned(vendor_order, {SHIRT: 1}, at=DELIVERED_AT + timedelta(days=2))


@pytest.fixture
def returns(market):
    """Verlaine: a legal return of the shirt (accepted), a late one of a belt, a legal one on
    a second order; Brun: a return of the wallet."""
    first = delivered(market)
    accepted = returned(first, {SHIRT: 1}, at=DELIVERED_AT + timedelta(days=2))
    late = returned(first, {BELT: 1}, at=DELIVERED_AT + timedelta(days=16))
    second = delivered(market, [(market["belt"], 1)], at=DELIVERED_AT + timedelta(days=1))
    other = returned(second, {BELT: 1}, at=DELIVERED_AT + timedelta(days=3))
    brun_order = delivered(market, [(market["wallet"], 1)])
    brun = returned(brun_order, {"Portefeuille en cuir": 1}, at=DELIVERED_AT + timedelta(days=1))
    with time_machine.travel(DELIVERED_AT + timedelta(days=17), tick=False):
        return_accept(
            request=accepted,
            actor=Actor.vendor_user(market["verlaine_user"]),
            vendor=market["verlaine"],
        )
    return {"accepted": accepted, "late": late, "other": other, "brun": brun}


# --- RT11 ---------------------------------------------------------------------------------


def test_list_filters_by_state_order_and_update_time_and_pages(verlaine_api, returns):
    # covers: VEN-2, RET-1
    every = verlaine_api.get(f"{API}/returns")
    mine = [returns[k].pk for k in ("accepted", "late", "other")]
    assert sorted(ids(every)) == sorted(mine) and every.json()["total_count"] == 3
    waiting = verlaine_api.get(f"{API}/returns?state=WAITING_ACCEPTANCE")
    assert sorted(ids(waiting)) == sorted([returns["late"].pk, returns["other"].pk])
    both = verlaine_api.get(f"{API}/returns", {"state": "WAITING_SHIPMENT, REFUSED"})
    assert ids(both) == [returns["accepted"].pk]
    of_order = verlaine_api.get(f"{API}/returns?order_id={returns['other'].vendor_order_id}")
    assert ids(of_order) == [returns["other"].pk]
    # Incremental sync: what changed since a moment (the acceptance on day 17).
    since = (DELIVERED_AT + timedelta(days=16, hours=12)).isoformat()
    changed = verlaine_api.get(f"{API}/returns", {"updated_since": since, "sort": "updated_asc"})
    assert ids(changed) == [returns["accepted"].pk]
    page_1 = verlaine_api.get(f"{API}/returns?limit=2")
    page_2 = verlaine_api.get(f"{API}/returns?limit=2&offset=2")
    beyond = verlaine_api.get(f"{API}/returns?offset=10")
    assert len(ids(page_1)) == 2 and len(ids(page_2)) == 1
    assert set(ids(page_1) + ids(page_2)) == set(mine)
    assert ids(beyond) == [] and beyond.json()["total_count"] == 3
    row = next(r for r in every.json()["returns"] if r["id"] == returns["accepted"].pk)
    accepted = returns["accepted"]
    assert row["reference"] == accepted.reference
    assert row["order_id"] == accepted.vendor_order_id
    assert row["order_reference"] == accepted.vendor_order.order.reference
    assert row["state"] == "WAITING_SHIPMENT" and row["status"] == "accepted"
    assert row["legal_withdrawal"] is True and row["withdrawal_until"] == "2026-12-15"
    assert row["send_back_by"] == "2027-01-01"  # 14 calendar days after the acceptance
    assert row["refund_due_by"] == "2026-12-17"  # 14 days after the request
    assert row["customer_first_name"] == "Luc"
    assert row["refunded_amount"] == "0.00" and row["method"] is None
    [item] = row["items"]
    assert item["product_title"] == SHIRT and item["quantity"] == 1
    assert item["unit_price"] == "59.90" and item["deduction_reason"] is None
    assert item["order_line_id"] == accepted.items.get().order_line_id
    late = next(r for r in every.json()["returns"] if r["id"] == returns["late"].pk)
    assert late["legal_withdrawal"] is False
    assert "luc@example.test" not in every.content.decode()


def test_an_unknown_state_or_odd_list_parameters_are_refused_clearly(verlaine_api):
    # covers: VEN-2
    response = verlaine_api.get(f"{API}/returns?state=WAITING_ACCEPTANCE,LOST")
    error = error_of(response)
    assert response.status_code == 422 and error["code"] == "invalid_state_filter"
    assert "LOST" in error["message"] and "WAITING_SHIPMENT" in error["message"]
    assert error["details"]["allowed"] == list(MIRAKL_STATES)
    for query, field in (
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("offset=99999999999999999999999", "offset"),
        ("order_id=1e3", "order_id"),
        ("order_id=١٢", "order_id"),
        ("order_id=99999999999999999999999", "order_id"),
        ("updated_since=hier", "updated_since"),
        ("sort=random", "sort"),
    ):
        response = verlaine_api.get(f"{API}/returns?{query}")
        error = error_of(response)
        assert response.status_code == 422, query
        assert error["code"] == "invalid_request" and error["details"][0]["field"] == field
        assert error["details"][0]["message"]


def test_every_mirakl_state_is_a_filter():
    # covers: VEN-2 (the states a vendor may filter on are the table's)
    assert set(MIRAKL_STATES) == {stage.mirakl for stage in RETURN_STAGES.values()}


@pytest.mark.parametrize("count", [1, 25])
def test_a_page_of_returns_costs_the_same_queries_whatever_its_size(
    market, verlaine_api, django_assert_max_num_queries, count
):
    # covers: VEN-2 (queries constant in the number of returns)
    for offer in (market["shirt"], market["belt"]):
        offer.stock = 30
        offer.save(update_fields=["stock"])
    left = count
    while left:  # a cart line holds 10 units at most
        units = min(left, 10)
        vendor_order = delivered(market, [(market["shirt"], units), (market["belt"], units)])
        for _ in range(units):
            returned(vendor_order, {SHIRT: 1, BELT: 1}, at=DELIVERED_AT + timedelta(days=1))
        left -= units
    verlaine_api.get(f"{API}/returns")  # the key's "last used" write happens once a minute
    # key and vendor · count · page ids · returns with order and customer · items with lines
    with django_assert_max_num_queries(5):
        response = verlaine_api.get(f"{API}/returns?limit=100")
    assert len(ids(response)) == count
    assert all(len(r["items"]) == 2 for r in response.json()["returns"])


def test_read_one_return(verlaine_api, shirt_return):
    # covers: VEN-2
    response = verlaine_api.get(f"{API}/returns/{shirt_return.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == shirt_return.pk and data["state"] == "WAITING_ACCEPTANCE"
    assert data["thread_id"] == shirt_return.thread_id
    missing = verlaine_api.get(f"{API}/returns/{shirt_return.pk + 1000}")
    assert missing.status_code == 404 and error_of(missing)["message"] == "Retour introuvable."


# --- RT21 ---------------------------------------------------------------------------------


def test_accept_tells_the_customer_where_and_by_when(verlaine_api, shirt_return):
    # covers: RET-2, VEN-2
    response = put(verlaine_api, f"/returns/{shirt_return.pk}/accept", {"accepted": True})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "WAITING_SHIPMENT" and data["send_back_by"] == "2026-12-18"
    assert OutgoingEmail.objects.filter(template="aftersales_return_accepted").count() == 1
    event = OrderEvent.objects.get(kind="return_accepted")
    assert event.actor_kind == "api_key"
    again = put(verlaine_api, f"/returns/{shirt_return.pk}/accept", {"accepted": True})
    assert again.status_code == 409 and error_of(again)["code"] == "invalid_state"


def test_a_legal_withdrawal_cannot_be_refused(verlaine_api, shirt_return):
    # covers: RET-1
    response = put(
        verlaine_api, f"/returns/{shirt_return.pk}/accept", {"accepted": False, "reason": "Non"}
    )
    error = error_of(response)
    assert response.status_code == 422 and error["code"] == "legal_withdrawal"
    assert "14 jours" in error["message"]
    shirt_return.refresh_from_db()
    assert shirt_return.status == ReturnStatus.REQUESTED


def test_a_late_request_is_refused_with_a_reason(market, verlaine_api):
    # covers: RET-1
    request = returned(delivered(market), {BELT: 2}, at=DELIVERED_AT + timedelta(days=20))
    path = f"/returns/{request.pk}/accept"
    blank = put(verlaine_api, path, {"accepted": False, "reason": "  "})
    assert blank.status_code == 422 and error_of(blank)["code"] == "reason_required"
    response = put(verlaine_api, path, {"accepted": False, "reason": "Délai dépassé, porté."})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "REFUSED"
    assert response.json()["refusal_reason"] == "Délai dépassé, porté."
    assert OutgoingEmail.objects.filter(template="aftersales_return_refused").count() == 1


# --- RT25 + RT26 --------------------------------------------------------------------------


def test_received_then_compliant_with_a_deduction_refunds_to_the_cent_once(
    verlaine_api, shirt_return
):
    # covers: RET-3, RET-6, VEN-2
    path = f"/returns/{shirt_return.pk}"
    early = put(verlaine_api, f"{path}/compliance", {"compliant": True})
    assert early.status_code == 409 and error_of(early)["code"] == "invalid_state"
    assert put(verlaine_api, f"{path}/accept", {"accepted": True}).status_code == 200
    received = put(verlaine_api, f"{path}/received")
    assert received.status_code == 200 and received.json()["state"] == "RECEIVED"
    assert received.json()["received_at"]
    item = shirt_return.items.get()
    body = {
        "compliant": True,
        "items": [{"id": item.pk, "deduction": "10.00", "deduction_reason": "used"}],
        "note": "Col taché.",
    }
    first = put(verlaine_api, f"{path}/compliance", body, **{"Idempotency-Key": "rt26-1"})
    again = put(verlaine_api, f"{path}/compliance", body, **{"Idempotency-Key": "rt26-1"})
    assert first.status_code == again.status_code == 200, first.content
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content
    data = first.json()
    # 59.90 of 129.90 of articles: a shipping share of round(7.00 × 59.90 / 129.90) = 3.23.
    assert data["state"] == "REFUNDED" and data["refunded_amount"] == "53.13"
    [row] = data["items"]
    assert row["deduction"] == "10.00" and row["deduction_reason"] == "used"
    assert row["refunded_amount"] == "53.13"
    refund = Refund.objects.get()
    assert refund.amount == Decimal("53.13")
    email = OutgoingEmail.objects.get(template="aftersales_return_refunded")  # once
    assert "53,13" in email.subject
    assert [m.to for m in mail.outbox if "53,13" in m.body] == [["luc@example.test"]]
    # Without the key, a second call is refused by the return's state: still one refund.
    once_more = put(verlaine_api, f"{path}/compliance", body)
    assert once_more.status_code == 409 and Refund.objects.count() == 1


def test_not_compliant_refunds_nothing_and_tells_why(verlaine_api, shirt_return):
    # covers: RET-3
    path = f"/returns/{shirt_return.pk}"
    put(verlaine_api, f"{path}/accept", {"accepted": True})
    put(verlaine_api, f"{path}/received")
    no_note = put(verlaine_api, f"{path}/compliance", {"compliant": False, "reason": "other"})
    assert no_note.status_code == 422 and error_of(no_note)["code"] == "note_required"
    no_reason = put(verlaine_api, f"{path}/compliance", {"compliant": False})
    assert no_reason.status_code == 422 and error_of(no_reason)["code"] == "reason_required"
    unknown = put(verlaine_api, f"{path}/compliance", {"compliant": False, "reason": "ugly"})
    assert (
        unknown.status_code == 422
        and "not_resaleable" in error_of(unknown)["details"][0]["message"]
    )
    response = put(verlaine_api, f"{path}/compliance", {"compliant": False, "reason": "wrong_item"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "NOT_COMPLIANT" and data["rejection_reason"] == "wrong_item"
    assert data["refunded_amount"] == "0.00" and not Refund.objects.exists()
    assert OutgoingEmail.objects.filter(template="aftersales_return_rejected").count() == 1


@pytest.mark.parametrize(
    "deduction, code",
    [
        ("1e999", "invalid_amount"),
        ("NaN", "invalid_amount"),
        ("-1", "invalid_amount"),
        ("١٢", "invalid_amount"),
        ("99999999999999999999", "invalid_amount"),
        ("10.005", "invalid_amount"),
        (1e300, "invalid_amount"),
        ("60.00", "deduction_too_large"),
        ("5.00", "reason_required"),
    ],
)
def test_bad_deductions_are_refused_clearly_and_write_nothing(
    verlaine_api, shirt_return, deduction, code
):
    # covers: RET-3
    path = f"/returns/{shirt_return.pk}"
    put(verlaine_api, f"{path}/accept", {"accepted": True})
    put(verlaine_api, f"{path}/received")
    item = shirt_return.items.get()
    reason = None if code == "reason_required" else "used"
    body = {"compliant": True, "items": [{"id": item.pk, "deduction": deduction,
                                          "deduction_reason": reason}]}  # fmt: skip
    response = put(verlaine_api, f"{path}/compliance", body, **{"Idempotency-Key": "d-1"})
    error = error_of(response)
    assert response.status_code == 422 and error["code"] == code and error["message"]
    shirt_return.refresh_from_db()
    assert shirt_return.status == ReturnStatus.RECEIVED
    assert not Refund.objects.exists()
    assert not OutgoingEmail.objects.filter(template="aftersales_return_refunded").exists()
    assert ReturnItem.objects.get().deduction == Decimal("0")


def test_odd_bodies_and_ids_are_refused_and_write_nothing(verlaine_api, shirt_return):
    # covers: VEN-2
    path = f"/returns/{shirt_return.pk}"
    item = shirt_return.items.get()
    for body in (
        {"compliant": True, "items": [{"id": item.pk}, {"id": item.pk}]},
        {"compliant": True, "items": [{"id": "١٢"}]},
        {"compliant": True, "items": [{"id": 10**30}]},
        {"compliant": True, "items": [{"id": item.pk, "deduction": True}]},
        {"compliant": True, "items": [{"id": item.pk, "deduction_reason": "dirty"}]},
        {"compliant": True, "reason": "wrong_item"},
        {"compliant": False, "reason": "wrong_item", "items": [{"id": item.pk}]},
        {"compliant": "peut-être"},
        {"accepted": True},
    ):
        response = put(verlaine_api, f"{path}/compliance", body)
        assert response.status_code == 422, body
        assert error_of(response)["message"]
    for bad in ("0", "99999999999999999999999", "x", "١٢"):
        response = put(verlaine_api, f"/returns/{bad}/accept", {"accepted": True})
        assert response.status_code in (404, 422) and error_of(response)
    shirt_return.refresh_from_db()
    assert shirt_return.status == ReturnStatus.REQUESTED
    events = OrderEvent.objects.filter(kind__startswith="return_")
    kinds = set(events.values_list("kind", flat=True))
    assert kinds == {"return_requested"}


# --- who may ------------------------------------------------------------------------------


def test_another_vendors_key_reaches_nothing(keys, shirt_return):
    # covers: VEN-2
    brun = api_client(keys["brun"])
    path = f"/returns/{shirt_return.pk}"
    item = shirt_return.items.get()
    calls = [
        brun.get(f"{API}{path}"),
        put(brun, f"{path}/accept", {"accepted": True}),
        put(brun, f"{path}/accept", {"accepted": False, "reason": "Non"}),
        put(brun, f"{path}/received"),
        put(brun, f"{path}/compliance", {"compliant": True, "items": [{"id": item.pk}]}),
        put(brun, f"{path}/compliance", {"compliant": False, "reason": "wrong_item"}),
    ]
    for response in calls:
        assert response.status_code == 404, response.content
        assert error_of(response) == {
            "code": "not_found", "message": "Retour introuvable.", "details": None
        }  # fmt: skip
    assert ids(brun.get(f"{API}/returns")) == []
    assert ids(brun.get(f"{API}/returns?order_id={shirt_return.vendor_order_id}")) == []
    shirt_return.refresh_from_db()
    assert shirt_return.status == ReturnStatus.REQUESTED
    assert ReturnRequest.objects.get().decided_at is None
    anonymous = api_client(None)
    assert anonymous.get(f"{API}{path}").status_code == 401
    assert put(anonymous, f"{path}/received").status_code == 401


def test_the_openapi_document_lists_the_return_routes_with_mirakl_names():
    # covers: VEN-2
    paths = api_client(None).get("/api/v1/openapi.json").json()["paths"]
    expected = {
        "/api/v1/vendor/returns": ("get", "RT11"),
        "/api/v1/vendor/returns/{return_id}": ("get", "RT11"),
        "/api/v1/vendor/returns/{return_id}/accept": ("put", "RT21"),
        "/api/v1/vendor/returns/{return_id}/received": ("put", "RT25"),
        "/api/v1/vendor/returns/{return_id}/compliance": ("put", "RT26"),
    }
    for path, (method, code) in expected.items():
        assert set(paths[path]) == {method}, path
        assert code in paths[path][method]["summary"]
