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
