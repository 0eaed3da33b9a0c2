"""Background jobs of "Assistance en ligne": remind vendors before their 48 h run out.

Idempotent and safe to run at any time: it looks at the database and reminds those due
(`services.support_reminders_send`). The supervisor of `make run` or cron runs it every few
minutes (scheduling it is the pages step's business, with its management command)."""

from django_tasks import task


@task()
def support_reminders() -> int:
    """Send the vendors' reminders that are due; returns how many."""
    from allies.support.services import support_reminders_send

    return support_reminders_send()
