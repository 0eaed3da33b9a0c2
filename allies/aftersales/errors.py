"""Refusals of the after-sales services: each with a stable `code` (pages and the vendor API
map them) and the user's message (French source, gettext); nothing was written."""

from __future__ import annotations

from allies.core.errors import AlliesError


class ReturnError(AlliesError):
    """A return request or decision refused."""

    code = "return_refused"

    def __init__(self, message: object = "", *, code: str | None = None) -> None:
        super().__init__(str(message), code=code)


class ReturnForbidden(ReturnError):
    """Not this user's return (or order): pages and the API answer 404."""

    code = "not_found"


class ClaimError(AlliesError):
    """An after-sales claim or a decision on it refused."""

    code = "claim_refused"

    def __init__(self, message: object = "", *, code: str | None = None) -> None:
        super().__init__(str(message), code=code)


class ClaimForbidden(ClaimError):
    """Not this user's claim (or order): pages and the API answer 404."""

    code = "not_found"


class CancellationRequestError(AlliesError):
    """A cancellation request (after the vendor's acceptance) or its answer refused."""

    code = "cancellation_refused"

    def __init__(self, message: object = "", *, code: str | None = None) -> None:
        super().__init__(str(message), code=code)


class CancellationRequestForbidden(CancellationRequestError):
    """Not this user's order or request: pages answer 404."""

    code = "not_found"


class AddressRequestError(AlliesError):
    """A delivery address change request (ORD-6) or its answer refused."""

    code = "address_request_refused"

    def __init__(self, message: object = "", *, code: str | None = None) -> None:
        super().__init__(str(message), code=code)


class AddressRequestForbidden(AddressRequestError):
    """Not this user's order or request: pages answer 404."""

    code = "not_found"
