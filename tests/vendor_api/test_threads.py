"""Vendor API — messages: list threads (M11), read one (M10), answer with attachments (M12,
idempotent), download an attachment (M13). Every route is tried with another vendor's ids, a
deactivated vendor's key and odd parameters."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from allies.orders.events import Actor, ActorKind
from allies.support.emails import reply_address
from allies.support.models import Message, Visibility
from allies.support.services import message_post, thread_close, thread_escalate
from allies.support.states import ThreadStage
from allies.vendors.services import api_key_create
from tests.support.conftest import (  # noqa: F401  (the support tests' fixtures)
    START,
    _fast_passwords,
    _support_storage_in_tmp,
    jpeg_bytes,
    order_request,
    question,
    sent_to,
    vendor_answer,
)
from tests.support.conftest import shop as shop  # noqa: F401  (registers the fixture)
from tests.vendor_api.conftest import API, api_client

pytestmark = pytest.mark.django_db

NOW = START + timedelta(hours=50)


def error_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


@pytest.fixture
def keys(shop):  # noqa: F811
    return {name: api_key_create(vendor=shop[name], name="ERP")[1] for name in ("verlaine", "brun")}


@pytest.fixture
def verlaine_api(keys):
    return api_client(keys["verlaine"])


@pytest.fixture
def brun_api(keys):
    return api_client(keys["brun"])


@pytest.fixture
def threads(shop):  # noqa: F811
    """At START: a question (late by NOW) with a photo, an order request answered, one
    escalated, one closed; Brun's question; at START + 49 h a fresh question."""
    with time_machine.travel(START, tick=False):
        late = question(
            shop,
            subject="Taille de la chemise",
            attachments=[SimpleUploadedFile("dos.jpg", jpeg_bytes())],
        )
        answered = order_request(shop, body="Où en est mon colis ?")
        vendor_answer(shop, answered, body="Parti ce matin.")
        escalated = order_request(shop, body="Colis abîmé.")
        vendor_answer(shop, escalated, body="Désolé.")
        thread_escalate(thread=escalated, actor=Actor.customer(shop["luc"]))
        closed = question(shop, body="Et en XL ?")
        thread_close(thread=closed, actor=Actor.customer(shop["luc"]))
        brun = question(shop, offer=shop["wallet"], body="Cuir véritable ?")
    with time_machine.travel(START + timedelta(hours=49), tick=False):
        fresh = question(shop, customer=shop["anne"], body="Existe en bleu ?")
    mail.outbox.clear()
    return {"late": late, "answered": answered, "escalated": escalated, "closed": closed,
            "brun": brun, "fresh": fresh}  # fmt: skip


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [t["id"] for t in response.json()["threads"]]


def reply(client, thread_id, body="Oui, en stock.", files=(), **headers):
    data: dict = {"body": body}
    if files:
        data["files"] = list(files)
    return client.post(f"{API}/threads/{thread_id}/message", data, headers=headers)


# --- M11 --------------------------------------------------------------------------------------


def test_list_filters_by_state_and_update_time_and_pages(verlaine_api, threads):
    # covers: VEN-2, CS-1
    with time_machine.travel(NOW, tick=False):
        every = verlaine_api.get(f"{API}/threads")
        to_answer = verlaine_api.get(f"{API}/threads?state=to_answer")
        late = verlaine_api.get(f"{API}/threads?state=late")
        escalated = verlaine_api.get(f"{API}/threads?state=escalated")
        closed = verlaine_api.get(f"{API}/threads?state=closed")
        page_1 = verlaine_api.get(f"{API}/threads?limit=2")
        page_3 = verlaine_api.get(f"{API}/threads?limit=2&offset=4")
        beyond = verlaine_api.get(f"{API}/threads?offset=50")
    mine = {threads[k].pk for k in ("late", "answered", "escalated", "closed", "fresh")}
    assert set(ids(every)) == mine and every.json()["total_count"] == 5
    assert ids(every)[0] == threads["late"].pk  # the late first
    assert ids(to_answer) == [threads["late"].pk, threads["fresh"].pk]
    assert ids(late) == [threads["late"].pk]
    assert ids(escalated) == [threads["escalated"].pk]
    assert ids(closed) == [threads["closed"].pk]
    assert len(ids(page_1)) == 2 and len(ids(page_3)) == 1
    assert page_3.json()["offset"] == 4 and page_3.json()["limit"] == 2
    assert ids(beyond) == [] and beyond.json()["total_count"] == 5
    row = next(t for t in every.json()["threads"] if t["id"] == threads["late"].pk)
    assert row["state"] == "waiting_vendor" and row["is_late"] is True
    assert row["topic"] == {"type": "REASON", "value": "size", "label": "Taille et coupe"}
    assert row["subject"] == "Taille de la chemise"
    assert row["customer_first_name"] == "Luc"
    assert row["answer_due_at"].startswith("2026-12-03T09:00:00")  # 48 h later, in UTC
    assert row["product_title"] == shop_product_title(threads["late"])
    order_row = next(t for t in every.json()["threads"] if t["id"] == threads["answered"].pk)
    assert order_row["order_id"] == threads["answered"].vendor_order_id
    assert order_row["order_reference"] == threads["answered"].order.reference
    assert "luc@example.test" not in every.content.decode()
    # Incremental sync: only what changed after a moment, oldest change first.
    since = (START + timedelta(hours=48)).isoformat()
    changed = verlaine_api.get(f"{API}/threads", {"updated_since": since, "sort": "updated_asc"})
    assert ids(changed) == [threads["fresh"].pk]


def shop_product_title(thread) -> str:
    return thread.product.title


def test_bad_list_parameters_are_refused_with_the_field(verlaine_api):
    # covers: VEN-2
    for query, field in (
        ("state=pending", "state"),
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("offset=99999999999999999999999", "offset"),
        ("updated_since=hier", "updated_since"),
        ("sort=random", "sort"),
    ):
        response = verlaine_api.get(f"{API}/threads?{query}")
        error = error_of(response)
        assert response.status_code == 422, query
        assert error["code"] == "invalid_request" and error["details"][0]["field"] == field
        assert error["details"][0]["message"]
    response = verlaine_api.get(f"{API}/threads?state=pending")
    assert "to_answer" in error_of(response)["details"][0]["message"]


@pytest.mark.parametrize("count", [5, 30])
def test_a_page_of_threads_costs_the_same_queries_whatever_its_size(
    shop,  # noqa: F811
    verlaine_api,
    django_assert_max_num_queries,
    count,
):
    # covers: VEN-2 (queries constant in the number of threads)
    for i in range(count):
        question(shop, body=f"Question {i}")
    verlaine_api.get(f"{API}/threads")  # the key's "last used" write happens once a minute
    # key and vendor · count · page with customer, order and product
    with django_assert_max_num_queries(3):
        response = verlaine_api.get(f"{API}/threads?limit=100")
    assert len(ids(response)) == count


# --- M10 --------------------------------------------------------------------------------------


def test_read_one_thread_with_its_messages_and_attachments(verlaine_api, shop, threads):  # noqa: F811
    # covers: VEN-2
    thread = threads["late"]
    message_post(thread=thread, actor=Actor.staff(shop["agent"]), body="Note interne",
                 visibility=Visibility.INTERNAL)  # fmt: skip
    message_post(thread=thread, actor=Actor.staff(shop["agent"]), body="Pour vous seul",
                 visibility=Visibility.VENDOR)  # fmt: skip
    response = verlaine_api.get(f"{API}/threads/{thread.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == thread.pk and data["state"] == "waiting_vendor"
    bodies = [m["body"] for m in data["messages"]]
    assert bodies == ["Taille M disponible ?", "Pour vous seul"]  # never the internal note
    first, operator = data["messages"]
    assert first["author"] == {"type": "CUSTOMER", "display_name": "Luc"}
    assert first["to_customer"] is True and operator["to_customer"] is False
    assert operator["author"]["type"] == "OPERATOR_USER"
    [photo] = first["attachments"]
    assert photo["name"] == "dos.jpg" and photo["content_type"] == "image/jpeg"
    assert photo["url"] == f"{API}/threads/{thread.pk}/attachments/{photo['id']}"
    assert "luc@example.test" not in response.content.decode()
    assert thread.reply_token not in response.content.decode()


# --- M12 --------------------------------------------------------------------------------------


def test_reply_with_a_file_answers_the_thread_and_emails_the_customer(verlaine_api, threads):
    # covers: VEN-2, CS-1
    thread = threads["fresh"]
    with time_machine.travel(NOW, tick=False):
        response = reply(
            verlaine_api,
            thread.pk,
            body="Oui, en bleu marine.",
            files=[SimpleUploadedFile("bleu.jpg", jpeg_bytes(), "image/jpeg")],
        )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == "answered" and data["answer_due_at"] is None
    answer = data["messages"][-1]
    assert answer["body"] == "Oui, en bleu marine." and answer["channel"] == "api"
    assert answer["author"]["type"] == "SHOP_USER" and len(answer["attachments"]) == 1
    message = Message.objects.get(pk=answer["id"])
    assert message.author_kind == ActorKind.API_KEY and message.on_time is True
    (email,) = sent_to("anne@example.test")
    assert "Oui, en bleu marine." in email.body
    assert email.extra_headers["Reply-To"] == reply_address(thread)


def test_a_replayed_reply_answers_once(verlaine_api, threads):
    # covers: VEN-2, VEN-3 (Idempotency-Key)
    thread = threads["fresh"]
    first = reply(verlaine_api, thread.pk, **{"Idempotency-Key": "answer-1"})
    again = reply(verlaine_api, thread.pk, **{"Idempotency-Key": "answer-1"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content
    assert Message.objects.filter(thread=thread).count() == 2
    assert len(sent_to("anne@example.test")) == 1
    other = reply(verlaine_api, thread.pk, body="Autre", **{"Idempotency-Key": "answer-1"})
    assert other.status_code == 422 and error_of(other)["code"] == "idempotency_key_reused"


def test_refused_replies_are_clear_and_change_nothing(verlaine_api, threads):
    # covers: VEN-2
    thread = threads["fresh"]
    empty = reply(verlaine_api, thread.pk, body="  ")
    assert empty.status_code == 422 and error_of(empty)["code"] == "empty"
    assert error_of(empty)["message"] == "Écrivez votre message."
    exe = reply(verlaine_api, thread.pk, files=[SimpleUploadedFile("f.pdf", b"MZ\x90\x00")])
    assert exe.status_code == 422 and error_of(exe)["code"] == "unsupported_type"
    assert "f.pdf" in error_of(exe)["message"]
    closed = reply(verlaine_api, threads["closed"].pk)
    assert closed.status_code == 409 and error_of(closed)["code"] == "closed"
    too_many = reply(
        verlaine_api,
        thread.pk,
        files=[SimpleUploadedFile(f"{i}.jpg", jpeg_bytes()) for i in range(6)],
    )
    assert too_many.status_code == 422 and error_of(too_many)["code"] == "too_many_files"
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.WAITING_VENDOR
    assert Message.objects.filter(thread=thread).count() == 1
    assert mail.outbox == []


# --- M13 --------------------------------------------------------------------------------------


def test_download_an_attachment_privately(verlaine_api, threads):
    # covers: VEN-2
    thread = threads["late"]
    attachment = Message.objects.filter(thread=thread).first().attachments.get()
    response = verlaine_api.get(f"{API}/threads/{thread.pk}/attachments/{attachment.pk}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="dos.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")
    other_thread = threads["answered"].pk
    wrong_pair = verlaine_api.get(f"{API}/threads/{other_thread}/attachments/{attachment.pk}")
    assert wrong_pair.status_code == 404


# --- who may ----------------------------------------------------------------------------------


def test_another_vendor_and_a_deactivated_vendor_reach_nothing(shop, keys, threads):  # noqa: F811
    # covers: VEN-2
    thread = threads["late"]
    attachment = Message.objects.filter(thread=thread).first().attachments.get()
    brun = api_client(keys["brun"])
    calls = [
        brun.get(f"{API}/threads/{thread.pk}"),
        reply(brun, thread.pk, body="Intrus"),
        brun.get(f"{API}/threads/{thread.pk}/attachments/{attachment.pk}"),
    ]
    for response in calls:
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert ids(brun.get(f"{API}/threads")) == [threads["brun"].pk]
    assert Message.objects.filter(thread=thread).count() == 1 and mail.outbox == []
    shop["verlaine"].is_active = False
    shop["verlaine"].save(update_fields=["is_active"])
    verlaine = api_client(keys["verlaine"])
    for response in (
        verlaine.get(f"{API}/threads"),
        verlaine.get(f"{API}/threads/{thread.pk}"),
        reply(verlaine, thread.pk),
        verlaine.get(f"{API}/threads/{thread.pk}/attachments/{attachment.pk}"),
    ):
        assert response.status_code == 401 and error_of(response)["code"] == "invalid_api_key"
    anonymous = api_client(None)
    assert anonymous.get(f"{API}/threads/{thread.pk}").status_code == 401


def test_odd_ids_and_other_methods_answer_in_json(verlaine_api, threads):
    # covers: VEN-2
    for path in ("/threads/0", "/threads/99999999999999999999999", "/threads/x"):
        response = verlaine_api.get(f"{API}{path}")
        assert response.status_code in (404, 422) and error_of(response)
    missing = verlaine_api.get(f"{API}/threads/{threads['late'].pk + 1000}")
    assert missing.status_code == 404 and error_of(missing)["message"] == "Demande introuvable."
    response = verlaine_api.delete(f"{API}/threads/{threads['late'].pk}")
    assert response.status_code == 405 and response["Allow"] == "GET"
    response = verlaine_api.get(f"{API}/threads/{threads['late'].pk}/message")
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_the_openapi_document_lists_the_message_routes_with_mirakl_names():
    # covers: VEN-2
    paths = api_client(None).get("/api/v1/openapi.json").json()["paths"]
    expected = {
        "/api/v1/vendor/threads": ("get", "M11"),
        "/api/v1/vendor/threads/{thread_id}": ("get", "M10"),
        "/api/v1/vendor/threads/{thread_id}/message": ("post", "M12"),
        "/api/v1/vendor/threads/{thread_id}/attachments/{attachment_id}": ("get", "M13"),
    }
    for path, (method, code) in expected.items():
        assert set(paths[path]) == {method}, path
        assert code in paths[path][method]["summary"]
    body = paths["/api/v1/vendor/threads/{thread_id}/message"]["post"]["requestBody"]
    assert "multipart/form-data" in body["content"]
