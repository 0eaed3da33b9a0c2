"""The vendor payment account's status machine: the table and the one function that moves it.

created            the row exists; the wallet is not confirmed by the provider yet
documents_pending  the wallet exists; KYC documents are missing or being checked
validated          every required document (Kbis, ID, RIB) is validated by the provider
refused            the provider refused a document: the vendor must send it again
blocked            the provider blocked, froze or closed the wallet: nothing is paid out

created → documents_pending (the provider opened the wallet)
documents_pending → validated | refused (the provider's verdicts on the documents or on the
    wallet) | blocked
refused → documents_pending (a new document was sent) | validated | blocked
validated → documents_pending (a document was replaced, or the provider no longer counts the
    wallet verified) | refused (the provider withdrew a document) | blocked
blocked → documents_pending | validated | refused (the provider lifted the block: the
    wallet's status as it then reads it)

Only the provider's wallet status (LemonWay notification category 8, re-read from its API)
blocks or unblocks; documents never move a blocked account.

Each move is written with who or what caused it (`VendorAccountEvent`), the account's
timeline. The vendor-facing labels are the model's `Status` choices.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.core.errors import AlliesError
from allies.payments.models import VendorAccount, VendorAccountEvent

S = VendorAccount.Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.CREATED: frozenset({S.DOCUMENTS_PENDING}),
    S.DOCUMENTS_PENDING: frozenset({S.VALIDATED, S.REFUSED, S.BLOCKED}),
    S.REFUSED: frozenset({S.DOCUMENTS_PENDING, S.VALIDATED, S.BLOCKED}),
    S.VALIDATED: frozenset({S.DOCUMENTS_PENDING, S.REFUSED, S.BLOCKED}),
    S.BLOCKED: frozenset({S.DOCUMENTS_PENDING, S.VALIDATED, S.REFUSED}),
}


class VendorAccountTransitionNotAllowed(AlliesError):
    """A move the table does not allow (e.g. validating a wallet the provider never opened)."""

    code = "vendor_account_transition"


def vendor_account_transition(
    *,
    account: VendorAccount,
    to: str,
    actor: Any = None,
    source: str = "",
    note: str = "",
) -> VendorAccount:
    """Move `account` to `to` under a row lock and write the event. Moving to the status it
    already has changes nothing and writes nothing (notifications arrive twice)."""
    with transaction.atomic():
        locked = VendorAccount.objects.select_for_update().get(pk=account.pk)
        if locked.status == to:
            return locked
        if to not in TRANSITIONS[locked.status]:
            raise VendorAccountTransitionNotAllowed(
                _("Le compte de paiement ne peut pas passer de « %(from)s » à « %(to)s ».")
                % {"from": locked.get_status_display(), "to": S(to).label}
            )
        before = locked.status
        locked.status = to
        fields = ["status", "updated_at"]
        if to == S.VALIDATED:
            locked.validated_at = timezone.now()
            fields.append("validated_at")
        locked.save(update_fields=fields)
        VendorAccountEvent.objects.create(
            account=locked,
            from_status=before,
            to_status=to,
            actor=actor if getattr(actor, "pk", None) else None,
            source=source[:20],
            note=note[:300],
        )
    return locked
