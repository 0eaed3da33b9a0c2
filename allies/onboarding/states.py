"""The vendor application's stages: the table and the one function that moves an application.

submitted → changes requested (staff, with a note the applicant reads)
changes requested → resubmitted (the applicant, through the emailed link)
submitted | resubmitted → approved (staff: the vendor is created)
submitted | changes requested | resubmitted → rejected (staff, with a note)

Approved and rejected are final: a company turned down applies again with a new application.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.core.errors import AlliesError
from allies.onboarding.models import ApplicationEvent, ApplicationStage, VendorApplication

S = ApplicationStage
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.CHANGES_REQUESTED, S.APPROVED, S.REJECTED}),
    S.CHANGES_REQUESTED: frozenset({S.RESUBMITTED, S.REJECTED}),
    S.RESUBMITTED: frozenset({S.CHANGES_REQUESTED, S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset(),
    S.REJECTED: frozenset(),
}
FINAL = frozenset({S.APPROVED, S.REJECTED})
NOTE_MAX = 2000


class ApplicationTransitionNotAllowed(AlliesError):
    """A move the table does not allow (approving a rejected application…)."""

    code = "transition_not_allowed"


def application_transition(
    *, application: VendorApplication, to: str, actor: Any = None, note: str = "", **fields: Any
) -> VendorApplication:
    """Move `application` to `to` under a row lock, with `fields` changed in the same write,
    and write its event. Must run inside the caller's transaction (the lock lasts until its
    end); `application` is refreshed from the locked row."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("application_transition needs a transaction")
    current = VendorApplication.objects.select_for_update().get(pk=application.pk)
    if to not in TRANSITIONS[current.stage]:
        raise ApplicationTransitionNotAllowed(
            _("Cette candidature est « %(stage)s » : cette action n'est plus possible.")
            % {"stage": current.get_stage_display()}
        )
    before = current.stage
    current.stage = to
    for name, value in fields.items():
        setattr(current, name, value)
    changed = ["stage", "updated_at", *fields]
    if to in FINAL:
        current.decided_at = timezone.now()
        changed.append("decided_at")
    current.save(update_fields=changed)
    ApplicationEvent.objects.create(
        application=current, from_stage=before, to_stage=to, actor=actor, note=note[:NOTE_MAX]
    )
    return current
