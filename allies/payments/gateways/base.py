"""The one small interface every payment gateway implements (sandbox, LemonWay).

A gateway only talks to its provider and translates answers into these plain values; it never
touches orders nor decides anything. `allies.payments.services` holds the rules: it re-reads a
payment's status with `fetch_status` before acting on any redirect or notification, and it
compares what a notification claims with that answer.

Statuses are ours: "pending", "succeeded", "failed", "cancelled" (see `Payment.Status`).
Amounts crossing this interface are integer cents.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from allies.core.errors import AlliesError
from allies.core.money import eur_to_cents
from allies.core.numbers import NumberError, parse_decimal

if TYPE_CHECKING:
    from allies.payments.models import Payment, Refund

PENDING = "pending"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
# A vendor wallet the provider blocked, froze or closed (`AccountState`): nothing moves on it.
BLOCKED = "blocked"


class GatewayError(AlliesError):
    """The provider could not be reached or answered with an error: nothing is known.

    `definitive` is True when the provider clearly refused the request (so it was not
    executed); False for timeouts and server errors, after which the outcome is unknown.
    `code` says why when known ("timeout", "config", the provider's own error code…). The
    message is for logs and staff (English), never shown to a customer as is.
    """

    code = "gateway_error"

    def __init__(self, message: str, *, definitive: bool = False, code: str = "") -> None:
        super().__init__(message, code=code or None)
        self.definitive = definitive


class ProviderMismatch(GatewayError):
    """The provider's answer does not belong to this payment (other wallet, reference...)."""

    def __init__(self, message: str):
        super().__init__(message, definitive=True, code="mismatch")


@dataclass(frozen=True)
class ReturnUrls:
    return_url: str
    error_url: str
    cancel_url: str


@dataclass(frozen=True)
class StartResult:
    redirect_url: str
    webkit_token: str
    transaction_id: str = ""  # LemonWay gives it at web-init; the sandbox only once a card is sent


@dataclass(frozen=True)
class ProviderStatus:
    """The provider's own answer about one pay-in, re-read from its API."""

    status: str
    transaction_id: str = ""
    amount_cents: int | None = None
    reference: str = ""
    failure_code: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NotificationClaim:
    """What a notification says. Unverified: only a hint of what to re-read."""

    transaction_id: str
    status: str | None = None
    amount_cents: int | None = None
    category: str = ""
    is_pay_in: bool = True


@dataclass(frozen=True)
class RefundResult:
    status: str  # "pending", "succeeded" or "failed"
    provider_refund_id: str = ""
    message: str = ""


@dataclass(frozen=True)
class TransferResult:
    status: str  # "pending", "succeeded" or "failed"
    provider_transfer_id: str = ""
    message: str = ""


@dataclass(frozen=True)
class AccountResult:
    """A vendor's payment account (wallet) at the provider."""

    account_id: str


@dataclass(frozen=True)
class LegalRepresentative:
    """The person who legally represents a vendor's company (its manager: gérant, président),
    whom the provider identifies when it opens the company's wallet (KYC). Checked before it
    gets here (`payments.accounts.representative_errors`)."""

    first_name: str
    last_name: str
    nationality: str  # ISO 3166-1 alpha-2 ("FR")
    birth_date: date
    birth_city: str
    birth_country: str  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class AccountState:
    """A vendor wallet's status as the provider knows it, re-read from its API (never taken
    from a notification's body).

    `status`: PENDING (documents missing or being checked: not verified), SUCCEEDED (KYC
    validated: it may be paid out), FAILED (documents refused or expired), BLOCKED (blocked,
    frozen or closed by the provider), or "" for a status that means nothing for a vendor's
    wallet. `code` is the provider's own status, for the record.
    """

    status: str
    code: str = ""


@dataclass(frozen=True)
class KycResult:
    """A KYC document or a bank account (IBAN) as the provider knows it."""

    status: str  # "pending", "succeeded" (validated) or "failed" (refused)
    provider_id: str = ""
    message: str = ""


@dataclass(frozen=True)
class MoneyOutResult:
    status: str  # "pending", "succeeded" or "failed"
    provider_id: str = ""
    message: str = ""


@dataclass(frozen=True)
class TransferOrder:
    """One P2P of a payout round: the arguments of `transfer`."""

    credit_account_id: str
    amount_cents: int
    comment: str
    reference: str


@dataclass(frozen=True)
class MoneyOutOrder:
    """One money-out of a payout round: the arguments of `money_out`."""

    account_id: str
    iban_id: str
    amount_cents: int
    comment: str
    reference: str


Item = TypeVar("Item")
Answer = TypeVar("Answer")


def _caught(call: Callable[[Item], Answer], item: Item) -> Answer | Exception:
    try:
        return call(item)
    except Exception as exc:  # returned in its item's place: one call never stops the others
        return exc


class PaymentGateway(ABC):
    name: str = ""
    # Calls of one round (`each`) in flight at once. 1 keeps every call in the caller's
    # thread: a provider whose own records live in our database (the sandbox) needs that.
    concurrent_calls: int = 1

    def each(
        self, call: Callable[[Item], Answer], items: Sequence[Item]
    ) -> list[Answer | Exception]:
        """`call` on every item, answers in the items' order; an exception a call raised
        is returned in its place. Up to `concurrent_calls` calls at once, in threads, for a
        provider whose API has no batch (LemonWay: one HTTP request per P2P)."""
        workers = min(self.concurrent_calls, len(items))
        if workers <= 1:
            return [_caught(call, item) for item in items]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=self.name) as pool:
            return list(pool.map(lambda item: _caught(call, item), items))

    def transfers(self, orders: Sequence[TransferOrder]) -> list[TransferResult | Exception]:
        """`transfer` for each order (see `each`); a provider may do them in one go."""
        return self.each(lambda order: self.transfer(**asdict(order)), orders)

    def money_outs(self, orders: Sequence[MoneyOutOrder]) -> list[MoneyOutResult | Exception]:
        """`money_out` for each order (see `each`); a provider may do them in one go."""
        return self.each(lambda order: self.money_out(**asdict(order)), orders)

    @abstractmethod
    def start(self, *, payment: Payment, urls: ReturnUrls) -> StartResult:
        """Open the provider's hosted card page for this payment; where to send the buyer."""

    @abstractmethod
    def fetch_status(self, *, payment: Payment) -> ProviderStatus:
        """Re-read the pay-in from the provider. Raises GatewayError if it cannot be read."""

    @abstractmethod
    def parse_notification(self, data: Mapping[str, Any]) -> NotificationClaim:
        """Read the transaction id (and claimed status/amount) from a notification body.

        Raises ValueError when the body cannot be understood.
        """

    @abstractmethod
    def refund(self, *, payment: Payment, refund: Refund) -> RefundResult:
        """Ask the provider to send `refund.amount_cents` back to the card."""

    @abstractmethod
    def fetch_refund_status(self, *, refund: Refund) -> RefundResult:
        """Re-read a pending refund from the provider."""

    @abstractmethod
    def transfer(
        self,
        *,
        credit_account_id: str,
        amount_cents: int,
        comment: str,
        reference: str,
    ) -> TransferResult:
        """Move money from the marketplace wallet to a vendor wallet (P2P)."""

    # -- Vendors' accounts and payouts (PAY-1, issue 13) ----------------------------------
    # Each call carries `reference`, our unique id for that step: a retry re-reads the step
    # with `fetch_*` before doing it again, so a step interrupted midway is never done twice.

    @abstractmethod
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
        """Open the vendor's wallet (a legal-entity account, with its legal representative)
        at the provider."""

    @abstractmethod
    def fetch_account(self, *, account_id: str) -> AccountState | None:
        """Re-read a vendor wallet's status (KYC, blocked); None when the provider does not
        know the wallet. Raises GatewayError when it cannot be read."""

    @abstractmethod
    def kyc_document_upload(
        self, *, account_id: str, kind: str, filename: str, content: bytes, reference: str
    ) -> KycResult:
        """Send one KYC document (kind: "kbis", "id", "rib") for the account."""

    @abstractmethod
    def iban_register(
        self, *, account_id: str, holder: str, iban: str, bic: str, reference: str
    ) -> KycResult:
        """Register the vendor's bank account (LemonWay IbanPost); payouts go to it."""

    @abstractmethod
    def fetch_transfer(self, *, reference: str) -> TransferResult | None:
        """Re-read a P2P by our reference; None when the provider never received it."""

    @abstractmethod
    def money_out(
        self, *, account_id: str, iban_id: str, amount_cents: int, comment: str, reference: str
    ) -> MoneyOutResult:
        """Pay `amount_cents` from the vendor's wallet to its registered bank account."""

    @abstractmethod
    def fetch_money_out(self, *, reference: str) -> MoneyOutResult | None:
        """Re-read a money-out by our reference; None when the provider never received it."""

    def fetch_iban(self, *, account_id: str, iban_id: str) -> KycResult | None:
        """Re-read a registered IBAN's status (LemonWay activates it after checking the RIB);
        None when the provider cannot say. Optional: the default knows nothing."""
        return None

    def abandon(self, *, payment: Payment) -> None:  # noqa: B027 - optional hook
        """The merchant gives up waiting: close the hosted page if the provider allows it."""

    def reference_for_transaction(self, transaction_id: str) -> str:
        """Our payment reference for a provider transaction id we have not stored yet."""
        return ""


# LemonWay money-in statuses (GET /v2/moneyins `status`, and notification `Status`):
# 0 success, 3 Lemonway error, 4 pending, 6 PSP error, 7 cancelled, 16 validation pending.
LEMONWAY_MONEY_IN_STATUS = {
    "0": SUCCEEDED,
    "3": FAILED,
    "4": PENDING,
    "6": FAILED,
    "7": CANCELLED,
    "16": PENDING,
}
# LemonWay wallet statuses (GET /v2/accounts/{id} `status`, and category 8 notifications):
# 1 not opened, 2 documents missing, 3 documents rejected, 5 KYC 1 (given at registration),
# 6 KYC 2 (verified), 8 documents expired, 9 frozen, 10 blocked, 11 locked, 12 closed. Others
# (0 unknown, -1 the platform's own wallet, 7 and 13 KYC 3, 14 one-time customer, 15, 16
# technical wallet) do not apply to a vendor's wallet: `AccountState.status` "".
LEMONWAY_WALLET_STATUS = {
    "1": PENDING,
    "2": PENDING,
    "3": FAILED,
    "5": PENDING,
    "6": SUCCEEDED,
    "8": FAILED,
    "9": BLOCKED,
    "10": BLOCKED,
    "11": BLOCKED,
    "12": BLOCKED,
}


def lemonway_wallet_state(code: str, *, blocked: bool = False) -> AccountState:
    """Our reading of a LemonWay wallet status; a wallet marked blocked is blocked whatever
    its KYC status."""
    code = (code or "").strip()
    if blocked:
        return AccountState(BLOCKED, code=code)
    return AccountState(LEMONWAY_WALLET_STATUS.get(code, ""), code=code)


# Notification categories that concern a pay-in's status (42: money-in status
# synchronisation; 22: card money-in received). Others are recorded and ignored.
LEMONWAY_PAY_IN_CATEGORIES = {"42", "22"}


# What a notification may carry that we keep (LemonWay's notification fields): anything else
# is dropped before the notification is stored, and each value is cut to NOTIFICATION_VALUE_MAX
# characters. A notification is anonymous: nothing in it may cost us more than a few bytes.
NOTIFICATION_FIELDS = (
    "NotifCategory",
    "NotifDate",
    "IntId",
    "ExtId",
    "IdTransaction",
    "Amount",
    "Status",
    "Msg",
    "DocId",  # KYC document notifications (category 9)
    "DocType",
    "Blocked",  # wallet status notifications (category 8)
)
NOTIFICATION_VALUE_MAX = 200
TRANSACTION_ID_MAX = 64
# Euros with cents, as in notifications ("10.00"); far above any basket, far below overflow.
NOTIFICATION_AMOUNT_MAX = Decimal("9999999999.99")


def _notification_value(data: Mapping[str, Any], key: str) -> str:
    raw = data.get(key)
    if isinstance(raw, list | tuple):
        raw = raw[0] if raw else ""
    if raw is None or isinstance(raw, dict | list | tuple):
        return ""
    return str(raw).strip()[:NOTIFICATION_VALUE_MAX]


def notification_fields_keep(data: Mapping[str, Any]) -> dict[str, str]:
    """The known fields of a notification body, as short strings (what is stored and read)."""
    kept = {}
    for key in NOTIFICATION_FIELDS:
        if key in data:
            kept[key] = _notification_value(data, key)
    return kept


def parse_lemonway_style_notification(data: Mapping[str, Any]) -> NotificationClaim:
    """Read a LemonWay-shaped notification (form or JSON): IdTransaction, Status, Amount.

    `Amount` is in euros with decimals ("10.00") in notifications, unlike the API's cents. It
    is read with `core.numbers` (bounded, checked as text first): "1e999990" is refused at
    once instead of holding the worker while it is turned into an integer.
    """
    transaction_id = _notification_value(data, "IdTransaction")
    if not transaction_id:
        raise ValueError("no IdTransaction")
    if len(transaction_id) > TRANSACTION_ID_MAX or not transaction_id.isprintable():
        raise ValueError("unreadable IdTransaction")
    status_code = _notification_value(data, "Status")
    amount_cents = None
    if amount := _notification_value(data, "Amount"):
        try:
            euros = parse_decimal(
                amount,
                max_digits=12,
                decimal_places=2,
                min_value=0,
                max_value=NOTIFICATION_AMOUNT_MAX,
            )
            amount_cents = eur_to_cents(euros)
        except NumberError as exc:
            raise ValueError("unreadable Amount") from exc
    category = _notification_value(data, "NotifCategory")
    return NotificationClaim(
        transaction_id=transaction_id,
        status=LEMONWAY_MONEY_IN_STATUS.get(status_code, PENDING) if status_code else None,
        amount_cents=amount_cents,
        category=category,
        is_pay_in=not category or category in LEMONWAY_PAY_IN_CATEGORIES,
    )
