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

Refunds are immediate.

Vendor wallets, KYC and payouts (PAY-1) are kept in `SandboxOperation` rows, the sandbox's
"provider side", re-read by our reference like LemonWay's API:

- `account_create`: the wallet id is the reference we chose (as with LemonWay); asking again
  for the same reference gives the same wallet. The legal representative is kept in the
  operation's detail (names only).
- `kyc_document_upload`: recorded as pending; once the caller's transaction commits, the
  sandbox's reviewer decides and sends a "document status changed" notification (LemonWay's
  category 9: ExtId, DocId, DocType, Status 2 accepted / 3 refused, Msg) through
  `services.payment_notification_handle`, the same function LemonWay's HTTP notifications
  reach. A file whose name contains "refus" is refused; any other is validated.
- The wallet's status, in LemonWay's codes (`fetch_account`, as `GET /v2/accounts/{id}`):
  6 (KYC 2, verified) once the latest document of each kind (Kbis, ID, RIB) is validated, 3
  (documents rejected) when one of them is refused, 2 (documents missing) otherwise, 10
  while blocked (`sandbox_wallet_block`, for tests and demos). When a review or a block
  changes it, the sandbox sends LemonWay's "wallet status changed" notification (category
  8: ExtId, Status, Blocked) the same way, after the document's own one.
- `iban_register`: registered at once (status succeeded), id `SBXI-<n>`.
- `transfer` (P2P, `SBXP-<n>`) credits the vendor wallet; `money_out` (`SBXM-<n>`) debits it
  towards a registered IBAN of that wallet. A money-out larger than what the wallet holds
  (`sandbox_wallet_balance`), or to an IBAN not registered for that wallet, is refused
  (definitive GatewayError), as LemonWay would. `fetch_transfer` / `fetch_money_out`
  re-read by our reference (None: never received). A repeated reference is NOT refused: each
  call moves money again, so a test can count what a payout run really moved
  (`SandboxOperation.objects.filter(kind="p2p", account_id=...)`).

Fault hook, for tests only (`sandbox_faults`, module level, thread-safe):

    from allies.payments.gateways.sandbox import sandbox_faults

    sandbox_faults.fail_next("money_out", "timeout")  # the next money-out…
    sandbox_faults.clear()                              # (in a fixture's teardown)

steps: "transfer", "money_out" (also "account", "document", "iban"); modes:

- "timeout": the provider DID the operation (recorded, money moved) but the answer is lost:
  GatewayError with definitive=False, code "timeout". `fetch_*` then finds it done.
- "error": the provider refused: GatewayError with definitive=True; nothing recorded,
  `fetch_*` answers None.

Each armed fault is used by the next call of its step only. Tests should clear the registry
after each test (tests/payments/conftest.py does it with an autouse fixture).
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone

from allies.payments import messages as codes
from allies.payments.gateways.base import (
    CANCELLED,
    FAILED,
    PENDING,
    SUCCEEDED,
    AccountResult,
    AccountState,
    GatewayError,
    KycResult,
    LegalRepresentative,
    MoneyOutOrder,
    MoneyOutResult,
    NotificationClaim,
    PaymentGateway,
    ProviderStatus,
    RefundResult,
    ReturnUrls,
    StartResult,
    TransferOrder,
    TransferResult,
    lemonway_wallet_state,
    notification_fields_keep,
    parse_lemonway_style_notification,
)
from allies.payments.models import SandboxCheckout, SandboxOperation, SandboxTransaction

logger = logging.getLogger(__name__)

CHALLENGE_CODE = "123456"

FAULT_STEPS = ("account", "document", "iban", "transfer", "money_out")
FAULT_MODES = ("timeout", "error")


class SandboxFaults:
    """Test-only switches that make the next call of one sandbox step fail (see the module's
    docstring). Thread-safe; each switch is used once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[tuple[str, str]] = []

    def fail_next(self, step: str, mode: str = "error") -> None:
        if step not in FAULT_STEPS:
            raise ValueError(f"unknown sandbox step {step!r} (expected one of {FAULT_STEPS})")
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r} (expected one of {FAULT_MODES})")
        with self._lock:
            self._pending.append((step, mode))

    def take(self, step: str) -> str | None:
        """The fault armed for `step`, consumed; None when the call should behave."""
        with self._lock:
            for index, (armed_step, mode) in enumerate(self._pending):
                if armed_step == step:
                    del self._pending[index]
                    return mode
        return None

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    @property
    def pending(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._pending)


sandbox_faults = SandboxFaults()

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

    # -- wallets, KYC and payouts (PAY-1) -----------------------------------------------

    def account_create(
        self,
        *,
        reference: str,
        legal_name: str,
        email: str,
        country: str,
        company_id: str,
        representative: LegalRepresentative,
    ) -> AccountResult:
        fault = sandbox_faults.take("account")
        if fault == "error":
            raise GatewayError("sandbox: account refused (fault hook)", definitive=True)
        # Like LemonWay, the wallet id is the one we chose; asking again gives the same wallet.
        op = SandboxOperation.objects.filter(
            kind=SandboxOperation.Kind.ACCOUNT, reference=reference
        )
        if not op.exists():
            SandboxOperation.objects.create(
                kind=SandboxOperation.Kind.ACCOUNT,
                reference=reference,
                account_id=reference,
                status=SUCCEEDED,
                detail=(
                    f"{legal_name} / {company_id} / "
                    f"{representative.first_name} {representative.last_name}"
                )[:200],
            )
        if fault == "timeout":
            raise GatewayError("sandbox: no answer (fault hook)", code="timeout")
        return AccountResult(account_id=reference)

    def fetch_account(self, *, account_id: str) -> AccountState | None:
        code = sandbox_wallet_status(account_id=account_id)
        if code is None:
            return None
        return lemonway_wallet_state(code)

    def kyc_document_upload(
        self, *, account_id: str, kind: str, filename: str, content: bytes, reference: str
    ) -> KycResult:
        fault = sandbox_faults.take("document")
        if fault == "error":
            raise GatewayError("sandbox: document refused (fault hook)", definitive=True)
        if not self._account_exists(account_id):
            raise GatewayError("sandbox: unknown account", definitive=True, code="account")
        refused = "refus" in filename.lower()
        op = SandboxOperation.objects.create(
            kind=SandboxOperation.Kind.DOCUMENT,
            reference=reference,
            account_id=account_id,
            status=PENDING,
            detail=f"{kind}:{'refused' if refused else 'validated'}",
        )
        # The sandbox's reviewer decides once the upload is committed, and tells us the way
        # LemonWay does: a "document status changed" notification (category 9) through the
        # very entry point its HTTP notifications reach.
        transaction.on_commit(lambda: sandbox_document_review(operation_id=op.pk))
        if fault == "timeout":
            raise GatewayError("sandbox: no answer (fault hook)", code="timeout")
        return KycResult(PENDING, provider_id=op.provider_id)

    def iban_register(
        self, *, account_id: str, holder: str, iban: str, bic: str, reference: str
    ) -> KycResult:
        fault = sandbox_faults.take("iban")
        if fault == "error":
            raise GatewayError("sandbox: IBAN refused (fault hook)", definitive=True)
        if not self._account_exists(account_id):
            raise GatewayError("sandbox: unknown account", definitive=True, code="account")
        op = (
            SandboxOperation.objects.filter(kind=SandboxOperation.Kind.IBAN, reference=reference)
            .order_by("id")
            .first()
        )
        if op is None:
            op = SandboxOperation.objects.create(
                kind=SandboxOperation.Kind.IBAN,
                reference=reference,
                account_id=account_id,
                status=SUCCEEDED,
                detail=f"{iban[:4]}…{iban[-4:]}",
            )
        if fault == "timeout":
            raise GatewayError("sandbox: no answer (fault hook)", code="timeout")
        return KycResult(SUCCEEDED, provider_id=op.provider_id)

    def fetch_iban(self, *, account_id: str, iban_id: str) -> KycResult | None:
        number = _iban_number(iban_id)
        if (
            number is None
            or not SandboxOperation.objects.filter(
                pk=number, kind=SandboxOperation.Kind.IBAN, account_id=account_id
            ).exists()
        ):
            return None
        return KycResult(SUCCEEDED, provider_id=iban_id)

    def transfer(
        self, *, credit_account_id: str, amount_cents: int, comment: str, reference: str
    ) -> TransferResult:
        order = TransferOrder(credit_account_id, amount_cents, comment, reference)
        return _raised(self.transfers([order])[0])

    def transfers(self, orders: Sequence[TransferOrder]) -> list[TransferResult | Exception]:
        """A round's P2Ps as one INSERT of the sandbox's records; each order is checked, and
        meets the fault armed for it, exactly as a lone `transfer` would."""
        answers: list[TransferResult | Exception] = []
        made: list[tuple[int, SandboxOperation, str | None]] = []
        for order in orders:
            fault = sandbox_faults.take("transfer")
            refused = None
            if fault == "error":
                refused = GatewayError("sandbox: P2P refused (fault hook)", definitive=True,
                                       code="fault")  # fmt: skip
            elif not order.credit_account_id:
                refused = GatewayError("sandbox: no credited account", definitive=True,
                                       code="account")  # fmt: skip
            elif order.amount_cents <= 0:
                refused = GatewayError("sandbox: amount must be positive", definitive=True)
            if refused is not None:
                answers.append(refused)
                continue
            operation = SandboxOperation(
                kind=SandboxOperation.Kind.P2P,
                reference=order.reference,
                account_id=order.credit_account_id,
                status=SUCCEEDED,
                amount_cents=order.amount_cents,
                detail=order.comment[:200],
            )
            made.append((len(answers), operation, fault))
            answers.append(GatewayError("sandbox: not recorded"))  # replaced below
        _operations_record([operation for _, operation, _ in made])
        for index, operation, fault in made:
            # "timeout": done at the provider, but the answer never reached us.
            answers[index] = (
                GatewayError("sandbox: no answer (fault hook)", code="timeout")
                if fault == "timeout"
                else TransferResult(SUCCEEDED, provider_transfer_id=operation.provider_id)
            )
        return answers

    def fetch_transfer(self, *, reference: str) -> TransferResult | None:
        op = self._operation(SandboxOperation.Kind.P2P, reference)
        if op is None:
            return None
        return TransferResult(op.status, provider_transfer_id=op.provider_id)

    def money_out(
        self, *, account_id: str, iban_id: str, amount_cents: int, comment: str, reference: str
    ) -> MoneyOutResult:
        order = MoneyOutOrder(account_id, iban_id, amount_cents, comment, reference)
        return _raised(self.money_outs([order])[0])

    def money_outs(self, orders: Sequence[MoneyOutOrder]) -> list[MoneyOutResult | Exception]:
        """A round's money-outs: the IBANs and the wallets' balances read in two queries,
        the operations written in one INSERT; each order is checked (fault, amount, IBAN of
        that wallet, what the wallet still holds after the round's earlier orders) as a lone
        `money_out` would be."""
        registered = set(
            SandboxOperation.objects.filter(
                kind=SandboxOperation.Kind.IBAN,
                pk__in=[number for o in orders if (number := _iban_number(o.iban_id))],
            ).values_list("pk", "account_id")
        )
        balances = sandbox_wallet_balances(account_ids={order.account_id for order in orders})
        answers: list[MoneyOutResult | Exception] = []
        made: list[tuple[int, SandboxOperation, str | None]] = []
        for order in orders:
            fault = sandbox_faults.take("money_out")
            balance = balances.get(order.account_id, 0)
            refused = None
            if fault == "error":
                refused = GatewayError("sandbox: money-out refused (fault hook)",
                                       definitive=True, code="fault")  # fmt: skip
            elif order.amount_cents <= 0:
                refused = GatewayError("sandbox: amount must be positive", definitive=True)
            elif (_iban_number(order.iban_id), order.account_id) not in registered:
                refused = GatewayError("sandbox: this IBAN is not registered for this account",
                                       definitive=True, code="iban")  # fmt: skip
            elif order.amount_cents > balance:
                refused = GatewayError(
                    f"sandbox: wallet {order.account_id} holds {balance} cents, "
                    f"not {order.amount_cents}",
                    definitive=True,
                    code="balance",
                )
            if refused is not None:
                answers.append(refused)
                continue
            balances[order.account_id] = balance - order.amount_cents
            operation = SandboxOperation(
                kind=SandboxOperation.Kind.MONEY_OUT,
                reference=order.reference,
                account_id=order.account_id,
                target_id=order.iban_id,
                status=SUCCEEDED,
                amount_cents=order.amount_cents,
                detail=order.comment[:200],
            )
            made.append((len(answers), operation, fault))
            answers.append(GatewayError("sandbox: not recorded"))  # replaced below
        _operations_record([operation for _, operation, _ in made])
        for index, operation, fault in made:
            answers[index] = (
                GatewayError("sandbox: no answer (fault hook)", code="timeout")
                if fault == "timeout"
                else MoneyOutResult(SUCCEEDED, provider_id=operation.provider_id)
            )
        return answers

    def fetch_money_out(self, *, reference: str) -> MoneyOutResult | None:
        op = self._operation(SandboxOperation.Kind.MONEY_OUT, reference)
        if op is None:
            return None
        return MoneyOutResult(op.status, provider_id=op.provider_id)

    # -- the sandbox's own records -------------------------------------------------------

    @staticmethod
    def _operation(kind: str, reference: str) -> SandboxOperation | None:
        return (
            SandboxOperation.objects.filter(kind=kind, reference=reference).order_by("id").first()
        )

    @staticmethod
    def _account_exists(account_id: str) -> bool:
        return (
            bool(account_id)
            and SandboxOperation.objects.filter(
                kind=SandboxOperation.Kind.ACCOUNT, account_id=account_id
            ).exists()
        )


def _raised(answer: Any) -> Any:
    """A lone call's answer: the exception its round returned in its place is raised."""
    if isinstance(answer, Exception):
        raise answer
    return answer


def _iban_number(iban_id: str) -> int | None:
    """The row of a sandbox IBAN id (`SBXI-<n>`), None for anything else."""
    digits = iban_id[5:] if iban_id.startswith("SBXI-") else ""
    return int(digits) if digits.isdigit() and len(digits) <= 18 else None


def _operations_record(operations: list[SandboxOperation]) -> None:
    """The provider's side keeps what it did at once (committed, whatever our side does
    next), in one INSERT (`bulk_create` makes its batches one transaction)."""
    if operations:
        SandboxOperation.objects.bulk_create(operations, batch_size=500)


def sandbox_wallet_balance(*, account_id: str) -> int:
    """What a vendor wallet holds in the sandbox, in cents: P2P credits minus money-outs."""
    return sandbox_wallet_balances(account_ids={account_id}).get(account_id, 0)


def sandbox_wallet_balances(*, account_ids: set[str]) -> dict[str, int]:
    """`sandbox_wallet_balance` of many wallets in one query (wallets with no operation
    are left out: they hold 0)."""
    rows = (
        SandboxOperation.objects.filter(account_id__in=account_ids, status=SUCCEEDED)
        .values("account_id")
        .annotate(
            credit=Sum("amount_cents", filter=Q(kind=SandboxOperation.Kind.P2P)),
            debit=Sum("amount_cents", filter=Q(kind=SandboxOperation.Kind.MONEY_OUT)),
        )
        .order_by()
    )
    return {row["account_id"]: int(row["credit"] or 0) - int(row["debit"] or 0) for row in rows}


WALLET_BLOCKED = "blocked"  # the ACCOUNT operation's status while the wallet is blocked


def sandbox_wallet_status(*, account_id: str) -> str | None:
    """The wallet's status in LemonWay's codes (module docstring); None for no such wallet."""
    account = (
        SandboxOperation.objects.filter(kind=SandboxOperation.Kind.ACCOUNT, account_id=account_id)
        .order_by("id")
        .first()
        if account_id
        else None
    )
    if account is None:
        return None
    if account.status == WALLET_BLOCKED:
        return "10"
    latest: dict[str, str] = {}
    for detail, status in (
        SandboxOperation.objects.filter(kind=SandboxOperation.Kind.DOCUMENT, account_id=account_id)
        .order_by("id")
        .values_list("detail", "status")
    ):
        latest[detail.partition(":")[0]] = status
    kinds = [latest.get(kind) for kind in SANDBOX_DOC_TYPE]
    if all(status == SUCCEEDED for status in kinds):
        return "6"
    if any(status == FAILED for status in kinds):
        return "3"
    return "2"


def _wallet_notify(account_id: str, status: str) -> None:
    """LemonWay's "wallet status changed" notification (category 8), through the entry point
    its HTTP notifications reach."""
    from allies.payments.services import NotificationRetry, payment_notification_handle

    body = {
        "NotifCategory": "8",
        "NotifDate": timezone.now().isoformat(timespec="milliseconds"),
        "ExtId": account_id,
        "Status": status,
        "Blocked": "1" if status == "10" else "0",
    }
    try:
        payment_notification_handle(gateway="sandbox", data=notification_fields_keep(body))
    except NotificationRetry:
        logger.warning("sandbox: wallet notification for %s not applied yet", account_id)


def sandbox_wallet_block(*, account_id: str, blocked: bool = True) -> None:
    """The sandbox provider blocks (or unblocks) a wallet, then says so with a category 8
    notification (call outside a transaction, like the provider's own calls)."""
    with transaction.atomic():
        before = sandbox_wallet_status(account_id=account_id)
        if before is None:
            raise GatewayError("sandbox: unknown account", definitive=True, code="account")
        SandboxOperation.objects.filter(
            kind=SandboxOperation.Kind.ACCOUNT, account_id=account_id
        ).update(status=WALLET_BLOCKED if blocked else SUCCEEDED)
        after = sandbox_wallet_status(account_id=account_id)
    if after is not None and after != before:
        _wallet_notify(account_id, after)


# LemonWay's document types (DocType) for our kinds, and the statuses the sandbox answers.
SANDBOX_DOC_TYPE = {"id": "0", "rib": "2", "kbis": "7"}
SANDBOX_REFUSAL = "Document illisible ou non conforme (bac à sable)."


def sandbox_document_review(*, operation_id: int) -> None:
    """The sandbox's reviewer: decide on an uploaded document, then notify like LemonWay.

    A file whose name contains "refus" is refused, any other is validated. The notification
    goes through `payment_notification_handle`, the function LemonWay's HTTP notifications
    reach, so the whole KYC flow runs the same way in the sandbox.
    """
    from allies.payments.services import NotificationRetry, payment_notification_handle

    with transaction.atomic():
        op = (
            SandboxOperation.objects.select_for_update()
            .filter(pk=operation_id, kind=SandboxOperation.Kind.DOCUMENT, status=PENDING)
            .first()
        )
        if op is None:
            return
        wallet_before = sandbox_wallet_status(account_id=op.account_id)
        kind, _sep, decision = op.detail.partition(":")
        refused = decision == "refused"
        op.status = FAILED if refused else SUCCEEDED
        op.save(update_fields=["status"])
        wallet_after = sandbox_wallet_status(account_id=op.account_id)
    body = {
        "NotifCategory": "9",
        "NotifDate": timezone.now().isoformat(timespec="milliseconds"),
        "ExtId": op.account_id,
        "DocId": op.provider_id,
        "DocType": SANDBOX_DOC_TYPE.get(kind, "0"),
        "Status": "3" if refused else "2",
    }
    if refused:
        body["Msg"] = SANDBOX_REFUSAL
    try:
        payment_notification_handle(gateway="sandbox", data=notification_fields_keep(body))
    except NotificationRetry:
        logger.warning("sandbox: KYC notification for %s not applied yet", op.provider_id)
    if wallet_after is not None and wallet_after != wallet_before:
        _wallet_notify(op.account_id, wallet_after)
