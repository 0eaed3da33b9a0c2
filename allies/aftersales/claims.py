"""After-sales claims ("demande de SAV", SAV-1…4): every write of a claim, from the customer's
request with photos to the refund, the repair, the exchange or the missing parts.

The flow, as the help page tells it:

1. From the order's "Assistance en ligne", motif broken / incomplete / not as described, the
   customer describes each item, adds photos (mandatory, SAV-1) and says what they want:
   "Remplacement du produit", "Remboursement" or "Réception des pièces manquantes"
   (`claim_open`). It opens a support thread with the problem's motif: the vendor answers
   within 48 business hours, French public holidays excluded (SAV-2), and an unanswered claim
   is escalated to the operator like any other request.
2. The vendor answers: the item comes back at its cost (SAV-3), with a prepaid label issued at
   once or a home pickup on dates it offers, of which the customer picks one
   (`claim_return_propose`, `claim_pickup_choose`); or it settles without the item (a refund,
   missing parts or a replacement sent at once, `claim_settle`); or it refuses with a reason
   (`claim_refuse`), and the customer may turn to the operator from the thread.
3. The item arrives (`claim_mark_received`, or the carrier's delivery event of the label or
   the pickup). After inspection (`claim_settle`, SAV-4): defect confirmed, the vendor
   repairs or exchanges, or refunds when it can do neither; no defect, a refund asked is
   treated as a withdrawal with the return's cost deducted (the claim form said so before the
   customer sent it), else the item goes back to the customer (`claim_reject`).
4. A replacement, the repaired item or the missing parts travel as a new free shipment with
   its carrier and tracking number, on the order's timeline; its delivery event is recorded.

Refunds go through the one refund service (`orders.refunds`): a defective item gives back its
price and its whole shipping share; a refund treated as a withdrawal gives back the standard
delivery share only, less the return's cost. The customer is emailed once per refund.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from allies.accounts.models import User
from allies.aftersales.claim_states import (
    OPEN_STATUSES,
    ClaimAction,
    ClaimStatus,
    claim_statuses_allowing,
    claim_transition,
)
from allies.aftersales.errors import ClaimError, ClaimForbidden
from allies.aftersales.holding import available_units
from allies.aftersales.models import (
    Claim,
    ClaimItem,
    ClaimPhoto,
    ClaimProblem,
    ClaimRemedy,
    ClaimResolution,
    ClaimReturnMode,
)
from allies.aftersales.returns import (
    RETURNABLE_VENDOR_ORDER,
    customer_label_party,
    date_text,
    label_party,
    parcel_weight,
    return_address,
    standard_refund_fee,
)
from allies.core.deadlines import add_business_hours, is_working_day
from allies.core.money import format_eur, round_cent
from allies.ledger.services import ledger_record_return_label
from allies.orders.events import Actor, ActorKind, EventKind, order_event_add
from allies.orders.models import OrderLine, VendorOrder
from allies.orders.refunds import LinesRefund, refund_split, refunds_send
from allies.orders.refunds import vendor_order_lines_refund_record as lines_refund_record
from allies.payments.services import PaymentError
from allies.shipping import labels, tracking
from allies.shipping.carriers import carrier_get, normalize_tracking_number, tracking_number_error
from allies.support import emails
from allies.support.attachments import (
    AttachmentRefused,
    CheckedFile,
    attachment_check,
    attachments_store,
    files_removed_on_failure,
)
from allies.support.models import Message, Thread
from allies.support.services import message_post, thread_open
from allies.support.states import vendor_answer_hours
from allies.vendors.models import Vendor

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
DESCRIPTION_MAX = 2000
PHOTOS_PER_ITEM = 5
MAX_ITEMS = 20
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
PICKUP_DATES_MAX = 5
PICKUP_HORIZON_DAYS = 21  # a pickup date offered is within three weeks
REASON_MAX = 1000
# The remedies a problem may ask for: missing parts only for an incomplete parcel.
REMEDIES_BY_PROBLEM: dict[str, tuple[str, ...]] = {
    ClaimProblem.DAMAGED: (ClaimRemedy.REPLACEMENT, ClaimRemedy.REFUND),
    ClaimProblem.INCOMPLETE: (
        ClaimRemedy.MISSING_PARTS,
        ClaimRemedy.REPLACEMENT,
        ClaimRemedy.REFUND,
    ),
    ClaimProblem.NOT_AS_DESCRIBED: (ClaimRemedy.REPLACEMENT, ClaimRemedy.REFUND),
}


def claim_answer_due(start: datetime) -> datetime:
    """SAV-2: 48 business hours (the same clock as the claim's thread)."""
    return add_business_hours(start, vendor_answer_hours())


# --- what may be claimed --------------------------------------------------------------------


def claimable(vendor_order: VendorOrder) -> bool:
    """A claim is made on a delivered vendor order, within the window or after it (the legal
    guarantee of conformity outlives the withdrawal window)."""
    return vendor_order.delivered_at is not None and vendor_order.status in RETURNABLE_VENDOR_ORDER


@dataclass
class ItemInput:
    """One item of the claim form or the API, as typed: units, description and files."""

    quantity: Any = "1"
    description: str = ""
    photos: Sequence[Any] = field(default_factory=tuple)


@dataclass(frozen=True)
class CheckedItem:
    line: OrderLine
    quantity: int
    description: str
    photos: list[CheckedFile]


def _count(value: Any) -> int:
    text = str(value if value is not None else "").strip() or "0"
    if not text.isascii() or not text.isdigit() or len(text) > 4:
        raise ClaimError(_("Indiquez un nombre d'articles entier."), code="invalid_quantity")
    return int(text)


def _check_items(vendor_order: VendorOrder, items: Mapping[Any, ItemInput]) -> list[CheckedItem]:
    """Every item within what may be claimed, described, with at least one photo (SAV-1);
    ClaimError with the customer's message otherwise."""
    allowed = {a.line.pk: a for a in available_units(vendor_order=vendor_order)}
    checked: list[CheckedItem] = []
    if len(items) > MAX_ITEMS:
        raise ClaimError(_("Cet article n'est pas dans cette commande."), code="invalid_line")
    for key, item in items.items():
        text = str(key).strip()
        if not text.isascii() or not text.isdigit() or len(text) > 12:
            raise ClaimError(_("Cet article n'est pas dans cette commande."), code="invalid_line")
        count = _count(item.quantity)
        if count == 0:
            continue
        available = allowed.get(int(text))
        if available is None:
            raise ClaimError(
                _("Cet article ne peut pas faire l'objet d'une réclamation."),
                code="not_claimable",
            )
        title = available.line.product_title
        if count > available.quantity:
            raise ClaimError(
                _("Vous ne pouvez pas déclarer plus de %(count)s exemplaire(s) de « %(title)s ».")
                % {"count": available.quantity, "title": title},
                code="too_many",
            )
        description = (item.description or "").strip()
        if not description:
            raise ClaimError(
                _("Décrivez le problème de « %(title)s ».") % {"title": title},
                code="description_required",
            )
        if len(description) > DESCRIPTION_MAX:
            raise ClaimError(
                _("La description de « %(title)s » dépasse %(count)s caractères.")
                % {"title": title, "count": DESCRIPTION_MAX},
                code="description_too_long",
            )
        files = list(item.photos or ())
        if len(files) > PHOTOS_PER_ITEM:
            raise ClaimError(
                _("Joignez au plus %(count)s fichiers pour « %(title)s ».")
                % {"count": PHOTOS_PER_ITEM, "title": title},
                code="too_many_files",
            )
        try:
            photos = [attachment_check(file) for file in files]
        except AttachmentRefused as exc:
            raise ClaimError(exc.message, code=exc.code) from None
        if not any(photo.content_type in IMAGE_TYPES for photo in photos):
            raise ClaimError(
                _("Ajoutez au moins une photo de « %(title)s » : elle est obligatoire.")
                % {"title": title},
                code="photo_required",
            )
        checked.append(
            CheckedItem(
                line=available.line, quantity=count, description=description, photos=photos
            )  # fmt: skip
        )
    if not checked:
        raise ClaimError(_("Choisissez au moins un article concerné."), code="no_items")
    return checked


# --- the customer's claim -------------------------------------------------------------------


def _claim_text(problem: str, remedy: str, items: Sequence[CheckedItem]) -> str:
    """The thread's first message, in French (the vendor reads the thread as written)."""
    with override("fr"):
        head = _("Réclamation : %(problem)s. Solution souhaitée : %(remedy)s.") % {
            "problem": ClaimProblem(problem).label,
            "remedy": ClaimRemedy(remedy).label,
        }
        parts = [head]
        for item in items:
            variant = f" ({item.line.variant_label})" if item.line.variant_label else ""
            parts.append(
                f"\n{item.quantity} × {item.line.product_title}{variant}\n{item.description}"
            )
    return "\n".join(parts)


def claim_open(
    *,
    customer: User,
    vendor_order: VendorOrder,
    problem: str,
    remedy: str,
    items: Mapping[Any, ItemInput],
    now: datetime | None = None,
) -> Claim:
    """The customer's claim about items of a delivered vendor order (SAV-1).

    `items` maps line ids to what the form or the API sent. Opens the thread (its motif is
    the problem; the vendor is emailed and has 48 business hours, SAV-2), the claim, its
    items and their photos (stored as the first message's attachments). ClaimError with the
    customer's message, and nothing written (no file left behind), otherwise.
    """
    now = now or timezone.now()
    if vendor_order.order.customer_id != customer.pk:
        raise ClaimForbidden(_("Commande introuvable."), code="not_found")
    if problem not in ClaimProblem.values:
        raise ClaimError(_("Choisissez le problème rencontré."), code="invalid_problem")
    if remedy not in REMEDIES_BY_PROBLEM[problem]:
        raise ClaimError(_("Choisissez la solution souhaitée."), code="invalid_remedy")
    with files_removed_on_failure(), transaction.atomic():
        locked = VendorOrder.objects.select_for_update().get(pk=vendor_order.pk)
        if not claimable(locked):
            raise ClaimError(
                _("Une réclamation se fait une fois la commande livrée."), code="not_delivered"
            )
        checked = _check_items(locked, items)
        thread = thread_open(
            actor=Actor.customer(customer),
            vendor_order=locked,
            motif=problem,
            body=_claim_text(problem, remedy, checked),
            now=now,
        )
        claim = Claim.objects.create(
            vendor_order=locked,
            vendor_id=locked.vendor_id,
            customer=customer,
            thread=thread,
            problem=problem,
            remedy=remedy,
            answer_due_at=claim_answer_due(now),
        )
        first = Message.objects.filter(thread=thread).order_by("id").first()
        assert first is not None
        for item in checked:
            row = ClaimItem.objects.create(
                claim=claim,
                vendor_id=locked.vendor_id,
                order_line=item.line,
                quantity=item.quantity,
                description=item.description,
            )
            stored = attachments_store(message=first, files=item.photos)
            ClaimPhoto.objects.bulk_create(
                [
                    ClaimPhoto(item=row, vendor_id=locked.vendor_id, attachment=attachment)
                    for attachment in stored
                ]
            )
        order_event_add(
            order=locked.order,
            vendor_order=locked,
            kind=EventKind.CLAIM_OPENED,
            actor=Actor.customer(customer),
            claim=claim.pk,
            problem=problem,
            remedy=remedy,
        )
    claim.vendor_order = locked
    return claim


def claim_cancel(*, claim: Claim, customer: User, now: datetime | None = None) -> Claim:
    """The customer withdraws a claim whose item has not left."""
    if claim.customer_id != customer.pk:
        raise ClaimForbidden(_("Réclamation introuvable."), code="not_found")
    current = Claim.objects.values_list("status", flat=True).get(pk=claim.pk)
    if current not in claim_statuses_allowing(ClaimAction.CANCEL):
        raise ClaimError(_("Cette réclamation ne peut plus être annulée."), code="invalid_state")
    with transaction.atomic():
        return claim_transition(
            claim=claim, action=ClaimAction.CANCEL, actor=Actor.customer(customer), now=now
        )


# --- the vendor's answer --------------------------------------------------------------------


def _vendor_check(claim: Claim, vendor: Vendor | None, actor: Actor) -> None:
    """The vendor's people and programs act on its own claims; staff on any."""
    if actor.kind == ActorKind.STAFF:
        return
    if vendor is None or claim.vendor_id != vendor.pk:
        raise ClaimForbidden(_("Réclamation introuvable."), code="not_found")


def _state_check(claim: Claim, action: ClaimAction, message: str) -> None:
    current = Claim.objects.values_list("status", flat=True).get(pk=claim.pk)
    if current not in claim_statuses_allowing(action):
        raise ClaimError(message, code="invalid_state")


def _vendor_message(claim: Claim, actor: Actor, vendor: Vendor | None, body: str,
                    now: datetime) -> None:  # fmt: skip
    """The vendor's answer in the thread (it stops the clock); the claim's own email tells
    the customer, so the thread's is not sent."""
    thread = Thread.objects.get(pk=claim.thread_id)
    message_post(thread=thread, actor=actor, body=body, vendor=vendor, now=now, notify=False)


def parse_pickup_dates(raw: Sequence[Any], *, now: datetime) -> list[date]:
    """The dates a vendor offers for a home pickup: one to five working days, from tomorrow
    to three weeks ahead, as ISO dates ("2026-12-14"); ClaimError otherwise."""
    today = timezone.localdate(now)
    dates: set[date] = set()
    if len(raw) > PICKUP_DATES_MAX * 4:
        raise ClaimError(_("Proposez au plus %(count)s dates.") % {"count": PICKUP_DATES_MAX},
                         code="too_many_dates")  # fmt: skip
    for value in raw:
        text = str(value or "").strip()
        if not text:
            continue
        try:
            if not text.isascii() or len(text) != 10:
                raise ValueError
            day = date.fromisoformat(text)
        except ValueError:
            raise ClaimError(
                _("Indiquez des dates au format JJ/MM/AAAA."), code="invalid_date"
            ) from None
        if day <= today or day > today + timedelta(days=PICKUP_HORIZON_DAYS):
            raise ClaimError(
                _("Proposez des dates entre demain et dans %(days)s jours.")
                % {"days": PICKUP_HORIZON_DAYS},
                code="date_out_of_range",
            )
        if not is_working_day(day):
            raise ClaimError(
                _("Le %(date)s n'est pas un jour ouvré : proposez un autre jour.")
                % {"date": date_text(day)},
                code="not_working_day",
            )
        dates.add(day)
    if not dates:
        raise ClaimError(_("Proposez au moins une date d'enlèvement."), code="dates_required")
    if len(dates) > PICKUP_DATES_MAX:
        raise ClaimError(_("Proposez au plus %(count)s dates.") % {"count": PICKUP_DATES_MAX},
                         code="too_many_dates")  # fmt: skip
    return sorted(dates)


def _claim_label(claim: Claim, address: Mapping[str, Any], language: str) -> labels.ReturnLabel:
    try:
        return labels.return_label_create(
            sender=customer_label_party(claim),
            recipient=label_party(address),
            reference=claim.reference,
            weight_grams=parcel_weight(claim),
            language=language,
        )
    except labels.LabelRefused as exc:
        raise ClaimError(exc.message, code="label_refused") from None


def claim_return_propose(
    *,
    claim: Claim,
    actor: Actor,
    vendor: Vendor | None,
    mode: str,
    pickup_dates: Sequence[Any] = (),
    message: str = "",
    now: datetime | None = None,
) -> Claim:
    """The vendor asks for the item back, at its cost (SAV-3): a prepaid label issued at once
    (the customer prints it and drops the parcel at a relay point), or a home pickup on one
    of the dates it offers (the customer picks one). The return's cost is the vendor's,
    recorded in the ledger when the label is issued or the pickup booked."""
    _vendor_check(claim, vendor, actor)
    _state_check(claim, ClaimAction.PROPOSE_RETURN, _("Cette réclamation a déjà une réponse."))
    now = now or timezone.now()
    if mode not in ClaimReturnMode.values:
        raise ClaimError(_("Choisissez comment le produit vous revient."), code="invalid_mode")
    text = " ".join((message or "").split())
    if len(text) > REASON_MAX:
        raise ClaimError(_("Votre message est trop long."), code="message_too_long")
    dates = parse_pickup_dates(pickup_dates, now=now) if mode == ClaimReturnMode.PICKUP else []
    address = return_address(claim.vendor)
    changes: dict[str, Any] = {"return_mode": mode, "return_address": address}
    issued = None
    if mode == ClaimReturnMode.LABEL:
        issued = _claim_label(claim, address, claim.customer.language or "fr")
        changes.update(
            carrier=issued.carrier,
            tracking_number=issued.tracking_number,
            label_issued_at=now,
            return_cost=round_cent(Decimal(settings.RETURN_LABEL_COST)),
        )
    else:
        changes.update(
            pickup_dates=[day.isoformat() for day in dates],
            return_cost=round_cent(Decimal(settings.RETURN_PICKUP_COST)),
        )
    with transaction.atomic():
        with override("fr"):
            if mode == ClaimReturnMode.LABEL:
                body = _(
                    "Nous reprenons le produit à nos frais : votre bon de retour prépayé est "
                    "prêt dans votre espace. Collez-le sur le colis et déposez-le en point relais."
                )
            else:
                body = _(
                    "Nous reprenons le produit à nos frais : un transporteur vient l'enlever à "
                    "votre domicile. Choisissez une date parmi : %(dates)s."
                ) % {"dates": ", ".join(date_text(day) for day in dates)}
            if text:
                body += "\n" + text
        _vendor_message(claim, actor, vendor, body, now)
        claim_transition(
            claim=claim,
            action=ClaimAction.PROPOSE_RETURN,
            actor=actor,
            now=now,
            changes=changes,
            mode=mode,
        )
        if issued is not None:
            ledger_record_return_label(
                vendor_order=claim.vendor_order,
                cost=claim.return_cost,
                vendor_pays=True,
                reference=claim.reference,
            )
        _customer_email(claim, "aftersales_claim_return_proposed")
    return claim


def claim_pickup_choose(
    *, claim: Claim, customer: User, day: Any, now: datetime | None = None
) -> Claim:
    """The customer picks one of the vendor's pickup dates: the carrier is booked (its
    waybill's tracking number follows the parcel) and the vendor emailed."""
    if claim.customer_id != customer.pk:
        raise ClaimForbidden(_("Réclamation introuvable."), code="not_found")
    if not claim.awaits_pickup_choice:
        raise ClaimError(_("Aucune date d'enlèvement n'est à choisir."), code="invalid_state")
    text = str(day or "").strip()
    if text not in claim.pickup_dates:
        raise ClaimError(_("Choisissez une des dates proposées."), code="invalid_date")
    chosen = date.fromisoformat(text)
    now = now or timezone.now()
    if chosen <= timezone.localdate(now):
        raise ClaimError(
            _("Cette date est passée : demandez d'autres dates au vendeur."), code="date_passed"
        )
    address = claim.return_address or return_address(claim.vendor)
    issued = _claim_label(claim, address, customer.language or "fr")
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if locked.pickup_date is not None or locked.status != ClaimStatus.AWAITING_RETURN:
            raise ClaimError(_("Aucune date d'enlèvement n'est à choisir."), code="invalid_state")
        locked.pickup_date = chosen
        locked.carrier = issued.carrier
        locked.tracking_number = issued.tracking_number
        locked.save(update_fields=["pickup_date", "carrier", "tracking_number", "updated_at"])
        ledger_record_return_label(
            vendor_order=claim.vendor_order,
            cost=locked.return_cost,
            vendor_pays=True,
            reference=claim.reference,
        )
        order_event_add(
            order=claim.vendor_order.order,
            vendor_order=claim.vendor_order,
            kind=EventKind.CLAIM_PICKUP_CHOSEN,
            actor=Actor.customer(customer),
            claim=claim.pk,
            date=text,
            tracking_number=issued.tracking_number,
        )
        with override("fr"):
            body = _("Enlèvement à domicile choisi pour le %(date)s.") % {"date": date_text(chosen)}
        thread = Thread.objects.get(pk=claim.thread_id)
        message_post(thread=thread, actor=Actor.customer(customer), body=body, now=now,
                     notify=False)  # fmt: skip
        _vendor_email(locked, "aftersales_vendor_claim_pickup")
    return locked


def claim_label_pdf(*, claim: Claim) -> bytes:
    """The prepaid label's PDF (or the pickup's waybill), drawn again from what was issued."""
    if not claim.tracking_number or claim.return_mode != ClaimReturnMode.LABEL:
        raise ClaimError(_("Aucun bon de retour n'a été émis."), code="no_label")
    return labels.return_label_pdf(
        label_carrier=claim.carrier,
        tracking_number=claim.tracking_number,
        sender=customer_label_party(claim),
        recipient=label_party(claim.return_address or return_address(claim.vendor)),
        reference=claim.reference,
        weight_grams=parcel_weight(claim),
        language=claim.customer.language or "fr",
    )


def claim_refuse(
    *, claim: Claim, actor: Actor, vendor: Vendor | None, reason: str,
    now: datetime | None = None,
) -> Claim:  # fmt: skip
    """The vendor refuses the claim with a reason; the customer is emailed and may ask the
    operator from the thread ("Non" to "Votre demande est-elle résolue ?")."""
    _vendor_check(claim, vendor, actor)
    _state_check(claim, ClaimAction.REFUSE, _("Cette réclamation a déjà une réponse."))
    text = " ".join((reason or "").split())
    if not text:
        raise ClaimError(_("Indiquez la raison du refus."), code="reason_required")
    if len(text) > REASON_MAX:
        raise ClaimError(_("La raison du refus est trop longue."), code="reason_too_long")
    now = now or timezone.now()
    with transaction.atomic():
        with override("fr"):
            body = _("Réclamation refusée : %(reason)s") % {"reason": text}
        _vendor_message(claim, actor, vendor, body, now)
        claim_transition(
            claim=claim,
            action=ClaimAction.REFUSE,
            actor=actor,
            now=now,
            changes={"refusal_reason": text},
        )
        _customer_email(claim, "aftersales_claim_refused")
    return claim


# --- the item back, the inspection and the outcome ------------------------------------------


def claim_mark_received(
    *, claim: Claim, actor: Actor, vendor: Vendor | None, now: datetime | None = None
) -> Claim:
    """The item reached the vendor (the vendor says so, or the carrier's delivery event)."""
    _vendor_check(claim, vendor, actor)
    _state_check(
        claim,
        ClaimAction.RECEIVE,
        _("Cette réclamation n'attend pas de produit en retour."),
    )
    with transaction.atomic():
        claim_transition(claim=claim, action=ClaimAction.RECEIVE, actor=actor, now=now)
        _customer_email(claim, "aftersales_claim_received")
    return claim


@dataclass(frozen=True)
class RefundPlan:
    """What a claim's refund gives back, computed once for the preview and the refund."""

    units: dict[int, int]  # line id -> units
    deductions: dict[int, Decimal]  # line id -> euros kept (the return's cost)
    shipping_cap: Decimal | None
    total: Decimal


def claim_refund_plan(*, claim: Claim, as_withdrawal: bool) -> RefundPlan:
    """A defective item gives back its price and whole shipping share; a refund treated as a
    withdrawal (no defect, SAV-4) gives back the standard delivery share only, less the
    return's cost, taken from the items in order up to what each gives back."""
    items = list(claim.items.order_by("id"))
    units = {item.order_line_id: item.quantity for item in items}
    vendor_order = claim.vendor_order
    lines = list(OrderLine.objects.filter(vendor_order=vendor_order).order_by("id"))
    cap = standard_refund_fee(vendor_order) if as_withdrawal else None
    deductions: dict[int, Decimal] = {}
    if as_withdrawal and claim.return_cost:
        gross = refund_split(lines=lines, refunding=units, shipping_fee=vendor_order.shipping_fee,
                             shipping_cap=cap)  # fmt: skip
        left = claim.return_cost
        for part in gross.lines:
            take = min(left, part.articles - part.discount)
            if take > 0:
                deductions[part.line_id] = take
                left -= take
    split = refund_split(
        lines=lines,
        refunding=units,
        shipping_fee=vendor_order.shipping_fee,
        shipping_cap=cap,
        deductions=deductions,
    )
    return RefundPlan(units=units, deductions=deductions, shipping_cap=cap, total=split.total)


def _reship_check(claim: Claim, carrier: str, tracking_number: str) -> str:
    if carrier_get(carrier) is None:
        raise ClaimError(_("Choisissez un transporteur dans la liste."), code="invalid_carrier")
    number = normalize_tracking_number(tracking_number or "")
    if not number or len(number) > 40:
        raise ClaimError(_("Indiquez le numéro de suivi de l'envoi."), code="tracking_required")
    problem = tracking_number_error(carrier, number)
    if problem:
        raise ClaimError(problem, code="invalid_tracking")
    return number


# The outcomes each stage allows, with the item at hand or not.
SETTLE_BEFORE_RETURN = frozenset(
    {ClaimResolution.REFUND, ClaimResolution.REPLACEMENT, ClaimResolution.MISSING_PARTS}
)
SETTLE_AFTER_RETURN = frozenset(
    {
        ClaimResolution.REFUND,
        ClaimResolution.REPLACEMENT,
        ClaimResolution.REPAIR,
        ClaimResolution.MISSING_PARTS,
        ClaimResolution.WITHDRAWAL,
    }
)
RESHIPPING = frozenset(
    {ClaimResolution.REPLACEMENT, ClaimResolution.REPAIR, ClaimResolution.MISSING_PARTS}
)


def claim_settle(
    *,
    claim: Claim,
    actor: Actor,
    vendor: Vendor | None,
    resolution: str,
    carrier: str = "",
    tracking_number: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Claim:
    """The vendor's outcome (SAV-4): a refund, an exchange, a repair or missing parts (the
    last three ship as a new free shipment with `carrier` and `tracking_number`), or, after
    inspecting an item without defect whose refund was asked, a refund as a withdrawal with
    the return's cost deducted. Before the item is back: a refund, a replacement or missing
    parts only."""
    _vendor_check(claim, vendor, actor)
    current = Claim.objects.values_list("status", flat=True).get(pk=claim.pk)
    if current == ClaimStatus.REQUESTED:
        allowed = SETTLE_BEFORE_RETURN
    elif current == ClaimStatus.RECEIVED:
        allowed = SETTLE_AFTER_RETURN
    else:
        raise ClaimError(
            _("Cette réclamation ne peut pas être réglée dans son état actuel."),
            code="invalid_state",
        )
    if resolution not in ClaimResolution.values:
        raise ClaimError(_("Choisissez la solution apportée."), code="invalid_resolution")
    if resolution not in allowed:
        raise ClaimError(
            _("Cette solution demande d'avoir reçu et expertisé le produit."),
            code="item_not_received",
        )
    if resolution == ClaimResolution.WITHDRAWAL and claim.remedy != ClaimRemedy.REFUND:
        raise ClaimError(
            _("Le client n'a pas demandé de remboursement : renvoyez-lui le produit."),
            code="refund_not_asked",
        )
    note = " ".join((note or "").split())[:REASON_MAX]
    now = now or timezone.now()
    defect: bool | None = None
    if current == ClaimStatus.RECEIVED:
        defect = resolution != ClaimResolution.WITHDRAWAL
    if resolution in RESHIPPING:
        number = _reship_check(claim, carrier, tracking_number)
        with transaction.atomic():
            with override("fr"):
                body = _(
                    "%(resolution)s : nouvel envoi gratuit par %(carrier)s, suivi %(number)s."
                ) % {
                    "resolution": ClaimResolution(resolution).label,
                    "carrier": carrier_get(carrier).name,  # type: ignore[union-attr]
                    "number": number,
                }
                if note:
                    body += "\n" + note
            _vendor_message(claim, actor, vendor, body, now)
            claim_transition(
                claim=claim,
                action=ClaimAction.RESHIP,
                actor=actor,
                now=now,
                changes={
                    "resolution": resolution,
                    "defect_confirmed": defect,
                    "inspection_note": note,
                    "reship_carrier": carrier,
                    "reship_tracking_number": number,
                    "reshipped_at": now,
                },
                resolution=resolution,
                carrier=carrier,
                tracking_number=number,
            )
            _customer_email(claim, "aftersales_claim_reshipped")
        return claim
    return _claim_refund(claim, actor, vendor, resolution, defect, note, now)


def _claim_refund(claim: Claim, actor: Actor, vendor: Vendor | None, resolution: str,
                  defect: bool | None, note: str, now: datetime) -> Claim:  # fmt: skip
    as_withdrawal = resolution == ClaimResolution.WITHDRAWAL
    done: LinesRefund
    try:
        with transaction.atomic():
            locked = (
                Claim.objects.select_for_update()
                .select_related("vendor_order__order", "vendor")
                .get(pk=claim.pk)
            )
            if locked.status not in claim_statuses_allowing(ClaimAction.REFUND):
                raise ClaimError(_("Cette réclamation est déjà réglée."), code="invalid_state")
            plan = claim_refund_plan(claim=locked, as_withdrawal=as_withdrawal)
            with override("fr"):
                reason = _("Réclamation %(ref)s") % {"ref": locked.reference}
            done = lines_refund_record(
                vendor_order=locked.vendor_order,
                lines=plan.units,
                deductions=plan.deductions,
                shipping_cap=plan.shipping_cap,
                reason=reason,
                key=f"claim-{locked.pk}",
                now=now,
            )
            items = list(locked.items.order_by("id"))
            by_line = {part.line_id: part for part in done.split.lines}
            for item in items:
                item.refunded_amount = by_line[item.order_line_id].total
            ClaimItem.objects.bulk_update(items, ["refunded_amount"])
            claim_transition(
                claim=locked,
                action=ClaimAction.REFUND,
                actor=actor,
                now=now,
                changes={
                    "resolution": resolution,
                    "defect_confirmed": defect,
                    "inspection_note": note,
                    "refund": done.refund,
                    "refunded_amount": done.amount,
                },
                resolution=resolution,
                amount=str(done.amount),
                deduction=str(done.split.deduction),
            )
            with override("fr"):
                body = _("Remboursement de %(amount)s déclenché.") % {
                    "amount": format_eur(done.amount, language="fr")
                }
                if as_withdrawal:
                    body += " " + _(
                        "Aucun défaut constaté : traité comme une rétractation, frais de retour "
                        "de %(cost)s déduits."
                    ) % {"cost": format_eur(done.split.deduction, language="fr")}
                if note:
                    body += "\n" + note
            _vendor_message(locked, actor, vendor, body, now)
            _customer_email(locked, "aftersales_claim_refunded", refunded=done)
    except PaymentError as exc:
        raise ClaimError(str(exc), code="refund_refused") from None
    refunds_send(refunds=[done])
    claim.refresh_from_db()
    return claim


def claim_reject(
    *, claim: Claim, actor: Actor, vendor: Vendor | None, note: str,
    now: datetime | None = None,
) -> Claim:  # fmt: skip
    """After inspection, no defect (SAV-4) and no refund to treat as a withdrawal: the item
    goes back to the customer, with the vendor's explanation; the customer may ask the
    operator from the thread."""
    _vendor_check(claim, vendor, actor)
    _state_check(
        claim, ClaimAction.REJECT, _("Cette réclamation ne peut pas être close dans son état.")
    )
    text = " ".join((note or "").split())
    if not text:
        raise ClaimError(_("Expliquez au client ce que l'expertise a constaté."),
                         code="note_required")  # fmt: skip
    if len(text) > REASON_MAX:
        raise ClaimError(_("Votre explication est trop longue."), code="note_too_long")
    now = now or timezone.now()
    with transaction.atomic():
        with override("fr"):
            body = _("Aucun défaut constaté : le produit vous est renvoyé.") + "\n" + text
        _vendor_message(claim, actor, vendor, body, now)
        claim_transition(
            claim=claim,
            action=ClaimAction.REJECT,
            actor=actor,
            now=now,
            changes={"defect_confirmed": False, "inspection_note": text},
        )
        _customer_email(claim, "aftersales_claim_rejected")
    return claim


# --- the carrier's events -------------------------------------------------------------------


def claim_on_tracking_event(
    *, carrier: str, tracking_number: str, event: str, at: datetime, source: str
) -> bool | None:
    """Receiver of the hook `tracking_event_unmatched`: the delivery of a claim's return
    parcel (label or pickup) marks it received; the delivery of a replacement is recorded
    on the order's timeline. None when the number is no claim's; False when the event
    changes nothing."""
    if not tracking_number:
        return None
    returning = (
        Claim.objects.filter(tracking_number=tracking_number)
        .select_related("vendor_order__order")
        .first()
    )
    if returning is not None and (not carrier or carrier == returning.carrier):
        if returning.status != ClaimStatus.AWAITING_RETURN or event != tracking.DELIVERED:
            return False
        with transaction.atomic():
            claim_transition(claim=returning, action=ClaimAction.RECEIVE, actor=None, now=at,
                             source=source)  # fmt: skip
            _customer_email(returning, "aftersales_claim_received")
            _vendor_email(returning, "aftersales_vendor_claim_delivered")
        return True
    reshipped = (
        Claim.objects.filter(reship_tracking_number=tracking_number)
        .select_related("vendor_order__order")
        .first()
    )
    if reshipped is None or (carrier and carrier != reshipped.reship_carrier):
        return None
    if event != tracking.DELIVERED or reshipped.reship_delivered_at is not None:
        return False
    with transaction.atomic():
        updated = Claim.objects.filter(pk=reshipped.pk, reship_delivered_at__isnull=True).update(
            reship_delivered_at=at, updated_at=timezone.now()
        )
        if not updated:
            return False
        order_event_add(
            order=reshipped.vendor_order.order,
            vendor_order=reshipped.vendor_order,
            kind=EventKind.CLAIM_RESHIP_DELIVERED,
            actor=None,
            claim=reshipped.pk,
            source=source,
            at=at.isoformat(),
        )
    return True


def vendor_order_claims_open(*, vendor_order: VendorOrder) -> bool:
    """Receiver of the hook `vendor_order_after_sales_open`: a claim being handled keeps
    its vendor order from closing."""
    return Claim.objects.filter(vendor_order_id=vendor_order.pk, status__in=OPEN_STATUSES).exists()


# --- emails ---------------------------------------------------------------------------------


def _customer_email(claim: Claim, template: str, **extra: Any) -> None:
    thread = Thread.objects.select_related("customer", "vendor").get(pk=claim.thread_id)
    emails.customer_email_send(thread=thread, template=template, claim=claim, **extra)


def _vendor_email(claim: Claim, template: str, **extra: Any) -> None:
    thread = Thread.objects.select_related("customer", "vendor").get(pk=claim.thread_id)
    emails.vendor_email_send(thread=thread, template=template, claim=claim, **extra)
