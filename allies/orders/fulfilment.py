"""The vendor side of an order (ORD-8, CAT-5; Mirakl OR21, OR23/OR24): accept or refuse each
line, ship in parcels with tracking, deliver — with the refunds, deadlines and carrier events
that follow.

Flow of a `VendorOrder` once paid (status "En préparation"):

    WAITING_ACCEPTANCE --decide every line--> SHIPPING --ship every accepted unit--> "Expédiée"
        |  (all refused → "Refusée par le vendeur")                                  |
        |  (past the operator's limit → "Annulée", refunded)      every shipment delivered
                                                                                      v
                                                                                  "Livrée"

Rules kept by every function here:

- Keyword-only, one transaction per change, the vendor order row locked first; the
  transition is checked, and an `OrderEvent` (kind in `timeline.Kind`, with the actor) is
  written for every change. Bad input raises `FulfilmentError` (French message in
  `.message`, stable `.code`) before anything is written.
- `vendor` is always checked: a vendor acts only on its own vendor orders. Another vendor's
  order raises `VendorOrderNotFound` (code "not_found": the API answers 404) and changes
  nothing. Checking that the acting *user* belongs to that vendor is the portal's / API's
  job (they resolve the vendor from the session or the API key).
- Decisions may come in several calls: each call decides any lines still pending (a retried
  call repeating a decision already made changes nothing). The vendor order can ship once no
  line is pending.
- Money goes back through `payments.payment_refund`, outside the transaction (the payments
  app's rule: no provider call while holding locks), after the decision is committed, with
  one idempotency key per refused line ("order-line-refused-<line id>") and one per cancelled
  vendor order ("vendor-order-cancelled-<id>"). The amounts are first written on the lines
  (`refunded_amount`, `refunded_shipping`, `refunded_discount`), so a line is never refunded
  twice; `vendor_orders_acceptance_check` re-sends any refund whose row is missing (a crash
  between the commit and the provider call). Each refund that did not fail is then recorded
  in the vendors' ledger (`payments.ledger.ledger_record_refund`, PAY-2) with the same line,
  shipping and discount parts.
- The shipment that makes a vendor order "Expédiée" calls
  `invoices.services.invoice_on_shipment(vendor_order=…)`, when that app is installed, inside
  its transaction (INV-1; the invoices app's contract).

Refund of a refused (or cancelled) line = its total + its share of the vendor order's
shipping fee − its share of the vendor order's discount. Shares are proportional to the line
totals and rounded to the cent *cumulatively*: after lines L1..Lk (in refusal order, by id
within one call) are refunded, the shipping refunded so far is
round(shipping_fee × (L1+…+Lk) / lines_total), and likewise for the discount. So the shares
always add up exactly: when every line is refused the customer gets the whole shipping fee
back and exactly the whole discount share is kept, whatever the number of calls. Free
shipping (fee 0) refunds no shipping. (ORD-5 says the refund includes "the shipping fee
attached to" the item; a vendor's fee is not itemised per article, so the share in proportion
to the price is our reading of it.)

Settings (django settings, else environment, else default): ORDER_ACCEPTANCE_WORKING_DAYS (2),
ORDER_AUTO_CANCEL_WORKING_DAYS (5), CARRIER_SIMULATION (on),
CARRIER_SIMULATED_DELIVERY_WORKING_DAYS (2); and CARRIER_WEBHOOK_SECRETS (shipping.tracking).
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.core.deadlines import add_business_hours
from allies.core.money import to_cents
from allies.orders.models import (
    Order,
    OrderLine,
    Parcel,
    Shipment,
    ShipmentLine,
    VendorOrder,
)
from allies.orders.services import order_event_add
from allies.orders.timeline import Kind
from allies.shipping import tracking
from allies.shipping.carriers import carrier_get, normalize_tracking_number, tracking_number_error

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
ACCEPT, REFUSE = "accept", "refuse"
MAX_PARCELS = 50
# A carrier's clock may run a little ahead of ours.
CLOCK_SKEW = timedelta(minutes=10)
# A refund whose row is missing this long after the decision is re-sent by the periodic check.
REFUND_GRACE = timedelta(minutes=10)


class FulfilmentError(Exception):
    """The action is refused; `message` (French source, translated) can be shown as is."""

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


class VendorOrderNotFound(FulfilmentError):
    """Not this vendor's order (or no such order): nothing is revealed, nothing changes."""

    def __init__(self, message: str | None = None):
        super().__init__(message or _("Commande introuvable."), code="not_found")


# --- settings -----------------------------------------------------------------------------


def setting_value(name: str, default):
    """A setting from django settings if defined there, else the environment, else `default`.

    The orders app does not own settings.py: these names may be moved there later unchanged.
    """
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    return default if value in (None, "") else value


def acceptance_working_days() -> int:
    return int(setting_value("ORDER_ACCEPTANCE_WORKING_DAYS", 2))


def auto_cancel_working_days() -> int:
    return int(setting_value("ORDER_AUTO_CANCEL_WORKING_DAYS", 5))


def simulated_delivery_working_days() -> int:
    return int(setting_value("CARRIER_SIMULATED_DELIVERY_WORKING_DAYS", 2))


def carrier_simulation_enabled() -> bool:
    value = setting_value("CARRIER_SIMULATION", True)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def acceptance_deadline_for(validated_at: datetime) -> datetime:
    """Working days counted like every business delay (French holidays excluded)."""
    return add_business_hours(validated_at, 24 * acceptance_working_days())


def auto_cancel_limit_for(validated_at: datetime) -> datetime:
    return add_business_hours(validated_at, 24 * auto_cancel_working_days())


# --- helpers ------------------------------------------------------------------------------


def _vendor_id(vendor) -> int | None:
    return getattr(vendor, "pk", vendor)


def _locked(vendor_order: VendorOrder | int, vendor) -> VendorOrder:
    """The vendor order, row-locked, with its order; VendorOrderNotFound for another vendor."""
    vendor_id = _vendor_id(vendor)
    pk = getattr(vendor_order, "pk", vendor_order)
    if vendor_id is None or pk is None:
        raise VendorOrderNotFound()
    found = (
        VendorOrder.objects.select_for_update(of=("self",))
        .select_related("order", "vendor")
        .filter(pk=pk, vendor_id=vendor_id)
        .first()
    )
    if found is None:
        raise VendorOrderNotFound()
    return found


def _lock_any(vendor_order: VendorOrder | int) -> VendorOrder:
    """The vendor order, row-locked, for the operator and the system (no vendor check)."""
    return (
        VendorOrder.objects.select_for_update(of=("self",))
        .select_related("order", "vendor")
        .get(pk=getattr(vendor_order, "pk", vendor_order))
    )


def _save(vendor_order: VendorOrder, *fields: str) -> None:
    # updated_at moves with every change: the vendor API's "updated since" filter relies on it.
    vendor_order.save(update_fields=[*fields, "updated_at"])


def _event(vendor_order: VendorOrder, kind: str, actor=None, **data) -> None:
    order_event_add(
        order=vendor_order.order, vendor_order=vendor_order, kind=kind, actor=actor, **data
    )


def _french(text_fn) -> str:
    """A text stored for the audit trail (refund reasons), in the source language."""
    from django.utils import translation

    with translation.override("fr"):
        return str(text_fn())


def _refund_shares(*, lines: list[OrderLine], newly: list[OrderLine], vendor_order) -> None:
    """Set refunded_shipping / refunded_discount / refunded_amount on `newly` (module doc)."""
    base = sum((line.total for line in lines), ZERO)
    newly_ids = {line.pk for line in newly}
    before = [line for line in lines if line.is_refunded and line.pk not in newly_ids]
    cumulative = sum((line.total for line in before), ZERO)
    shipping_so_far = sum((line.refunded_shipping for line in before), ZERO)
    discount_so_far = sum((line.refunded_discount for line in before), ZERO)
    fee, discount = vendor_order.shipping_fee, vendor_order.discount_share
    for line in sorted(newly, key=lambda ln: ln.pk):
        cumulative += line.total
        if base <= 0 or cumulative >= base:
            shipping_target, discount_target = fee, discount
        else:
            shipping_target = to_cents(fee * cumulative / base)
            discount_target = to_cents(discount * cumulative / base)
        line.refunded_shipping = shipping_target - shipping_so_far
        line.refunded_discount = discount_target - discount_so_far
        line.refunded_amount = max(
            ZERO, to_cents(line.total + line.refunded_shipping - line.refunded_discount)
        )
        shipping_so_far, discount_so_far = shipping_target, discount_target


def _succeeded_payment(order: Order):
    from allies.payments.models import Payment

    return (
        Payment.objects.filter(order=order, status=Payment.Status.SUCCEEDED).order_by("-id").first()
    )


def _refund_send(
    *,
    vendor_order: VendorOrder,
    lines: list[OrderLine],
    reason: str,
    key: str,
):
    """Refund `lines` (their recorded amounts), outside any transaction, then record the
    reversal in the vendor's ledger. A failure is logged and put on the timeline."""
    from allies.payments.gateways.base import GatewayError
    from allies.payments.services import PaymentError, payment_refund

    amount = sum((line.refunded_amount for line in lines), ZERO)
    if amount <= 0:
        return None
    payment = _succeeded_payment(vendor_order.order)
    problem = ""
    refund = None
    if payment is None:
        problem = "no succeeded payment to refund"
    else:
        try:
            refund = payment_refund(
                payment=payment, amount=amount, reason=reason, idempotency_key=key
            )
        except (PaymentError, GatewayError) as exc:
            problem = str(getattr(exc, "message", exc))
    if refund is not None and refund.status == refund.Status.FAILED:
        problem = refund.failure_message or "refund failed"
    if problem:
        logger.error("refund %s of %s failed: %s", key, vendor_order, problem)
        _event(vendor_order, Kind.REFUND_FAILED, key=key, amount=str(amount), error=problem[:300])
    if refund is not None and refund.status != refund.Status.FAILED:
        _ledger_record_refund(refund=refund, vendor_order=vendor_order, lines=lines)
    return refund


def _ledger_record_refund(*, refund, vendor_order: VendorOrder, lines: list[OrderLine]) -> None:
    """The ledger's reversal of a refund (PAY-2), per the contract in payments.ledger: lines
    at their full price, the shipping part, and the discount part as computed here.

    Idempotent there. The money has already gone back: a ledger problem must not make the
    vendor's action fail, so it is logged and put on the timeline for staff.
    """
    try:
        from allies.payments.ledger import ledger_record_refund
    except ImportError:
        return
    try:
        ledger_record_refund(
            refund=refund,
            vendor_order=vendor_order,
            lines={line.pk: line.total for line in lines},
            shipping_amount=sum((line.refunded_shipping for line in lines), ZERO),
            discount_amount=sum((line.refunded_discount for line in lines), ZERO),
        )
    except Exception as exc:  # noqa: BLE001 — see docstring
        logger.exception("ledger entries of refund %s could not be written", refund.pk)
        _event(vendor_order, Kind.LEDGER_FAILED, refund=refund.pk, error=str(exc)[:300])


def _notify(template: str, *, vendor_order: VendorOrder, **context) -> None:
    from allies.notifications.services import notification_send

    order = vendor_order.order
    notification_send(
        template=template,
        user=order.customer,
        context={"order": order, "vendor_order": vendor_order, **context},
    )


def _invoice_hook():
    """`allies.invoices.services.invoice_on_shipment` when that app exists, else None.

    Written by another part of the project: its absence is normal, its own import errors are
    not hidden.
    """
    if not apps.is_installed("allies.invoices"):
        return None
    try:
        module = importlib.import_module("allies.invoices.services")
    except ModuleNotFoundError as exc:
        if exc.name in ("allies.invoices", "allies.invoices.services"):
            return None
        raise
    return getattr(module, "invoice_on_shipment", None)


# --- acceptance (OR21) --------------------------------------------------------------------


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
    refunds: list = field(default_factory=list)

    @property
    def refunded(self) -> Decimal:
        return sum((line.refunded_amount for line in self.refused), ZERO)


def _decision(value) -> LineDecision:
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


def _decisions(decisions: Mapping) -> dict[int, LineDecision]:
    if not isinstance(decisions, Mapping) or not decisions:
        raise FulfilmentError(_("Indiquez une décision pour au moins un article."))
    parsed: dict[int, LineDecision] = {}
    for key, value in decisions.items():
        try:
            line_id = int(getattr(key, "pk", key))
        except (TypeError, ValueError) as exc:
            raise FulfilmentError(_("Article inconnu dans cette commande.")) from exc
        parsed[line_id] = _decision(value)
    return parsed


def vendor_order_lines_decide(
    *,
    vendor_order: VendorOrder | int,
    vendor,
    decisions: Mapping,
    actor=None,
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
        locked = _locked(vendor_order, vendor)
        lines = list(OrderLine.objects.filter(vendor_order=locked).order_by("id"))
        by_id = {line.pk: line for line in lines}
        to_accept, to_refuse = [], []
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
        if locked.order.status != Order.Status.VALIDATED or locked.status != (
            VendorOrder.Status.PREPARING
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
        _refund_shares(lines=lines, newly=result.refused, vendor_order=locked)
        OrderLine.objects.bulk_update(
            result.accepted + result.refused,
            [
                "status", "decided_at", "refusal_reason", "refusal_note", "refunded_amount",
                "refunded_shipping", "refunded_discount",
            ],
        )  # fmt: skip
        if result.accepted:
            _event(locked, Kind.LINES_ACCEPTED, actor, lines=[ln.pk for ln in result.accepted])
        if result.refused:
            _event(
                locked,
                Kind.LINES_REFUSED,
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
            if any(line.status == OrderLine.Status.ACCEPTED for line in lines):
                locked.accepted_at = now
                _save(locked, "accepted_at")
                _event(locked, Kind.ACCEPTED, actor)
            else:
                locked.status = VendorOrder.Status.REFUSED
                _save(locked, "status")
                _event(locked, Kind.REFUSED, actor)
        else:
            _save(locked)
    for line in result.refused:
        refund = _refund_send(
            vendor_order=locked,
            lines=[line],
            reason=_french(lambda line=line: _refusal_text(line)),
            key=f"order-line-refused-{line.pk}",
        )
        if refund is not None:
            result.refunds.append(refund)
    if result.refused:
        _notify(
            "order_lines_refused",
            vendor_order=locked,
            lines=result.refused,
            refunded=result.refunded,
            all_refused=locked.status == VendorOrder.Status.REFUSED,
        )
    return result


# --- deadlines and cancellation -----------------------------------------------------------


def vendor_order_cancel(*, vendor_order: VendorOrder | int, reason: str, actor=None) -> VendorOrder:
    """Cancel a paid vendor order that has not shipped (operator or system) and refund it.

    Every line not yet refunded is cancelled and refunded with its shipping and discount
    shares (so the whole vendor order is refunded: lines + shipping − discount share), in one
    refund ("vendor-order-cancelled-<id>"); the customer is emailed. Cancelling an already
    cancelled vendor order changes nothing.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_any(vendor_order)
        if locked.status == VendorOrder.Status.CANCELLED:
            return locked
        if locked.status != VendorOrder.Status.PREPARING or locked.shipments.exists():
            raise FulfilmentError(
                _("Cette commande ne peut plus être annulée : elle est déjà expédiée ou close."),
                code="invalid_state",
            )
        lines = list(OrderLine.objects.filter(vendor_order=locked).order_by("id"))
        cancelled = [line for line in lines if not line.is_refunded]
        for line in cancelled:
            line.status, line.decided_at = OrderLine.Status.CANCELLED, now
        _refund_shares(lines=lines, newly=cancelled, vendor_order=locked)
        OrderLine.objects.bulk_update(
            cancelled,
            ["status", "decided_at", "refunded_amount", "refunded_shipping", "refunded_discount"],
        )
        refunded = sum((line.refunded_amount for line in cancelled), ZERO)
        locked.status = VendorOrder.Status.CANCELLED
        locked.cancelled_at = now
        locked.cancellation_reason = reason[:40]
        _save(locked, "status", "cancelled_at", "cancellation_reason")
        _event(
            locked,
            Kind.CANCELLED,
            actor,
            reason=reason,
            lines=[ln.pk for ln in cancelled],
            refunded=str(refunded),
        )
    _refund_send(
        vendor_order=locked,
        lines=cancelled,
        reason=_french(
            lambda: (
                _("Commande %(ref)s annulée (vendeur %(vendor)s)")
                % {"ref": locked.order.reference, "vendor": locked.vendor.name}
            )
        ),
        key=f"vendor-order-cancelled-{locked.pk}",
    )
    _notify(
        "order_vendor_order_cancelled",
        vendor_order=locked,
        lines=cancelled,
        refunded=refunded,
        reason=reason,
    )
    return locked


def vendor_order_flag_overdue(*, vendor_order: VendorOrder | int, now: datetime | None = None):
    """Mark a vendor order still awaiting acceptance past its deadline (once)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_any(vendor_order)
        if (
            locked.overdue_flagged_at is not None
            or not locked.awaiting_acceptance
            or locked.acceptance_deadline is None
            or locked.acceptance_deadline > now
        ):
            return locked
        locked.overdue_flagged_at = now
        _save(locked, "overdue_flagged_at")
        _event(locked, Kind.ACCEPTANCE_OVERDUE, deadline=locked.acceptance_deadline.isoformat())
    from allies.notifications.services import notification_send

    validated_at = locked.order.validated_at or locked.created_at
    notification_send(
        template="vendor_order_overdue",
        to_email=locked.vendor.email,
        language=settings.LANGUAGE_CODE,
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
            status=VendorOrder.Status.PREPARING,
            accepted_at__isnull=True,
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


def refunds_reconcile(*, now: datetime | None = None) -> int:
    """Send the refunds decided here whose `Refund` row does not exist (idempotent keys)."""
    from allies.payments.models import Refund

    now = now or timezone.now()
    before = now - REFUND_GRACE
    sent = 0
    refused = OrderLine.objects.filter(
        status=OrderLine.Status.REFUSED, refunded_amount__gt=0, decided_at__lt=before
    ).select_related("vendor_order__order", "vendor_order__vendor")
    keys = {f"order-line-refused-{line.pk}": line for line in refused}
    cancelled = VendorOrder.objects.filter(
        status=VendorOrder.Status.CANCELLED, cancelled_at__lt=before, cancellation_reason__gt=""
    ).select_related("order", "vendor")
    vo_keys = {f"vendor-order-cancelled-{vo.pk}": vo for vo in cancelled}
    existing = set(
        Refund.objects.filter(idempotency_key__in=[*keys, *vo_keys]).values_list(
            "idempotency_key", flat=True
        )
    )
    for key, line in keys.items():
        if key not in existing and _succeeded_payment(line.vendor_order.order):
            _refund_send(
                vendor_order=line.vendor_order,
                lines=[line],
                reason=_french(lambda line=line: _refusal_text(line)),
                key=key,
            )  # fmt: skip
            sent += 1
    for key, vendor_order in vo_keys.items():
        if key in existing or not _succeeded_payment(vendor_order.order):
            continue
        lines = list(
            OrderLine.objects.filter(vendor_order=vendor_order, status=OrderLine.Status.CANCELLED)
        )
        if sum((line.refunded_amount for line in lines), ZERO) > 0:
            _refund_send(
                vendor_order=vendor_order,
                lines=lines,
                reason=_french(lambda vo=vendor_order: _("Commande %(ref)s annulée")
                               % {"ref": vo.order.reference}),
                key=key,
            )  # fmt: skip
            sent += 1
    return sent


# --- shipping (OR23 / OR24) ---------------------------------------------------------------


def _shipped_quantities(vendor_order: VendorOrder) -> dict[int, int]:
    return dict(
        ShipmentLine.objects.filter(shipment__vendor_order=vendor_order)
        .values("order_line_id")
        .annotate(total=Sum("quantity"))
        .values_list("order_line_id", "total")
    )


def vendor_order_ship(
    *,
    vendor_order: VendorOrder | int,
    vendor,
    carrier: str,
    parcels: Iterable[str],
    lines: Mapping | None = None,
    estimated_delivery_date: date | None = None,
    actor=None,
) -> Shipment:
    """Hand accepted units to a carrier, in one or more parcels (Mirakl OR23 + OR24).

    `parcels`: one tracking number per parcel ("Colis 1/N"…), each checked against the
    carrier's format where one is known. `lines` maps line ids to quantities; None ships every
    accepted unit not shipped yet. Partial shipments are allowed; the vendor order becomes
    "Expédiée" once every accepted unit has shipped. The customer is emailed per shipment.
    `estimated_delivery_date` defaults to the vendor order's promised latest date when that is
    still ahead. When the invoices app exists, `invoice_on_shipment(vendor_order=…)` is called
    in the same transaction by the shipment that makes the vendor order "Expédiée" (an
    exception there undoes the shipment; that app catches its own PDF failures).
    """
    found = carrier_get(carrier)
    if found is None:
        raise FulfilmentError(_("Choisissez un transporteur de la liste."))
    numbers = [normalize_tracking_number(str(n or "")) for n in (parcels or [])]
    if not numbers:
        raise FulfilmentError(_("Indiquez au moins un numéro de suivi (un par colis)."))
    if len(numbers) > MAX_PARCELS:
        raise FulfilmentError(_("Au plus %(max)s colis par expédition.") % {"max": MAX_PARCELS})
    count = len(numbers)
    for index, number in enumerate(numbers, start=1):
        label = _("Colis %(index)s/%(count)s") % {"index": index, "count": count}
        if not number:
            raise FulfilmentError(
                _("%(parcel)s : indiquez le numéro de suivi.") % {"parcel": label}
            )
        error = tracking_number_error(found.code, number)
        if error:
            raise FulfilmentError(_("%(parcel)s : %(error)s") % {"parcel": label, "error": error})
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        raise FulfilmentError(
            _("Le numéro de suivi %(number)s est indiqué deux fois.") % {"number": duplicates[0]}
        )
    today = timezone.localdate()
    if estimated_delivery_date is not None:
        if isinstance(estimated_delivery_date, datetime) or not isinstance(
            estimated_delivery_date, date
        ):
            raise FulfilmentError(_("La date de livraison estimée est invalide."))
        if estimated_delivery_date < today:
            raise FulfilmentError(_("La date de livraison estimée ne peut pas être passée."))
    wanted: dict[int, int] | None = None
    if lines is not None:
        wanted = {}
        for key, quantity in dict(lines).items():
            try:
                line_id, qty = int(getattr(key, "pk", key)), int(quantity)
            except (TypeError, ValueError) as exc:
                raise FulfilmentError(_("Quantité à expédier invalide.")) from exc
            if qty < 0:
                raise FulfilmentError(_("Quantité à expédier invalide."))
            if qty:
                wanted[line_id] = qty
        if not wanted:
            raise FulfilmentError(_("Choisissez au moins un article à expédier."))

    now = timezone.now()
    with transaction.atomic():
        locked = _locked(vendor_order, vendor)
        if locked.status != VendorOrder.Status.PREPARING or locked.order.status != (
            Order.Status.VALIDATED
        ):
            raise FulfilmentError(
                _("Cette commande ne peut plus être expédiée."), code="invalid_state"
            )
        if locked.accepted_at is None:
            raise FulfilmentError(
                _("Acceptez ou refusez chaque article avant d'expédier la commande."),
                code="invalid_state",
            )
        order_lines = {
            line.pk: line for line in OrderLine.objects.filter(vendor_order=locked).order_by("id")
        }
        shipped = _shipped_quantities(locked)
        remaining = {
            pk: line.quantity - shipped.get(pk, 0)
            for pk, line in order_lines.items()
            if line.status == OrderLine.Status.ACCEPTED
        }
        if wanted is None:
            wanted = {pk: left for pk, left in remaining.items() if left > 0}
            if not wanted:
                raise FulfilmentError(
                    _("Tous les articles acceptés sont déjà expédiés."), code="invalid_state"
                )
        for line_id, qty in wanted.items():
            line = order_lines.get(line_id)
            if line is None:
                raise FulfilmentError(_("Article inconnu dans cette commande."))
            if line.status != OrderLine.Status.ACCEPTED:
                raise FulfilmentError(
                    _("« %(title)s » n'a pas été accepté : il ne peut pas être expédié.")
                    % {"title": line.product_title}
                )
            if qty > remaining[line_id]:
                raise FulfilmentError(
                    _("Il reste %(left)s « %(title)s » à expédier, pas %(qty)s.")
                    % {"left": remaining[line_id], "title": line.product_title, "qty": qty}
                )
        if Parcel.objects.filter(
            shipment__carrier=found.code, tracking_number__in=numbers
        ).exists():
            raise FulfilmentError(
                _("Ce numéro de suivi est déjà utilisé pour une autre expédition.")
            )
        if estimated_delivery_date is None and locked.delivery_max_date >= today:
            estimated_delivery_date = locked.delivery_max_date
        shipment = Shipment.objects.create(
            vendor_order=locked,
            vendor_id=locked.vendor_id,
            carrier=found.code,
            parcel_count=count,
            shipped_at=now,
            estimated_delivery_date=estimated_delivery_date,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        ShipmentLine.objects.bulk_create(
            ShipmentLine(
                shipment=shipment, order_line_id=pk, vendor_id=locked.vendor_id, quantity=qty
            )
            for pk, qty in sorted(wanted.items())
        )
        Parcel.objects.bulk_create(
            Parcel(shipment=shipment, vendor_id=locked.vendor_id, index=i, tracking_number=n)
            for i, n in enumerate(numbers, start=1)
        )
        complete = all(remaining[pk] - wanted.get(pk, 0) == 0 for pk in remaining)
        _event(
            locked,
            Kind.SHIPMENT,
            actor,
            shipment=shipment.pk,
            carrier=found.code,
            parcels=count,
            tracking_numbers=numbers,
            lines={str(pk): qty for pk, qty in sorted(wanted.items())},
            partial=not complete,
        )
        if complete:
            locked.status = VendorOrder.Status.SHIPPED
            locked.shipped_at = now
            _save(locked, "status", "shipped_at")
            _event(locked, Kind.SHIPPED, actor)
            # The invoices app's contract: called once the vendor order is "Expédiée", in
            # this transaction (INV-1: the invoice is available once shipped).
            hook = _invoice_hook()
            if hook is not None:
                hook(vendor_order=locked)
        else:
            _save(locked)
    transaction.on_commit(lambda: _simulation_schedule(shipment=shipment))
    shipment = (
        Shipment.objects.select_related("vendor_order__order", "vendor_order__vendor")
        .prefetch_related("parcels", "lines__order_line")
        .get(pk=shipment.pk)
    )
    _notify(
        "order_shipped",
        vendor_order=shipment.vendor_order,
        shipment=shipment,
        complete=complete,
    )
    return shipment


def _simulation_schedule(*, shipment: Shipment) -> None:
    from allies.orders.tasks import carrier_simulation_schedule

    carrier_simulation_schedule(shipment=shipment)


# --- delivery -----------------------------------------------------------------------------


def _delivered_if_complete(vendor_order: VendorOrder, actor=None) -> None:
    """ "Livrée" once every accepted unit shipped and every shipment is delivered (locked)."""
    if vendor_order.status != VendorOrder.Status.SHIPPED:
        return
    moments = list(
        Shipment.objects.filter(vendor_order=vendor_order).values_list("delivered_at", flat=True)
    )
    if not moments or any(moment is None for moment in moments):
        return
    vendor_order.status = VendorOrder.Status.DELIVERED
    vendor_order.delivered_at = max(moments)
    _save(vendor_order, "status", "delivered_at")
    _event(vendor_order, Kind.DELIVERED, actor, at=vendor_order.delivered_at.isoformat())


def _delivery_moment(*, at: datetime | None, shipped_at: datetime, strict: bool) -> datetime:
    now = timezone.now()
    at = at or now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + CLOCK_SKEW:
        if strict:
            raise FulfilmentError(_("La date de livraison ne peut pas être dans le futur."))
        at = now
    if at < shipped_at:
        if strict:
            raise FulfilmentError(_("La date de livraison ne peut pas précéder l'expédition."))
        at = shipped_at
    return at


def shipment_mark_delivered(
    *,
    shipment: Shipment | int,
    at: datetime | None,
    source: str,
    actor=None,
    vendor=None,
) -> Shipment:
    """Record a shipment's delivery, by the carrier (tracking event) or confirmed by the vendor.

    A vendor (source "vendor") must pass `vendor`, checked like everywhere else. Every parcel
    not yet delivered is marked delivered at `at`. When every shipment of a fully shipped
    vendor order is delivered, it becomes "Livrée" with `delivered_at` = the last delivery
    (the start of the withdrawal window). A shipment already delivered is left as it is.
    """
    if source not in Shipment.DeliverySource.values:
        raise ValueError(f"unknown delivery source {source!r}")
    pk = getattr(shipment, "pk", shipment)
    with transaction.atomic():
        vendor_order_id = (
            Shipment.objects.filter(pk=pk).values_list("vendor_order_id", flat=True).first()
        )
        if vendor_order_id is None:
            raise VendorOrderNotFound()
        if source == Shipment.DeliverySource.VENDOR:
            vendor_order = _locked(vendor_order_id, vendor)
        else:
            vendor_order = _lock_any(vendor_order_id)
        locked = Shipment.objects.select_for_update().get(pk=pk)
        if locked.delivered_at is not None:
            return locked
        if vendor_order.status not in (VendorOrder.Status.PREPARING, VendorOrder.Status.SHIPPED):
            raise FulfilmentError(
                _("Cette commande ne peut plus être marquée livrée."), code="invalid_state"
            )
        moment = _delivery_moment(
            at=at, shipped_at=locked.shipped_at, strict=source == Shipment.DeliverySource.VENDOR
        )
        locked.delivered_at = moment
        locked.delivery_source = source
        locked.save(update_fields=["delivered_at", "delivery_source"])
        Parcel.objects.filter(shipment=locked, delivered_at__isnull=True).update(
            delivered_at=moment, tracking_status=tracking.DELIVERED, tracking_updated_at=moment
        )
        _event(
            vendor_order,
            Kind.SHIPMENT_DELIVERED,
            actor,
            shipment=locked.pk,
            source=source,
            at=moment.isoformat(),
        )
        _delivered_if_complete(vendor_order, actor)
        if vendor_order.status != VendorOrder.Status.DELIVERED:
            _save(vendor_order)
    return locked


def vendor_order_mark_delivered(
    *, vendor_order: VendorOrder | int, vendor, at: datetime | None = None, actor=None
) -> VendorOrder:
    """The vendor confirms delivery of every shipment of a fully shipped vendor order."""
    with transaction.atomic():
        locked = _locked(vendor_order, vendor)
        if locked.status == VendorOrder.Status.DELIVERED:
            return locked
        if locked.status != VendorOrder.Status.SHIPPED:
            raise FulfilmentError(
                _("Seule une commande expédiée peut être marquée livrée."), code="invalid_state"
            )
        for shipment in locked.shipments.filter(delivered_at__isnull=True):
            shipment_mark_delivered(
                shipment=shipment, at=at, source="vendor", actor=actor, vendor=vendor
            )
        locked.refresh_from_db()
    return locked


# --- carrier tracking events --------------------------------------------------------------


@dataclass
class TrackingOutcome:
    applied: int = 0
    duplicates: int = 0
    unknown: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"applied": self.applied, "duplicates": self.duplicates, "unknown": self.unknown}


def _parcel_for(event: tracking.TrackingEvent, carriers: tuple[str, ...] | None):
    number = normalize_tracking_number(event.tracking_number)
    parcels = Parcel.objects.filter(tracking_number=number)
    if carriers is not None:
        parcels = parcels.filter(shipment__carrier__in=carriers)
    if event.carrier:
        parcels = parcels.filter(shipment__carrier=event.carrier)
    return parcels.order_by("-shipment__shipped_at", "-id").values_list("pk", flat=True).first()


def parcel_tracking_event_apply(
    *, parcel: Parcel | int, event: str, at: datetime, source: str
) -> bool:
    """Apply one carrier event to a parcel; False when it changes nothing (duplicate, stale).

    "delivered" delivers the parcel, and its shipment once all its parcels are delivered.
    Other events only move the parcel's tracking status forward in time.
    """
    if event not in tracking.EVENTS:
        raise ValueError(f"unknown tracking event {event!r}")
    pk = getattr(parcel, "pk", parcel)
    shipment_id = None
    with transaction.atomic():
        vendor_order_id = (
            Parcel.objects.filter(pk=pk).values_list("shipment__vendor_order_id", flat=True).first()
        )
        vendor_order = _lock_any(vendor_order_id)
        locked = Parcel.objects.select_for_update().select_related("shipment").get(pk=pk)
        shipment = locked.shipment
        if locked.delivered_at is not None or shipment.delivered_at is not None:
            return False
        if vendor_order.status not in (VendorOrder.Status.PREPARING, VendorOrder.Status.SHIPPED):
            return False
        moment = _delivery_moment(at=at, shipped_at=shipment.shipped_at, strict=False)
        if event != tracking.DELIVERED:
            if locked.tracking_updated_at is not None and moment <= locked.tracking_updated_at:
                return False
            locked.tracking_status, locked.tracking_updated_at = event, moment
            locked.save(update_fields=["tracking_status", "tracking_updated_at"])
            _event(
                vendor_order,
                Kind.PARCEL_TRACKING,
                parcel=locked.pk,
                index=locked.index,
                count=shipment.parcel_count,
                event=event,
                at=moment.isoformat(),
                source=source,
            )
            _save(vendor_order)
            return True
        locked.delivered_at = moment
        locked.tracking_status, locked.tracking_updated_at = event, moment
        locked.save(update_fields=["delivered_at", "tracking_status", "tracking_updated_at"])
        _event(
            vendor_order,
            Kind.PARCEL_DELIVERED,
            parcel=locked.pk,
            index=locked.index,
            count=shipment.parcel_count,
            at=moment.isoformat(),
            source=source,
        )
        _save(vendor_order)
        if not Parcel.objects.filter(shipment=shipment, delivered_at__isnull=True).exists():
            shipment_id = shipment.pk
            last = Parcel.objects.filter(shipment=shipment).order_by("-delivered_at").first()
            shipment_mark_delivered(shipment=shipment_id, at=last.delivered_at, source="carrier")
    return True


def tracking_events_apply(
    *, adapter: tracking.TrackingAdapter, events: Iterable[tracking.TrackingEvent]
) -> TrackingOutcome:
    """Apply a webhook's events; unknown tracking numbers are counted and ignored."""
    outcome = TrackingOutcome()
    for event in events:
        parcel_id = _parcel_for(event, adapter.carriers)
        if parcel_id is None:
            outcome.unknown += 1
            continue
        if parcel_tracking_event_apply(
            parcel=parcel_id, event=event.event, at=event.at, source=adapter.code
        ):
            outcome.applied += 1
        else:
            outcome.duplicates += 1
    return outcome


def carrier_simulate_deliveries(*, now: datetime | None = None, days: int | None = None) -> int:
    """The simulated carrier delivers every parcel CARRIER_SIMULATED_DELIVERY_WORKING_DAYS
    working days after its shipment left (demo and default setup; off with
    CARRIER_SIMULATION=0). Goes through the same path as a real webhook. Returns how many
    parcels it delivered."""
    if not carrier_simulation_enabled():
        return 0
    now = now or timezone.now()
    days = simulated_delivery_working_days() if days is None else max(0, days)
    adapter = tracking.adapter_get(tracking.SimulatedAdapter.code)
    pending = (
        Shipment.objects.filter(
            delivered_at__isnull=True,
            # N working days are at least N calendar days: a cheap first cut.
            shipped_at__lte=now - timedelta(days=days),
            vendor_order__status__in=[VendorOrder.Status.PREPARING, VendorOrder.Status.SHIPPED],
        )
        .prefetch_related("parcels")
        .order_by("shipped_at", "id")
    )
    events = []
    for shipment in pending:
        due = add_business_hours(shipment.shipped_at, 24 * days)
        if due > now:
            continue
        events.extend(
            tracking.TrackingEvent(
                tracking_number=parcel.tracking_number,
                event=tracking.DELIVERED,
                at=due,
                carrier=shipment.carrier,
            )
            for parcel in shipment.parcels.all()
            if parcel.delivered_at is None
        )
    return tracking_events_apply(adapter=adapter, events=events).applied
