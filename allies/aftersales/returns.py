"""Withdrawal ("rétractation", RET-1…6): every write of a return, from the customer's request
to the refund.

The flow, as the help page tells it:

1. From the order's "Assistance en ligne", the customer chooses units of a delivered vendor
   order (`return_request_open`). Within 14 calendar days of delivery it is a legal
   withdrawal the vendor must accept; later, a request the vendor may refuse (RET-1). It
   opens a support thread (motif "Retour ou rétractation"): the vendor's 48 h clock runs
   there, and an unanswered request is escalated like any other question.
2. The vendor accepts (`return_accept`: the customer is emailed the return address and the
   date by which to send the parcel, 14 calendar days later, RET-2) or refuses a late
   request with a reason (`return_refuse`).
3. The customer sends the parcel: with a prepaid label (`return_label_issue`; free for
   orders delivered in France, RET-5; the vendor's policy says who pays it, recorded in the
   ledger), or with their own carrier and tracking number (`return_dispatch_declare`;
   without tracking, a lost parcel is not refunded, RET-4).
4. The parcel arrives (`return_mark_received`, by the vendor or the carrier's delivery event
   of the label), the vendor inspects it and decides (`return_refund`: whole, or partial with
   a reason per item, RET-3; `return_reject`: not compliant, sent back). The refund goes
   through the one refund service (`orders.refunds`) with the shipping share of what comes
   back, the standard delivery cost only (L221-24), and the customer is emailed when it is
   triggered (RET-6). It is due within 14 days of the request; the vendor sees the date.

Every status change goes through `return_states.return_transition`; messages go in the
thread; emails are written in the transaction and delivered after it commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from allies.accounts.models import User
from allies.aftersales.errors import ReturnError, ReturnForbidden
from allies.aftersales.holding import Available, available_units
from allies.aftersales.models import (
    Claim,
    DeductionReason,
    LabelPayer,
    RejectionReason,
    ReturnItem,
    ReturnMethod,
    ReturnRequest,
)
from allies.aftersales.return_states import (
    ReturnAction,
    ReturnStatus,
    return_statuses_allowing,
    return_transition,
)
from allies.core.deadlines import add_calendar_days
from allies.core.money import format_eur, round_cent
from allies.ledger.services import ledger_record_return_label
from allies.notifications.services import notification_send
from allies.orders.closing import withdrawal_window_end
from allies.orders.events import Actor, ActorKind, EventKind, order_event_add
from allies.orders.models import OrderLine, ShipmentLine, VendorOrder
from allies.orders.refunds import LinesRefund, refund_split, refunds_send
from allies.orders.refunds import vendor_order_lines_refund_record as lines_refund_record
from allies.payments.services import PaymentError
from allies.shipping import labels, tracking
from allies.shipping.carriers import carrier_get, normalize_tracking_number, tracking_number_error
from allies.support import emails
from allies.support.models import Motif, Thread
from allies.support.services import message_post, thread_open
from allies.vendors.emails import vendor_email_send
from allies.vendors.models import Vendor

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
SEND_BACK_DAYS = 14  # RET-2: calendar days after the vendor's acceptance
REFUND_DAYS = 14  # L221-24: calendar days after the withdrawal
RETURNABLE_VENDOR_ORDER = frozenset({VendorOrder.Status.DELIVERED, VendorOrder.Status.CLOSED})
FREE_RETURN_COUNTRIES = frozenset({"FR"})  # RET-5 (Corsica is FR)
COMMENT_MAX = 2000


# --- what may be returned -------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """RET-1 for one delivered vendor order: until when a return is a legal withdrawal."""

    delivered_on: date
    until: date  # the last day of the legal withdrawal (included)
    legal: bool  # today is within it


def withdrawal_window(*, vendor_order: VendorOrder, now: datetime | None = None) -> Window | None:
    """None while the vendor order is not delivered."""
    if vendor_order.delivered_at is None or vendor_order.status not in RETURNABLE_VENDOR_ORDER:
        return None
    now = now or timezone.now()
    end = withdrawal_window_end(vendor_order.delivered_at)
    return Window(
        delivered_on=timezone.localdate(vendor_order.delivered_at),
        until=timezone.localdate(end) - timedelta(days=1),
        legal=now < end,
    )


def returnable_lines(*, vendor_order: VendorOrder) -> list[Available]:
    """The units of a delivered vendor order the customer may still send back: shipped, not
    refunded, not held by another return or an open claim (`holding.available_units`)."""
    return available_units(vendor_order=vendor_order)


def parse_quantities(raw: Mapping[str, Any], *, allowed: Mapping[int, int]) -> dict[int, int]:
    """Units asked per line from a form or the API ({line id: units}), each within what may
    be returned; ReturnError with the customer's message otherwise."""
    wanted: dict[int, int] = {}
    for key, value in raw.items():
        text = str(key).strip()
        if not text.isascii() or not text.isdigit() or len(text) > 12:
            raise ReturnError(_("Cet article n'est pas dans cette commande."), code="invalid_line")
        line_id = int(text)
        count_text = str(value if value is not None else "").strip() or "0"
        if not count_text.isascii() or not count_text.isdigit() or len(count_text) > 4:
            raise ReturnError(_("Indiquez un nombre d'articles entier."), code="invalid_quantity")
        count = int(count_text)
        if count == 0:
            continue
        if line_id not in allowed:
            raise ReturnError(_("Cet article ne peut pas être retourné."), code="not_returnable")
        if count > allowed[line_id]:
            raise ReturnError(
                _("Vous ne pouvez pas retourner plus de %(count)s exemplaire(s) de cet article.")
                % {"count": allowed[line_id]},
                code="too_many",
            )
        wanted[line_id] = count
    if not wanted:
        raise ReturnError(_("Choisissez au moins un article à retourner."), code="no_items")
    return wanted


# --- the customer's request -----------------------------------------------------------------


def _paris_today(now: datetime) -> date:
    return timezone.localdate(now)


def _request_text(vendor_order: VendorOrder, wanted: Mapping[int, int], legal: bool,
                  comment: str) -> str:  # fmt: skip
    """The thread's first message, in French (the vendor reads the thread as written)."""
    lines = {line.pk: line for line in OrderLine.objects.filter(pk__in=wanted)}
    with override("fr"):
        head = (
            _("Demande de rétractation (délai légal de 14 jours) pour :")
            if legal
            else _("Demande de retour hors délai de rétractation pour :")
        )
        items = [
            f"- {count} × {lines[pk].product_title}"
            + (f" ({lines[pk].variant_label})" if lines[pk].variant_label else "")
            for pk, count in sorted(wanted.items())
        ]
    text = "\n".join([head, *items])
    if comment:
        text += "\n\n" + comment
    return text


def return_request_open(
    *,
    customer: User,
    vendor_order: VendorOrder,
    quantities: Mapping[Any, Any],
    comment: str = "",
    now: datetime | None = None,
) -> ReturnRequest:
    """The customer asks to send back units of a delivered vendor order (RET-1).

    `quantities` maps line ids to units (as a form or the API sends them). Opens the thread
    (the vendor is emailed, its 48 h clock starts) and the return. ReturnError with the
    customer's message, and nothing written, when the order is not theirs, not delivered,
    or the units are not returnable.
    """
    now = now or timezone.now()
    if vendor_order.order.customer_id != customer.pk:
        raise ReturnForbidden(_("Commande introuvable."), code="not_found")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ReturnError(
            _("Votre commentaire dépasse %(count)s caractères.") % {"count": COMMENT_MAX},
            code="comment_too_long",
        )
    with transaction.atomic():
        # The row as it is now (the caller's instance may be older than its delivery).
        locked = VendorOrder.objects.select_for_update().get(pk=vendor_order.pk)
        window = withdrawal_window(vendor_order=locked, now=now)
        if window is None:
            raise ReturnError(
                _("Un retour se demande une fois la commande livrée."), code="not_delivered"
            )
        vendor_order = locked
        allowed = {r.line.pk: r.quantity for r in returnable_lines(vendor_order=locked)}
        wanted = parse_quantities(quantities, allowed=allowed)
        thread = thread_open(
            actor=Actor.customer(customer),
            vendor_order=vendor_order,
            motif=Motif.RETURN,
            body=_request_text(vendor_order, wanted, window.legal, comment),
            now=now,
        )
        request = ReturnRequest.objects.create(
            vendor_order=vendor_order,
            vendor_id=vendor_order.vendor_id,
            customer=customer,
            thread=thread,
            legal=window.legal,
            withdrawal_until=window.until,
            comment=comment,
            refund_due_by=add_calendar_days(_paris_today(now), REFUND_DAYS),
            answer_due_at=thread.vendor_due_at,
        )
        ReturnItem.objects.bulk_create(
            [
                ReturnItem(
                    request=request,
                    vendor_id=vendor_order.vendor_id,
                    order_line_id=line_id,
                    quantity=count,
                )
                for line_id, count in sorted(wanted.items())
            ]
        )
        order_event_add(
            order=vendor_order.order,
            vendor_order=vendor_order,
            kind=EventKind.RETURN_REQUESTED,
            actor=Actor.customer(customer),
            **{"return": request.pk, "legal": window.legal, "units": sum(wanted.values())},
        )
    return request


def return_cancel(*, request: ReturnRequest, customer: User) -> ReturnRequest:
    """The customer withdraws a request not sent yet."""
    if request.customer_id != customer.pk:
        raise ReturnForbidden(_("Demande introuvable."), code="not_found")
    if request.status not in return_statuses_allowing(ReturnAction.CANCEL) or request.sent_at:
        raise ReturnError(
            _("Ce retour ne peut plus être annulé : le colis est déjà en route."),
            code="invalid_state",
        )
    with transaction.atomic():
        return return_transition(
            request=request, action=ReturnAction.CANCEL, actor=Actor.customer(customer)
        )


# --- the vendor's answer --------------------------------------------------------------------


def _vendor_check(request: ReturnRequest, vendor: Vendor | None, actor: Actor) -> None:
    """The vendor's people and programs act on its own returns; staff on any."""
    if actor.kind == ActorKind.STAFF:
        return
    if vendor is None or request.vendor_id != vendor.pk:
        raise ReturnForbidden(_("Retour introuvable."), code="not_found")


def _state_check(request: ReturnRequest, action: ReturnAction, message: str) -> None:
    current = ReturnRequest.objects.values_list("status", flat=True).get(pk=request.pk)
    if current not in return_statuses_allowing(action):
        raise ReturnError(message, code="invalid_state")


def return_address(vendor: Vendor) -> dict[str, str]:
    """Where returns go: the vendor's return address, else its legal address."""
    if vendor.return_street and vendor.return_postcode and vendor.return_city:
        return {
            "name": vendor.name,
            "street": vendor.return_street,
            "postcode": vendor.return_postcode,
            "city": vendor.return_city,
            "country": vendor.return_country or vendor.country or "FR",
        }
    return {
        "name": vendor.name,
        "street": vendor.street,
        "postcode": vendor.postcode,
        "city": vendor.city,
        "country": vendor.country or "FR",
    }


def date_text(day: date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _vendor_message(request: ReturnRequest, actor: Actor, vendor: Vendor | None, body: str,
                    now: datetime) -> None:  # fmt: skip
    """The vendor's answer in the thread (it stops the 48 h clock); the return's own email
    tells the customer, so the thread's is not sent."""
    if request.thread_id is None:  # a parcel refused at delivery: no conversation
        return
    thread = Thread.objects.get(pk=request.thread_id)
    message_post(thread=thread, actor=actor, body=body, vendor=vendor, now=now, notify=False)


def return_accept(
    *, request: ReturnRequest, actor: Actor, vendor: Vendor | None, now: datetime | None = None
) -> ReturnRequest:
    """The vendor accepts: the customer is emailed where to send the parcel and by when
    (RET-2), and how (a prepaid label when delivered in France, RET-5)."""
    _vendor_check(request, vendor, actor)
    _state_check(request, ReturnAction.ACCEPT, _("Cette demande de retour a déjà une réponse."))
    now = now or timezone.now()
    address = return_address(request.vendor)
    send_back_by = add_calendar_days(_paris_today(now), SEND_BACK_DAYS)
    with transaction.atomic():
        with override("fr"):
            body = _("Retour accepté. Renvoyez le colis avant le %(date)s à : %(address)s") % {
                "date": date_text(send_back_by),
                "address": ", ".join(
                    [
                        address["name"],
                        address["street"],
                        f"{address['postcode']} {address['city']}",
                        address["country"],
                    ]  # fmt: skip
                ),
            }
        _vendor_message(request, actor, vendor, body, now)
        return_transition(
            request=request,
            action=ReturnAction.ACCEPT,
            actor=actor,
            now=now,
            changes={"return_address": address, "send_back_by": send_back_by},
        )
        _customer_email(request, "aftersales_return_accepted")
    return request


def return_refuse(
    *,
    request: ReturnRequest,
    actor: Actor,
    vendor: Vendor | None,
    reason: str,
    now: datetime | None = None,
) -> ReturnRequest:
    """The vendor refuses a request made after the legal window (RET-1), with a reason. A
    legal withdrawal cannot be refused."""
    _vendor_check(request, vendor, actor)
    _state_check(request, ReturnAction.REFUSE, _("Cette demande de retour a déjà une réponse."))
    if request.legal:
        raise ReturnError(
            _(
                "Cette demande est une rétractation dans le délai légal de 14 jours : "
                "elle ne peut pas être refusée."
            ),
            code="legal_withdrawal",
        )
    text = " ".join((reason or "").split())
    if not text:
        raise ReturnError(_("Indiquez la raison du refus."), code="reason_required")
    if len(text) > 1000:
        raise ReturnError(_("La raison du refus est trop longue."), code="reason_too_long")
    now = now or timezone.now()
    with transaction.atomic():
        with override("fr"):
            body = _("Retour refusé : %(reason)s") % {"reason": text}
        _vendor_message(request, actor, vendor, body, now)
        return_transition(
            request=request,
            action=ReturnAction.REFUSE,
            actor=actor,
            now=now,
            changes={"refusal_reason": text},
        )
        _customer_email(request, "aftersales_return_refused")
    return request


# --- the parcel -----------------------------------------------------------------------------


def delivery_country(vendor_order: VendorOrder) -> str:
    address = vendor_order.ship_to or {}
    return str(address.get("country") or "FR").upper()


def label_offered(request: ReturnRequest) -> bool:
    """RET-5: the prepaid label, free for the customer, for orders delivered in France."""
    return delivery_country(request.vendor_order) in FREE_RETURN_COUNTRIES


def own_carrier_offered(request: ReturnRequest) -> bool:
    """Sending with one's own carrier: where the vendor's policy allows it, and always from
    outside France (no prepaid label there)."""
    return request.vendor.returns_own_carrier or not label_offered(request)


def label_party(address: Mapping[str, Any], *, name: str = "") -> labels.LabelParty:
    return labels.LabelParty(
        name=name or str(address.get("name") or ""),
        street=str(address.get("street") or address.get("line1") or ""),
        postcode=str(address.get("postcode") or ""),
        city=str(address.get("city") or ""),
        country=str(address.get("country") or "FR"),
    )


def customer_label_party(request: ReturnRequest | Claim) -> labels.LabelParty:
    """The sender of a return label: where the parcel was delivered, and to whom."""
    address = request.vendor_order.ship_to or {}
    name = str(address.get("recipient") or "").strip()
    return label_party(address, name=name or request.customer.get_full_name())


def parcel_weight(request: ReturnRequest | Claim) -> int:
    """The weight a return label declares: the articles sent back (returns and claims)."""
    grams = sum(
        (item.order_line.weight_grams or 0) * item.quantity
        for item in request.items.select_related("order_line")
    )
    return max(grams, 500)  # an unweighed article: the carrier's smallest bracket


def return_label_issue(
    *, request: ReturnRequest, customer: User, now: datetime | None = None
) -> ReturnRequest:
    """The customer chooses the prepaid label (RET-5): the carrier issues it, the vendor's
    policy says who pays (recorded in the ledger), and the parcel's tracking starts. Asking
    again returns the label already issued."""
    if request.customer_id != customer.pk:
        raise ReturnForbidden(_("Demande introuvable."), code="not_found")
    if request.method == ReturnMethod.PREPAID_LABEL and request.tracking_number:
        return request
    if request.status != ReturnStatus.ACCEPTED:
        raise ReturnError(
            _("Le bon de retour s'obtient une fois le retour accepté par le vendeur."),
            code="invalid_state",
        )
    if request.method == ReturnMethod.OWN_CARRIER:
        raise ReturnError(
            _("Vous avez indiqué renvoyer le colis par vos propres moyens."), code="own_carrier"
        )
    if not label_offered(request):
        raise ReturnError(
            _("Le bon de retour prépayé est réservé aux commandes livrées en France."),
            code="label_not_offered",
        )
    now = now or timezone.now()
    try:
        issued = labels.return_label_create(
            sender=customer_label_party(request),
            recipient=label_party(request.return_address or return_address(request.vendor)),
            reference=request.reference,
            weight_grams=parcel_weight(request),
            language=customer.language or "fr",
        )
    except labels.LabelRefused as exc:
        raise ReturnError(exc.message, code="label_refused") from None
    vendor_pays = request.vendor.return_label_payer == LabelPayer.VENDOR
    cost = round_cent(Decimal(settings.RETURN_LABEL_COST))
    with transaction.atomic():
        locked = ReturnRequest.objects.select_for_update().get(pk=request.pk)
        if locked.tracking_number:  # issued meanwhile by a double click
            return locked
        locked.method = ReturnMethod.PREPAID_LABEL
        locked.carrier = issued.carrier
        locked.tracking_number = issued.tracking_number
        locked.label_issued_at = now
        locked.label_payer = LabelPayer.VENDOR if vendor_pays else LabelPayer.OPERATOR
        locked.label_cost = cost
        locked.save(
            update_fields=[
                "method",
                "carrier",
                "tracking_number",
                "label_issued_at",
                "label_payer",
                "label_cost",
                "updated_at",
            ]  # fmt: skip
        )
        ledger_record_return_label(
            vendor_order=request.vendor_order,
            cost=cost,
            vendor_pays=vendor_pays,
            reference=request.reference,
        )
        order_event_add(
            order=request.vendor_order.order,
            vendor_order=request.vendor_order,
            kind=EventKind.RETURN_LABEL,
            actor=Actor.customer(customer),
            **{
                "return": request.pk,
                "carrier": issued.carrier,
                "tracking_number": issued.tracking_number,
            },  # fmt: skip
        )
    return locked


def return_label_pdf(*, request: ReturnRequest) -> bytes:
    """The label's PDF, drawn again from what the carrier issued (downloadable any time)."""
    if not request.tracking_number or request.method != ReturnMethod.PREPAID_LABEL:
        raise ReturnError(_("Aucun bon de retour n'a été émis."), code="no_label")
    return labels.return_label_pdf(
        label_carrier=request.carrier,
        tracking_number=request.tracking_number,
        sender=customer_label_party(request),
        recipient=label_party(request.return_address or return_address(request.vendor)),
        reference=request.reference,
        weight_grams=parcel_weight(request),
        language=request.customer.language or "fr",
    )


def return_dispatch_declare(
    *,
    request: ReturnRequest,
    customer: User,
    carrier: str,
    tracking_number: str,
    now: datetime | None = None,
) -> ReturnRequest:
    """The customer sent the parcel with their own carrier: the tracking number proves the
    dispatch (RET-4) and lets the vendor refund on it (RET-6)."""
    if request.customer_id != customer.pk:
        raise ReturnForbidden(_("Demande introuvable."), code="not_found")
    if request.status != ReturnStatus.ACCEPTED:
        raise ReturnError(_("Ce retour n'attend pas d'envoi de votre part."), code="invalid_state")
    if request.method == ReturnMethod.PREPAID_LABEL:
        raise ReturnError(
            _("Utilisez le bon de retour prépayé déjà émis pour ce retour."), code="label_issued"
        )
    if not own_carrier_offered(request):
        raise ReturnError(
            _("Ce vendeur demande d'utiliser le bon de retour prépayé."), code="label_required"
        )
    if carrier_get(carrier) is None:
        raise ReturnError(_("Choisissez un transporteur dans la liste."), code="invalid_carrier")
    number = normalize_tracking_number(tracking_number or "")
    problem = tracking_number_error(carrier, number) if number else None
    if not number or len(number) > 40:
        raise ReturnError(_("Indiquez le numéro de suivi du colis."), code="tracking_required")
    if problem:
        raise ReturnError(problem, code="invalid_tracking")
    now = now or timezone.now()
    with transaction.atomic():
        return_transition(
            request=request,
            action=ReturnAction.SHIP,
            actor=Actor.customer(customer),
            now=now,
            changes={
                "method": ReturnMethod.OWN_CARRIER,
                "carrier": carrier,
                "tracking_number": number,
            },  # fmt: skip
            carrier=carrier,
            tracking_number=number,
        )
        _vendor_email(request, "aftersales_vendor_return_sent")
    return request


def return_mark_received(
    *, request: ReturnRequest, actor: Actor, vendor: Vendor | None, now: datetime | None = None
) -> ReturnRequest:
    """The parcel reached the vendor (the vendor says so, or the label's carrier)."""
    _vendor_check(request, vendor, actor)
    _state_check(
        request,
        ReturnAction.RECEIVE,
        _("Ce retour ne peut pas être marqué reçu dans son état actuel."),
    )
    with transaction.atomic():
        return_transition(request=request, action=ReturnAction.RECEIVE, actor=actor, now=now)
        _customer_email(request, "aftersales_return_received")
    return request


def return_on_tracking_event(
    *, carrier: str, tracking_number: str, event: str, at: datetime, source: str
) -> bool | None:
    """Receiver of the hook `tracking_event_unmatched`: the carrier's events of a prepaid
    label move its return (first scan: sent; delivered: received). None when the number is
    no return's; False when the event changes nothing."""
    request = (
        ReturnRequest.objects.filter(
            tracking_number=tracking_number, method=ReturnMethod.PREPAID_LABEL
        )
        .select_related("vendor_order__order")
        .first()
    )
    if request is None:
        return None
    if carrier and request.carrier and carrier != request.carrier:
        return None
    moved = False
    with transaction.atomic():
        if request.status == ReturnStatus.ACCEPTED and event in (
            tracking.IN_TRANSIT,
            tracking.OUT_FOR_DELIVERY,
            tracking.DELIVERED,
        ):
            return_transition(request=request, action=ReturnAction.SHIP, actor=None, now=at,
                              source=source)  # fmt: skip
            moved = True
        if request.status == ReturnStatus.SENT and event == tracking.DELIVERED:
            return_transition(request=request, action=ReturnAction.RECEIVE, actor=None, now=at,
                              source=source)  # fmt: skip
            _customer_email(request, "aftersales_return_received")
            _vendor_email(request, "aftersales_vendor_return_delivered")
            moved = True
    return moved


# --- the inspection and the refund ----------------------------------------------------------


@dataclass(frozen=True)
class Deduction:
    amount: Decimal
    reason: str


def parse_deduction(amount: Any, reason: Any) -> Deduction:
    """A deduction from a form or the API: euros with at most two decimals, not negative,
    bounded like its column; a reason from the list when there is an amount."""
    text = str(amount if amount is not None else "").strip().replace(",", ".") or "0"
    invalid = ReturnError(
        _("Indiquez une retenue en euros, par exemple 12,50."), code="invalid_amount"
    )
    if not text.isascii() or len(text) > 12:
        raise invalid
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise invalid from None
    # Bounds before rounding: rounding "1e999" to the cent would overflow the context.
    if not value.is_finite() or value < 0 or value >= 10**8 or value != round_cent(value):
        raise invalid
    reason = str(reason or "")
    if value > 0 and reason not in DeductionReason.values:
        raise ReturnError(_("Indiquez le motif de la retenue."), code="reason_required")
    return Deduction(amount=round_cent(value), reason=reason if value > 0 else "")


def standard_refund_fee(vendor_order: VendorOrder) -> Decimal | None:
    """The delivery fee a withdrawal refunds (L221-24): the standard one, never more than
    paid; None on older orders (the fee paid)."""
    fee = vendor_order.standard_shipping_fee
    return None if fee is None else min(fee, vendor_order.shipping_fee)


def return_refund_preview(
    *, request: ReturnRequest, deductions: Mapping[int, Deduction] | None = None
) -> dict[str, Any]:
    """What `return_refund` would give back now, item by item: articles, shipping share,
    discount part, deduction, and the total; ReturnError when a deduction exceeds what an
    item gives back."""
    deductions = deductions or {}
    items = list(request.items.select_related("order_line").order_by("id"))
    vendor_order = request.vendor_order
    lines = list(OrderLine.objects.filter(vendor_order=vendor_order).order_by("id"))
    wanted = {item.order_line_id: item.quantity for item in items}
    gross = refund_split(
        lines=lines,
        refunding=wanted,
        shipping_fee=vendor_order.shipping_fee,
        shipping_cap=standard_refund_fee(vendor_order),
    )
    by_line = {part.line_id: part for part in gross.lines}
    asked: dict[int, Decimal] = {}
    for item in items:
        deduction = deductions.get(item.pk)
        if deduction is None or not deduction.amount:
            continue
        part = by_line.get(item.order_line_id)
        most = part.articles - part.discount if part is not None else ZERO
        if deduction.amount > most:
            raise ReturnError(
                _("La retenue sur « %(title)s » ne peut pas dépasser %(amount)s.")
                % {
                    "title": item.order_line.product_title,
                    "amount": format_eur(most, language=_language()),
                },  # fmt: skip
                code="deduction_too_large",
            )
        asked[item.order_line_id] = deduction.amount
    if request.refused_shipment_id is not None:
        # ORD-5: a refused parcel's refund keeps at most the return cost the vendor's policy
        # states (shown to the customer before refusing).
        most = request.vendor.refused_parcel_cost
        if sum(asked.values(), ZERO) > most:
            raise ReturnError(
                _("Pour un colis refusé, la retenue ne peut pas dépasser %(amount)s.")
                % {"amount": format_eur(most, language=_language())},
                code="deduction_too_large",
            )
    split = refund_split(
        lines=lines,
        refunding=wanted,
        shipping_fee=vendor_order.shipping_fee,
        shipping_cap=standard_refund_fee(vendor_order),
        deductions=asked,
    )
    return {"split": split, "items": items, "deductions": asked}


def _language() -> str:
    from django.utils.translation import get_language

    return (get_language() or "fr")[:2]


def return_refund(
    *,
    request: ReturnRequest,
    actor: Actor,
    vendor: Vendor | None,
    deductions: Mapping[int, Deduction] | None = None,
    note: str = "",
    now: datetime | None = None,
) -> ReturnRequest:
    """The vendor refunds the return, whole or with deductions (RET-3), once the parcel is
    received or its dispatch proven (RET-6). One refund through the refund service (the
    units, their shipping share capped at the standard delivery cost, less their discount
    part and the deductions); the customer is emailed the exact amount. Deductions are keyed
    by return item id."""
    _vendor_check(request, vendor, actor)
    _state_check(
        request,
        ReturnAction.REFUND,
        _("Ce retour ne peut être remboursé qu'une fois le colis reçu ou son envoi prouvé."),
    )
    deductions = dict(deductions or {})
    known = set(request.items.values_list("pk", flat=True))
    if not set(deductions) <= known:
        raise ReturnError(_("Cet article n'est pas dans ce retour."), code="invalid_item")
    note = " ".join((note or "").split())[:1000]
    return_refund_preview(request=request, deductions=deductions)  # checks the amounts
    now = now or timezone.now()
    done: LinesRefund
    try:
        with transaction.atomic():
            locked = ReturnRequest.objects.select_for_update().get(pk=request.pk)
            if locked.status not in return_statuses_allowing(ReturnAction.REFUND):
                raise ReturnError(_("Ce retour est déjà traité."), code="invalid_state")
            items = list(locked.items.select_related("order_line").order_by("id"))
            by_line = {item.order_line_id: item for item in items}
            with override("fr"):
                reason = _("Retour %(ref)s") % {"ref": request.reference}
            done = lines_refund_record(
                vendor_order=request.vendor_order,
                lines={item.order_line_id: item.quantity for item in items},
                deductions={
                    item.order_line_id: deductions[item.pk].amount
                    for item in items
                    if item.pk in deductions
                },
                shipping_cap=standard_refund_fee(request.vendor_order),
                reason=reason,
                key=f"return-{request.pk}",
                now=now,
            )
            for part in done.split.lines:
                item = by_line[part.line_id]
                item.refunded_amount = part.total
                item.deduction = part.deduction
                chosen = deductions.get(item.pk)
                item.deduction_reason = chosen.reason if chosen and part.deduction else ""
            ReturnItem.objects.bulk_update(
                items, ["refunded_amount", "deduction", "deduction_reason"]
            )
            return_transition(
                request=locked,
                action=ReturnAction.REFUND,
                actor=actor,
                now=now,
                changes={
                    "refund": done.refund,
                    "refunded_amount": done.amount,
                    "inspection_note": note,
                },
                amount=str(done.amount),
                deduction=str(done.split.deduction),
            )
            with override("fr"):
                body = _("Remboursement de %(amount)s déclenché.") % {
                    "amount": format_eur(done.amount, language="fr")
                }
            _vendor_message(locked, actor, vendor, body, now)
            _customer_email(locked, "aftersales_return_refunded", refunded=done)
    except PaymentError as exc:
        raise ReturnError(str(exc), code="refund_refused") from None
    refunds_send(refunds=[done])
    request.refresh_from_db()
    return request


def return_reject(
    *,
    request: ReturnRequest,
    actor: Actor,
    vendor: Vendor | None,
    reason: str,
    note: str = "",
    now: datetime | None = None,
) -> ReturnRequest:
    """Not compliant after inspection (RET-3: refund "refused"): the item goes back to the
    customer, nothing is refunded; the customer is emailed why. The operator sees it in
    the thread and may step in."""
    _vendor_check(request, vendor, actor)
    _state_check(
        request, ReturnAction.REJECT, _("Ce retour ne peut pas être refusé dans son état actuel.")
    )
    if reason not in RejectionReason.values:
        raise ReturnError(_("Indiquez le motif de la non-conformité."), code="reason_required")
    note = " ".join((note or "").split())
    if reason == RejectionReason.OTHER and not note:
        raise ReturnError(_("Expliquez la non-conformité au client."), code="note_required")
    now = now or timezone.now()
    with transaction.atomic():
        with override("fr"):
            body = _("Retour non conforme : %(reason)s. L'article vous est renvoyé.") % {
                "reason": RejectionReason(reason).label
            }
            if note:
                body += "\n" + note[:1000]
        _vendor_message(request, actor, vendor, body, now)
        return_transition(
            request=request,
            action=ReturnAction.REJECT,
            actor=actor,
            now=now,
            changes={"rejection_reason": reason, "inspection_note": note[:1000]},
        )
        _customer_email(request, "aftersales_return_rejected")
    return request


def returns_expire(*, now: datetime | None = None) -> int:
    """Close accepted returns whose send-back date passed with nothing sent (RET-2); the
    units may be asked again only by a new request. Returns how many."""
    now = now or timezone.now()
    today = _paris_today(now)
    count = 0
    due = ReturnRequest.objects.filter(
        status=ReturnStatus.ACCEPTED, send_back_by__lt=today
    ).select_related("vendor_order__order")
    for request in due:
        try:
            with transaction.atomic():
                return_transition(request=request, action=ReturnAction.EXPIRE, actor=None, now=now)
        except Exception:  # noqa: BLE001 — one bad row must not stop the sweep
            logger.exception("return %s could not expire", request.pk)
            continue
        count += 1
    return count


def return_on_parcel_refused(
    *, vendor_order: VendorOrder, parcel: Any, event: str, at: datetime, source: str
) -> None:
    """Receiver of the hook `parcel_refused` (ORD-5): the customer refused the parcel at
    delivery. The first refusal of a shipment opens its return on the vendor's side, already
    on its way back (every unit of the shipment; no thread: nobody wrote); the carrier's
    arrival at the vendor's marks it received. The vendor then refunds, keeping at most the
    return cost of its policy (`Vendor.refused_parcel_cost`)."""
    shipment = parcel.shipment
    if event == tracking.RETURNED:
        found = ReturnRequest.objects.filter(refused_shipment=shipment).first()
        if found is not None and found.status == ReturnStatus.SENT:
            return_transition(request=found, action=ReturnAction.RECEIVE, actor=None, now=at,
                              source=source)  # fmt: skip
            _vendor_email(found, "aftersales_vendor_return_delivered")
        return
    if ReturnRequest.objects.filter(refused_shipment=shipment).exists():
        return
    units = dict(
        ShipmentLine.objects.filter(shipment=shipment).values_list("order_line_id", "quantity")
    )
    if not units:
        return
    today = _paris_today(at)
    request = ReturnRequest.objects.create(
        vendor_order=vendor_order,
        vendor_id=vendor_order.vendor_id,
        customer_id=vendor_order.order.customer_id,
        refused_shipment=shipment,
        status=ReturnStatus.SENT,  # opened on its way back: the carrier carries it
        legal=True,  # refusing the parcel is withdrawing before delivery
        withdrawal_until=today,
        refund_due_by=add_calendar_days(today, REFUND_DAYS),
        carrier=shipment.carrier,
        tracking_number=parcel.tracking_number,
        sent_at=at,
    )
    ReturnItem.objects.bulk_create(
        [
            ReturnItem(
                request=request,
                vendor_id=vendor_order.vendor_id,
                order_line_id=line_id,
                quantity=count,
            )  # fmt: skip
            for line_id, count in sorted(units.items())
        ]
    )
    order_event_add(
        order=vendor_order.order,
        vendor_order=vendor_order,
        kind=EventKind.RETURN_SENT,
        actor=None,
        **{"return": request.pk, "refused": True, "source": source},
    )
    _vendor_email(request, "aftersales_vendor_parcel_refused")
    _customer_email(request, "aftersales_parcel_refused")


def vendor_order_after_sales_open(*, vendor_order: VendorOrder) -> bool:
    """Receiver of the hook `vendor_order_after_sales_open`: a return still being handled
    keeps its vendor order from closing."""
    from allies.aftersales.return_states import OPEN_STATUSES

    return ReturnRequest.objects.filter(
        vendor_order_id=vendor_order.pk, status__in=OPEN_STATUSES
    ).exists()


# --- emails ---------------------------------------------------------------------------------


def _customer_email(request: ReturnRequest, template: str, **extra: Any) -> None:
    context = {"return_request": request, "label_offered": label_offered(request), **extra}
    if request.thread_id is None:  # a refused parcel's return: no thread to reply to
        notification_send(template=template, user=request.customer, context=context)
        return
    thread = Thread.objects.select_related("customer", "vendor").get(pk=request.thread_id)
    emails.customer_email_send(thread=thread, template=template, **context)


def _vendor_email(request: ReturnRequest, template: str, **extra: Any) -> None:
    if request.thread_id is None:
        vendor_email_send(vendor=request.vendor, template=template,
                          context={"return_request": request, **extra})  # fmt: skip
        return
    thread = Thread.objects.select_related("customer", "vendor").get(pk=request.thread_id)
    emails.vendor_email_send(thread=thread, template=template, return_request=request, **extra)
