"""Background delivery of the outbox (run by the task worker); see `notifications.services`."""

from django_tasks import task


@task()
def email_deliver(*, email_id: int) -> str:
    """Send one outbox email if it is due (safe to run twice); returns its status."""
    from allies.notifications.services import outgoing_email_deliver

    return outgoing_email_deliver(email_id=email_id)
