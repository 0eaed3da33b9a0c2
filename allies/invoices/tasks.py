"""Background work of the invoices app for a task backend's scheduler (e.g. RQ's): the same
sweep as `manage.py commission_invoices_issue`, which `make run`'s supervisor runs every
minute. Idempotent: safe to run at any time and twice at once."""

from django_tasks import task


@task()
def commission_invoices_issue_task() -> int:
    """Issue last month's commission invoices if not done, retry unsent emails; returns how
    many invoices were issued."""
    from allies.invoices.commissions import commission_invoices_sweep

    return commission_invoices_sweep().issued
