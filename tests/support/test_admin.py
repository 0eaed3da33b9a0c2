"""The back office lists threads read-only, in French, without linking private files."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from allies.orders.events import Actor
from allies.support.services import message_post
from tests.factories import UserFactory
from tests.support.conftest import jpeg_bytes, question

pytestmark = pytest.mark.django_db


def test_staff_read_threads_and_attachments_in_the_admin(shop, client):
    # covers: CS-5
    thread = question(shop)
    attachment = message_post(
        thread=thread, actor=Actor.customer(shop["luc"]), body="Photo",
        attachments=[SimpleUploadedFile("photo.jpg", jpeg_bytes())],
    ).attachments.get()  # fmt: skip
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    listing = client.get(reverse("admin:support_thread_changelist"))
    assert listing.status_code == 200
    assert "demandes d&#x27;assistance" in listing.content.decode().lower()
    page = client.get(reverse("admin:support_thread_change", args=[thread.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "Taille M disponible ?" in html
    assert thread.reply_token not in html  # the relay secret stays out of pages
    page = client.get(reverse("admin:support_attachment_change", args=[attachment.pk]))
    assert page.status_code == 200 and attachment.file.name not in page.content.decode()
    assert client.post(reverse("admin:support_thread_delete", args=[thread.pk])).status_code == 403
