"""The customer cancels articles the vendor has not accepted yet (ORD-5, help page "Gestion de
commande" → "Modification du contenu : suppression d'un/des article(s)").

Three moments, three answers — this module writes the first two:

- The vendor has not decided a line yet (the line PENDING, the vendor order "En préparation"
  in WAITING_ACCEPTANCE): the customer cancels it at once, here, and is refunded the article,
  less its part of any discount code, plus the share of the shipping fee attached to it
  (none when shipping was free). Nobody else has to agree: the vendor has promised nothing
  and prepared nothing yet.
- The vendor accepted the line (it may be packing it): cancelling is a *request* to the vendor
  (`allies.aftersales.cancellation_requests`, with its thread); the vendor confirms it before
  shipping (`vendor_order_accepted_lines_cancel`, here: the same cancellation and refund), or
  it is refused because the parcel left.
- Something was shipped: cancelling is impossible; the customer may refuse the parcel at
  delivery, and the vendor may then deduct the return costs (the help page's warning).

How it is written, like the vendor's decisions (`allies.orders.acceptance`): the vendor order
row is locked first (the vendor's accept/refuse locks the same row, so a customer's
cancellation and a vendor's acceptance of the same line never both win: whichever comes
second sees the other's decision); the chosen lines turn CANCELLED, ONE refund is recorded for
all of them in the same transaction (idempotency key "customer-cancel-<vendor order id>-<digest
of the sorted line ids>"; a line is cancelled once, so the key never comes back for other
lines), a LINES_CANCELLED event is written, and once no line is pending the vendor order moves
by the one table (`states.vendor_order_transition`): every line refused or cancelled →
CANCEL ("Annulée"), some accepted → ACCEPT (to ship). After the commit the refund is sent
(`refunds.refunds_send`), the customer gets one email with the amounts and the vendor is told
(`vendors.emails.vendor_email_send`, its addresses and language).

Stock is not given back here, as for the vendor's refusals and the operator's cancellations:
the offer's stock is the vendor's to correct.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from allies.core.errors import AlliesError
from allies.orders.events import Actor, EventKind
from allies.orders.models import Order, OrderLine, VendorOrder
from allies.orders.refunds import (
    LinePart,
    LinesRefund,
    refund_split,
    refunds_send,
    vendor_order_lines_refund_record,
)
from allies.orders.states import UNPAID, VendorOrderAction, vendor_order_transition
from allies.orders.vendor_side import (
    customer_notify,
    french_text,
    vendor_order_event_add,
    vendor_order_touch,
)
from allies.payments.models import Refund
from allies.vendors.emails import vendor_email_send

ZERO = Decimal("0.00")
# A vendor order has a handful of lines; more ids than this in one request is not a person.
MAX_LINES = 200
# Stages where something left the vendor's warehouse: too late to cancel (ORD-5).
SHIPPED_STAGES = frozenset(
    {
        VendorOrder.Status.PARTIALLY_SHIPPED,
        VendorOrder.Status.SHIPPED,
        VendorOrder.Status.DELIVERED,
        VendorOrder.Status.CLOSED,
    }
)


class CancellationError(AlliesError):
    """The cancellation is refused; `message` (French source, translated) can be shown as is.

    Codes: "not_found" (not the customer's order: nothing revealed), "no_lines", "unknown_line",
    "already_decided" (the vendor accepted: ask the vendor), "already_refunded" (the vendor
    refused it: refunded already), "shipped" (too late: refuse the parcel), "invalid_state"
    (the vendor order is not awaiting anything: unpaid, cancelled, refused)."""

    code = "invalid"


def shipped_message() -> str:
    return _(
        "Ces articles sont déjà expédiés : l'annulation n'est plus possible. Vous pouvez refuser "
        "le colis à la livraison ; le vendeur peut alors déduire les frais de retour de votre "
        "remboursement."
    )


def already_decided_message() -> str:
    return _(
        "Le vendeur a déjà accepté cet article : demandez l'annulation au vendeur depuis "
        "l'Assistance en ligne."
    )


@dataclass
class CancellationResult:
    """What `vendor_order_lines_cancel` did: the lines cancelled now (with their `refunded_*`
    amounts) and the refund carrying their money (None when there was nothing to give back,
    or nothing new: a repeated request)."""

    vendor_order: VendorOrder
    cancelled: list[OrderLine] = field(default_factory=list)
    refund: Refund | None = None

    @property
    def refunded(self) -> Decimal:
        return sum((line.refunded_amount for line in self.cancelled), ZERO)

    @property
    def shipping(self) -> Decimal:
        return sum((line.refunded_shipping for line in self.cancelled), ZERO)


def _line_ids(line_ids: Iterable[Any]) -> list[int]:
    """The chosen lines' ids as the page's checkboxes (strings) or a program (ints) give them."""
    if isinstance(line_ids, str | bytes) or not isinstance(line_ids, Iterable):
        raise CancellationError(_("Article inconnu dans cette commande."), code="unknown_line")
    ids: list[int] = []
    for value in line_ids:
        if isinstance(value, OrderLine):
            value = value.pk
        text = str(value).strip()
        # Bounded digits only: a forged value gets a message, never a crash or a huge int.
        if isinstance(value, bool) or not (text.isascii() and text.isdigit() and len(text) < 12):
            raise CancellationError(_("Article inconnu dans cette commande."), code="unknown_line")
        ids.append(int(text))
        if len(ids) > MAX_LINES:
            raise CancellationError(_("Article inconnu dans cette commande."), code="unknown_line")
    if not ids:
        raise CancellationError(_("Choisissez au moins un article à annuler."), code="no_lines")
    return sorted(set(ids))


def refund_key(vendor_order_id: int, line_ids: Iterable[int]) -> str:
    """The refund's idempotency key: the vendor order and the digest of the sorted line ids (a
    line is cancelled once, so two requests with the same key are the same request)."""
    joined = ",".join(str(pk) for pk in sorted(line_ids))
    digest = hashlib.sha256(joined.encode()).hexdigest()[:16]
    return f"customer-cancel-{vendor_order_id}-{digest}"


def _vendor_order_lock(vendor_order: VendorOrder | int, customer: Any) -> VendorOrder:
    pk = vendor_order.pk if isinstance(vendor_order, VendorOrder) else vendor_order
    customer_id = getattr(customer, "pk", None)
    found = None
    if pk is not None and customer_id is not None:
        found = (
            VendorOrder.objects.select_for_update(of=("self",))
            .select_related("order", "vendor")
            .filter(pk=pk, order__customer_id=customer_id)
            .first()
        )
    if found is None:
        # Another customer's vendor order answers exactly like a missing one.
        raise CancellationError(_("Commande introuvable."), code="not_found")
    return found


def _refund_reason(vendor_order: VendorOrder, lines: list[OrderLine]) -> str:
    return ngettext(
        "Article annulé par le client, commande %(ref)s (vendeur %(vendor)s)",
        "%(count)s articles annulés par le client, commande %(ref)s (vendeur %(vendor)s)",
        len(lines),
    ) % {
        "count": len(lines),
        "ref": vendor_order.order.reference,
        "vendor": vendor_order.vendor.name,
    }


def vendor_order_lines_cancel(
    *, vendor_order: VendorOrder | int, customer: Any, line_ids: Iterable[Any]
) -> CancellationResult:
    """Cancel, at the customer's request, lines the vendor has not decided yet, and refund
    them (module doc).

    Only the order's own customer (else "not_found", nothing revealed); only PENDING lines of
    a vendor order awaiting acceptance of a validated order. A line already cancelled is
    skipped (the form sent twice): asking again changes nothing. Anything else refuses the
    whole request with a CancellationError and changes nothing.
    """
    wanted = _line_ids(line_ids)
    actor = Actor.customer(customer)
    now = timezone.now()
    with transaction.atomic():
        locked = _vendor_order_lock(vendor_order, customer)
        lines = list(OrderLine.objects.filter(vendor_order=locked).order_by("id"))
        by_id = {line.pk: line for line in lines}
        if not set(wanted) <= by_id.keys():
            raise CancellationError(_("Article inconnu dans cette commande."), code="unknown_line")
        chosen = [by_id[pk] for pk in wanted if by_id[pk].status != OrderLine.Status.CANCELLED]
        result = CancellationResult(vendor_order=locked)
        if not chosen:
            return result  # every one cancelled already: a repeated request
        # The most telling refusal first: shipped, then decided, then any other stage.
        if locked.status in SHIPPED_STAGES or locked.shipments.exists():
            raise CancellationError(shipped_message(), code="shipped")
        if any(line.status == OrderLine.Status.ACCEPTED for line in chosen):
            raise CancellationError(already_decided_message(), code="already_decided")
        if any(line.status == OrderLine.Status.REFUSED for line in chosen):
            raise CancellationError(
                _("Le vendeur a déjà refusé cet article : il vous est remboursé."),
                code="already_refunded",
            )
        if (
            locked.order.status != Order.Status.VALIDATED
            or locked.status != VendorOrder.Status.WAITING_ACCEPTANCE
        ):
            raise CancellationError(
                _("Cette commande n'a plus d'article en attente du vendeur à annuler."),
                code="invalid_state",
            )
        done = _cancel_and_refund(locked, lines, chosen, result, actor, now)
    refunds_send(refunds=[done])
    result.refund = done.refund
    customer_notify(
        "order_lines_cancelled",
        vendor_order=locked,
        lines=result.cancelled,
        refunded=result.refunded,
        shipping=result.shipping,
        all_cancelled=locked.status == VendorOrder.Status.CANCELLED,
    )
    vendor_email_send(
        vendor=locked.vendor,
        template="vendor_order_lines_cancelled",
        context={
            "order": locked.order,
            "vendor_order": locked,
            "lines": result.cancelled,
            "all_cancelled": locked.status == VendorOrder.Status.CANCELLED,
            "to_ship": locked.status == VendorOrder.Status.TO_SHIP,
        },
    )
    return result


def _cancel_and_refund(
    locked: VendorOrder,
    lines: list[OrderLine],
    chosen: list[OrderLine],
    result: CancellationResult,
    actor: Actor,
    now: Any,
) -> LinesRefund:
    """Cancel `chosen` lines of the locked vendor order and record ONE refund for them (the
    articles, less their discount part, plus their shipping share); write LINES_CANCELLED
    and move the vendor order when nothing is left to decide: cancelled when nothing is
    left to send, to ship when accepted lines remain (from awaiting acceptance). In the
    caller's transaction; the caller sends the refund after the commit."""
    for line in chosen:
        line.status, line.decided_at = OrderLine.Status.CANCELLED, now
    OrderLine.objects.bulk_update(chosen, ["status", "decided_at"])
    done: LinesRefund = vendor_order_lines_refund_record(
        vendor_order=locked,
        lines=chosen,
        reason=french_text(lambda: _refund_reason(locked, chosen)),
        key=refund_key(locked.pk, [line.pk for line in chosen]),
        now=now,
    )
    # The refund service re-read and updated the lines: keep its copies (refunded_*).
    refunded_now = {line.pk: line for line in done.lines}
    result.cancelled = [refunded_now.get(line.pk, line) for line in chosen]
    result.refund = done.refund
    vendor_order_event_add(
        locked,
        EventKind.LINES_CANCELLED,
        actor,
        lines=[
            {
                "id": line.pk,
                "refunded": str(line.refunded_amount),
                "shipping": str(line.refunded_shipping),
                "discount": str(line.refunded_discount),
            }
            for line in result.cancelled
        ],
        refunded=str(result.refunded),
    )
    # `lines` holds the chosen ones too, CANCELLED now.
    if any(line.status == OrderLine.Status.PENDING for line in lines):
        vendor_order_touch(locked)
    elif any(line.status == OrderLine.Status.ACCEPTED for line in lines):
        if locked.status == VendorOrder.Status.WAITING_ACCEPTANCE:
            vendor_order_transition(
                vendor_order=locked, action=VendorOrderAction.ACCEPT, actor=actor, now=now
            )
        else:
            vendor_order_touch(locked)
    else:
        # Nothing left to send: the customer's cancellation caused the move.
        vendor_order_transition(
            vendor_order=locked,
            action=VendorOrderAction.CANCEL,
            actor=actor,
            now=now,
            changes={"cancellation_reason": "customer"},
            reason="customer",
            lines=[line.pk for line in result.cancelled],
        )
    return done


def vendor_order_accepted_lines_cancel(
    *, vendor_order: VendorOrder | int, vendor: Any, line_ids: Iterable[Any], actor: Actor
) -> CancellationResult:
    """The vendor agrees to the customer's request to cancel lines it had accepted, before
    anything shipped (ORD-5: "after, as a request the vendor confirms"). The lines are
    cancelled and refunded exactly as a cancellation before acceptance (`_cancel_and_refund`);
    the customer gets the same email. "shipped" once something left: the request is then
    refused (the customer may refuse the parcel). Another vendor's order is "not_found"."""
    wanted = _line_ids(line_ids)
    now = timezone.now()
    vendor_id = getattr(vendor, "pk", vendor)
    pk = vendor_order.pk if isinstance(vendor_order, VendorOrder) else vendor_order
    with transaction.atomic():
        locked = (
            VendorOrder.objects.select_for_update(of=("self",))
            .select_related("order", "vendor")
            .filter(pk=pk, vendor_id=vendor_id)
            .first()
        )
        if locked is None:
            raise CancellationError(_("Commande introuvable."), code="not_found")
        lines = list(OrderLine.objects.filter(vendor_order=locked).order_by("id"))
        by_id = {line.pk: line for line in lines}
        if not set(wanted) <= by_id.keys():
            raise CancellationError(_("Article inconnu dans cette commande."), code="unknown_line")
        chosen = [by_id[pk] for pk in wanted if by_id[pk].status != OrderLine.Status.CANCELLED]
        result = CancellationResult(vendor_order=locked)
        if not chosen:
            return result
        if locked.status in SHIPPED_STAGES or locked.shipments.exists():
            raise CancellationError(shipped_message(), code="shipped")
        if locked.status != VendorOrder.Status.TO_SHIP or any(
            line.status != OrderLine.Status.ACCEPTED for line in chosen
        ):
            raise CancellationError(
                _("Ces articles ne sont pas des articles acceptés en attente d'expédition."),
                code="invalid_state",
            )
        done = _cancel_and_refund(locked, lines, chosen, result, actor, now)
    refunds_send(refunds=[done])
    result.refund = done.refund
    customer_notify(
        "order_lines_cancelled",
        vendor_order=locked,
        lines=result.cancelled,
        refunded=result.refunded,
        shipping=result.shipping,
        all_cancelled=locked.status == VendorOrder.Status.CANCELLED,
    )
    return result


# --- the page: what the customer may cancel, and what it would give back -------------------


class Stage:
    """What the cancellation page offers for one vendor order (ORD-5, the help page)."""

    OPEN = "open"  # lines still pending: cancel them here, at once
    ASK_VENDOR = "ask_vendor"  # every line decided, nothing shipped: a request to the vendor
    SHIPPED = "shipped"  # too late: refuse the parcel at delivery
    UNPAID = "unpaid"  # the order is not validated: cancel the whole order from its page
    CLOSED = "closed"  # refused or cancelled: nothing left to cancel


@dataclass(frozen=True)
class PendingLine:
    """A line the customer may cancel, with what cancelling it alone would refund."""

    line: OrderLine
    part: LinePart


@dataclass(frozen=True)
class CancellationOptions:
    vendor_order: VendorOrder
    stage: str
    pending: tuple[PendingLine, ...] = ()
    accepted: tuple[OrderLine, ...] = ()


def cancellation_options(*, vendor_order: VendorOrder) -> CancellationOptions:
    """What the page shows for a vendor order the caller already checked is the customer's.

    Reads `vendor_order.lines.all()` and `.shipments.all()` and `vendor_order.order`: prefetch
    them (`selectors.customer_order_get` does) and the page's queries stay bounded. Each
    pending line's amount is the refund of cancelling that line alone now (`refund_split`,
    the one split of the refund service); several lines cancelled together may differ by a
    rounding cent of shipping, and the confirmation gives the exact total.
    """
    lines = list(vendor_order.lines.all())
    status = vendor_order.status
    if vendor_order.order.status != Order.Status.VALIDATED or status in UNPAID:
        stage = Stage.UNPAID
    elif status in SHIPPED_STAGES or list(vendor_order.shipments.all()):
        stage = Stage.SHIPPED
    elif status == VendorOrder.Status.WAITING_ACCEPTANCE:
        stage = Stage.OPEN
    elif status == VendorOrder.Status.TO_SHIP:
        stage = Stage.ASK_VENDOR
    else:
        stage = Stage.CLOSED
    if stage != Stage.OPEN:
        return CancellationOptions(vendor_order=vendor_order, stage=stage)
    pending = []
    for line in lines:
        if line.status != OrderLine.Status.PENDING:
            continue
        split = refund_split(
            lines=lines, refunding=[line.pk], shipping_fee=vendor_order.shipping_fee
        )
        if split.lines:
            pending.append(PendingLine(line=line, part=split.lines[0]))
    return CancellationOptions(
        vendor_order=vendor_order,
        stage=stage,
        pending=tuple(pending),
        accepted=tuple(line for line in lines if line.status == OrderLine.Status.ACCEPTED),
    )
