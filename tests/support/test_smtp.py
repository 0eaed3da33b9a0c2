"""The inbound mail endpoint: a real SMTP client talks to the listener on a free port."""

import asyncio
import io
import smtplib
import socket
import sys
import threading
from contextlib import contextmanager
from email.message import EmailMessage

import pytest
from django.core.management import call_command
from django.db import OperationalError

from allies.support import smtp as smtp_module
from allies.support.emails import reply_address
from allies.support.models import Message
from allies.support.smtp import ACCEPTED, SmtpServer, message_deliver
from tests.support.conftest import question, vendor_answer

GOOD_RCPT = "reponse+" + "0" * 32 + "@allies.test"  # shaped like a reply address


@contextmanager
def listening(**kwargs):
    """An SmtpServer on a free port, served by an event loop in a thread of its own."""
    ready = threading.Event()
    box: dict = {}

    async def main():
        server = SmtpServer(host="127.0.0.1", port=0, **kwargs)
        await server.start()
        box["server"], box["loop"] = server, asyncio.get_running_loop()
        ready.set()
        await server.serve_forever()

    runner = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    runner.start()
    assert ready.wait(10)
    try:
        yield box["server"]
    finally:
        box["loop"].call_soon_threadsafe(box["server"].close)
        runner.join(10)
        assert not runner.is_alive()


class Recorder:
    """A stand-in for the delivery: keeps what it is given."""

    def __init__(self):
        self.calls: list[tuple[bytes, list[str]]] = []

    def __call__(self, *, raw, recipients):
        self.calls.append((raw, recipients))
        return ACCEPTED


def client(server) -> smtplib.SMTP:
    return smtplib.SMTP("127.0.0.1", server.port, timeout=10)


def reply(thread, *, sender="luc@example.test", body="Merci !", message_id="<r1@ex.test>"):
    message = EmailMessage()
    message["From"] = f"Luc <{sender}>"
    message["To"] = reply_address(thread)
    message["Subject"] = "Re: Votre demande"
    message["Message-ID"] = message_id
    message.set_content(body)
    return message


@pytest.fixture
def email_shop(transactional_db, shop):
    """The listener delivers in its own threads: they see only committed rows."""
    return shop


def test_a_reply_sent_over_smtp_lands_in_its_thread_once(email_shop):
    # covers: ORD-7, VEN-2 — the reply by email reaches the thread through the endpoint
    shop = email_shop
    thread = question(shop)
    vendor_answer(shop, thread)
    # A line starting with "." is dot-stuffed by the client and unstuffed by the listener.
    email = reply(thread, body="Merci, je prends la taille L.\n.M aussi ?\n")
    with listening() as server, client(server) as smtp:
        code, features = smtp.ehlo("mx.example.test")
        assert code == 250 and b"SIZE" in features and b"8BITMIME" in features
        assert smtp.send_message(email) == {}
        posted = Message.objects.get(thread=thread, channel="email")
        assert posted.body == "Merci, je prends la taille L.\n.M aussi ?"
        assert posted.author_kind == "customer" and posted.author_id == shop["luc"].pk
        # The same email delivered again (an MTA retry): answered 250, nothing posted.
        smtp.mail("luc@example.test")
        smtp.rcpt(reply_address(thread))
        code, text = smtp.data(email.as_bytes())
        assert (code, text) == (250, b"2.0.0 Message already received")
    assert Message.objects.filter(thread=thread, channel="email").count() == 1


def test_a_stranger_replying_is_refused_for_good(email_shop):
    thread = question(email_shop)
    with listening() as server, client(server) as smtp:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.send_message(reply(thread, sender="intrus@example.test"))
        assert refused.value.smtp_code == 550
    assert not Message.objects.filter(thread=thread, channel="email").exists()


def test_an_unknown_recipient_is_refused_with_550():
    recorder = Recorder()
    with listening(deliver=recorder) as server, client(server) as smtp:
        smtp.ehlo("mx.example.test")
        smtp.mail("a@example.test")
        assert smtp.rcpt("contact@allies.test")[0] == 550
        assert smtp.rcpt("reponse+xyz@allies.test")[0] == 550  # not a token
        assert smtp.rcpt("reponse+" + "0" * 32 + "@other.test")[0] == 550  # not our domain
        assert smtp.rcpt(GOOD_RCPT)[0] == 250
        smtp.rset()
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail("a@example.test", ["postmaster@allies.test"], b"Subject: x\r\n\r\nx")
    assert recorder.calls == []


def test_an_oversize_message_is_refused_with_552_and_never_delivered():
    recorder = Recorder()
    big = b"Subject: big\r\n\r\n" + (b"x" * 70 + b"\r\n") * 40
    with listening(deliver=recorder, max_bytes=1000) as server, client(server) as smtp:
        code, features = smtp.ehlo("mx.example.test")
        assert b"SIZE 1000" in features
        # A client that declares the size is refused at MAIL FROM…
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail("a@example.test", [GOOD_RCPT], big)
        assert refused.value.smtp_code == 552
        # …one that does not, at the end of DATA; the session goes on.
        smtp.rset()
        assert smtp.mail("a@example.test")[0] == 250
        assert smtp.rcpt(GOOD_RCPT)[0] == 250
        assert smtp.data(big)[0] == 552
        assert smtp.sendmail("a@example.test", [GOOD_RCPT], b"Subject: ok\r\n\r\nok\r\n") == {}
    assert len(recorder.calls) == 1
    raw, recipients = recorder.calls[0]
    assert raw == b"Subject: ok\r\n\r\nok\r\n" and recipients == [GOOD_RCPT]


def test_malformed_commands_get_500_or_501_and_the_listener_goes_on():
    recorder = Recorder()
    with listening(deliver=recorder) as server:
        with client(server) as smtp:
            assert smtp.docmd("MAIL", "FROM:<a@example.test>")[0] == 503  # no EHLO yet
            assert smtp.docmd("EHLO")[0] == 501
            assert smtp.docmd("BONJOUR")[0] == 500
            smtp.send("été\r\n".encode())
            assert smtp.getreply()[0] == 500
            assert smtp.docmd("NOOP " + "x" * 20_000)[0] == 500  # line too long
            assert smtp.docmd("HELO", "mx.example.test")[0] == 250
            assert smtp.docmd("RCPT", f"TO:<{GOOD_RCPT}>")[0] == 503  # no MAIL yet
            assert smtp.docmd("DATA")[0] == 503
            assert smtp.docmd("MAIL", "TO:<a@example.test>")[0] == 501
            assert smtp.docmd("MAIL", "FROM:<a@example.test> SIZE=abc")[0] == 501
            assert smtp.docmd("MAIL", "FROM:<a@example.test> SMUGGLE=1")[0] == 555
            assert smtp.docmd("MAIL", "FROM:<>")[0] == 250  # a bounce's null sender
            assert smtp.docmd("MAIL", "FROM:<a@example.test>")[0] == 503  # twice
            assert smtp.docmd("RCPT", "TO:")[0] == 501
            assert smtp.docmd("DATA")[0] == 554  # no valid recipient
            assert smtp.docmd("NOOP")[0] == 250
        # A client sending garbage is cut off after a few errors; others are still served.
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            raw.sendall(b"\xff\xfe\x00\r\n" * 25)
            received = b""
            while chunk := raw.recv(4096):
                received += chunk
            assert received.startswith(b"220 ") and b"\r\n421 " in received
        with client(server) as smtp:
            assert smtp.noop()[0] == 250
    assert recorder.calls == []


def test_too_many_recipients_and_a_silent_client_are_bounded():
    with listening(deliver=Recorder(), max_recipients=2, command_timeout=0.3) as server:
        with client(server) as smtp:
            smtp.ehlo("mx.example.test")
            smtp.mail("a@example.test")
            assert smtp.rcpt(GOOD_RCPT)[0] == 250
            assert smtp.rcpt(GOOD_RCPT.replace("0", "1"))[0] == 250
            assert smtp.rcpt(GOOD_RCPT.replace("0", "2"))[0] == 452
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            received = b""
            while chunk := raw.recv(4096):  # says nothing: the listener hangs up
                received += chunk
            assert b"421 4.4.2" in received


# --- the delivery's answers, and the pipe for an MTA ----------------------------------------


@pytest.mark.django_db
def test_each_refusal_gets_its_smtp_answer(shop, monkeypatch):
    thread = question(shop)
    good = reply(thread).as_bytes()
    stranger = reply(thread, sender="intrus@example.test").as_bytes()
    assert message_deliver(raw=stranger, recipients=[]).reply.startswith("550 5.7.1")
    lost = reply(thread).as_bytes().replace(thread.reply_token.encode(), b"f" * 32)
    assert message_deliver(raw=lost, recipients=[]).reply.startswith("550 5.1.1")
    auto = reply(thread)
    auto["Auto-Submitted"] = "auto-replied"
    assert message_deliver(raw=auto.as_bytes(), recipients=[]).code == 250  # dropped quietly

    def busy(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("allies.support.smtp.inbound_email_receive", busy)
    assert message_deliver(raw=good, recipients=[]).code == 451  # the MTA tries again
    assert not Message.objects.filter(thread=thread, channel="email").exists()


@pytest.mark.django_db
def test_the_pipe_command_delivers_one_message_from_stdin(shop, monkeypatch, capsys):
    thread = question(shop)
    stdin = type("Stdin", (), {"buffer": io.BytesIO(reply(thread).as_bytes())})()
    monkeypatch.setattr(sys, "stdin", stdin)
    call_command("support_inbound", reply_address(thread))
    assert Message.objects.filter(thread=thread, channel="email").count() == 1

    stdin.buffer = io.BytesIO(reply(thread, sender="x@example.test", message_id="<2@x>").as_bytes())
    with pytest.raises(SystemExit) as exit_:
        call_command("support_inbound")
    assert exit_.value.code == smtp_module.EX_NOPERM  # the MTA bounces it
