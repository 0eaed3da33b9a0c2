"""How a thread's file leaves the site, for every party's page and the vendor API: always as a
download (a PDF may hide active content, see `allies.support.attachments`), never sniffed,
never cached. Who may fetch which file is the selectors' business (`attachment_for_*`)."""

import logging

from django.http import FileResponse

from allies.support.errors import ThreadNotFound
from allies.support.models import Attachment

logger = logging.getLogger(__name__)


class AttachmentMissing(ThreadNotFound):
    """The row exists but its file is gone from the storage: answered as not found, logged."""


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a private download; raises `AttachmentMissing` when the storage lost it."""
    try:
        handle = attachment.file.open("rb")
    except OSError:
        logger.error("support attachment %s: file %r missing", attachment.pk, attachment.file.name)
        raise AttachmentMissing from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
