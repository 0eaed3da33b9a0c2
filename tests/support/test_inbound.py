"""Replies by email land in their thread, from the right people only, once."""

from email.message import EmailMessage

import pytest
from django.core import mail

from allies.orders.events import Actor
from allies.support.emails import reply_address
from allies.support.errors import InboundRefused
from allies.support.inbound import inbound_email_receive, reply_text
from allies.support.models import Message
from allies.support.services import message_post
from allies.support.states import ThreadStage
from tests.support.conftest import contact, jpeg_bytes, question, sent_to, vendor_answer

pytestmark = pytest.mark.django_db


def raw_reply(
    thread, *, sender, body, message_id="<r1@mail.example.test>", to=None, files=(), **headers
):
    message = EmailMessage()
    message["From"] = f"Quelqu'un <{sender}>"
    message["To"] = to or reply_address(thread)
    message["Subject"] = "Re: Votre demande"
    if message_id:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    for name, data, maintype, subtype in files:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


GMAIL_QUOTE = (
    "Merci, je prends la taille L.\n\n"
    "Le jeu. 3 déc. 2026 à 10:00, Les Alliés <reponse+abc@allies.test> a écrit :\n"
    "> ##- Pour répondre, écrivez au-dessus de cette ligne.\n"
    "> Oui, en stock.\n"
)


def test_the_customers_reply_lands_in_the_thread_without_the_quoted_text(shop):
    # covers: ORD-7, VEN-2 ("the reply lands in the thread")
    thread = question(shop)
    vendor_answer(shop, thread)
    mail.outbox.clear()
    result = inbound_email_receive(
        raw=raw_reply(thread, sender="LUC@example.test", body=GMAIL_QUOTE)
    )
    assert not result.duplicate
    message = result.message
    assert message.body == "Merci, je prends la taille L."
    assert (message.author_kind, message.author_id, message.channel) == (
        "customer", shop["luc"].pk, "email",
    )  # fmt: skip
    assert message.email_message_id == "<r1@mail.example.test>"
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.WAITING_VENDOR and thread.vendor_due_at is not None
    assert sent_to("contact@verlaine.test")  # the vendor gets the reply, relayed


def test_a_vendor_members_reply_answers_the_customer(shop):
    thread = question(shop)
    mail.outbox.clear()
    result = inbound_email_receive(
        raw=raw_reply(thread, sender="paul@verlaine.test", body="Oui, en stock.\n\n-- \nPaul")
    )
    assert result.message.author_kind == "vendor_user"
    assert result.message.author_id == shop["verlaine_user"].pk
    assert result.message.body == "Oui, en stock."
    thread.refresh_from_db()
    assert thread.stage == ThreadStage.ANSWERED
    (email,) = sent_to("luc@example.test")
    assert "paul@verlaine.test" not in email.body


def test_a_stranger_or_the_other_vendor_is_refused(shop):
    # covers: VEN-2 (access)
    thread = question(shop)
    for sender in ("anne@example.test", "marc@brun.test", "contact@brun.test"):
        with pytest.raises(InboundRefused) as refused:
            inbound_email_receive(raw=raw_reply(thread, sender=sender, body="Coucou"))
        assert refused.value.code == "unknown_sender"
    assert thread.messages.count() == 1


def test_a_duplicate_message_id_is_ignored(shop):
    thread = question(shop)
    raw = raw_reply(thread, sender="luc@example.test", body="Une précision.")
    first = inbound_email_receive(raw=raw)
    again = inbound_email_receive(raw=raw)
    assert again.duplicate and again.message.pk == first.message.pk
    assert thread.messages.count() == 2
    # Without a Message-ID, the email's own digest identifies it.
    bare = raw_reply(thread, sender="luc@example.test", body="Sans identifiant.", message_id="")
    inbound_email_receive(raw=bare)
    assert inbound_email_receive(raw=bare).duplicate
    assert thread.messages.count() == 3


def test_the_thread_is_found_by_its_token_only(shop):
    thread = question(shop)
    wrong = f"reponse+{'0' * 32}@allies.test"
    with pytest.raises(InboundRefused) as refused:
        inbound_email_receive(raw=raw_reply(thread, sender="luc@example.test", body="x", to=wrong))
    assert refused.value.code == "no_thread"
    # The envelope's recipient counts when the headers do not name the address.
    raw = raw_reply(thread, sender="luc@example.test", body="Par l'enveloppe.", to="luc@x.test")
    result = inbound_email_receive(raw=raw, recipients=[reply_address(thread).upper()])
    assert result.message.thread_id == thread.pk


def test_a_visitors_reply_lands_in_the_contact_request(shop):
    # covers: CS-4
    thread = contact(email="jeanne@example.test")
    result = inbound_email_receive(
        raw=raw_reply(thread, sender="jeanne@example.test", body="Voici mon numéro de commande.")
    )
    assert result.message.author_kind == "customer" and result.message.author_id is None
    assert result.message.author_email == "jeanne@example.test"


def test_attachments_pass_the_checks_and_bad_ones_are_left_out(shop):
    thread = question(shop)
    raw = raw_reply(
        thread, sender="luc@example.test", body="Photos jointes.",
        files=[
            ("photo.jpg", jpeg_bytes(), "image", "jpeg"),
            ("virus.jpg", b"MZ" + b"\x00" * 50, "image", "jpeg"),
        ],
    )  # fmt: skip
    result = inbound_email_receive(raw=raw)
    assert [a.original_name for a in result.message.attachments.all()] == ["photo.jpg"]
    assert [name for name, _reason in result.skipped] == ["virus.jpg"]


def test_automatic_replies_empty_or_oversized_emails_are_refused(shop, settings):
    thread = question(shop)
    auto = raw_reply(
        thread, sender="luc@example.test", body="Je suis absent.", Auto_Submitted="auto-replied"
    )
    with pytest.raises(InboundRefused) as refused:
        inbound_email_receive(raw=auto)
    assert refused.value.code == "auto_reply"
    empty = raw_reply(thread, sender="luc@example.test", body="> tout est cité\n")
    with pytest.raises(InboundRefused) as refused:
        inbound_email_receive(raw=empty)
    assert refused.value.code == "empty"
    settings.SUPPORT_INBOUND_MAX_BYTES = 1000
    with pytest.raises(InboundRefused) as refused:
        inbound_email_receive(raw=raw_reply(thread, sender="luc@example.test", body="x" * 2000))
    assert refused.value.code == "too_large"
    assert thread.messages.count() == 1


def test_a_reply_to_a_closed_thread_is_refused(shop):
    from allies.support.services import thread_close

    thread = question(shop)
    thread_close(thread=thread, actor=Actor.customer(shop["luc"]))
    with pytest.raises(InboundRefused) as refused:
        inbound_email_receive(raw=raw_reply(thread, sender="luc@example.test", body="Encore"))
    assert refused.value.code == "closed"


def test_html_only_replies_are_read_without_their_quote(shop):
    thread = question(shop)
    message = EmailMessage()
    message["From"] = "luc@example.test"
    message["To"] = reply_address(thread)
    message["Message-ID"] = "<html@mail.test>"
    message.set_content(
        "<div>Parfait, <b>merci</b> !<br>Luc</div>"
        '<div class="gmail_quote"><blockquote>Oui, en stock.</blockquote></div>',
        subtype="html",
    )
    result = inbound_email_receive(raw=message.as_bytes())
    assert result.message.body == "Parfait, merci !\nLuc"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Oui.\n\nOn Thu, Dec 3, 2026 at 10:00 AM Les Alliés <r@a.test> wrote:\n> x", "Oui."),
        ("Oui.\n\nLe jeu. 3 déc. 2026 à 10:00, Les Alliés <\nr@a.test> a écrit :\n> x", "Oui."),
        ("Oui.\n\n-----Original Message-----\nFrom: x", "Oui."),
        ("Oui.\n\nDe : Les Alliés\nEnvoyé : jeudi\nÀ : moi\nObjet : Re", "Oui."),
        ("Oui.\n\nEnvoyé de mon iPhone", "Oui."),
        ("Le vendeur m'a écrit :\nrien", "Le vendeur m'a écrit :\nrien"),
        ("Avant\n> cité\nAprès", "Avant\nAprès"),
    ],
)
def test_reply_text_cuts_the_quoted_part(text, kept):
    assert reply_text(text) == kept


def test_the_reply_is_idempotent_even_through_the_service(shop):
    thread = question(shop)
    first = message_post(
        thread=thread, actor=Actor.customer(shop["luc"]), body="a", email_message_id="<x@y>"
    )
    second = message_post(
        thread=thread, actor=Actor.customer(shop["luc"]), body="b", email_message_id="<x@y>"
    )
    assert first.pk == second.pk and Message.objects.filter(thread=thread).count() == 2
