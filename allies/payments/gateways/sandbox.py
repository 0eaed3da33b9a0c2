"""The sandbox gateway: an in-process stand-in for LemonWay's hosted card page and API.

It follows LemonWay's web-init flow so the rest of the code cannot tell the difference:
`start` opens a hosted-page session (a `SandboxCheckout`, reached only with its random token
under /paiement/sandbox/<token>/); the buyer types a card there; the sandbox "bank" decides by
card number (table below), asks a 3-D Secure code when the card wants one, then sends the buyer
back to the merchant's return, error or cancel URL with `response_wkToken=<reference>`. The
sandbox keeps its own records (`SandboxTransaction`), and `fetch_status` re-reads them the way
the LemonWay gateway re-reads `GET /v2/moneyins`.

Cards (any future expiry MM/AA, any 3-digit CVC, spaces allowed):

    4111 1111 1111 1111  Visa        paid, no challenge
    5555 5555 5555 4444  MasterCard  paid, no challenge
    4000 0000 0000 3220  Visa        3-D Secure: code 123456 then "Valider" pays;
    5200 8282 8282 8210  MasterCard  another code, or "Annuler", fails
    4000 0000 0000 0002  Visa        refused by the bank
    4000 0000 0000 9995  Visa        insufficient funds
    4000 0000 0000 0069  Visa        expired card (says the bank)
    4000 0000 0000 0119  Visa        provider error, try again later
    3782 822463 10005    Amex        refused before any call: only Visa and MasterCard
    any other valid Visa/MasterCard number: paid, no challenge.

A number failing the Luhn check, a past expiry, an Amex card: form errors, nothing is sent and
no transaction is recorded.

Refunds are immediate. Transfers to vendor wallets (P2P) are a recorded no-op: the sandbox
has no wallets, so `transfer` answers "succeeded" with a `SBXP-` id and moves nothing; the
`VendorTransfer` row written by the service is the record.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db import transaction
from django.urls import reverse

from allies.payments import messages as codes
from allies.payments.gateways.base import (
    CANCELLED,
    FAILED,
    PENDING,
    SUCCEEDED,
    GatewayError,
    NotificationClaim,
    PaymentGateway,
    ProviderStatus,
    RefundResult,
    ReturnUrls,
    StartResult,
    TransferResult,
    parse_lemonway_style_notification,
)
from allies.payments.models import SandboxCheckout, SandboxTransaction

CHALLENGE_CODE = "123456"

# number -> (what the bank does, failure code)
CARD_BEHAVIOUR: dict[str, tuple[str, str]] = {
    "4111111111111111": ("pay", ""),
    "5555555555554444": ("pay", ""),
    "4000000000003220": ("challenge", ""),
    "5200828282828210": ("challenge", ""),
    "4000000000000002": ("fail", codes.REFUSED),
    "4000000000009995": ("fail", codes.INSUFFICIENT_FUNDS),
    "4000000000000069": ("fail", codes.EXPIRED_CARD),
    "4000000000000119": ("fail", codes.PROVIDER_ERROR),
}

VISA = "Visa"
MASTERCARD = "MasterCard"
AMEX = "American Express"


def card_brand(number: str) -> str:
    if number.startswith("4") and len(number) in (13, 16, 19):
        return VISA
    if len(number) == 16 and (51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720):
        return MASTERCARD
    if number[:2] in ("34", "37") and len(number) == 15:
        return AMEX
    return ""


def with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True)
class SandboxStep:
    """Where the sandbox page sends the buyer next."""

    url: str
    challenge: bool = False


def _back_to_merchant(checkout: SandboxCheckout, status: str) -> str:
    base = {
        SUCCEEDED: checkout.return_url,
        CANCELLED: checkout.cancel_url,
    }.get(status, checkout.error_url)
    return with_query(base, response_wkToken=checkout.reference)


def sandbox_next_step(checkout: SandboxCheckout) -> SandboxStep | None:
    """Where a buyer revisiting the page goes; None while the card form is still to be filled."""
    if checkout.status == SandboxCheckout.Status.OPEN:
        return None
    if checkout.status == SandboxCheckout.Status.CANCELLED:
        return SandboxStep(_back_to_merchant(checkout, CANCELLED))
    tx = getattr(checkout, "transaction", None)
    if tx is None:  # expired before any card
        return SandboxStep(_back_to_merchant(checkout, FAILED))
    if tx.status == SandboxTransaction.Status.CHALLENGE:
        return SandboxStep(
            reverse("payments:sandbox_challenge", kwargs={"token": checkout.token}),
            challenge=True,
        )
    return SandboxStep(_back_to_merchant(checkout, tx.status))


@transaction.atomic
def sandbox_card_submit(*, checkout: SandboxCheckout, number: str, brand: str) -> SandboxStep:
    """The bank receives a (form-valid) card: decide, record the transaction, say where next."""
    checkout = SandboxCheckout.objects.select_for_update().get(pk=checkout.pk)
    if checkout.status != SandboxCheckout.Status.OPEN:
        return sandbox_next_step(checkout)  # type: ignore[return-value]
    behaviour, failure = CARD_BEHAVIOUR.get(number, ("pay", ""))
    status = {
        "pay": SandboxTransaction.Status.SUCCEEDED,
        "challenge": SandboxTransaction.Status.CHALLENGE,
        "fail": SandboxTransaction.Status.FAILED,
    }[behaviour]
    SandboxTransaction.objects.create(
        checkout=checkout,
        status=status,
        failure_code=failure,
        brand=brand,
        last4=number[-4:],
        amount_cents=checkout.amount_cents,
    )
    checkout.status = SandboxCheckout.Status.USED
    checkout.save(update_fields=["status"])
    return sandbox_next_step(checkout)  # type: ignore[return-value]


@transaction.atomic
def sandbox_challenge_answer(*, checkout: SandboxCheckout, code: str, cancel: bool) -> SandboxStep:
    """The 3-D Secure page: the right code pays; a wrong code fails; "Annuler" cancels."""
    checkout = SandboxCheckout.objects.select_for_update().get(pk=checkout.pk)
    tx = SandboxTransaction.objects.select_for_update().filter(checkout=checkout).first()
    if tx is not None and tx.status == SandboxTransaction.Status.CHALLENGE:
        if cancel:
            tx.status, tx.failure_code = SandboxTransaction.Status.CANCELLED, codes.CANCELLED
        elif secrets.compare_digest(code.strip(), CHALLENGE_CODE):
            tx.status, tx.failure_code = SandboxTransaction.Status.SUCCEEDED, ""
        else:
            tx.status = SandboxTransaction.Status.FAILED
            tx.failure_code = codes.AUTHENTICATION_FAILED
        tx.save(update_fields=["status", "failure_code", "updated_at"])
    return sandbox_next_step(checkout)  # type: ignore[return-value]


@transaction.atomic
def sandbox_checkout_cancel(*, checkout: SandboxCheckout) -> SandboxStep:
    """The buyer leaves the card page with "Annuler": no card was sent."""
    checkout = SandboxCheckout.objects.select_for_update().get(pk=checkout.pk)
    if checkout.status == SandboxCheckout.Status.OPEN:
        checkout.status = SandboxCheckout.Status.CANCELLED
        checkout.save(update_fields=["status"])
    return sandbox_next_step(checkout)  # type: ignore[return-value]


class SandboxGateway(PaymentGateway):
    name = "sandbox"

    def start(self, *, payment, urls: ReturnUrls) -> StartResult:
        token = secrets.token_urlsafe(32)
        SandboxCheckout.objects.create(
            token=token,
            reference=payment.reference,
            amount_cents=payment.amount_cents,
            label=payment.order.reference,
            payer_id=payment.order.customer_id,
            return_url=urls.return_url,
            error_url=urls.error_url,
            cancel_url=urls.cancel_url,
        )
        return StartResult(
            redirect_url=reverse("payments:sandbox_card", kwargs={"token": token}),
            webkit_token=token,
        )

    def _checkout(self, payment) -> SandboxCheckout:
        checkout = (
            SandboxCheckout.objects.select_related("transaction")
            .filter(reference=payment.reference)
            .first()
        )
        if checkout is None:
            raise GatewayError("sandbox: unknown payment", definitive=True)
        return checkout

    def fetch_status(self, *, payment) -> ProviderStatus:
        checkout = self._checkout(payment)
        tx = getattr(checkout, "transaction", None)
        raw: dict[str, Any] = {"checkout": checkout.status}
        common: dict[str, Any] = {
            "amount_cents": checkout.amount_cents,
            "reference": checkout.reference,
        }
        if tx is None:
            if checkout.status == SandboxCheckout.Status.CANCELLED:
                return ProviderStatus(CANCELLED, failure_code=codes.CANCELLED, raw=raw, **common)
            if checkout.status == SandboxCheckout.Status.EXPIRED:
                return ProviderStatus(FAILED, failure_code=codes.ABANDONED, raw=raw, **common)
            return ProviderStatus(PENDING, raw=raw, **common)
        raw["transaction"] = tx.status
        status = {
            SandboxTransaction.Status.CHALLENGE: PENDING,
            SandboxTransaction.Status.SUCCEEDED: SUCCEEDED,
            SandboxTransaction.Status.FAILED: FAILED,
            SandboxTransaction.Status.CANCELLED: CANCELLED,
        }[tx.status]
        return ProviderStatus(
            status,
            transaction_id=tx.provider_id,
            failure_code=tx.failure_code,
            raw=raw,
            **common,
        )

    def parse_notification(self, data: Mapping[str, Any]) -> NotificationClaim:
        return parse_lemonway_style_notification(data)

    def reference_for_transaction(self, transaction_id: str) -> str:
        if not transaction_id.startswith("SBX-") or not transaction_id[4:].isdigit():
            return ""
        tx = (
            SandboxTransaction.objects.select_related("checkout")
            .filter(pk=int(transaction_id[4:]))
            .first()
        )
        return tx.checkout.reference if tx else ""

    @transaction.atomic
    def abandon(self, *, payment) -> None:
        checkout = (
            SandboxCheckout.objects.select_for_update().filter(reference=payment.reference).first()
        )
        if checkout is None:
            return
        if checkout.status == SandboxCheckout.Status.OPEN:
            checkout.status = SandboxCheckout.Status.EXPIRED
            checkout.save(update_fields=["status"])
        SandboxTransaction.objects.filter(
            checkout=checkout, status=SandboxTransaction.Status.CHALLENGE
        ).update(status=SandboxTransaction.Status.FAILED, failure_code=codes.ABANDONED)

    @transaction.atomic
    def refund(self, *, payment, refund) -> RefundResult:
        tx = (
            SandboxTransaction.objects.select_for_update()
            .filter(checkout__reference=payment.reference)
            .first()
        )
        if tx is None or tx.status != SandboxTransaction.Status.SUCCEEDED:
            return RefundResult(FAILED, message="sandbox: nothing was paid")
        if tx.refunded_cents + refund.amount_cents > tx.amount_cents:
            return RefundResult(FAILED, message="sandbox: more than what is left to refund")
        tx.refunded_cents += refund.amount_cents
        tx.refund_count += 1
        tx.save(update_fields=["refunded_cents", "refund_count", "updated_at"])
        return RefundResult(SUCCEEDED, provider_refund_id=f"SBXR-{tx.pk:08d}-{tx.refund_count}")

    def fetch_refund_status(self, *, refund) -> RefundResult:
        # Sandbox refunds are settled when asked: the answer never changes afterwards.
        if refund.provider_refund_id:
            return RefundResult(SUCCEEDED, provider_refund_id=refund.provider_refund_id)
        return RefundResult(FAILED, message="sandbox: unknown refund")

    def transfer(
        self, *, credit_account_id: str, amount_cents: int, comment: str, reference: str
    ) -> TransferResult:
        return TransferResult(
            SUCCEEDED,
            provider_transfer_id=f"SBXP-{secrets.token_hex(6)}",
            message="sandbox: recorded, no money moved",
        )

    # Issue 13 skeleton: implemented by the provider work (account, KYC, payouts).
    def account_create(self, *, reference, legal_name, email, country, company_id):
        raise NotImplementedError

    def kyc_document_upload(self, *, account_id, kind, filename, content, reference):
        raise NotImplementedError

    def iban_register(self, *, account_id, holder, iban, bic, reference):
        raise NotImplementedError

    def fetch_transfer(self, *, reference):
        raise NotImplementedError

    def money_out(self, *, account_id, iban_id, amount_cents, comment, reference):
        raise NotImplementedError

    def fetch_money_out(self, *, reference):
        raise NotImplementedError
