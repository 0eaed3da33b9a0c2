"""Background delivery of rendered emails (run by the task worker)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django_tasks import task


@task()
def email_deliver(*, message: dict) -> bool:
    """Send one rendered message, unless its recipient was deactivated since it was queued."""
    from allies.notifications.services import recipient_may_receive

    if not recipient_may_receive(message["to"]):
        return False
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["text"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message["to"]],
        headers=message.get("headers") or {},
    )
    email.attach_alternative(message["html"], "text/html")
    email.send()
    return True
