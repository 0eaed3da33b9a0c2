"""Carrier webhooks: POST /transporteurs/<adapter>/webhook/ (adapters in allies.shipping.tracking).

Signed with HMAC-SHA256 (header X-Allies-Signature); a bad or missing signature is answered
403 and nothing changes. The view lives with the orders because the events move parcels,
shipments and vendor orders (`shipments.tracking_events_apply`, idempotent); the shipping
app below only knows carriers, payload formats and signatures.
"""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from allies.orders.shipments import tracking_events_apply
from allies.shipping import tracking


@csrf_exempt  # a carrier's server cannot hold a CSRF token: the signature authenticates it
@require_POST
def carrier_webhook(request: HttpRequest, adapter: str) -> JsonResponse:
    found = tracking.adapter_get(adapter)
    if found is None:
        return JsonResponse({"error": "unknown_adapter"}, status=404)
    body = request.body
    if not tracking.signature_valid(
        code=found.code, body=body, header=request.headers.get(tracking.SIGNATURE_HEADER)
    ):
        return JsonResponse({"error": "bad_signature"}, status=403)
    try:
        events = found.parse(body=body, headers=request.headers)
    except tracking.TrackingPayloadError as exc:
        return JsonResponse({"error": exc.code, "message": exc.message}, status=400)
    outcome = tracking_events_apply(adapter=found, events=events)
    return JsonResponse(outcome.as_dict())
