"""`Idempotency-Key` on the vendor API's writes: a retried call does not act twice (VEN-3).

A client that did not get an answer (timeout, lost connection) sends the same call again with
the same `Idempotency-Key` header. Per API key and Idempotency-Key:

- the first call inserts an `IdempotencyRecord` (method, path, fingerprint of the body) *before*
  it acts, under a unique constraint, then stores the answer (status and body);
- a retry with the same fingerprint gets that stored answer back, byte for byte, with the
  header `Idempotent-Replayed: true`, and acts no more;
- the same Idempotency-Key on a different call (other path, other body) is a 422
  `idempotency_key_reused`;
- a retry arriving while the first call still runs is a 409 `idempotency_in_progress` with
  `Retry-After: 1` (the unique insert makes sure only one of two racing calls acts);
- answers that did not act are not kept, so the corrected call may reuse the key: 401, 429,
  5xx, and 422s about the request's shape (`invalid_request`, `malformed_json`,
  `too_many_items`…). Domain refusals (a 409 `invalid_state`, a 422 on a tracking number…) are
  kept: the service ran and said no, and says no again on a retry.

Records are kept 24 hours (`RETENTION`): an older record is ignored and replaced, and each new
record purges the key's expired ones. A record left "in flight" by a process that died is taken
over after `IN_FLIGHT_TIMEOUT`.

The fingerprint hashes the method, the full path and the body: a JSON body canonically (key
order and spacing do not matter), a multipart body by its fields and files' contents (the
boundary a client picks changes on each try).

It wraps ninja's `Operation.run` (`ninja.decorators.decorate_view`), so it sees the final HTTP
answer — the serialized body and the status of errors rendered by the exception handlers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.vendor_api.auth import request_api_key
from allies.vendor_api.errors import (
    activate_request_language,
    error_response,
    unreadable_body_response,
)
from allies.vendor_api.models import IdempotencyRecord
from allies.vendors.models import VendorApiKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
RETENTION = timedelta(hours=24)
IN_FLIGHT_TIMEOUT = timedelta(minutes=10)
MAX_KEY_LENGTH = 255


def request_fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(
        (request.method or "").encode() + b"\n" + request.get_full_path().encode() + b"\n"
    )
    if request.content_type == "multipart/form-data":
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                digest.update(f"field:{name}={value}\n".encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                digest.update(f"file:{name}:{upload.name}:{upload.size}\n".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
        return digest.hexdigest()
    body = request.body
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        canonical = body  # not JSON (or too deep for the parser): the bytes as they are
    digest.update(canonical)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        record.response_body.encode("utf-8"),
        status=record.status_code,
        content_type=record.content_type or "application/json; charset=utf-8",
    )
    response[REPLAYED_HEADER] = "true"
    return response


def _claim(
    *, request: HttpRequest, api_key: VendorApiKey, key: str, fingerprint: str
) -> IdempotencyRecord | HttpResponse:
    """The record to complete when this call may act, else the answer to give."""
    for _attempt in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    api_key=api_key,
                    key=key,
                    method=request.method or "",
                    path=request.get_full_path()[:500],
                    fingerprint=fingerprint,
                    created_at=now,
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(api_key=api_key, key=key).first()
            if existing is None:
                continue  # removed meanwhile: try the insert again
            expired = existing.created_at < now - RETENTION
            abandoned = existing.status_code is None and (
                existing.created_at < now - IN_FLIGHT_TIMEOUT
            )
            if expired or abandoned:
                # Only the caller whose delete removes that very row takes over.
                IdempotencyRecord.objects.filter(
                    pk=existing.pk, created_at=existing.created_at
                ).delete()
                continue
            if existing.fingerprint != fingerprint:
                return error_response(
                    request,
                    status=422,
                    code="idempotency_key_reused",
                    message=_(
                        "Cette clé d'idempotence a déjà servi pour une autre requête "
                        "(%(method)s %(path)s) : utilisez une nouvelle clé pour chaque appel."
                    )
                    % {"method": existing.method, "path": existing.path},
                )
            if existing.status_code is None:
                return error_response(
                    request,
                    status=409,
                    code="idempotency_in_progress",
                    message=_(
                        "Une requête avec cette clé d'idempotence est en cours : "
                        "réessayez dans un instant."
                    ),
                    headers={"Retry-After": "1"},
                )
            return _replay(existing)
        IdempotencyRecord.objects.filter(api_key=api_key, created_at__lt=now - RETENTION).delete()
        return record
    return error_response(
        request,
        status=409,
        code="idempotency_in_progress",
        message=_(
            "Une requête avec cette clé d'idempotence est en cours : réessayez dans un instant."
        ),
        headers={"Retry-After": "1"},
    )


def _acted(request: HttpRequest, response: HttpResponse) -> bool:
    if getattr(request, "_vendor_api_not_acted", False):
        return False
    return response.status_code < 500 and response.status_code not in (401, 429)


def idempotent(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an operation's `run(request, **kw)` (see the module doc)."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raw = request.headers.get(HEADER)
        if raw is None:
            return run(request, *args, **kwargs)
        api_key = request_api_key(request)
        if api_key is None:
            return run(request, *args, **kwargs)  # ninja answers the 401 / 429
        activate_request_language(request)
        key = raw.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return error_response(
                request,
                status=422,
                code="invalid_idempotency_key",
                message=_(
                    "L'en-tête Idempotency-Key doit contenir de 1 à 255 caractères imprimables."
                ),
            )
        try:
            fingerprint = request_fingerprint(request)
        except (RequestDataTooBig, SuspiciousOperation, MultiPartParserError) as exc:
            # Read here before ninja: answer like ninja's handlers would, in JSON.
            unreadable = unreadable_body_response(request, exc)
            if unreadable is None:
                raise
            return unreadable
        record = _claim(request=request, api_key=api_key, key=key, fingerprint=fingerprint)
        if isinstance(record, HttpResponse):
            return record  # a replay, or a refusal
        try:
            response = run(request, *args, **kwargs)
        except BaseException:
            record.delete()
            raise
        if not _acted(request, response) or getattr(response, "streaming", False):
            record.delete()
            return response
        record.status_code = response.status_code
        record.content_type = response.get("Content-Type", "")[:100]
        record.response_body = response.content.decode("utf-8", errors="replace")
        record.completed_at = timezone.now()
        record.save(update_fields=["status_code", "content_type", "response_body", "completed_at"])
        return response

    return wrapper
