"""Attachments of support messages: what is accepted, checked from the content, and how it
is stored.

Accepted: photos (JPEG, PNG, WebP) and PDF documents. The type comes from the content (its
first bytes, then Pillow or the PDF structure), never from the name or the browser's word:
a renamed executable is refused. HEIC photos (iPhones) are not accepted: Pillow reads them
only with the pillow-heif plugin, which the project does not depend on; phones convert to
JPEG when they upload through a browser.

Every check happens before anything is written; a refused file raises `AttachmentRefused`
with a French message naming the file, and nothing of the message is stored:

- at most SUPPORT_ATTACHMENTS_PER_MESSAGE files, each at most SUPPORT_ATTACHMENT_MAX_BYTES,
  read in bounded chunks (a 50 MB upload is refused after reading the limit, not whole);
- images: at most SUPPORT_IMAGE_MAX_PIXELS pixels, checked from the header before decoding
  (a decompression bomb, a few KB that decode to gigabytes, is refused; Pillow's own bomb
  warning is turned into a refusal too), `verify()`d, then decoded and re-encoded: the
  stored photo has no EXIF, GPS, XMP or comment, only its pixels (turned upright as the EXIF
  orientation said, shrunk to SUPPORT_IMAGE_MAX_SIDE pixels on its longest side) and its
  colour profile;
- PDF: the structural check of `allies.invoices.pdf.pdf_looks_valid` (header, `startxref` and
  `%%EOF`, a cross-reference table, a catalog), no PDF library at runtime; a PDF naming
  JavaScript or a launch action is refused. Such names can hide in compressed object
  streams, so files are still served as downloads (Content-Disposition: attachment,
  nosniff), never inline.

Files are stored under the "support" storage alias (`allies.support.storage`), named by a
random id; the sanitised original name is kept on the row for display only.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import uuid
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from allies.invoices.pdf import pdf_looks_valid
from allies.support.errors import AttachmentRefused
from allies.support.storage import support_storage

if TYPE_CHECKING:
    from allies.support.models import Attachment, Message

CHUNK_BYTES = 64 * 1024
JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}
_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
# Names a PDF uses for code it runs when opened.
_PDF_ACTIVE = (b"/JavaScript", b"/JS ", b"/JS(", b"/JS<", b"/Launch")
DEFAULT_STEM = "piece-jointe"


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed every check: what will be stored, and under which name."""

    name: str  # sanitised original name, its extension set from the detected type
    content: bytes  # what is stored (photos re-encoded without their metadata)
    content_type: str

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def max_bytes() -> int:
    return int(settings.SUPPORT_ATTACHMENT_MAX_BYTES)


def max_count() -> int:
    return int(settings.SUPPORT_ATTACHMENTS_PER_MESSAGE)


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g}"


def _too_large(name: str) -> AttachmentRefused:
    return AttachmentRefused(
        _("« %(name)s » dépasse la taille maximale de %(size)s Mo.")
        % {"name": name, "size": _megabytes(max_bytes())},
        code="too_large",
    )


def _read_bounded(file: Any, *, limit: int, name: str) -> bytes:
    """The file's bytes, read `CHUNK_BYTES` at a time, refused as soon as they pass `limit`."""
    if isinstance(file, bytes | bytearray):
        if len(file) > limit:
            raise _too_large(name)
        return bytes(file)
    size = getattr(file, "size", None)
    if isinstance(size, int) and size > limit:
        raise _too_large(name)
    chunks: Iterable[bytes]
    if hasattr(file, "chunks"):
        chunks = file.chunks(CHUNK_BYTES)
    else:
        if hasattr(file, "seek"):
            file.seek(0)
        chunks = iter(lambda: file.read(CHUNK_BYTES), b"")
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        if len(buffer) > limit:
            raise _too_large(name)
    return bytes(buffer)


def sniff(head: bytes) -> str | None:
    """The accepted type the first bytes announce, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def safe_name(raw: str | None, *, content_type: str) -> str:
    """A display name without path, control or formatting characters (no right-to-left
    override to disguise "fdp.exe" as "exe.pdf"), at most 80 characters before the
    extension, which is the detected type's."""
    base = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1])
    stem = base.rsplit(".", 1)[0] if "." in base else base
    kept = "".join(ch for ch in stem if ch.isalnum() or ch in " -_()'")
    stem = " ".join(kept.split())[:80].strip() or DEFAULT_STEM
    return stem + EXTENSIONS[content_type]


def _shown_name(raw: str) -> str:
    """The name a refusal quotes: the file's own, without path or invisible characters."""
    base = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:80] or DEFAULT_STEM


def _image_refused(name: str) -> AttachmentRefused:
    return AttachmentRefused(
        _("L'image « %(name)s » est illisible ou endommagée.") % {"name": name},
        code="broken_image",
    )


def _bomb(name: str) -> AttachmentRefused:
    return AttachmentRefused(
        _("L'image « %(name)s » est trop grande (plus de %(pixels)s millions de pixels).")
        % {"name": name, "pixels": int(settings.SUPPORT_IMAGE_MAX_PIXELS) // 1_000_000},
        code="too_many_pixels",
    )


def _clean_image(content: bytes, *, content_type: str, name: str) -> bytes:
    """The photo's pixels re-encoded in its own format, without any metadata."""
    pil_format = _PIL_FORMATS[content_type]
    side = int(settings.SUPPORT_IMAGE_MAX_SIDE)
    with warnings.catch_warnings():
        # Pillow warns past MAX_IMAGE_PIXELS and raises only past twice that: both refuse.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content), formats=[pil_format]) as probe:
                if probe.width * probe.height > int(settings.SUPPORT_IMAGE_MAX_PIXELS):
                    raise _bomb(name)
                probe.verify()
            with Image.open(io.BytesIO(content), formats=[pil_format]) as image:
                if content_type == JPEG:
                    image.draft("RGB", (side, side))  # decode big photos at a reduced scale
                image.load()
                icc_profile = image.info.get("icc_profile")
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((side, side))
                has_alpha = "A" in upright.getbands() or "transparency" in upright.info
                mode = "RGBA" if has_alpha and content_type != JPEG else "RGB"
                pixels = upright.convert(mode)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _bomb(name) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise _image_refused(name) from None
    # A new image holds the pixels and nothing else: EXIF (GPS), XMP, comments and text
    # chunks stay behind with the decoded one.
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    out = io.BytesIO()
    options: dict[str, Any] = {"icc_profile": icc_profile} if icc_profile else {}
    if content_type == JPEG:
        clean.save(out, format="JPEG", quality=88, **options)
    elif content_type == WEBP:
        clean.save(out, format="WEBP", quality=88, **options)
    else:
        clean.save(out, format="PNG", **options)
    return out.getvalue()


def _check_pdf(content: bytes, *, name: str) -> None:
    if not pdf_looks_valid(content):
        raise AttachmentRefused(
            _("Le PDF « %(name)s » est illisible ou incomplet.") % {"name": name},
            code="broken_pdf",
        )
    if any(marker in content for marker in _PDF_ACTIVE):
        raise AttachmentRefused(
            _("Le PDF « %(name)s » contient du code exécutable : il n'a pas été envoyé.")
            % {"name": name},
            code="active_pdf",
        )


def attachment_check(file: Any, *, name: str | None = None) -> CheckedFile:
    """Check one uploaded file (a Django UploadedFile, a file object or bytes) and return
    what to store; AttachmentRefused otherwise. A `CheckedFile` (checked already, e.g. by
    the inbound email) is returned as is."""
    if isinstance(file, CheckedFile):
        return file
    raw_name = name if name is not None else getattr(file, "name", "") or ""
    shown = _shown_name(raw_name)
    content = _read_bounded(file, limit=max_bytes(), name=shown)
    content_type = sniff(content[:16])
    if content_type is None:
        raise AttachmentRefused(
            _(
                "« %(name)s » n'est ni une photo (JPEG, PNG, WebP) ni un PDF : "
                "il n'a pas été envoyé."
            )
            % {"name": shown},
            code="unsupported_type",
        )
    if content_type == PDF:
        _check_pdf(content, name=shown)
    else:
        content = _clean_image(content, content_type=content_type, name=shown)
    return CheckedFile(
        name=safe_name(raw_name, content_type=content_type),
        content=content,
        content_type=content_type,
    )


def attachments_check(files: Sequence[Any]) -> list[CheckedFile]:
    """Check every file of one message (all or nothing), within the count limit."""
    if len(files) > max_count():
        raise AttachmentRefused(
            _("Vous pouvez joindre au plus %(count)s fichiers à un message.")
            % {"count": max_count()},
            code="too_many_files",
        )
    return [attachment_check(file) for file in files]


# Files saved by the current `files_removed_on_failure` block.
_SAVED: ContextVar[list[str] | None] = ContextVar("support_saved_files", default=None)


@contextmanager
def files_removed_on_failure() -> Iterator[None]:
    """Around a service's transaction: if it fails, the files it stored are deleted, so a
    refused or rolled-back message leaves no file behind. (A rollback by an outer
    transaction after this block succeeded leaves unreferenced files, named by random ids:
    harmless, and a storage sweep may remove files no row names.)"""
    saved: list[str] = []
    token = _SAVED.set(saved)
    try:
        yield
    except BaseException:
        storage = support_storage()
        for name in saved:
            try:
                storage.delete(name)
            except OSError:
                pass
        raise
    finally:
        _SAVED.reset(token)


def attachments_store(*, message: Message, files: Sequence[CheckedFile]) -> list[Attachment]:
    """Store checked files for `message` (inside the caller's transaction)."""
    from allies.support.models import Attachment

    storage = support_storage()
    saved = _SAVED.get()
    stored = []
    for checked in files:
        path = f"threads/{message.thread_id}/{uuid.uuid4().hex}{EXTENSIONS[checked.content_type]}"
        path = storage.save(path, ContentFile(checked.content))
        if saved is not None:
            saved.append(path)
        stored.append(
            Attachment.objects.create(
                message=message,
                thread_id=message.thread_id,
                vendor_id=message.vendor_id,
                file=path,
                original_name=checked.name,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
            )
        )
    return stored
