"""Every operation of the vendor API's OpenAPI, fuzzed by schemathesis: no answer is a 5xx.

The schema is ninja's own (`api.get_openapi_schema()`, what /api/v1/openapi.json serves),
read in-process: no network. Schemathesis generates the calls (path, query, headers and
bodies, valid and invalid, with a fixed seed and a bounded number of examples); they are sent
through Django's test client, inside the test's transaction, on the demo data, as the demo
vendor's key and as a wrong key.
"""

import json

import pytest
import requests
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.transport.requests import REQUESTS_TRANSPORT

from allies.orders.models import VendorOrder
from allies.support.models import Thread
from allies.vendor_api.api import api
from tests.hardening.conftest import DEMO_VENDOR, World

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("hardening")]

EXAMPLES = 15  # per operation and key: the whole file stays around a minute
SEED = 20260901


def _operations():
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1/"))
    return [result.ok() for result in schema.get_all_operations()]


OPERATIONS = _operations()


def _send(client: Client, case, key: str):
    """The generated call, through Django's test client (so inside the test's transaction)."""
    kwargs = REQUESTS_TRANSPORT.serialize_case(
        case, base_url="http://testserver", headers={"Authorization": f"Bearer {key}"}
    )
    prepared = requests.Request(**kwargs).prepare()
    path = prepared.path_url
    headers = {
        name: value
        for name, value in prepared.headers.items()
        if name.lower() not in ("content-type", "content-length", "host")
    }
    body = prepared.body or b""
    return client.generic(
        prepared.method,
        path,
        data=body.encode() if isinstance(body, str) else body,
        content_type=prepared.headers.get("Content-Type", "application/octet-stream"),
        headers=headers,
    )


def _is_error_envelope(response) -> bool:
    """Every error is the JSON envelope {"error": {...}}, never an HTML page."""
    try:
        return "error" in json.loads(response.content)
    except ValueError:
        return False


@pytest.mark.parametrize("who", ["demo_key", "wrong_key"])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_no_vendor_api_call_answers_5xx(world: World, operation, who, settings):
    # covers: issue 9 §4, VEN-3
    settings.VENDOR_API_RATE_LIMIT = 100_000  # the fuzz is one client in a hurry
    key = world.vendor_key if who == "demo_key" else "alk_wrong_key_0000"
    client = Client(raise_request_exception=False)
    failures: list[str] = []
    order_ids = list(
        VendorOrder.objects.filter(vendor__slug=DEMO_VENDOR).values_list("id", flat=True)
    )
    thread_ids = list(Thread.objects.filter(vendor__slug=DEMO_VENDOR).values_list("id", flat=True))

    @seed(SEED)
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), real_order=st.booleans())
    def call(case, real_order):
        # Half the calls name one of the demo vendor's orders, so the fuzz reaches the
        # services, not only the 404 of an unknown id.
        if real_order and "order_id" in (case.path_parameters or {}):
            case.path_parameters["order_id"] = order_ids[len(failures) % len(order_ids)]
        if real_order and thread_ids and "thread_id" in (case.path_parameters or {}):
            case.path_parameters["thread_id"] = thread_ids[len(failures) % len(thread_ids)]
        response = _send(client, case, key)
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} → {response.status_code}")
        elif response.status_code >= 400 and not _is_error_envelope(response):
            failures.append(
                f"{case.method} {case.formatted_path} → {response.status_code} "
                f"not JSON: {response.content[:80]!r}"
            )

    call()
    assert not failures, "\n".join(failures)
