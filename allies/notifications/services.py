"""Every email Alliés sends goes through `notification_send`.

It renders the message (subject, text and HTML) in the recipient's language from
`templates/notifications/<name>/{subject.txt,body.txt,body.html}` and enqueues its delivery
as a background task. This is also the one place that enforces who may receive email: a
deactivated account receives nothing, checked when the message is queued and again when it is
delivered (ACC-7).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.utils import translation

from allies.accounts.models import normalize_email
from allies.notifications.tasks import email_deliver


def recipient_may_receive(address: str) -> bool:
    """False when the address belongs to a deactivated account."""
    User = get_user_model()
    return not User.objects.filter(email=normalize_email(address), is_active=False).exists()


def notification_send(
    *,
    template: str,
    user=None,
    to_email: str | None = None,
    context: dict | None = None,
    headers: dict | None = None,
    language: str | None = None,
) -> bool:
    """Render `template` for `user` (or a bare address) and queue it. Returns False if blocked.

    `to_email` overrides the user's address (e.g. telling the old address of an email change).
    """
    address = to_email or (user.email if user is not None else None)
    if not address:
        raise ValueError("notification_send needs a user or an address")
    if user is not None and not user.is_active:
        return False
    if not recipient_may_receive(address):
        return False
    language = language or getattr(user, "language", None) or settings.LANGUAGE_CODE
    ctx = {
        "user": user,
        "site_url": settings.SITE_URL,
        "customer_service_email": settings.CUSTOMER_SERVICE_EMAIL,
        **(context or {}),
    }
    with translation.override(language):
        ctx["language"] = language
        subject = render_to_string(f"notifications/{template}/subject.txt", ctx)
        text = render_to_string(f"notifications/{template}/body.txt", ctx)
        html = render_to_string(f"notifications/{template}/body.html", ctx)
    message = {
        "to": address,
        "subject": " ".join(subject.split()),
        "text": text.strip() + "\n",
        "html": html,
        "headers": headers or {},
    }
    email_deliver.enqueue(message=message)
    return True
