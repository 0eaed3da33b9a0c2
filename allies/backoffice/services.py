"""The console's actions on what a request is about (CS-5, ACC-7): refund articles of its
vendor order, cancel a vendor order not yet shipped, reopen a deactivated customer account.

Messages, notes, assignment, closing and reopening are `allies.support.services`' own; these
three act on other apps through their one service each (`orders.refunds`,
`orders.acceptance.vendor_order_cancel`, `accounts.services.user_reactivate`) and write the
thread's audit-trail event with the agent. Rules:

- only customer-service staff (`support.is_agent`); a refund or a cancellation that gives
  back more than SUPPORT_AGENT_REFUND_LIMIT at once is a supervisor's;
- a reason is required for money going back; the amount is what the refund service computes
  for whole articles (their price, less their share of a discount code, plus their share of
  the shipping fee), so never more than what was paid for them, and the payment refuses
  more than what is left on it;
- bad input raises `SupportError` (or `SupportForbidden`) with a French message, and
  nothing is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from allies.accounts.services import user_reactivate
from allies.core.money import format_eur
from allies.orders.acceptance import CANCELLABLE, vendor_order_cancel
from allies.orders.events import Actor
from allies.orders.models import OrderLine, VendorOrder
from allies.orders.refunds import (
    LinesRefund,
    RefundSplit,
    refund_split,
    refunds_send,
    vendor_order_lines_refund_record,
)
from allies.orders.states import VendorOrderStatus
from allies.orders.vendor_side import FulfilmentError
from allies.payments.services import PaymentError
from allies.privacy.models import Erasure
from allies.support import emails
from allies.support.errors import SupportError, SupportForbidden
from allies.support.models import Thread
from allies.support.services import is_agent, is_supervisor
from allies.support.states import ThreadEventKind, thread_event_add

# Vendor orders whose articles were never paid: nothing to give back.
_UNPAID = frozenset({VendorOrderStatus.AWAITING_PAYMENT, VendorOrderStatus.CANCELLED_UNPAID})
REASON_MAX = 300


def refund_limit() -> Decimal:
    """Above this amount (TTC, one refund) only a supervisor refunds."""
    return Decimal(str(settings.SUPPORT_AGENT_REFUND_LIMIT))


def _language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE)[:2]


def _agent_check(user: Any) -> None:
    if not is_agent(user):
        raise SupportForbidden(_("Cette action est réservée au service client."), code="staff_only")


def _reason(reason: str) -> str:
    text = " ".join((reason or "").replace("\x00", "").split())
    if not text:
        raise SupportError(_("Indiquez le motif."), code="reason_required")
    return text[:REASON_MAX]


def _paid_vendor_order(thread: Thread) -> VendorOrder:
    vendor_order = thread.vendor_order
    if vendor_order is None:
        raise SupportError(
            _("Cette demande ne porte pas sur une commande vendeur."), code="no_vendor_order"
        )
    if vendor_order.status in _UNPAID:
        raise SupportError(_("Cette commande n'a pas été payée."), code="not_paid")
    return vendor_order


def _limit_check(user: Any, amount: Decimal) -> None:
    if amount > refund_limit() and not is_supervisor(user):
        raise SupportForbidden(
            _(
                "Un remboursement de plus de %(limit)s est réservé à un superviseur : "
                "demandez-lui de le faire."
            )
            % {"limit": format_eur(refund_limit(), language=_language())},
            code="supervisor_required",
        )


def refund_preview(*, thread: Thread, line_ids: Iterable[int]) -> RefundSplit:
    """What refunding these articles of the thread's vendor order would give back now."""
    vendor_order = _paid_vendor_order(thread)
    lines = list(OrderLine.objects.filter(vendor_order=vendor_order).order_by("id"))
    return refund_split(
        lines=lines, refunding=set(line_ids), shipping_fee=vendor_order.shipping_fee
    )


def _refund_key(vendor_order: VendorOrder, ids: list[int]) -> str:
    """One key per set of articles: a form sent twice refunds once (an article is refunded
    once at most, so the same set never needs a second key)."""
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:24]
    return f"console-refund-{vendor_order.pk}-{digest}"


def thread_lines_refund(
    *, thread: Thread, user: Any, line_ids: Iterable[int], reason: str
) -> LinesRefund:
    """Refund whole articles of the thread's vendor order through the refund service, tell
    the customer and the vendor, and write the REFUNDED event with the agent.

    The money leaves after the commit (`refunds_send`), as for every refund."""
    _agent_check(user)
    text = _reason(reason)
    vendor_order = _paid_vendor_order(thread)
    ids = sorted({int(pk) for pk in line_ids})
    if not ids:
        raise SupportError(_("Choisissez au moins un article à rembourser."), code="no_lines")
    lines = {line.pk: line for line in OrderLine.objects.filter(vendor_order=vendor_order)}
    if not set(ids) <= lines.keys():
        raise SupportError(_("Cet article n'est pas dans cette commande."), code="not_found")
    if any(lines[pk].refunded_at is not None for pk in ids):
        raise SupportError(_("Un de ces articles est déjà remboursé."), code="already_refunded")
    preview = refund_preview(thread=thread, line_ids=ids)
    _limit_check(user, preview.total)
    actor = Actor.staff(user)
    try:
        with transaction.atomic():
            done = vendor_order_lines_refund_record(
                vendor_order=vendor_order,
                lines=ids,
                reason=text,
                key=_refund_key(vendor_order, ids),
            )
            if not done.lines:
                raise SupportError(
                    _("Un de ces articles est déjà remboursé."), code="already_refunded"
                )
            _limit_check(user, done.amount)  # a refund that raced this one changed the split
            thread_event_add(
                thread=thread,
                kind=ThreadEventKind.REFUNDED,
                actor=actor,
                amount=str(done.amount),
                shipping=str(done.split.shipping),
                lines=ids,
                refund=done.refund.pk if done.refund is not None else None,
                reason=text,
            )
            context: dict[str, Any] = {
                "refunded_lines": done.lines,
                "amount": done.amount,
                "reason": text,
            }
            emails.customer_email_send(thread=thread, template="backoffice_refund", **context)
            emails.vendor_email_send(thread=thread, template="backoffice_refund_vendor", **context)
    except PaymentError as exc:
        raise SupportError(str(exc), code="refund_refused") from None
    refunds_send(refunds=[done])
    return done


def thread_vendor_order_cancel(*, thread: Thread, user: Any, reason: str) -> VendorOrder:
    """Cancel the thread's vendor order while nothing has shipped; every article not yet
    refunded is refunded with its shipping share, and the customer is emailed
    (`orders.acceptance.vendor_order_cancel`). Writes VENDOR_ORDER_CANCELLED."""
    _agent_check(user)
    text = _reason(reason)
    vendor_order = _paid_vendor_order(thread)
    if vendor_order.status == VendorOrderStatus.CANCELLED:
        raise SupportError(_("Cette commande vendeur est déjà annulée."), code="already_cancelled")
    if vendor_order.status not in CANCELLABLE or vendor_order.shipments.exists():
        raise SupportError(
            _("Cette commande ne peut plus être annulée : elle est déjà expédiée ou close."),
            code="invalid_state",
        )
    lines = list(OrderLine.objects.filter(vendor_order=vendor_order).order_by("id"))
    left = refund_split(
        lines=lines,
        refunding=[line.pk for line in lines if line.refunded_at is None],
        shipping_fee=vendor_order.shipping_fee,
    )
    _limit_check(user, left.total)
    try:
        # Its own transactions: the refund leaves after the cancellation commits.
        cancelled = vendor_order_cancel(
            vendor_order=vendor_order, reason="customer_service", actor=Actor.staff(user)
        )
    except (FulfilmentError, PaymentError) as exc:
        raise SupportError(str(exc), code="invalid_state") from None
    thread_event_add(
        thread=thread,
        kind=ThreadEventKind.VENDOR_ORDER_CANCELLED,
        actor=Actor.staff(user),
        vendor_order=cancelled.pk,
        amount=str(left.total),
        reason=text,
    )
    thread.vendor_order = cancelled
    return cancelled


def thread_account_for(thread: Thread) -> Any:
    """The customer account behind a request: its author, or the account of a contact-form
    visitor's address (a deactivated customer can only write through the form)."""
    if thread.customer_id is not None:
        return thread.customer
    if not thread.contact_email:
        return None
    return get_user_model().objects.filter(email__iexact=thread.contact_email).first()


def thread_account_reopen(*, thread: Thread, user: Any) -> Any:
    """Reopen the deactivated account of the request's customer (ACC-7: only customer
    service does it) and write ACCOUNT_REOPENED."""
    _agent_check(user)
    account = thread_account_for(thread)
    if account is None:
        raise SupportError(_("Aucun compte client n'est lié à cette demande."), code="no_account")
    if account.is_active:
        raise SupportError(_("Ce compte client est déjà actif."), code="already_active")
    if account.is_staff:
        raise SupportForbidden(
            _("Un compte du personnel se rouvre depuis l'administration."), code="staff_account"
        )
    if Erasure.objects.filter(user=account).exists():
        raise SupportError(
            _("Ce compte a été effacé à la demande du client : il ne peut pas être rouvert."),
            code="erased_account",
        )
    with transaction.atomic():
        account = user_reactivate(user=account)
        thread_event_add(
            thread=thread,
            kind=ThreadEventKind.ACCOUNT_REOPENED,
            actor=Actor.staff(user),
            account=account.pk,
        )
    return account
