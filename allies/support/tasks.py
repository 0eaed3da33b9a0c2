"""Background jobs of "Assistance en ligne": remind vendors before their 48 h run out.

Idempotent and safe to run at any time: it looks at the database and reminds those due
(`services.support_reminders_send`). It is scheduled like the other periodic sweeps: `make
run`'s supervisor runs `manage.py support_reminders` every minute (`serve.SWEEPS`), and
production runs that command from cron (README). This task is the same work for a task
backend's scheduler (e.g. RQ's). Nothing else about the clocks needs a periodic run: a late
thread is found by query (`states.vendor_late_q`, `operator_late_q`) and a breach is counted
when its clock stops."""

from django_tasks import task


@task()
def support_reminders() -> int:
    """Send the vendors' reminders that are due; returns how many."""
    from allies.support.services import support_reminders_send

    return support_reminders_send()
