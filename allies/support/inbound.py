"""Replies by email: a raw RFC 822 email becomes a message of its thread.

Every support email's Reply-To is the thread's relayed address (`emails.reply_address`,
"reponse+<token>@<domain>"). `inbound_email_receive` takes what the mail server received:

1. refuses more than SUPPORT_INBOUND_MAX_BYTES before parsing, and automatic replies
   (out-of-office, mailing lists: `Auto-Submitted`, `Precedence`), which would otherwise
   answer our emails back and forth;
2. finds the thread by the token of the address it was sent to (the SMTP envelope's
   recipients when the listener passes them, else Delivered-To, X-Original-To, To, Cc);
3. identifies the sender by the From address: the thread's customer (their account's
   address, or the visitor's), a member of the thread's vendor, or one of the vendor's
   order-email addresses; anyone else is refused (`InboundRefused`, code "unknown_sender");
4. keeps the text of the reply: the plain part (else the HTML part's text), cut at our
   `REPLY_MARKER`, at the "Le … a écrit :" / "On … wrote:" line, an "-----Original
   Message-----" block or an Outlook header block, without ">"-quoted lines, the
   signature after "-- " and "Envoyé de mon iPhone";
5. passes each attachment through the attachment checks: a refused file is left out (and
   listed in the result) rather than losing the reply's text;
6. posts it with `services.message_post` (channel "email"), idempotent on the Message-ID
   (or, without one, the email's SHA-256): a re-delivered email posts nothing.

The From header can be forged: the listener that calls this must accept mail only from the
mail server that checked SPF/DKIM/DMARC (and the token, 128 random bits, is known only to
the thread's parties). The SMTP listener and its production route are another module's job.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from django.conf import settings
from django.db import IntegrityError
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from allies.core.text import normalize_email
from allies.orders.events import Actor, ActorKind
from allies.support.actors import EmailIdentity, ThreadActor
from allies.support.attachments import CheckedFile, attachment_check, max_count
from allies.support.emails import REPLY_MARKER
from allies.support.errors import AttachmentRefused, InboundRefused, SupportError
from allies.support.models import Channel, Message, Thread
from allies.support.services import message_post
from allies.vendors.models import Vendor, VendorMembership

_RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")
_AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
# "Le lun. 2 déc. 2026 à 10:00, Les Alliés <…> a écrit :": a date (a digit) before the verb, so
# a customer's own "Le vendeur m'a écrit :" is kept.
_WROTE = re.compile(r"^\s*(le|on)\s.{0,400}?\d.{0,400}?(a\s+écrit|wrote)\s*:\s*$", re.IGNORECASE)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(original message|message d'origine|message original|"
    r"forwarded message|message transféré)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_QUOTE_START = re.compile(r"^\s*(le|on)\s", re.IGNORECASE)
_OUTLOOK_FROM = re.compile(r"^\s*\**(from|de)\s*:", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\**(sent|envoyé|date|to|à|subject|objet)\s*:", re.IGNORECASE)
_MOBILE_FOOTER = re.compile(
    r"^\s*(envoyé de mon|sent from my|envoyé depuis|get outlook for)\b", re.IGNORECASE
)
_BLOCKQUOTE = re.compile(r"<blockquote\b.*?</blockquote\s*>", re.IGNORECASE | re.DOTALL)
_GMAIL_QUOTE = re.compile(r"<div[^>]*class=\"?gmail_quote.*", re.IGNORECASE | re.DOTALL)
_LINE_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h\d)\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class InboundResult:
    message: Message
    duplicate: bool  # the email was received before: nothing was posted
    skipped: tuple[tuple[str, str], ...] = ()  # attachments refused: (name, reason)


def reply_address_pattern() -> re.Pattern[str]:
    """The relayed address as a pattern, from SUPPORT_REPLY_ADDRESS_FORMAT."""
    fmt = settings.SUPPORT_REPLY_ADDRESS_FORMAT
    domain = re.escape(settings.SUPPORT_REPLY_DOMAIN)
    pattern = "".join(
        {"{token}": "([0-9a-f]{32})", "{domain}": domain}.get(part, re.escape(part))
        for part in re.split(r"(\{token\}|\{domain\})", fmt)
    )
    return re.compile(pattern, re.IGNORECASE)


def _thread_for(message: EmailMessage, recipients: list[str]) -> Thread:
    pattern = reply_address_pattern()
    addresses = list(recipients)
    for header in _RECIPIENT_HEADERS:
        addresses += [address for _name, address in getaddresses(message.get_all(header, []))]
    for address in addresses:
        match = pattern.fullmatch(address.strip())
        if match:
            thread = (
                Thread.objects.select_related("customer", "vendor")
                .filter(reply_token=match.group(1).lower())
                .first()
            )
            if thread is not None:
                return thread
    raise InboundRefused(_("Cet email ne correspond à aucune demande en cours."), code="no_thread")


def _sender(message: EmailMessage, thread: Thread) -> tuple[ThreadActor, Vendor | None]:
    """Who wrote, as the thread knows them; InboundRefused for anyone else."""
    senders = [normalize_email(a) for _n, a in getaddresses(message.get_all("From", [])) if a]
    if len(senders) != 1:
        raise InboundRefused(_("Expéditeur inconnu."), code="unknown_sender")
    sender = senders[0]
    customer = thread.customer
    if customer is not None and normalize_email(customer.email) == sender:
        return Actor.customer(customer), None
    if customer is None and normalize_email(thread.contact_email) == sender:
        return EmailIdentity(kind=ActorKind.CUSTOMER, email=sender), None
    vendor = thread.vendor
    if vendor is not None and vendor.is_active:
        member = (
            VendorMembership.objects.select_related("user")
            .filter(vendor=vendor, user__email__iexact=sender, user__is_active=True)
            .first()
        )
        if member is not None:
            return Actor.vendor_user(member.user), vendor
        addresses = {normalize_email(a) for a in [vendor.email, *vendor.order_email_addresses]}
        if sender in addresses:
            return EmailIdentity(kind=ActorKind.VENDOR_USER, email=sender), vendor
    raise InboundRefused(
        _("Cet expéditeur ne participe pas à cette demande."), code="unknown_sender"
    )


def _automatic(message: EmailMessage) -> bool:
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        auto != "no"
        or precedence in _AUTOMATIC_PRECEDENCE
        or message.get("X-Autoreply") is not None
        or message.get("X-Autorespond") is not None
    )


def _part_text(part: EmailMessage) -> str:
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError, KeyError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _html_text(markup: str) -> str:
    markup = _GMAIL_QUOTE.sub("", _BLOCKQUOTE.sub("", markup))
    return html.unescape(strip_tags(_LINE_BREAKS.sub("\n", markup)))


def reply_text(text: str) -> str:
    """The new text of a reply, without what it quotes (module docstring, step 4)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    marker = REPLY_MARKER.strip()
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        following = lines[index + 1 : index + 4]
        if stripped.lstrip("> ").startswith(marker) or _ORIGINAL.match(line):
            break
        if len(stripped) >= 10 and set(stripped) == {"_"}:  # Outlook's separator
            break
        if _WROTE.match(line) or (
            _QUOTE_START.match(line) and following and _WROTE.match(f"{line} {following[0]}")
        ):
            break  # "Le … a écrit :", sometimes wrapped over two lines
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_NEXT.match(n) for n in following):
            break
        if line.rstrip() == "--":  # the signature separator "-- "
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    while kept and (not kept[-1].strip() or _MOBILE_FOOTER.match(kept[-1])):
        kept.pop()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _part_text(part)  # type: ignore[arg-type]
    if part.get_content_type() == "text/html":
        text = _html_text(text)
    text = reply_text(text)
    limit = int(settings.SUPPORT_MESSAGE_MAX_CHARS)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _attachments(message: EmailMessage) -> tuple[list[CheckedFile], list[tuple[str, str]]]:
    kept: list[CheckedFile] = []
    skipped: list[tuple[str, str]] = []
    for part in message.iter_attachments():
        name = part.get_filename() or ""
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            continue
        if len(kept) >= max_count():
            skipped.append((name, _("Trop de pièces jointes.")))
            continue
        try:
            kept.append(attachment_check(payload, name=name))
        except AttachmentRefused as refused:
            skipped.append((name, refused.message))
    return kept, skipped


def _message_id(message: EmailMessage, raw: bytes) -> str:
    value = " ".join(str(message.get("Message-ID", "")).split())
    return value[:255] if value else "sha256:" + hashlib.sha256(raw).hexdigest()


def inbound_email_receive(*, raw: bytes, recipients: list[str] | None = None) -> InboundResult:
    """Post the reply `raw` (an RFC 822 email) in its thread; InboundRefused (or the
    services' SupportError) when it cannot be, with nothing written. `recipients`: the SMTP
    envelope's RCPT TO addresses, when known."""
    if len(raw) > int(settings.SUPPORT_INBOUND_MAX_BYTES):
        raise InboundRefused(_("Cet email est trop volumineux."), code="too_large")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except (ValueError, TypeError, IndexError, LookupError):
        raise InboundRefused(_("Cet email est illisible."), code="unreadable") from None
    if not isinstance(message, EmailMessage):
        raise InboundRefused(_("Cet email est illisible."), code="unreadable")
    if _automatic(message):
        raise InboundRefused(_("Réponse automatique ignorée."), code="auto_reply")
    thread = _thread_for(message, recipients or [])
    actor, vendor = _sender(message, thread)
    message_id = _message_id(message, raw)
    existing = Message.objects.filter(thread=thread, email_message_id=message_id).first()
    if existing is not None:
        return InboundResult(message=existing, duplicate=True)
    body = _body(message)
    files, skipped = _attachments(message)
    if not body and not files:
        raise InboundRefused(_("Cette réponse est vide."), code="empty")
    try:
        posted = message_post(
            thread=thread,
            actor=actor,
            vendor=vendor,
            body=body,
            attachments=files,
            channel=Channel.EMAIL,
            email_message_id=message_id,
        )
    except IntegrityError:
        # The same email delivered twice at once: the other delivery posted it.
        posted = Message.objects.get(thread=thread, email_message_id=message_id)
        return InboundResult(message=posted, duplicate=True)
    except InboundRefused:
        raise
    except SupportError as refused:
        raise InboundRefused(refused.message, code=refused.code) from refused
    return InboundResult(message=posted, duplicate=False, skipped=tuple(skipped))
