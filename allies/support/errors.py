"""The refusals of "Assistance en ligne": one `AlliesError` subclass per family, each with a
stable `code` (views and the vendor API map them) and a French message (gettext)."""

from django.utils.translation import gettext as _

from allies.core.errors import AlliesError


class SupportError(AlliesError):
    """A support action refused; nothing was written."""

    code = "invalid"


class ThreadNotFound(SupportError):
    """Not a thread the actor may reach (or none): nothing is revealed, nothing changes."""

    code = "not_found"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message or _("Demande introuvable."), code=code)


class SupportForbidden(SupportError):
    """The actor reaches the thread but may not do this (e.g. an agent reassigning)."""

    code = "forbidden"


class AttachmentRefused(SupportError):
    """A file refused by the attachment checks (type, size, count, bomb, broken PDF)."""

    code = "attachment_refused"


class InboundRefused(SupportError):
    """An email that cannot become a message (no thread, unknown sender, too large…)."""

    code = "inbound_refused"
