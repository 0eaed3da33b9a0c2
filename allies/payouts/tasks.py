"""The worker's payout job (PAY-1): the day's scheduled payout run.

`payouts_run_due` is idempotent and runs at most one scheduled run per (local) day: the
management command `payouts_run` calls it, so the supervisor's sweeps may call it every
minute, and the task is the same for a worker's periodic schedule.
"""

from django_tasks import task

from allies.payouts.services import payout_run_scheduled


@task()
def payouts_run_due() -> int:
    """Run today's scheduled payouts unless they already ran; returns the payouts made."""
    run = payout_run_scheduled()
    return run.payouts_made if run is not None else 0
