"""Every write on payments: start, settle (from a redirect, a notification or the expiry job),
refund. Vendors' wallets, KYC documents and bank accounts are in `allies.payments.accounts`;
this module's notification entry point hands their notifications (KYC) over to it.

The rules, whatever the gateway:

- A payment's state is only ever changed from the provider's own answer, re-read with
  `gateway.fetch_status` (never from a redirect's query string or a notification body). A
  notification whose content disagrees with that answer (transaction, status or amount) is
  recorded as a mismatch and changes nothing.
- Settling is idempotent and atomic: the `Payment` row is locked (select_for_update), and the
  payment and the order change together or not at all; the order learns of it once per
  payment (a second notification, a late redirect, change nothing).
- `payments` sits below `orders` (ARCHITECTURE.md layers) and never imports it: it tells the
  order through the hooks `payment_succeeded` / `payment_failed` (`allies.core.hooks`, whose
  receivers `orders.payment_receivers` registers), and reaches the order's row through
  `Payment.order` only to lock it and read its status and total.
- The database holds at most one live (pending or succeeded) payment per order, so an order
  can never be paid twice. A success that arrives after the order was closed (abandoned,
  cancelled) is recorded and refunded in full automatically.
- Provider calls happen outside database transactions (a slow provider never holds locks);
  call `payment_start` and `payment_refund` outside any `transaction.atomic` block.
- Refunds are rows; pending and succeeded refunds never add up to more than what was paid.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from allies.core.errors import AlliesError
from allies.core.hooks import hook_call
from allies.core.money import cents_to_eur, eur_to_cents, format_eur, round_cent
from allies.payments import messages as codes
from allies.payments.accounts import is_kyc_notification, kyc_notification_apply
from allies.payments.gateways import GATEWAYS, get_gateway
from allies.payments.gateways.base import (
    PENDING,
    SUCCEEDED,
    GatewayError,
    ProviderMismatch,
    ProviderStatus,
    ReturnUrls,
)
from allies.payments.models import Payment, PaymentNotification, Refund

logger = logging.getLogger(__name__)

OUTCOME_HINTS = ("return", "error", "cancel")


class PaymentError(AlliesError):
    """A payment action that cannot be done; `message` can be shown to the customer."""

    code = "payment_refused"


class PaymentStartError(PaymentError):
    """The provider could not open its payment page: nothing was charged, try again."""

    code = "payment_not_started"


class PaymentStateError(PaymentError):
    """The order or payment is not in a state that allows this."""

    code = "invalid_state"


class PaymentNotFound(PaymentError):
    """No such payment (or gateway): the URL or notification names nothing we know."""

    code = "not_found"


class RefundError(PaymentError):
    """A refund that cannot be written (amount, payment not captured, key reused)."""

    code = "refund_refused"


class NotificationRetry(Exception):
    """The provider could not be asked: answer with an error so it sends the notification again."""


class PayableOrder(Protocol):
    """What payments reads of the order a payment is for (`orders.Order`: a higher layer,
    reached through `Payment.order`, never imported)."""

    @property
    def pk(self) -> Any: ...

    @property
    def reference(self) -> str: ...


def _order_model() -> Any:
    """The order model, through `Payment.order`: payments locks the order row it is paid for
    and reads its status (`Order.Status`) without importing the orders app."""
    return Payment._meta.get_field("order").related_model


@dataclass(frozen=True)
class PaymentStart:
    payment: Payment
    redirect_url: str


@dataclass(frozen=True)
class PaymentOutcome:
    """What the customer comes back to: the payment, its order, and what to tell them."""

    payment: Payment
    order: PayableOrder
    status: str
    message: str
    redirect_url: str


def _french(code: str) -> str:
    """The message stored on the row for the audit trail, in the source language."""
    with translation.override("fr"):
        return codes.failure_message(code)[:300]


def payment_result_url(*, order: PayableOrder) -> str:
    """The page that shows the customer how the payment went (checkout's)."""
    return reverse("checkout:payment_result", kwargs={"reference": order.reference})


def payment_return_urls(*, request: HttpRequest | None = None) -> ReturnUrls:
    """Absolute return / error / cancel URLs of this app, for `payment_start`.

    With a request, they point to the host the customer uses; otherwise to SITE_URL.
    """
    paths = (reverse("payments:return"), reverse("payments:error"), reverse("payments:cancel"))
    if request is not None:
        urls = [request.build_absolute_uri(p) for p in paths]
    else:
        site = settings.SITE_URL.rstrip("/")
        urls = [site + p for p in paths]
    return ReturnUrls(*urls)


# --- start --------------------------------------------------------------------------------


def _next_reference(order: PayableOrder) -> str:
    attempts = Payment.objects.filter(order_id=order.pk).count()
    return order.reference if attempts == 0 else f"{order.reference}-{attempts + 1}"


def payment_start(
    *, order: PayableOrder, return_url: str, error_url: str, cancel_url: str
) -> PaymentStart:
    """Open the provider's card page for an order awaiting payment; where to send the buyer.

    Calling it again while the payment is still pending (double click, back button) gives the
    same payment and page: the provider is not asked twice. If the provider cannot be
    reached, the attempt is recorded as failed, the order stays awaiting payment (its stock
    still held) and PaymentStartError says to try again.
    """
    gateway = get_gateway()
    order_model = _order_model()
    with transaction.atomic():
        locked = order_model.objects.select_for_update().get(pk=order.pk)
        if locked.status != order_model.Status.AWAITING_PAYMENT:
            raise PaymentStateError(
                _("La commande %(ref)s ne peut plus être payée.") % {"ref": locked.reference}
            )
        live = Payment.objects.filter(
            order=locked, status__in=[Payment.Status.PENDING, Payment.Status.SUCCEEDED]
        ).first()
        if live is not None:
            if live.status == Payment.Status.PENDING and live.redirect_url:
                return PaymentStart(payment=live, redirect_url=live.redirect_url)
            raise PaymentStateError(
                _("Un paiement est déjà en cours pour la commande %(ref)s.")
                % {"ref": locked.reference}
            )
        payment = _payment_new(
            order=locked,
            gateway=gateway.name,
            reference=_next_reference(locked),
            urls=ReturnUrls(return_url=return_url, error_url=error_url, cancel_url=cancel_url),
        )
    return payment_open(payment=payment)


def payment_prepare(*, order: PayableOrder, urls: ReturnUrls) -> Payment:
    """The first payment attempt of an order being placed, written in the caller's
    transaction (the one that writes the order, so no other attempt can exist: nothing is
    read, and the database's one-live-payment constraint would refuse a second). Once that
    transaction commits, `payment_open` opens the provider's page. PaymentStateError if the
    order has nothing to pay."""
    return _payment_new(
        order=order, gateway=get_gateway().name, reference=order.reference, urls=urls
    )


def _payment_new(*, order: Any, gateway: str, reference: str, urls: ReturnUrls) -> Payment:
    cents = eur_to_cents(order.total)
    if cents <= 0:
        raise PaymentStateError(
            _("La commande %(ref)s n'a aucun montant à payer.") % {"ref": order.reference}
        )
    return Payment.objects.create(
        order=order,
        gateway=gateway,
        amount=round_cent(order.total),
        amount_cents=cents,
        reference=reference,
        return_url=urls.return_url,
        error_url=urls.error_url,
        cancel_url=urls.cancel_url,
    )


def payment_open(*, payment: Payment) -> PaymentStart:
    """Ask the provider to open its card page for a payment just written (`payment_start`,
    `payment_prepare`); call it outside any transaction (a slow provider holds no lock).
    PaymentStartError if the provider cannot be reached: the attempt is recorded as failed."""
    gateway = get_gateway(payment.gateway)
    urls = ReturnUrls(
        return_url=payment.return_url, error_url=payment.error_url, cancel_url=payment.cancel_url
    )
    try:
        started = gateway.start(payment=payment, urls=urls)
    except GatewayError as exc:
        logger.warning("payment %s could not start: %s", payment.reference, exc)
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.FAILED,
            failure_code=codes.PROVIDER_ERROR,
            failure_message=_french(codes.PROVIDER_ERROR),
            settled_at=timezone.now(),
            updated_at=timezone.now(),
        )
        raise PaymentStartError(codes.failure_message(codes.PROVIDER_ERROR)) from exc
    payment.webkit_token = started.webkit_token
    payment.provider_transaction_id = started.transaction_id
    payment.redirect_url = started.redirect_url
    payment.save(
        update_fields=["webkit_token", "provider_transaction_id", "redirect_url", "updated_at"]
    )
    return PaymentStart(payment=payment, redirect_url=started.redirect_url)


# --- settle -------------------------------------------------------------------------------


def _mismatch(payment: Payment, provider: ProviderStatus) -> str:
    """Why the provider's answer cannot be about this payment ("" when it is)."""
    if provider.amount_cents is not None and provider.amount_cents != payment.amount_cents:
        return f"amount {provider.amount_cents} != {payment.amount_cents}"
    if provider.reference and provider.reference != payment.reference:
        return f"reference {provider.reference!r} != {payment.reference!r}"
    if (
        provider.transaction_id
        and payment.provider_transaction_id
        and provider.transaction_id != payment.provider_transaction_id
    ):
        return f"transaction {provider.transaction_id} != {payment.provider_transaction_id}"
    return ""


APPLIED, DUPLICATE, STILL_PENDING, MISMATCH = "applied", "duplicate", "pending", "mismatch"


def _payment_settle(
    *, payment: Payment, provider: ProviderStatus, source: str
) -> tuple[Payment, str]:
    """Apply the provider's answer to the payment and its order, once. Returns what happened.

    One locked read: the payment's row and its order's (with the customer the order's
    receiver emails), so the `payment_succeeded` receiver uses `payment.order` as it is;
    then one write of the payment, whatever changed."""
    refund_needed = False
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self", "order"))
            .select_related("order", "order__customer")
            .get(pk=payment.pk)
        )
        problem = _mismatch(payment, provider)
        if problem:
            logger.error("payment %s: provider answer mismatch (%s)", payment.reference, problem)
            return payment, MISMATCH
        changed: list[str] = []
        if provider.transaction_id and not payment.provider_transaction_id:
            payment.provider_transaction_id = provider.transaction_id
            changed.append("provider_transaction_id")
        outcome = APPLIED
        if provider.status == PENDING:
            outcome = STILL_PENDING
        elif payment.status == Payment.Status.SUCCEEDED:
            if provider.status != SUCCEEDED:
                logger.error(
                    "payment %s is paid here but %s at the provider (%s)",
                    payment.reference,
                    provider.status,
                    source,
                )
                outcome = MISMATCH
            else:
                outcome = DUPLICATE
        elif payment.status != Payment.Status.PENDING and provider.status != SUCCEEDED:
            outcome = DUPLICATE  # already failed or cancelled: nothing more to do
        if outcome != APPLIED:
            if changed:
                payment.save(update_fields=[*changed, "updated_at"])
            return payment, outcome
        now = timezone.now()
        changed += ["status", "failure_code", "failure_message", "settled_at"]
        if provider.status == SUCCEEDED:
            # Pending, or a success arriving after we gave up waiting (abandoned).
            payment.status = Payment.Status.SUCCEEDED
            payment.failure_code = ""
            payment.failure_message = ""
            payment.settled_at = now
            # The order is validated by its receiver (orders), in this transaction; only an
            # explicit False (the order was closed) refuses the money.
            answers = hook_call("payment_succeeded", payment=payment)
            if any(answer is False for answer in answers):
                # The order was closed meanwhile: keep the truth (it is paid) and give it back.
                logger.warning("payment %s succeeded for closed order", payment.reference)
                payment.failure_code = codes.ORDER_CLOSED
                payment.failure_message = _french(codes.ORDER_CLOSED)
                refund_needed = True
        else:
            payment.status = provider.status  # failed or cancelled
            payment.failure_code = provider.failure_code or (
                codes.CANCELLED if provider.status == Payment.Status.CANCELLED else codes.REFUSED
            )
            payment.failure_message = _french(payment.failure_code)
            payment.settled_at = now
            # A refused attempt does not end the order: it stays awaiting payment with its
            # stock held until its hold ends (`payment_abandon`, orders.tasks), so the
            # customer's retry pays the same order with a new attempt (issue 8 §5) and the
            # article cannot be sold to someone else meanwhile.
        payment.save(update_fields=[*changed, "updated_at"])
    if refund_needed:
        try:
            payment_refund(
                payment=payment,
                amount=payment.amount,
                reason="Paiement reçu après la clôture de la commande",
                idempotency_key=f"order-closed-{payment.pk}",
            )
        except (PaymentError, GatewayError):
            logger.exception("automatic refund of %s failed", payment.reference)
    return payment, APPLIED


def payment_refresh(*, payment: Payment, source: str = "refresh") -> tuple[Payment, str]:
    """Re-read the payment at its provider and apply the answer. Raises GatewayError."""
    provider = get_gateway(payment.gateway).fetch_status(payment=payment)
    return _payment_settle(payment=payment, provider=provider, source=source)


def payment_return_handle(*, token: str, outcome_hint: str) -> PaymentOutcome:
    """The buyer is back from the payment page (return, error or cancel URL).

    `token` is the `response_wkToken` of the URL (our payment reference). The hint only says
    which URL was used: the provider's answer decides. If the provider cannot be asked right
    now, the payment stays pending and the notification (or a later visit) settles it.
    """
    payment = Payment.objects.select_related("order").filter(reference=token).first()
    if payment is None or outcome_hint not in OUTCOME_HINTS:
        raise PaymentNotFound("unknown payment")
    if payment.status == Payment.Status.PENDING or payment.failure_code == codes.ABANDONED:
        try:
            # The payment as settled, with its order (read under the settlement's lock).
            payment, _ = payment_refresh(payment=payment, source=f"return:{outcome_hint}")
        except GatewayError as exc:
            logger.warning("payment %s: status unavailable on return: %s", payment.reference, exc)
    return PaymentOutcome(
        payment=payment,
        order=payment.order,
        status=payment.status,
        message=payment.customer_message,
        redirect_url=payment_result_url(order=payment.order),
    )


def _jsonable(data: Mapping[str, Any]) -> dict[str, Any]:
    if hasattr(data, "lists"):  # QueryDict
        return {k: v[0] if len(v) == 1 else v for k, v in data.lists()}
    try:
        return {str(k): v for k, v in dict(data).items()}
    except (TypeError, ValueError):
        return {"raw": str(data)}


def payment_notification_handle(*, gateway: str, data: Mapping[str, Any]) -> PaymentNotification:
    """A provider notification: recorded, verified against the provider's API, applied once.

    Raises PaymentNotFound for an unknown gateway, NotificationRetry when the provider
    cannot be asked to confirm (the notification is kept; the provider will send it again).
    """
    if gateway not in GATEWAYS:
        raise PaymentNotFound("unknown gateway")
    gw = get_gateway(gateway)
    note = PaymentNotification.objects.create(gateway=gateway, payload=_jsonable(data))

    def finish(outcome: str, detail: str = "", **links: Any) -> PaymentNotification:
        for key, value in links.items():
            setattr(note, key, value)
        note.outcome = outcome
        note.detail = detail[:300]
        note.save()
        return note

    if is_kyc_notification(data):
        # A vendor's KYC document or wallet changed status (PAY-1): not a payment at all.
        try:
            return kyc_notification_apply(gateway=gateway, data=data, finish=finish)
        except GatewayError as exc:  # the wallet's status could not be re-read
            raise NotificationRetry(str(exc)) from exc
    try:
        claim = gw.parse_notification(data)
    except ValueError as exc:
        return finish(PaymentNotification.Outcome.INVALID, str(exc))
    note.provider_transaction_id = claim.transaction_id[:64]

    payment = Payment.objects.filter(
        gateway=gateway, provider_transaction_id=claim.transaction_id
    ).first()
    if payment is None:
        reference = gw.reference_for_transaction(claim.transaction_id)
        if reference:
            payment = Payment.objects.filter(gateway=gateway, reference=reference).first()
    if payment is None:
        refund = Refund.objects.filter(
            payment__gateway=gateway, provider_refund_id=claim.transaction_id
        ).first()
        if refund is not None:
            return _refund_notification(note=note, refund=refund, finish=finish)
        return finish(PaymentNotification.Outcome.UNKNOWN)
    if not claim.is_pay_in:
        return finish(
            PaymentNotification.Outcome.IGNORED, f"category {claim.category}", payment=payment
        )

    try:
        provider = gw.fetch_status(payment=payment)
    except ProviderMismatch as exc:
        return finish(PaymentNotification.Outcome.MISMATCH, str(exc), payment=payment)
    except GatewayError as exc:
        finish(PaymentNotification.Outcome.ERROR, str(exc), payment=payment)
        raise NotificationRetry(str(exc)) from exc

    differences = []
    if provider.transaction_id and claim.transaction_id != provider.transaction_id:
        differences.append(f"transaction {claim.transaction_id} vs {provider.transaction_id}")
    if claim.status is not None and claim.status != provider.status:
        differences.append(f"status {claim.status} vs {provider.status}")
    if (
        claim.amount_cents is not None
        and provider.amount_cents is not None
        and claim.amount_cents != provider.amount_cents
    ):
        differences.append(f"amount {claim.amount_cents} vs {provider.amount_cents}")
    if differences:
        logger.warning("notification for %s contradicted: %s", payment.reference, differences)
        return finish(
            PaymentNotification.Outcome.MISMATCH,
            "notification vs API: " + "; ".join(differences),
            payment=payment,
        )

    payment, what = _payment_settle(payment=payment, provider=provider, source="notification")
    outcome = {
        APPLIED: PaymentNotification.Outcome.APPLIED,
        DUPLICATE: PaymentNotification.Outcome.DUPLICATE,
        STILL_PENDING: PaymentNotification.Outcome.PENDING,
        MISMATCH: PaymentNotification.Outcome.MISMATCH,
    }[what]
    return finish(outcome, f"payment {payment.status}", payment=payment)


def _refund_notification(
    *, note: PaymentNotification, refund: Refund, finish: Callable[..., PaymentNotification]
) -> PaymentNotification:
    before = refund.status
    try:
        refund = payment_refund_refresh(refund=refund)
    except GatewayError as exc:
        finish(PaymentNotification.Outcome.ERROR, str(exc), refund=refund, payment=refund.payment)
        raise NotificationRetry(str(exc)) from exc
    if refund.status == before:
        outcome = (
            PaymentNotification.Outcome.PENDING
            if refund.status == Refund.Status.PENDING
            else PaymentNotification.Outcome.DUPLICATE
        )
    else:
        outcome = PaymentNotification.Outcome.APPLIED
    return finish(outcome, f"refund {refund.status}", refund=refund, payment=refund.payment)


def payment_abandon(*, payment: Payment) -> Payment:
    """Stop waiting for a payment (the order's reservation expired): mark it failed.

    The provider is asked first: a payment that went through meanwhile is settled as paid
    (the order is validated if it still can be, refunded otherwise). If the provider still
    says pending, or cannot be asked, the payment is marked failed ("abandoned") and the
    order's stock released; a success that shows up later is refunded automatically.
    """
    payment = Payment.objects.get(pk=payment.pk)
    if payment.status != Payment.Status.PENDING:
        return payment
    gw = get_gateway(payment.gateway)
    try:
        gw.abandon(payment=payment)
        provider = gw.fetch_status(payment=payment)
    except GatewayError as exc:
        logger.warning("payment %s: status unavailable while abandoning: %s", payment, exc)
        provider = None
    if provider is not None and provider.status != PENDING:
        payment, what = _payment_settle(payment=payment, provider=provider, source="abandon")
        if what != MISMATCH and payment.status != Payment.Status.PENDING:
            if payment.status != Payment.Status.SUCCEEDED:
                # A refused attempt leaves its order awaiting payment; the hold ends here.
                hook_call("payment_failed", payment=payment, reason=codes.ABANDONED)
            return payment
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("order").get(pk=payment.pk)
        if payment.status != Payment.Status.PENDING:
            return payment
        payment.status = Payment.Status.FAILED
        payment.failure_code = codes.ABANDONED
        payment.failure_message = _french(codes.ABANDONED)
        payment.settled_at = timezone.now()
        payment.save()
        hook_call("payment_failed", payment=payment, reason=codes.ABANDONED)
    return payment


# --- refunds ----------------------------------------------------------------


def _committed_refund_cents(payment: Payment) -> int:
    return (
        payment.refunds.filter(
            status__in=[Refund.Status.PENDING, Refund.Status.SUCCEEDED]
        ).aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )


def refund_create(
    *,
    payment: Payment,
    amount: Decimal,
    reason: str,
    idempotency_key: str,
) -> Refund:
    """Write a pending refund of a paid payment, in the caller's transaction; nothing is sent.

    The caller writes what the refund is for in the same transaction (e.g. the refunded
    order lines, `orders.refunds`), then calls `refund_send` once committed, outside any
    lock. Never more than what was paid minus earlier (pending or succeeded) refunds. The
    same `idempotency_key` always gives back the same refund; with another amount it is a
    RefundError, like an amount that is not positive or a payment never captured (nothing
    is written then).
    """
    amount = round_cent(Decimal(amount))
    cents = eur_to_cents(amount)
    if cents <= 0:
        raise RefundError(_("Le montant à rembourser doit être positif."))
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.payment_id != locked.pk or existing.amount_cents != cents:
                raise RefundError(_("Ce remboursement a déjà été demandé avec un autre montant."))
            return existing
        if locked.status != Payment.Status.SUCCEEDED:
            raise RefundError(
                _("Le paiement %(ref)s n'a pas été encaissé : rien à rembourser.")
                % {"ref": locked.reference}
            )
        left = locked.amount_cents - _committed_refund_cents(locked)
        if cents > left:
            raise RefundError(
                _("Remboursement impossible : il reste %(left)s à rembourser sur ce paiement.")
                % {"left": format_eur(cents_to_eur(left), language=translation.get_language())}
            )
        return Refund.objects.create(
            payment=locked,
            amount=amount,
            amount_cents=cents,
            reason=reason[:300],
            idempotency_key=idempotency_key,
        )


def refund_send(*, refund: Refund) -> Refund:
    """Ask the provider to pay back a written refund; call it outside any transaction.

    At most once per refund, whoever calls it and however often: the call is claimed by
    setting `sent_at` with a conditional UPDATE first. A refund already sent (or settled)
    is returned as it is. A provider that does not answer leaves the refund pending (it may
    have been executed): `payment_refund_refresh` or the provider's notification settles it,
    it is never sent again.
    """
    claimed = Refund.objects.filter(
        pk=refund.pk, status=Refund.Status.PENDING, sent_at__isnull=True
    ).update(sent_at=timezone.now())
    refund = Refund.objects.select_related("payment").get(pk=refund.pk)
    if not claimed:
        return refund
    try:
        result = get_gateway(refund.payment.gateway).refund(payment=refund.payment, refund=refund)
    except GatewayError as exc:
        logger.warning("refund %s: provider error: %s", refund.pk, exc)
        status = Refund.Status.FAILED if exc.definitive else Refund.Status.PENDING
        return _refund_settle(refund=refund, status=status, message=str(exc))
    return _refund_settle(
        refund=refund,
        status=result.status,
        provider_refund_id=result.provider_refund_id,
        message=result.message,
    )


def _refund_settle(
    *, refund: Refund, status: str, provider_refund_id: str = "", message: str = ""
) -> Refund:
    """The one transition of a refund: pending → succeeded or failed, once, row locked.

    A refund that FAILS calls the `refund_failed` hook in the same transaction, so what was
    recorded when it was written (the ledger's reversal) is cancelled with it.
    """
    with transaction.atomic():
        locked = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("payment")
            .get(pk=refund.pk)
        )
        if locked.status != Refund.Status.PENDING:
            return locked
        locked.provider_refund_id = locked.provider_refund_id or provider_refund_id
        locked.failure_message = message[:300]
        locked.status = status
        locked.save(update_fields=["status", "provider_refund_id", "failure_message", "updated_at"])
        if status == Refund.Status.FAILED:
            logger.error("refund %s of %s failed: %s", locked.pk, locked.payment, message)
            hook_call("refund_failed", refund=locked)
    return locked


def payment_refund(
    *,
    payment: Payment,
    amount: Decimal,
    reason: str,
    idempotency_key: str | None = None,
) -> Refund:
    """Send `amount` euros of a paid payment back to the card, for a refund that concerns no
    order line (e.g. a payment that succeeded after its order was closed): `refund_create`
    then `refund_send`. Call it outside any transaction. Refunds of order lines go through
    `orders.refunds`, which records what they are for in the same transaction.

    The same `idempotency_key` always gives back the same refund (without one, each call is
    a new refund).
    """
    refund = refund_create(
        payment=payment,
        amount=amount,
        reason=reason,
        idempotency_key=idempotency_key or f"refund-{uuid.uuid4().hex}",
    )
    return refund_send(refund=refund)


def payment_refund_refresh(*, refund: Refund) -> Refund:
    """Re-read a pending refund at the provider and record its final status."""
    if refund.status != Refund.Status.PENDING:
        return refund
    result = get_gateway(refund.payment.gateway).fetch_refund_status(refund=refund)
    if result.status == Refund.Status.PENDING:
        return Refund.objects.get(pk=refund.pk)
    return _refund_settle(
        refund=refund,
        status=result.status,
        provider_refund_id=result.provider_refund_id,
        message=result.message,
    )


def refunds_unsent_send(
    *, now: datetime | None = None, older_than: timedelta = timedelta(minutes=10)
) -> int:
    """Send the refunds written but never sent (a crash between the commit and the provider
    call), written more than `older_than` before `now` (a fresh one is being sent by its
    writer). Safe to run any time: `refund_send` sends each at most once. Returns how many
    were sent.
    """
    before = (now or timezone.now()) - older_than
    unsent = Refund.objects.filter(
        status=Refund.Status.PENDING, sent_at__isnull=True, created_at__lt=before
    ).order_by("id")
    sent = 0
    for refund in unsent:
        if refund_send(refund=refund).sent_at is not None:
            sent += 1
    return sent
