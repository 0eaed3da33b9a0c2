"""The one base of the project's refusals: an action that cannot be done, and why.

Every application error derives from `AlliesError`, so a view, the vendor API or a task
catches one type and finds the same two things on each:

- `code`: a stable, machine-readable reason (`"not_found"`, `"invalid_price"`,
  `"member_refused"`…). API answers and tests rely on it; never reword it.
- `message`: the user-facing text (gettext, French source), shown as is.

A subclass sets its usual `code` as a class attribute; a raise may give a more precise one.
"""


class AlliesError(Exception):
    """An action refused for a reason the user can be told; nothing was changed."""

    code: str = "invalid"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
