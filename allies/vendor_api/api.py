"""The JSON API under /api/v1/ (OpenAPI at /api/v1/openapi.json); vendor routes under /vendor/.

The vendor API (VEN-3): `Authorization: Bearer <key>` (keys made in the vendor portal), every
call limited to the key's vendor, rate-limited per key, writes idempotent with an
`Idempotency-Key` header, every error `{"error": {"code", "message", "details"}}` (see
`errors`). Routes: `orders` (Mirakl OR11, OR21, OR23/OR24…), `offers` (OF21, OF24), `threads`
(messages, M10–M13) and `returns` (withdrawals, RT11, RT21, RT25, RT26).
"""

import inspect
import re

from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router

from allies.vendor_api import incidents, offers, orders, returns, threads
from allies.vendor_api.errors import ApiError, VendorApiParser, install_error_handlers

api = NinjaAPI(title="Alliés API", version="1", urls_namespace="api", parser=VendorApiParser())
install_error_handlers(api)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _method_not_allowed_for(path: str, allowed: list[str]):
    def method_not_allowed(request, **path_params: str):
        raise ApiError(
            405,
            "method_not_allowed",
            _("Méthode %(method)s non admise ici ; méthodes possibles : %(allowed)s.")
            % {"method": request.method, "allowed": ", ".join(allowed)},
            headers={"Allow": ", ".join(allowed)},
            before_acting=True,
        )

    # ninja reads the path's parameters from the signature: declare those of this path.
    params = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)] + [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=str)
        for name in re.findall(r"{(?:\w+:)?(\w+)}", path)
    ]
    method_not_allowed.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return method_not_allowed


def _answer_other_methods(router: Router) -> None:
    """ninja answers a method a path lacks with a bare-text 405: answer it in JSON instead."""
    for path, path_view in list(router.path_operations.items()):
        allowed = sorted({m for operation in path_view.operations for m in operation.methods})
        others = [m for m in METHODS if m not in allowed]
        if others:
            router.add_api_operation(
                path, others, _method_not_allowed_for(path, allowed), include_in_schema=False
            )


vendor = Router()
for child in (orders.router, offers.router, threads.router, returns.router, incidents.router):
    _answer_other_methods(child)
    vendor.add_router("", child)


# Added last: Django tries URL patterns in order.
fallback = Router()


@fallback.api_operation(list(METHODS), "/{path:rest}", include_in_schema=False)
def unknown_route(request, rest: str):
    """Any other /api/v1/vendor/… URL: the JSON 404 rather than the storefront's page."""
    raise ApiError(404, "not_found", _("Ressource introuvable."))


api.add_router("/vendor/", vendor)
api.add_router("/vendor/", fallback)
