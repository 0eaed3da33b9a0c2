"""Acceptance of a paid vendor order (ORD-8, Mirakl OR21): the vendor accepts or refuses each
line before its deadline; past it the vendor order is flagged, and past the operator's longer
limit it is cancelled and refunded. The operator may cancel a vendor order not yet shipped.

    waiting_acceptance --every line decided, one accepted--> to_ship
        |  every line refused → refused
        |  past ORDER_AUTO_CANCEL_WORKING_DAYS, or by the operator → cancelled (to_ship too)

Decisions may come in several calls: each call decides any lines still pending (a retried
call repeating a decision already made changes nothing). The vendor order can ship once no
line is pending. The shared rules (locks, vendor check, events, errors) are in
`allies.orders.vendor_side`.

Money goes back through `allies.orders.refunds` (the one refund service): the refused or
cancelled lines get their refund parts and the `Refund` row in the decision's own
transaction, with one idempotency key per refused line ("order-line-refused-<line id>") and
one per cancelled vendor order ("vendor-order-cancelled-<id>"); the provider is asked after
the commit, outside the lock. `vendor_orders_acceptance_check` sends any refund that was
written but never sent.

Delays (settings.py): ORDER_ACCEPTANCE_WORKING_DAYS, ORDER_AUTO_CANCEL_WORKING_DAYS, counted
in working days like every business delay (French holidays excluded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.core.deadlines import add_business_hours
from allies.orders.events import Actor, EventKind
from allies.orders.models import Order, OrderLine, VendorOrder
from allies.orders.refunds import (
    LinesRefund,
    refunds_reconcile,
    refunds_send,
    vendor_order_lines_refund_record,
)
from allies.orders.states import (
    VendorOrderAction,
    vendor_order_statuses_allowing,
    vendor_order_transition,
)
from allies.orders.vendor_side import (
    FulfilmentError,
    customer_notify,
    french_text,
    vendor_order_event_add,
    vendor_order_lock,
    vendor_order_lock_any,
    vendor_order_touch,
    whole_number,
)
from allies.payments.models import Refund
from allies.vendors.emails import vendor_email_send
from allies.vendors.models import Vendor

ZERO = Decimal("0")
ACCEPT, REFUSE = "accept", "refuse"


CANCELLABLE = vendor_order_statuses_allowing(VendorOrderAction.CANCEL)


def acceptance_working_days() -> int:
    return settings.ORDER_ACCEPTANCE_WORKING_DAYS


def auto_cancel_working_days() -> int:
    return settings.ORDER_AUTO_CANCEL_WORKING_DAYS


def acceptance_deadline_for(validated_at: datetime) -> datetime:
    """Working days counted like every business delay (French holidays excluded)."""
    return add_business_hours(validated_at, 24 * acceptance_working_days())


def auto_cancel_limit_for(validated_at: datetime) -> datetime:
    return add_business_hours(validated_at, 24 * auto_cancel_working_days())


@dataclass(frozen=True)
class LineDecision:
    action: str  # ACCEPT or REFUSE
    reason: str = ""  # OrderLine.RefusalReason for a refusal
    note: str = ""


@dataclass
class DecisionResult:
    vendor_order: VendorOrder
    accepted: list[OrderLine] = field(default_factory=list)
    refused: list[OrderLine] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)

    @property
    def refunded(self) -> Decimal:
        return sum((line.refunded_amount for line in self.refused), ZERO)


def _decision(value: object) -> LineDecision:
    if isinstance(value, LineDecision):
        return value
    if isinstance(value, str):
        value = (value,)
    if isinstance(value, Mapping):
        value = (value.get("action"), value.get("reason") or "", value.get("note") or "")
    if not isinstance(value, tuple | list) or not 1 <= len(value) <= 3:
        raise FulfilmentError(_("Décision illisible : indiquez « accept » ou « refuse »."))
    action, reason, note = (*value, "", "")[:3]
    action = str(action or "").strip().lower()
    reason = str(reason or "").strip().lower()
    note = str(note or "").strip()
    if action not in (ACCEPT, REFUSE):
        raise FulfilmentError(_("Décision illisible : indiquez « accept » ou « refuse »."))
    if action == ACCEPT:
        return LineDecision(ACCEPT)
    if reason not in OrderLine.RefusalReason.values:
        raise FulfilmentError(
            _("Indiquez le motif du refus : rupture de stock, erreur de prix ou autre.")
        )
    if reason == OrderLine.RefusalReason.OTHER and not note:
        raise FulfilmentError(_("Précisez le motif du refus."))
    if len(note) > 500:
        raise FulfilmentError(_("Le motif du refus ne doit pas dépasser 500 caractères."))
    return LineDecision(REFUSE, reason, note)


def _refusal_text(line: OrderLine) -> str:
    return _("Article refusé par le vendeur (%(reason)s) : %(title)s") % {
        "reason": line.get_refusal_reason_display(),
        "title": line.product_title,
    }


def _decisions(decisions: Mapping[Any, object]) -> dict[int, LineDecision]:
    if not isinstance(decisions, Mapping) or not decisions:
        raise FulfilmentError(_("Indiquez une décision pour au moins un article."))
    parsed: dict[int, LineDecision] = {}
    for key, value in decisions.items():
        try:
            line_id = whole_number(key)
        except (TypeError, ValueError) as exc:
            raise FulfilmentError(_("Article inconnu dans cette commande.")) from exc
        parsed[line_id] = _decision(value)
    return parsed


def vendor_order_lines_decide(
    *,
    vendor_order: VendorOrder | int,
    vendor: Vendor | int,
    decisions: Mapping[Any, object],
    actor: Actor | None = None,
) -> DecisionResult:
    """Accept or refuse lines of a paid vendor order (Mirakl OR21).

    `decisions` maps line ids to "accept", ("accept",) or ("refuse", reason, note) — reason
    one of OrderLine.RefusalReason ("other" needs a note). Any pending lines may be decided;
    when none is left pending the vendor order is accepted (SHIPPING) or, if every line was
    refused, "Refusée par le vendeur". Refused lines are refunded (module doc) and the
    customer is emailed the amounts. Repeating a decision already made changes nothing;
    contradicting one is refused.
    """
    parsed = _decisions(decisions)
    now = timezone.now()
    with transaction.atomic():
        locked = vendor_order_lock(vendor_order, vendor)
        lines = list(OrderLine.objects.filter(vendor_order=locked).order_by("id"))
        by_id = {line.pk: line for line in lines}
        to_accept: list[tuple[OrderLine, LineDecision]] = []
        to_refuse: list[tuple[OrderLine, LineDecision]] = []
        for line_id, decision in parsed.items():
            line = by_id.get(line_id)
            if line is None:
                raise FulfilmentError(_("Article inconnu dans cette commande."))
            if line.status != OrderLine.Status.PENDING:
                wanted = (
                    OrderLine.Status.ACCEPTED if decision.action == ACCEPT
                    else OrderLine.Status.REFUSED
                )  # fmt: skip
                if line.status == wanted:
                    continue  # a retried call: already done
                raise FulfilmentError(
                    _("« %(title)s » est déjà %(status)s.")
                    % {"title": line.product_title, "status": line.get_status_display().lower()},
                    code="invalid_state",
                )
            (to_accept if decision.action == ACCEPT else to_refuse).append((line, decision))
        result = DecisionResult(vendor_order=locked)
        if not to_accept and not to_refuse:
            return result
        if (
            locked.order.status != Order.Status.VALIDATED
            or locked.status != VendorOrder.Status.WAITING_ACCEPTANCE
        ):
            raise FulfilmentError(
                _("Cette commande n'attend plus de décision."), code="invalid_state"
            )
        for line, _accepted in to_accept:
            line.status, line.decided_at = OrderLine.Status.ACCEPTED, now
            result.accepted.append(line)
        for line, decision in to_refuse:
            line.status, line.decided_at = OrderLine.Status.REFUSED, now
            line.refusal_reason, line.refusal_note = decision.reason, decision.note
            result.refused.append(line)
        OrderLine.objects.bulk_update(
            result.accepted + result.refused,
            ["status", "decided_at", "refusal_reason", "refusal_note"],
        )
        refunds: list[LinesRefund] = [
            vendor_order_lines_refund_record(
                vendor_order=locked,
                lines=[line],
                reason=french_text(partial(_refusal_text, line)),
                key=f"order-line-refused-{line.pk}",
                now=now,
            )
            for line in result.refused
        ]
        refunded_now = {ln.pk: ln for done in refunds for ln in done.lines}
        result.refused = [refunded_now.get(ln.pk, ln) for ln in result.refused]
        if result.accepted:
            vendor_order_event_add(
                locked, EventKind.LINES_ACCEPTED, actor, lines=[ln.pk for ln in result.accepted]
            )
        if result.refused:
            vendor_order_event_add(
                locked,
                EventKind.LINES_REFUSED,
                actor,
                lines=[
                    {
                        "id": ln.pk,
                        "reason": ln.refusal_reason,
                        "note": ln.refusal_note,
                        "refunded": str(ln.refunded_amount),
                        "shipping": str(ln.refunded_shipping),
                        "discount": str(ln.refunded_discount),
                    }
                    for ln in result.refused
                ],
                refunded=str(result.refunded),
            )
        if all(line.status != OrderLine.Status.PENDING for line in lines):
            accepted = any(line.status == OrderLine.Status.ACCEPTED for line in lines)
            vendor_order_transition(
                vendor_order=locked,
                action=VendorOrderAction.ACCEPT if accepted else VendorOrderAction.REFUSE,
                actor=actor,
                now=now,
            )
        else:
            vendor_order_touch(locked)
    refunds_send(refunds=refunds)
    result.refunds = [done.refund for done in refunds if done.refund is not None]
    if result.refused:
        customer_notify(
            "order_lines_refused",
            vendor_order=locked,
            lines=result.refused,
            refunded=result.refunded,
            all_refused=locked.status == VendorOrder.Status.REFUSED,
        )
    return result


def vendor_order_cancel(
    *, vendor_order: VendorOrder | int, reason: str, actor: Actor | None = None
) -> VendorOrder:
    """Cancel a paid vendor order that has not shipped (operator or system) and refund it.

    Every line not yet refunded is cancelled and refunded with its shipping and discount
    shares (so the whole vendor order is refunded: lines + shipping − discount share), in one
    refund ("vendor-order-cancelled-<id>"); the customer is emailed. Cancelling an already
    cancelled vendor order changes nothing.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = vendor_order_lock_any(vendor_order)
        if locked.status == VendorOrder.Status.CANCELLED:
            return locked
        if locked.status not in CANCELLABLE or locked.shipments.exists():
            raise FulfilmentError(
                _("Cette commande ne peut plus être annulée : elle est déjà expédiée ou close."),
                code="invalid_state",
            )
        lines = list(OrderLine.objects.filter(vendor_order=locked).order_by("id"))
        cancelled = [line for line in lines if not line.is_refunded]
        for line in cancelled:
            line.status, line.decided_at = OrderLine.Status.CANCELLED, now
        OrderLine.objects.bulk_update(cancelled, ["status", "decided_at"])
        refund = vendor_order_lines_refund_record(
            vendor_order=locked,
            lines=cancelled,
            reason=french_text(
                lambda: (
                    _("Commande %(ref)s annulée (vendeur %(vendor)s)")
                    % {"ref": locked.order.reference, "vendor": locked.vendor.name}
                )
            ),
            key=f"vendor-order-cancelled-{locked.pk}",
            now=now,
        )
        refunded = refund.amount
        vendor_order_transition(
            vendor_order=locked,
            action=VendorOrderAction.CANCEL,
            actor=actor,
            now=now,
            changes={"cancellation_reason": reason[:40]},
            reason=reason,
            lines=[ln.pk for ln in cancelled],
            refunded=str(refunded),
        )
    refunds_send(refunds=[refund])
    customer_notify(
        "order_vendor_order_cancelled",
        vendor_order=locked,
        lines=cancelled,
        refunded=refunded,
        reason=reason,
    )
    return locked


def vendor_order_flag_overdue(
    *, vendor_order: VendorOrder | int, now: datetime | None = None
) -> VendorOrder:
    """Mark a vendor order still awaiting acceptance past its deadline (once)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = vendor_order_lock_any(vendor_order)
        if (
            locked.overdue_flagged_at is not None
            or not locked.awaiting_acceptance
            or locked.acceptance_deadline is None
            or locked.acceptance_deadline > now
        ):
            return locked
        locked.overdue_flagged_at = now
        vendor_order_touch(locked, "overdue_flagged_at")
        vendor_order_event_add(
            locked, EventKind.ACCEPTANCE_OVERDUE, deadline=locked.acceptance_deadline.isoformat()
        )
    validated_at = locked.order.validated_at or locked.created_at
    vendor_email_send(
        vendor=locked.vendor,
        template="vendor_order_overdue",
        context={
            "order": locked.order,
            "vendor_order": locked,
            "cancel_at": auto_cancel_limit_for(validated_at),
        },
    )
    return locked


def vendor_orders_acceptance_check(*, now: datetime | None = None) -> dict[str, int]:
    """Flag vendor orders past their acceptance deadline; cancel (with refund) those past the
    operator's limit (ORDER_AUTO_CANCEL_WORKING_DAYS after validation); re-send refunds whose
    row is missing. Safe to run any time, as often as wanted: each step is idempotent.
    """
    now = now or timezone.now()
    flagged = cancelled = 0
    overdue = (
        VendorOrder.objects.filter(
            status=VendorOrder.Status.WAITING_ACCEPTANCE,
            acceptance_deadline__lt=now,
            order__status=Order.Status.VALIDATED,
        )
        .select_related("order")
        .order_by("acceptance_deadline", "id")
    )
    for vendor_order in overdue:
        if vendor_order.overdue_flagged_at is None:
            if vendor_order_flag_overdue(vendor_order=vendor_order, now=now).overdue_flagged_at:
                flagged += 1
        validated_at = vendor_order.order.validated_at or vendor_order.created_at
        if now >= auto_cancel_limit_for(validated_at):
            try:
                vendor_order_cancel(vendor_order=vendor_order, reason="acceptance_overdue")
            except FulfilmentError:
                continue  # accepted or shipped meanwhile
            cancelled += 1
    resent = refunds_reconcile(now=now)
    return {"flagged": flagged, "cancelled": cancelled, "refunds_resent": resent}
