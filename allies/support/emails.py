"""The emails of "Assistance en ligne": who is told what, in their language, with a relayed
reply address.

Every email goes through the outbox (`notifications.services.notification_send`), written in
the service's transaction: it leaves only if the change commits. The customer's emails are
in the customer's language (their account's, or the one a visitor wrote in); the vendor's go
to the addresses and in the language it chose for order emails (`Vendor.order_email_
addresses`, `Vendor.email_language`: `vendors.emails.vendor_email_send`).

Addresses are relayed (VEN-2, the help page's "Vous recevrez une réponse par e-mail"): every
email's Reply-To is the thread's own address, SUPPORT_REPLY_ADDRESS_FORMAT with the thread's
secret token, and `allies.support.inbound` turns a reply into a message of the thread. The
vendor reads the customer's first name and initial, never their address; the customer reads
the shop's name, never its address. The text bodies start with `REPLY_MARKER`: what a reply
quotes below it is cut off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from allies.notifications.services import notification_send
from allies.vendors import emails as vendors_emails

if TYPE_CHECKING:
    from allies.support.models import Message, Thread

# A line no one writes by hand, the same in every language: inbound replies are cut there.
REPLY_MARKER = "##- "

# The pages of a thread (named by the pages step); until they exist, emails link to the
# customer's account and to the vendor portal.
CUSTOMER_THREAD_URL = "support:thread"
VENDOR_THREAD_URL = "vendor_portal:support_thread"


def reply_address(thread: Thread) -> str:
    """The thread's relayed address, e.g. reponse+<token>@allies.test."""
    return settings.SUPPORT_REPLY_ADDRESS_FORMAT.format(
        token=thread.reply_token, domain=settings.SUPPORT_REPLY_DOMAIN
    )


def _path(name: str, fallback: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return reverse(fallback)


def customer_thread_url(thread: Thread) -> str:
    return settings.SITE_URL + _path(CUSTOMER_THREAD_URL, "accounts:home", thread.pk)


def vendor_thread_url(thread: Thread) -> str:
    return settings.SITE_URL + _path(VENDOR_THREAD_URL, "vendor_portal:dashboard", thread.pk)


def customer_display_name(thread: Thread) -> str:
    """How the vendor reads the customer: first name and initial ("Luc M."), no address."""
    if thread.customer_id and thread.customer is not None:
        first = thread.customer.first_name.strip()
        initial = thread.customer.last_name.strip()[:1]
        name = f"{first} {initial}." if first and initial else first
    else:
        parts = thread.contact_name.split()
        name = f"{parts[0]} {parts[-1][:1]}." if len(parts) > 1 else " ".join(parts)
    return name


def _context(thread: Thread, message: Message | None, **extra: Any) -> dict[str, Any]:
    return {
        "thread": thread,
        "message": message,
        "attachment_count": len(message.attachments.all()) if message is not None else 0,
        "reply_marker": REPLY_MARKER,
        "customer_name": customer_display_name(thread),
        **extra,
    }


def customer_email_send(
    *, thread: Thread, template: str, message: Message | None = None, **extra: Any
) -> bool:
    """Queue `template` to the thread's customer (account or visitor)."""
    context = _context(thread, message, thread_url=customer_thread_url(thread), **extra)
    headers = {"Reply-To": reply_address(thread)}
    if thread.customer_id and thread.customer is not None:
        return notification_send(
            template=template,
            user=thread.customer,
            language=thread.customer.language,
            context=context,
            headers=headers,
        )
    return notification_send(
        template=template,
        to_email=thread.contact_email,
        language=thread.language,
        context=context,
        headers=headers,
    )


def vendor_email_send(
    *, thread: Thread, template: str, message: Message | None = None, **extra: Any
) -> int:
    """Queue `template` to each of the vendor's order-email addresses; returns how many."""
    vendor = thread.vendor
    if vendor is None:
        return 0
    context = _context(
        thread, message, vendor=vendor, thread_url=vendor_thread_url(thread), **extra
    )
    return vendors_emails.vendor_email_send(
        vendor=vendor,
        template=template,
        context=context,
        headers={"Reply-To": reply_address(thread)},
    )
