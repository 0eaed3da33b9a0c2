"""Cancelling accepted articles (ORD-5, the help page's "Gestion de commande"): once the vendor
accepted lines, their cancellation is a request the vendor confirms before shipping.

- The customer asks (`cancellation_request_open`) from the order's "Annuler des articles"
  page: it opens a support thread (motif "Annulation de la commande", the vendor's 48 h
  clock) and the request, listing the accepted lines not shipped.
- The vendor confirms (`cancellation_request_confirm`): the lines are cancelled and refunded
  by the one cancellation service (`orders.cancellations.vendor_order_accepted_lines_cancel`:
  the articles and their shipping share, unless shipping was free; the customer's email); or
  refuses (`cancellation_request_refuse`) with a reason.
- A shipment of the vendor order refuses every open request at once: the parcel left, the
  customer may refuse it at delivery (`on_vendor_order_shipped`, a receiver of the hook
  `vendor_order_shipped`).

Stages move only through `cancellation_states.cancellation_transition`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from allies.accounts.models import User
from allies.aftersales.cancellation_states import (
    CancellationAction,
    CancellationStatus,
    CancellationTransitionNotAllowed,
    cancellation_transition,
)
from allies.aftersales.errors import CancellationRequestError, CancellationRequestForbidden
from allies.aftersales.models import CancellationRequest
from allies.core.money import format_eur
from allies.orders.cancellations import (
    CancellationError,
    shipped_message,
    vendor_order_accepted_lines_cancel,
)
from allies.orders.events import Actor, ActorKind, EventKind, order_event_add
from allies.orders.models import OrderLine, VendorOrder
from allies.support import emails
from allies.support.models import Motif, Thread
from allies.support.services import message_post, thread_open
from allies.vendors.models import Vendor

COMMENT_MAX = 2000
REASON_MAX = 1000
MAX_LINES = 200


def cancellable_lines(*, vendor_order: VendorOrder) -> list[OrderLine]:
    """The accepted lines of a vendor order waiting to ship, not asked already (two queries;
    empty once something shipped)."""
    if vendor_order.status != VendorOrder.Status.TO_SHIP or vendor_order.shipments.exists():
        return []
    asked: set[int] = set()
    for ids in CancellationRequest.objects.filter(
        vendor_order=vendor_order, status=CancellationStatus.REQUESTED
    ).values_list("line_ids", flat=True):
        asked.update(int(pk) for pk in ids)
    return [
        line
        for line in OrderLine.objects.filter(vendor_order=vendor_order).order_by("id")
        if line.status == OrderLine.Status.ACCEPTED and line.pk not in asked
    ]


def open_request(*, vendor_order: VendorOrder) -> CancellationRequest | None:
    return (
        CancellationRequest.objects.filter(
            vendor_order=vendor_order, status=CancellationStatus.REQUESTED
        )
        .order_by("id")
        .first()
    )


def _ids(raw: Iterable[Any]) -> list[int]:
    if isinstance(raw, str | bytes):
        raw = [raw]
    ids = []
    for value in raw:
        text = str(value).strip()
        if not (text.isascii() and text.isdigit() and len(text) < 12):
            raise CancellationRequestError(
                _("Article inconnu dans cette commande."), code="unknown_line"
            )
        ids.append(int(text))
        if len(ids) > MAX_LINES:
            raise CancellationRequestError(
                _("Article inconnu dans cette commande."), code="unknown_line"
            )
    if not ids:
        raise CancellationRequestError(
            _("Choisissez au moins un article à annuler."), code="no_lines"
        )
    return sorted(set(ids))


def cancellation_request_open(
    *,
    customer: User,
    vendor_order: VendorOrder,
    line_ids: Iterable[Any],
    comment: str = "",
    now: datetime | None = None,
) -> CancellationRequest:
    """The customer asks the vendor to cancel accepted lines not shipped yet; opens the
    thread (the vendor is emailed; 48 h to answer) and the request."""
    if vendor_order.order.customer_id != customer.pk:
        raise CancellationRequestForbidden(_("Commande introuvable."), code="not_found")
    wanted = _ids(line_ids)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise CancellationRequestError(
            _("Votre commentaire dépasse %(count)s caractères.") % {"count": COMMENT_MAX},
            code="comment_too_long",
        )
    now = now or timezone.now()
    with transaction.atomic():
        locked = VendorOrder.objects.select_for_update().get(pk=vendor_order.pk)
        if locked.status != VendorOrder.Status.TO_SHIP or locked.shipments.exists():
            if locked.shipments.exists():
                raise CancellationRequestError(shipped_message(), code="shipped")
            raise CancellationRequestError(
                _("Cette commande n'a pas d'article accepté en attente d'expédition."),
                code="invalid_state",
            )
        allowed = {line.pk: line for line in cancellable_lines(vendor_order=locked)}
        if not set(wanted) <= allowed.keys():
            raise CancellationRequestError(
                _("Cet article ne peut pas faire l'objet d'une demande d'annulation."),
                code="not_cancellable",
            )
        with override("fr"):
            body = "\n".join(
                [_("Demande d'annulation des articles suivants, avant leur expédition :")]
                + [
                    f"- {allowed[pk].quantity} × {allowed[pk].product_title}"
                    + (f" ({allowed[pk].variant_label})" if allowed[pk].variant_label else "")
                    for pk in wanted
                ]
            )
        if comment:
            body += "\n\n" + comment
        thread = thread_open(
            actor=Actor.customer(customer),
            vendor_order=locked,
            motif=Motif.CANCELLATION,
            body=body,
            now=now,
        )
        request = CancellationRequest.objects.create(
            vendor_order=locked,
            vendor_id=locked.vendor_id,
            customer=customer,
            thread=thread,
            line_ids=wanted,
        )
        order_event_add(
            order=locked.order,
            vendor_order=locked,
            kind=EventKind.CANCELLATION_REQUESTED,
            actor=Actor.customer(customer),
            cancellation=request.pk,
            lines=wanted,
        )
    return request


def _vendor_check(request: CancellationRequest, vendor: Vendor | None, actor: Actor) -> None:
    if actor.kind == ActorKind.STAFF:
        return
    if vendor is None or request.vendor_id != vendor.pk:
        raise CancellationRequestForbidden(_("Demande introuvable."), code="not_found")


def _answered(request: CancellationRequest) -> CancellationRequestError:
    return CancellationRequestError(
        _("Cette demande d'annulation a déjà une réponse."), code="invalid_state"
    )


def _post(request: CancellationRequest, actor: Actor, vendor: Vendor | None, body: str,
          now: datetime) -> None:  # fmt: skip
    thread = Thread.objects.get(pk=request.thread_id)
    message_post(thread=thread, actor=actor, body=body, vendor=vendor, now=now, notify=False)


def cancellation_request_confirm(
    *, request: CancellationRequest, actor: Actor, vendor: Vendor | None
) -> CancellationRequest:
    """The vendor agrees: the lines are cancelled and refunded (the customer's email comes
    from the cancellation service). If something shipped meanwhile, the request is refused
    instead and CancellationRequestError says why."""
    _vendor_check(request, vendor, actor)
    request.refresh_from_db(fields=["status"])
    if request.status != CancellationStatus.REQUESTED:
        raise _answered(request)
    try:
        result = vendor_order_accepted_lines_cancel(
            vendor_order=request.vendor_order_id,
            vendor=request.vendor_id,
            line_ids=request.line_ids,
            actor=actor,
        )
    except CancellationError as exc:
        if exc.code == "shipped":
            try:  # the shipment's receiver may have refused it already
                _refuse(request, actor, vendor, _shipped_reason(), now=timezone.now())
            except CancellationTransitionNotAllowed:
                pass
        raise CancellationRequestError(exc.message, code=exc.code) from None
    now = timezone.now()
    with transaction.atomic():
        try:
            cancellation_transition(
                request=request,
                action=CancellationAction.CONFIRM,
                actor=actor,
                now=now,
                changes={"refunded_amount": result.refunded},
                refunded=str(result.refunded),
            )
        except CancellationTransitionNotAllowed:
            raise _answered(request) from None
        with override("fr"):
            body = _("Annulation acceptée : %(amount)s vous sont remboursés.") % {
                "amount": format_eur(result.refunded, language="fr")
            }
        _post(request, actor, vendor, body, now)
    return request


def _shipped_reason() -> str:
    with override("fr"):
        return _("Le colis est déjà parti : l'annulation n'est plus possible.")


def _refuse(request: CancellationRequest, actor: Actor | None, vendor: Vendor | None,
            reason: str, *, now: datetime) -> None:  # fmt: skip
    with transaction.atomic():
        cancellation_transition(
            request=request,
            action=CancellationAction.REFUSE,
            actor=actor,
            now=now,
            changes={"refusal_reason": reason},
        )
        with override("fr"):
            body = _("Annulation refusée : %(reason)s") % {"reason": reason}
        thread = Thread.objects.get(pk=request.thread_id)
        if actor is not None:
            message_post(thread=thread, actor=actor, body=body, vendor=vendor, now=now,
                         notify=False)  # fmt: skip
        emails.customer_email_send(
            thread=Thread.objects.select_related("customer", "vendor").get(pk=thread.pk),
            template="aftersales_cancellation_refused",
            cancellation=request,
        )


def cancellation_request_refuse(
    *, request: CancellationRequest, actor: Actor, vendor: Vendor | None, reason: str
) -> CancellationRequest:
    """The vendor says no, with a reason (the parcel is packed or gone); the customer is
    emailed and may refuse the parcel at delivery."""
    _vendor_check(request, vendor, actor)
    text = " ".join((reason or "").split())
    if not text:
        raise CancellationRequestError(_("Indiquez la raison du refus."), code="reason_required")
    if len(text) > REASON_MAX:
        raise CancellationRequestError(
            _("La raison du refus est trop longue."), code="reason_too_long"
        )
    try:
        _refuse(request, actor, vendor, text, now=timezone.now())
    except CancellationTransitionNotAllowed:
        raise _answered(request) from None
    return request


def on_vendor_order_shipped(*, vendor_order: VendorOrder, shipment: Any) -> None:
    """Receiver of the hook `vendor_order_shipped`: the parcel left, so every open
    cancellation request of the vendor order is refused (the customer is emailed)."""
    now = timezone.now()
    for request in CancellationRequest.objects.filter(
        vendor_order_id=vendor_order.pk, status=CancellationStatus.REQUESTED
    ).select_related("vendor_order__order"):
        _refuse(request, None, None, _shipped_reason(), now=now)
