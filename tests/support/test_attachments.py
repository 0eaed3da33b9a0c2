"""Attachments: photos and PDFs checked from their content, hostile files refused with a
clear message and nothing stored, photos stored without their location."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from allies.orders.events import Actor
from allies.support.attachments import attachment_check, safe_name
from allies.support.errors import AttachmentRefused
from allies.support.models import Attachment, Message, Thread
from allies.support.services import message_post
from allies.support.storage import support_storage
from tests.support.conftest import jpeg_bytes, question, stored_files

pytestmark = pytest.mark.django_db


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def gps_photo() -> bytes:
    """A phone photo: EXIF with GPS position, camera make and a "rotate 90°" orientation."""
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotated
    exif[0x010F] = "Apple"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png_header_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes announcing a huge bilevel image (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def post_with(shop, thread, *files):
    return message_post(
        thread=thread, actor=Actor.customer(shop["luc"]), body="Voici le fichier.",
        attachments=files,
    )  # fmt: skip


def assert_refused_and_nothing_stored(shop, storage_root, upload, code):
    thread = question(shop)
    before = (Message.objects.count(), Thread.objects.get(pk=thread.pk).updated_at)
    with pytest.raises(AttachmentRefused) as refused:
        post_with(shop, thread, upload)
    assert refused.value.code == code
    assert refused.value.message  # a sentence for the person, in French
    assert (Message.objects.count(), Thread.objects.get(pk=thread.pk).updated_at) == before
    assert not Attachment.objects.exists() and stored_files(storage_root) == []
    return refused.value.message


def test_a_renamed_executable_is_refused(shop, _support_storage_in_tmp):
    # covers: issue 10 (hostile attachments)
    exe = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 4000)
    message = assert_refused_and_nothing_stored(
        shop, _support_storage_in_tmp, exe, "unsupported_type"
    )
    assert "photo.jpg" in message and "PDF" in message
    elf = SimpleUploadedFile("facture.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 100)
    with pytest.raises(AttachmentRefused):
        attachment_check(elf)


def test_a_50_mb_image_is_refused_without_being_read_whole(shop, _support_storage_in_tmp):
    # covers: issue 10 (hostile attachments)
    big = SimpleUploadedFile("grande.jpg", jpeg_bytes() + b"\x00" * (50 * 1024 * 1024))
    message = assert_refused_and_nothing_stored(shop, _support_storage_in_tmp, big, "too_large")
    assert "10 Mo" in message

    class Stream(io.BytesIO):
        """A stream that does not tell its size: read in chunks until the limit."""

        read_total = 0

        def read(self, size=-1):
            data = super().read(size)
            Stream.read_total += len(data)
            return data

    stream = Stream(b"\xff\xd8\xff" + b"\x00" * (50 * 1024 * 1024))
    with pytest.raises(AttachmentRefused):
        attachment_check(stream, name="flux.jpg")
    assert Stream.read_total <= 10 * 1024 * 1024 + 64 * 1024


def test_a_decompression_bomb_is_refused(shop, _support_storage_in_tmp):
    # covers: issue 10 (hostile attachments)
    bomb = SimpleUploadedFile("bombe.png", png_header_claiming(100_000, 100_000))
    assert len(bomb) < 2000
    message = assert_refused_and_nothing_stored(
        shop, _support_storage_in_tmp, bomb, "too_many_pixels"
    )
    assert "bombe.png" in message
    # Under Pillow's own alarm but above ours: a real 100-megapixel image of a few KB.
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")
    assert len(out.getvalue()) < 100_000
    with pytest.raises(AttachmentRefused) as refused:
        attachment_check(out.getvalue(), name="plat.png")
    assert refused.value.code == "too_many_pixels"


def test_a_broken_pdf_is_refused(shop, _support_storage_in_tmp):
    # covers: issue 10 (hostile attachments)
    truncated = SimpleUploadedFile("facture.pdf", pdf_bytes()[:-60])
    assert_refused_and_nothing_stored(shop, _support_storage_in_tmp, truncated, "broken_pdf")
    header_only = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
    with pytest.raises(AttachmentRefused) as refused:
        attachment_check(header_only, name="vide.pdf")
    assert refused.value.code == "broken_pdf"


def test_a_pdf_with_javascript_is_refused():
    # Same length, so the structure (offsets) stays valid: only the active content differs.
    content = pdf_bytes().replace(b"/Producer (pypdf)", b"/JavaScript (app)")
    with pytest.raises(AttachmentRefused) as refused:
        attachment_check(content, name="piege.pdf")
    assert refused.value.code == "active_pdf"


def test_a_broken_image_is_refused(shop, _support_storage_in_tmp):
    cut = SimpleUploadedFile("photo.jpg", jpeg_bytes(size=(400, 300))[:300])
    assert_refused_and_nothing_stored(shop, _support_storage_in_tmp, cut, "broken_image")


def test_a_photo_comes_back_without_its_location_and_upright(shop, _support_storage_in_tmp):
    # covers: issue 10 ("location metadata stripped from photos")
    original = gps_photo()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    thread = question(shop)
    message = post_with(shop, thread, SimpleUploadedFile("IMG_0001.JPG", original))
    (attachment,) = message.attachments.all()
    assert (attachment.content_type, attachment.original_name) == ("image/jpeg", "IMG_0001.jpg")
    with support_storage().open(attachment.file.name) as handle:
        stored = handle.read()
    assert b"Exif" not in stored and b"Apple" not in stored
    image = Image.open(io.BytesIO(stored))
    assert not image.getexif() and not image.getexif().get_ifd(0x8825)
    assert image.size == (48, 64)  # turned upright as the orientation said, then dropped
    assert attachment.size == len(stored)
    import hashlib

    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
    assert str(_support_storage_in_tmp) in support_storage().path(attachment.file.name)


def test_png_webp_and_pdf_are_accepted(shop):
    png, webp = io.BytesIO(), io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(png, format="PNG")
    Image.new("RGB", (20, 20)).save(webp, format="WEBP")
    thread = question(shop)
    message = post_with(
        shop, thread,
        SimpleUploadedFile("schéma", png.getvalue()),
        SimpleUploadedFile("vue.webp", webp.getvalue()),
        SimpleUploadedFile("../../etc/Facture 12.PDF", pdf_bytes()),
    )  # fmt: skip
    names = [(a.original_name, a.content_type) for a in message.attachments.all()]
    assert names == [
        ("schéma.png", "image/png"),
        ("vue.webp", "image/webp"),
        ("Facture 12.pdf", "application/pdf"),
    ]
    assert Image.open(support_storage().open(message.attachments.all()[0].file.name)).mode == "RGBA"


def test_too_many_files_are_refused(shop, settings, _support_storage_in_tmp):
    settings.SUPPORT_ATTACHMENTS_PER_MESSAGE = 2
    thread = question(shop)
    files = [SimpleUploadedFile(f"p{i}.jpg", jpeg_bytes()) for i in range(3)]
    with pytest.raises(AttachmentRefused) as refused:
        post_with(shop, thread, *files)
    assert refused.value.code == "too_many_files"
    assert stored_files(_support_storage_in_tmp) == []


def test_one_bad_file_refuses_the_whole_message(shop, _support_storage_in_tmp):
    thread = question(shop)
    good = SimpleUploadedFile("ok.jpg", jpeg_bytes())
    bad = SimpleUploadedFile("virus.pdf", b"MZ" + b"\x00" * 10)
    with pytest.raises(AttachmentRefused):
        post_with(shop, thread, good, bad)
    assert thread.messages.count() == 1 and stored_files(_support_storage_in_tmp) == []


def test_a_failure_after_storing_leaves_no_file(shop, _support_storage_in_tmp, monkeypatch):
    thread = question(shop)

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("allies.support.services.thread_transition", broken)
    with pytest.raises(RuntimeError):
        post_with(shop, thread, SimpleUploadedFile("ok.jpg", jpeg_bytes()))
    assert stored_files(_support_storage_in_tmp) == [] and not Attachment.objects.exists()


def test_names_are_sanitised():
    # A right-to-left override shows "photo\u202egpj.exe" as "photoexe.jpg".
    assert safe_name("C:\\Users\\x\\photo\u202egpj.exe", content_type="image/jpeg") == (
        "photogpj.jpg"
    )
    assert safe_name("", content_type="application/pdf") == "piece-jointe.pdf"
    assert len(safe_name("a" * 500 + ".png", content_type="image/png")) == 84


def test_attachments_are_not_under_public_folders(settings):
    location = settings.STORAGES["support"]["OPTIONS"]["location"]
    assert not location.startswith(str(settings.MEDIA_ROOT))
    assert not location.startswith(str(settings.STATIC_ROOT))
