"""Every error of the vendor API is one JSON shape with a stable code (VEN-3).

    {"error": {"code": "not_found", "message": "Commande introuvable.", "details": null}}

`code` is for programs (stable, English, snake_case); `message` is for people, in French, or in
English when the request says `Accept-Language: en`; `details` is null or carries what helps
fixing the call (the fields of a malformed body, the allowed values…).

The handlers are installed on the one NinjaAPI by `install_error_handlers(api)`; they cover the
domain errors (`FulfilmentError`, `InvoiceError`, `OfferError`), our own `ApiError`, ninja's
validation and HTTP errors, Django's Http404 and anything unexpected (500, logged).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser

from allies.catalog.offers import OfferError
from allies.core.errors import AlliesError
from allies.invoices.services import InvoiceError
from allies.orders.vendor_side import FulfilmentError

logger = logging.getLogger(__name__)


class ApiError(AlliesError):
    """An error answered as is: HTTP status, stable code, translated message, details.

    The project's error base gives `code` and `message`; the API adds its HTTP `status`, the
    `details` of the JSON shape and response headers. `before_acting` marks refusals made
    while reading the request, before any service ran: such answers are not kept for an
    Idempotency-Key (the corrected call may reuse the key).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
        before_acting: bool = False,
    ) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.details, self.headers = details, headers or {}
        self.before_acting = before_acting


class RateLimited(ApiError):
    def __init__(self, *, limit: int, retry_after: int) -> None:
        super().__init__(
            429,
            "rate_limited",
            _(
                "Trop de requêtes : cette clé est limitée à %(limit)s requêtes par minute. "
                "Réessayez dans %(seconds)s s."
            )
            % {"limit": limit, "seconds": retry_after},
            details={"limit": limit, "period_seconds": 60, "retry_after": retry_after},
            headers={"Retry-After": str(retry_after), "X-RateLimit-Limit": str(limit)},
            before_acting=True,
        )


# --- language -------------------------------------------------------------------------------


def request_language(request: HttpRequest) -> str:
    """The language of the API's messages: Accept-Language if it names one we speak, else
    French. (LocaleMiddleware forces French on every URL without a language prefix, and
    /api/v1/ has none: an API client says its language in the header, not in the URL.)"""
    cached = getattr(request, "_vendor_api_language", None)
    if cached:
        return cached
    language = settings.LANGUAGE_CODE
    for code, _quality in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code == "*":
            continue
        try:
            language = translation.get_supported_language_variant(code)
            break
        except LookupError:
            continue
    request._vendor_api_language = language  # type: ignore[attr-defined]
    return language


def activate_request_language(request: HttpRequest) -> str:
    language = request_language(request)
    translation.activate(language)
    return language


# --- rendering ------------------------------------------------------------------------------


def error_payload(code: str, message: str, details: Any = None) -> dict:
    return {"error": {"code": code, "message": str(message), "details": details}}


def error_response(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
    before_acting: bool = False,
) -> HttpResponse:
    if before_acting:
        request._vendor_api_not_acted = True  # type: ignore[attr-defined]
    response = HttpResponse(
        json.dumps(error_payload(code, message, details), ensure_ascii=False, default=str),
        status=status,
        content_type="application/json; charset=utf-8",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# --- bodies that cannot be read -----------------------------------------------------------


class NulCharacterInBody(ValueError):
    """A JSON string holds U+0000: no column may store it (PostgreSQL refuses it outright)."""


def json_body_parse(body: bytes) -> Any:
    """The request's JSON, refusing U+0000 anywhere in its strings or keys.

    Walked with a stack, not recursion: the depth was already bounded by `json.loads`.
    """
    data = json.loads(body)
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise NulCharacterInBody
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return data


class VendorApiParser(Parser):
    """ninja's JSON parser, with the U+0000 check of `json_body_parse`."""

    def parse_body(self, request: HttpRequest) -> Any:
        return json_body_parse(request.body)


def unreadable_body_response(request: HttpRequest, exc: BaseException) -> HttpResponse | None:
    """The JSON answer for a body refused while it is read (by ninja's parser or by the
    Idempotency-Key fingerprint, which reads it first), or None for another error.

    Above DATA_UPLOAD_MAX_MEMORY_SIZE: 413. Nested deeper than Python's parser goes (a
    50,000-deep `[[[…]]]`): 400. Never the HTML 500 page.
    """
    activate_request_language(request)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return error_response(
            request,
            status=413,
            code="body_too_large",
            message=_("Le corps de la requête dépasse %(size)s Mo : découpez l'envoi.")
            % {"size": number_format(limit / 1_000_000, 1)},
            details={"max_bytes": limit},
            before_acting=True,
        )
    if isinstance(exc, NulCharacterInBody):
        return error_response(
            request,
            status=400,
            code="nul_character",
            message=_("Le corps de la requête contient un caractère nul (U+0000), refusé."),
            before_acting=True,
        )
    if isinstance(exc, RecursionError):
        return error_response(
            request,
            status=400,
            code="json_too_deep",
            message=_("Le corps JSON est imbriqué trop profondément."),
            before_acting=True,
        )
    if isinstance(exc, SuspiciousOperation | MultiPartParserError):
        return error_response(
            request,
            status=400,
            code="malformed_body",
            message=_("Le corps de la requête est illisible."),
            before_acting=True,
        )
    return None


# --- pydantic's errors, said in the caller's language -----------------------------------------


def _field_messages() -> dict[str, str]:
    """Messages for pydantic's error types (ninja's validation gives them in English only)."""
    return {
        "missing": _("Ce champ est obligatoire."),
        "extra_forbidden": _("Ce champ n'existe pas."),
        "int_type": _("Un nombre entier est attendu."),
        "int_parsing": _("Un nombre entier est attendu."),
        "int_from_float": _("Un nombre entier est attendu."),
        "decimal_type": _("Un nombre décimal est attendu (par exemple « 12.50 »)."),
        "decimal_parsing": _("Un nombre décimal est attendu (par exemple « 12.50 »)."),
        "decimal_max_places": _("Au plus deux décimales."),
        "decimal_max_digits": _("Ce nombre est trop grand."),
        "decimal_whole_digits": _("Ce nombre est trop grand."),
        "float_parsing": _("Un nombre est attendu."),
        "bool_type": _("Un booléen est attendu (true ou false)."),
        "bool_parsing": _("Un booléen est attendu (true ou false)."),
        "string_type": _("Un texte est attendu."),
        "string_too_short": _("Ce texte est trop court."),
        "string_too_long": _("Ce texte est trop long."),
        "list_type": _("Une liste est attendue."),
        "model_type": _("Un objet JSON est attendu."),
        "model_attributes_type": _("Un objet JSON est attendu."),
        "dict_type": _("Un objet JSON est attendu."),
        "too_short": _("Cette liste est trop courte."),
        "too_long": _("Cette liste est trop longue."),
        "datetime_type": _("Une date et heure ISO 8601 est attendue."),
        "datetime_parsing": _("Une date et heure ISO 8601 est attendue."),
        "datetime_from_date_parsing": _("Une date et heure ISO 8601 est attendue."),
        "date_type": _("Une date AAAA-MM-JJ est attendue."),
        "date_parsing": _("Une date AAAA-MM-JJ est attendue."),
        "date_from_datetime_parsing": _("Une date AAAA-MM-JJ est attendue."),
        "greater_than": _("La valeur doit être supérieure à %(gt)s."),
        "greater_than_equal": _("La valeur doit être au moins %(ge)s."),
        "less_than": _("La valeur doit être inférieure à %(lt)s."),
        "less_than_equal": _("La valeur doit être au plus %(le)s."),
        "literal_error": _("Valeur non admise ; valeurs possibles : %(expected)s."),
        "enum": _("Valeur non admise ; valeurs possibles : %(expected)s."),
        "json_invalid": _("JSON illisible."),
    }


def field_errors(errors: list[dict], *, skip: int = 0) -> list[dict]:
    """[{"field": "order_lines.0.id", "code": "int_parsing", "message": "…"}] for pydantic
    errors; `skip` leading parts of each location are dropped (ninja's "body", "payload")."""
    messages = _field_messages()
    out = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())][skip:]
        kind = str(error.get("type", "invalid"))
        template = messages.get(kind)
        if template is None:
            message = str(error.get("msg", ""))
        else:
            try:
                message = template % {k: v for k, v in (error.get("ctx") or {}).items()}
            except (KeyError, TypeError, ValueError):
                message = template
        out.append({"field": ".".join(loc), "code": kind, "message": message})
    return out


def _ninja_field_errors(errors: list[dict]) -> list[dict]:
    # ninja locations look like ("body", "payload", "order_lines", 0, "id") or
    # ("query", "limit"): keep the source, drop the parameter's own name for bodies.
    cleaned = []
    for error in errors:
        loc = list(error.get("loc", ()))
        if len(loc) >= 2 and loc[0] == "body":
            loc = loc[2:] or loc[1:]
        elif loc and loc[0] in ("query", "path", "form", "file", "header"):
            loc = loc[1:]
        cleaned.append({**error, "loc": tuple(loc)})
    return field_errors(cleaned)


# --- the handlers ---------------------------------------------------------------------------


def install_error_handlers(api) -> None:
    """Make every error of `api` the JSON shape above."""

    def on_api_error(request, exc: ApiError):
        activate_request_language(request)
        return error_response(
            request,
            status=exc.status,
            code=exc.code,
            message=exc.message,
            details=exc.details,
            headers=exc.headers,
            before_acting=exc.before_acting,
        )

    def on_validation_error(request, exc: ValidationError):
        activate_request_language(request)
        return error_response(
            request,
            status=422,
            code="invalid_request",
            message=_("La requête est invalide : corrigez les champs indiqués."),
            details=_ninja_field_errors(exc.errors),
            before_acting=True,
        )

    def on_http_error(request, exc: HttpError):
        activate_request_language(request)
        if isinstance(exc, AuthenticationError):
            reason = getattr(request, "_vendor_api_auth_failure", "invalid")
            message = (
                _(
                    "Clé d'API manquante : envoyez l'en-tête « Authorization: Bearer <clé> » "
                    "avec une clé créée dans l'espace vendeur."
                )
                if reason == "missing"
                else _("Clé d'API inconnue ou révoquée.")
            )
            return error_response(
                request,
                status=401,
                code="invalid_api_key",
                message=message,
                headers={"WWW-Authenticate": 'Bearer realm="Alliés vendor API"'},
                before_acting=True,
            )
        if isinstance(exc, Throttled):
            wait = int(exc.wait or 60)
            return error_response(
                request,
                status=429,
                code="rate_limited",
                message=_("Trop de requêtes. Réessayez dans %(seconds)s s.") % {"seconds": wait},
                headers={"Retry-After": str(wait)},
                before_acting=True,
            )
        if exc.__cause__ is not None and (
            answer := unreadable_body_response(request, exc.__cause__)
        ):
            return answer
        if exc.status_code == 400 and exc.__cause__ is not None:
            # ninja's body parser: the body is not JSON at all.
            return error_response(
                request,
                status=422,
                code="malformed_json",
                message=_("Le corps de la requête n'est pas un JSON valide."),
                before_acting=True,
            )
        return error_response(
            request,
            status=exc.status_code,
            code=f"http_{exc.status_code}",
            message=str(exc),
            before_acting=True,
        )

    def on_not_found(request, exc):
        activate_request_language(request)
        return error_response(
            request, status=404, code="not_found", message=_("Ressource introuvable.")
        )

    def on_unexpected(request, exc):
        # ninja reads request.body outside its parser's try: a body too large lands here.
        if answer := unreadable_body_response(request, exc):
            return answer
        logger.exception("vendor API: unexpected error on %s %s", request.method, request.path)
        activate_request_language(request)
        return error_response(
            request,
            status=500,
            code="internal_error",
            message=_("Erreur interne : réessayez plus tard. Si elle persiste, écrivez-nous."),
        )

    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(ValidationError, on_validation_error)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(Exception, on_unexpected)
    _install_domain_handlers(api, on_api_error)


# Domain codes that say "the request is fine but the order's state forbids it": 409.
CONFLICT_CODES = frozenset({"invalid_state", "not_shipped", "already_invoiced", "number_taken"})


def _domain_status(code: str) -> int:
    if code == "not_found":
        return 404
    return 409 if code in CONFLICT_CODES else 422


def _install_domain_handlers(api, on_api_error) -> None:
    def on_fulfilment_error(request, exc: FulfilmentError):
        code = exc.code or "invalid"
        if code == "not_found":
            # The same answer as an id that does not exist at all.
            return on_not_found(request, exc)
        return on_api_error(request, ApiError(_domain_status(code), code, exc.message))

    def on_invoice_error(request, exc: InvoiceError):
        code = exc.code or "invalid"
        if code == "not_found":
            return on_not_found(request, exc)
        return on_api_error(request, ApiError(_domain_status(code), code, str(exc)))

    def on_not_found(request, exc):
        activate_request_language(request)
        return error_response(
            request, status=404, code="not_found", message=_("Commande introuvable.")
        )

    def on_offer_error(request, exc):
        return on_api_error(
            request, ApiError(422, exc.code or "invalid", str(exc), details=exc.errors)
        )

    api.add_exception_handler(FulfilmentError, on_fulfilment_error)
    api.add_exception_handler(InvoiceError, on_invoice_error)
    api.add_exception_handler(OfferError, on_offer_error)
