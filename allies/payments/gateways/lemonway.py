"""The LemonWay gateway: LemonWay's DirectKit JSON API v2 ("directkitrest"), standard library only.

Calls used (paths relative to LEMONWAY_API_URL, e.g.
https://sandbox-api.lemonway.fr/mb/<env>/dev/directkitrest):

- `POST /v2/moneyins/card/webinit` (v1 MoneyInWebInit): opens the hosted card page.
  Body: accountId (the marketplace wallet credited), totalAmount and commissionAmount in
  integer cents (commission 0 at pay-in: vendor shares are moved later by P2P), reference
  (our unique id, echoed back as `response_wkToken` on the return URLs), comment,
  returnUrl / errorUrl / cancelUrl, registerCard false, captureDelayedDays 0 (capture now),
  autoCommission false. Answer: `webKitToken` and the transaction `id`. The buyer goes to
  LEMONWAY_WEBKIT_URL?moneyintoken=<webKitToken>&lang=fr.
- `GET /v2/moneyins?transactionId=<id>` (or `transactionMerchantToken=<reference>`): the
  transaction as LemonWay knows it: `transactions.value[]` with id, status, creditAmount,
  commissionAmount, reference, receiverAccountId, PSP.message. Money-in statuses:
  0 success, 3 Lemonway error, 4 pending, 6 PSP error, 7 cancelled, 16 validation pending.
- `PUT /v2/refund/{transactionid}` with amountToRefund (cents) and comment: partial refunds may
  repeat up to the paid amount. Answer `transaction` with id and status.
- `POST /v2/p2p` with debitAccountId, creditAccountId, amount (cents), comment, reference:
  a vendor's share from the marketplace wallet to the vendor wallet. P2P status 0 pending,
  3 success.

Vendors' wallets, KYC and payouts (PAY-1):

- `POST /v2/accounts/legal`: the vendor's wallet (a legal-entity account), `accountId` chosen
  by us (our reference), `payerOrBeneficiary` 2 (beneficiary), company name and
  identification number (SIRET), and the company's legal representative as LemonWay
  requires it: `firstName`, `lastName`, `nationality` (ISO 3166-1 alpha-3), and `birth`
  (`date` as yyyy/MM/dd, `city`, `country` alpha-3) — collected on the "Devenir vendeur"
  application. A refused creation is followed by `GET /v2/accounts/{id}`: a wallet already
  there (a retry after a lost answer) is the answer.
- `GET /v2/accounts/{id}`: the wallet (`account` with `status` and `isblocked`), re-read on a
  "wallet status changed" notification (category 8: ExtId, Status, Blocked) before anything
  moves: 2 documents missing, 3 documents rejected, 5 KYC 1, 6 KYC 2 (verified), 8 documents
  expired, 9 / 10 / 11 / 12 frozen, blocked, locked, closed
  (`base.LEMONWAY_WALLET_STATUS`). Handled by `allies.payments.accounts`.
- `POST /v2/accounts/{id}/documents/upload` with name, type (0 ID card, 2 proof of IBAN,
  7 Kbis) and the file in base 64 (`buffer`); the answer's `uploadDocument` has id and status.
  The verdict comes by notification, category 9 ("document status changed": ExtId, DocId,
  DocType, Status), handled by `allies.payments.accounts`.
- `POST /v2/moneyouts/iban` (IbanPost): accountId, holder, bic, iban; answer ibanId, status
  (4 waiting to be verified, 5 activated: only 5 allows a money-out).
  `GET /v2/moneyouts/{accountid}/iban` re-reads it (`ibans[]` with id and status).
- `GET /v2/p2p?reference=` and `GET /v2/moneyouts?reference=`: re-read a P2P or a money-out
  by our reference (`transactions.value[]`).
- `POST /v2/moneyouts`: accountId, ibanId, totalAmount (cents), commissionAmount 0,
  autoCommission false, comment, reference. Status 0 waiting, 3 done, 4 error.

Authentication: OAuth 2 bearer token. Either LEMONWAY_ACCESS_TOKEN is given as is, or it is
requested from LEMONWAY_OAUTH_URL with the Dashboard's basic API key (LEMONWAY_API_KEY,
`Authorization: Basic <key>`, `grant_type=client_credentials`) and cached until it expires.
Every call also sends `PSU-IP-Address` (required by the API), LEMONWAY_PSU_IP by default.

Failures: a timeout, a refused connection, an HTTP 5xx or unreadable JSON raise GatewayError
(outcome unknown); an HTTP 4xx or an `error` object in the answer raise GatewayError with
`definitive=True` (LemonWay refused; nothing was executed).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from django.conf import settings

from allies.core.world_countries import alpha3
from allies.payments import messages as codes
from allies.payments.accounts import DOCUMENT_STATUS
from allies.payments.gateways.base import (
    CANCELLED,
    FAILED,
    LEMONWAY_MONEY_IN_STATUS,
    PENDING,
    SUCCEEDED,
    AccountResult,
    AccountState,
    GatewayError,
    KycResult,
    LegalRepresentative,
    MoneyOutResult,
    NotificationClaim,
    PaymentGateway,
    ProviderMismatch,
    ProviderStatus,
    RefundResult,
    ReturnUrls,
    StartResult,
    TransferResult,
    lemonway_wallet_state,
    parse_lemonway_style_notification,
)

logger = logging.getLogger(__name__)

# LemonWay statuses for refunds and P2P: 0 and 3 mean done (P2P: 0 is "pending"), 4 pending.
REFUND_STATUS = {"0": SUCCEEDED, "3": SUCCEEDED, "4": PENDING, "16": PENDING}
P2P_STATUS = {"0": PENDING, "3": SUCCEEDED, "4": PENDING}
# Money-out: 0 waiting for finalisation, 3 done, 4 LemonWay error (the wallet is not debited).
MONEY_OUT_STATUS = {"0": PENDING, "3": SUCCEEDED, "4": FAILED}
# IBAN (IbanPost / GET …/iban): 4 waiting to be verified, 5 activated, 6-9 rejected or disabled.
IBAN_STATUS = {
    "4": PENDING,
    "5": SUCCEEDED,
    "6": FAILED,
    "7": FAILED,
    "8": FAILED,
    "9": FAILED,
}
# Document types (documents/upload `type`, notification `DocType`) for our kinds.
DOC_TYPE = {"id": 0, "rib": 2, "kbis": 7}
# The birth date as LemonWay's API describes it (`birth.date`: yyyy/MM/dd).
BIRTH_DATE_FORMAT = "%Y/%m/%d"

_token_lock = threading.Lock()
_token_cache: dict[str, tuple[str, float]] = {}


class LemonWayClient:
    """A minimal JSON client for DirectKit v2: one method per HTTP verb, errors normalised."""

    def __init__(self) -> None:
        self.api_url = str(settings.LEMONWAY_API_URL).rstrip("/")
        self.timeout = float(settings.LEMONWAY_TIMEOUT)
        self.psu_ip = str(settings.LEMONWAY_PSU_IP or "127.0.0.1")
        if not self.api_url:
            raise GatewayError("LEMONWAY_API_URL is not set", definitive=True, code="config")

    # -- authentication ------------------------------------------------------------------
    def _bearer(self) -> str:
        static = str(settings.LEMONWAY_ACCESS_TOKEN)
        if static:
            return static
        oauth_url = str(settings.LEMONWAY_OAUTH_URL)
        api_key = str(settings.LEMONWAY_API_KEY)
        if not oauth_url or not api_key:
            raise GatewayError("LemonWay credentials are not set", definitive=True, code="config")
        with _token_lock:
            cached = _token_cache.get(oauth_url + api_key)
            if cached and cached[1] > time.monotonic() + 30:
                return cached[0]
            request = urllib.request.Request(
                oauth_url,
                data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
                headers={
                    "Authorization": f"Basic {api_key}",
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                },
                method="POST",
            )
            answer = self._send(request)
            token = answer.get("access_token")
            if not token:
                raise GatewayError("LemonWay gave no access token", code="auth")
            expires_in = float(answer.get("expires_in") or 300)
            _token_cache[oauth_url + api_key] = (token, time.monotonic() + expires_in)
            return token

    # -- transport -----------------------------------------------------------------------
    def _send(self, request: urllib.request.Request) -> dict:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode("utf-8", "replace")
            if 400 <= exc.code < 500:
                if exc.code == 401:
                    _token_cache.clear()
                raise GatewayError(
                    f"LemonWay refused the request ({exc.code}): {detail}",
                    definitive=True,
                    code=str(exc.code),
                ) from exc
            raise GatewayError(f"LemonWay server error ({exc.code})", code=str(exc.code)) from exc
        except TimeoutError as exc:
            raise GatewayError("LemonWay did not answer in time", code="timeout") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise GatewayError(f"LemonWay unreachable: {exc}", code="unreachable") from exc
        try:
            answer = json.loads(body or b"{}")
        except ValueError as exc:
            raise GatewayError("LemonWay answered with unreadable JSON", code="json") from exc
        if not isinstance(answer, dict):
            raise GatewayError("LemonWay answered with unexpected JSON", code="json")
        error = answer.get("error")
        if error:
            message = error.get("message", "") if isinstance(error, dict) else str(error)
            code = str(error.get("code", "")) if isinstance(error, dict) else ""
            raise GatewayError(f"LemonWay error {code}: {message}", definitive=True, code=code)
        return answer

    def call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict:
        url = self.api_url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v != ""})
        headers = {
            "Authorization": f"Bearer {self._bearer()}",
            "Accept": "application/json",
            "PSU-IP-Address": self.psu_ip,
            "PSU-Accept-Language": "fr",
        }
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        return self._send(request)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _cents(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class LemonWayGateway(PaymentGateway):
    name = "lemonway"

    @property
    def concurrent_calls(self) -> int:  # type: ignore[override]
        """A payout round's P2Ps (then money-outs) in flight at once: one HTTP request
        each, DB-free, so threads overlap their waits (LEMONWAY_CONCURRENT_CALLS)."""
        return int(settings.LEMONWAY_CONCURRENT_CALLS)

    def _client(self) -> LemonWayClient:
        return LemonWayClient()

    @property
    def wallet_id(self) -> str:
        wallet = str(settings.LEMONWAY_WALLET_ID)
        if not wallet:
            raise GatewayError("LEMONWAY_WALLET_ID is not set", definitive=True, code="config")
        return wallet

    def start(self, *, payment, urls: ReturnUrls) -> StartResult:
        body = {
            "accountId": self.wallet_id,
            "totalAmount": payment.amount_cents,
            "commissionAmount": 0,
            "autoCommission": False,
            "registerCard": False,
            "captureDelayedDays": 0,
            "reference": payment.reference,
            "comment": f"Commande {payment.order.reference}"[:140],
            "returnUrl": urls.return_url,
            "errorUrl": urls.error_url,
            "cancelUrl": urls.cancel_url,
        }
        answer = self._client().call("POST", "/v2/moneyins/card/webinit", body=body)
        token = _text(answer.get("webKitToken"))
        if not token:
            raise GatewayError("LemonWay gave no webKitToken", code="json")
        webkit = str(settings.LEMONWAY_WEBKIT_URL).rstrip("/") + "/"
        query = urllib.parse.urlencode({"moneyintoken": token, "lang": "fr"})
        return StartResult(
            redirect_url=f"{webkit}?{query}",
            webkit_token=token,
            transaction_id=_text(answer.get("id")),
        )

    def _money_in(self, *, transaction_id: str, reference: str) -> dict:
        query = (
            {"transactionId": transaction_id}
            if transaction_id
            else {"transactionMerchantToken": reference}
        )
        answer = self._client().call("GET", "/v2/moneyins", query=query)
        transactions = answer.get("transactions") or []
        if isinstance(transactions, dict):  # {"value": [...]} in the published schema
            transactions = transactions.get("value") or []
        for item in transactions:
            if not isinstance(item, dict):
                continue
            if transaction_id and _text(item.get("id")) == transaction_id:
                return item
            if not transaction_id and _text(item.get("reference")) == reference:
                return item
        return {}

    def fetch_status(self, *, payment) -> ProviderStatus:
        item = self._money_in(
            transaction_id=payment.provider_transaction_id, reference=payment.reference
        )
        if not item:
            # LemonWay created it at web-init: not finding it is not an answer.
            raise GatewayError("LemonWay does not know this transaction", code="not_found")
        code = _text(item.get("status"))
        status = LEMONWAY_MONEY_IN_STATUS.get(code, PENDING)
        if code not in LEMONWAY_MONEY_IN_STATUS:
            logger.warning("LemonWay money-in %s has unknown status %r", item.get("id"), code)
        credit = _cents(item.get("creditAmount"))
        commission = _cents(item.get("commissionAmount")) or 0
        receiver = _text(item.get("receiverAccountId"))
        if receiver and receiver != self.wallet_id:
            # Money that went to another wallet does not pay our order.
            raise ProviderMismatch(f"LemonWay transaction credits {receiver}, not our wallet")
        failure = ""
        if status == FAILED:
            failure = codes.PROVIDER_ERROR if code == "3" else codes.REFUSED
        elif status == CANCELLED:
            failure = codes.CANCELLED
        return ProviderStatus(
            status,
            transaction_id=_text(item.get("id")),
            amount_cents=None if credit is None else credit + commission,
            reference=_text(item.get("reference")),
            failure_code=failure,
            raw=item,
        )

    def parse_notification(self, data: Mapping[str, Any]) -> NotificationClaim:
        return parse_lemonway_style_notification(data)

    def refund(self, *, payment, refund) -> RefundResult:
        answer = self._client().call(
            "PUT",
            f"/v2/refund/{urllib.parse.quote(payment.provider_transaction_id)}",
            body={"amountToRefund": refund.amount_cents, "comment": refund.reason[:140]},
        )
        item = answer.get("transaction") or {}
        code = _text(item.get("status"))
        return RefundResult(
            REFUND_STATUS.get(code, FAILED),
            provider_refund_id=_text(item.get("id")),
            message="" if code in REFUND_STATUS else f"LemonWay refund status {code!r}",
        )

    def fetch_refund_status(self, *, refund) -> RefundResult:
        """Re-read the paid money-in: its `refundAmount` covers the refunds LemonWay executed.

        Assumption (not spelled out in the public docs): refundAmount is in cents like every
        other amount of the v2 API, and counts executed refunds only.
        """
        from allies.payments.models import Refund

        payment = refund.payment
        item = self._money_in(
            transaction_id=payment.provider_transaction_id, reference=payment.reference
        )
        refunded = _cents(item.get("refundAmount")) if item else None
        if refunded is None:
            return RefundResult(PENDING, provider_refund_id=refund.provider_refund_id)
        done_before = sum(
            payment.refunds.filter(status=Refund.Status.SUCCEEDED)
            .exclude(pk=refund.pk)
            .values_list("amount_cents", flat=True)
        )
        status = SUCCEEDED if refunded >= done_before + refund.amount_cents else PENDING
        return RefundResult(status, provider_refund_id=refund.provider_refund_id)

    def transfer(
        self, *, credit_account_id: str, amount_cents: int, comment: str, reference: str
    ) -> TransferResult:
        answer = self._client().call(
            "POST",
            "/v2/p2p",
            body={
                "debitAccountId": self.wallet_id,
                "creditAccountId": credit_account_id,
                "amount": amount_cents,
                "comment": comment[:140],
                "reference": reference,
            },
        )
        item = answer.get("transaction") or {}
        code = _text(item.get("status"))
        return TransferResult(
            P2P_STATUS.get(code, FAILED),
            provider_transfer_id=_text(item.get("id")),
            message="" if code in P2P_STATUS else f"LemonWay P2P status {code!r}",
        )

    def abandon(self, *, payment) -> None:
        # Nothing to call: LemonWay itself turns an unfinished web payment to "cancelled"
        # (status 7) after 15 minutes; a late success is caught by the next status re-read.
        return None

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
        """`POST /v2/accounts/legal`: the wallet id is our `reference` (LemonWay lets the
        platform choose it), so a retry after a lost answer finds the wallet: a refusal is
        followed by `GET /v2/accounts/{reference}`, and a wallet that exists is the answer.
        The person named is the company's legal representative."""
        body = {
            "accountId": reference,
            "email": email,
            "firstName": representative.first_name[:256],
            "lastName": representative.last_name[:256],
            "nationality": _alpha3(representative.nationality),
            "birth": {
                "date": representative.birth_date.strftime(BIRTH_DATE_FORMAT),
                "city": representative.birth_city[:140],
                "country": _alpha3(representative.birth_country),
            },
            "payerOrBeneficiary": 2,  # beneficiary: the vendor is paid
            "isUltimateBeneficialOwner": False,
            "adresse": {"country": _alpha3(country.upper() or "FR")},
            "company": {
                "name": legal_name[:100],
                "description": "Vendeur de la marketplace Alliés",
                "identificationNumber": company_id,
            },
        }
        client = self._client()
        try:
            answer = client.call("POST", "/v2/accounts/legal", body=body)
        except GatewayError as exc:
            if not exc.definitive:
                raise
            existing = self._account(client, reference)
            if existing is None:
                raise
            return AccountResult(account_id=reference)
        account = answer.get("legalAccount") or {}
        account_id = _text(account.get("id")) if isinstance(account, dict) else ""
        if not account_id:
            raise GatewayError("LemonWay gave no account id", code="json")
        return AccountResult(account_id=account_id)

    def fetch_account(self, *, account_id: str) -> AccountState | None:
        """`GET /v2/accounts/{id}`: the wallet's `status` and `isblocked`; None when LemonWay
        does not know the wallet (its "not found" error)."""
        account = self._account(self._client(), account_id)
        if account is None:
            return None
        blocked = str(account.get("isblocked") or "").strip().lower() in ("1", "true")
        return lemonway_wallet_state(_text(account.get("status")), blocked=blocked)

    def _account(self, client: LemonWayClient, account_id: str) -> dict | None:
        try:
            answer = client.call("GET", f"/v2/accounts/{urllib.parse.quote(account_id)}")
        except GatewayError as exc:
            if exc.definitive:
                return None
            raise
        account = answer.get("account")
        if not isinstance(account, dict) or _text(account.get("id")) != account_id:
            return None
        return account

    def kyc_document_upload(
        self, *, account_id: str, kind: str, filename: str, content: bytes, reference: str
    ) -> KycResult:
        """`POST /v2/accounts/{id}/documents/upload` with name, type (DocType) and the file in
        base 64. The answer's status is the document's (usually 1: manual check); the
        verdict comes later by notification (category 9)."""
        if kind not in DOC_TYPE:
            raise GatewayError(f"no LemonWay document type for {kind!r}", definitive=True)
        answer = self._client().call(
            "POST",
            f"/v2/accounts/{urllib.parse.quote(account_id)}/documents/upload",
            body={
                "name": filename[:100] or reference,
                "type": DOC_TYPE[kind],
                "buffer": base64.b64encode(content).decode("ascii"),
            },
        )
        document = answer.get("uploadDocument") or {}
        if not isinstance(document, dict) or not _text(document.get("id")):
            raise GatewayError("LemonWay gave no document id", code="json")
        status, message = DOCUMENT_STATUS.get(_text(document.get("status")), (PENDING, ""))
        return KycResult(status, provider_id=_text(document.get("id")), message=message)

    def iban_register(
        self, *, account_id: str, holder: str, iban: str, bic: str, reference: str
    ) -> KycResult:
        """`POST /v2/moneyouts/iban` (IbanPost): answer `ibanId` and `status` (4 waiting to
        be verified, 5 activated, 6-9 rejected)."""
        answer = self._client().call(
            "POST",
            "/v2/moneyouts/iban",
            body={
                "accountId": account_id,
                "holder": holder[:256],
                "bic": bic,
                "iban": iban,
                "comment": reference,
            },
        )
        iban_id = _text(answer.get("ibanId"))
        if not iban_id:
            raise GatewayError("LemonWay gave no ibanId", code="json")
        code = _text(answer.get("status"))
        return KycResult(
            IBAN_STATUS.get(code, PENDING),
            provider_id=iban_id,
            message="" if code in IBAN_STATUS else f"LemonWay IBAN status {code!r}",
        )

    def fetch_iban(self, *, account_id: str, iban_id: str) -> KycResult | None:
        """`GET /v2/moneyouts/{accountid}/iban`: the wallet's IBANs with their status; only
        status 5 (activated) allows a money-out."""
        answer = self._client().call("GET", f"/v2/moneyouts/{urllib.parse.quote(account_id)}/iban")
        for item in answer.get("ibans") or []:
            if isinstance(item, dict) and _text(item.get("id")) == iban_id:
                code = _text(item.get("status"))
                return KycResult(IBAN_STATUS.get(code, PENDING), provider_id=iban_id)
        return None

    def _find(self, path: str, reference: str) -> dict | None:
        """The operation LemonWay recorded under our reference (GET …?reference=)."""
        answer = self._client().call("GET", path, query={"reference": reference})
        transactions = answer.get("transactions") or []
        if isinstance(transactions, dict):
            transactions = transactions.get("value") or []
        for item in transactions:
            if isinstance(item, dict) and _text(item.get("reference")) == reference:
                return item
        return None

    def fetch_transfer(self, *, reference: str) -> TransferResult | None:
        item = self._find("/v2/p2p", reference)
        if item is None:
            return None
        code = _text(item.get("status"))
        return TransferResult(
            P2P_STATUS.get(code, FAILED),
            provider_transfer_id=_text(item.get("id")),
            message="" if code in P2P_STATUS else f"LemonWay P2P status {code!r}",
        )

    def money_out(
        self, *, account_id: str, iban_id: str, amount_cents: int, comment: str, reference: str
    ) -> MoneyOutResult:
        """`POST /v2/moneyouts`: the wallet is debited at once; the bank transfer follows."""
        try:
            iban = int(iban_id)
        except ValueError as exc:
            raise GatewayError(f"bad LemonWay IBAN id {iban_id!r}", definitive=True) from exc
        answer = self._client().call(
            "POST",
            "/v2/moneyouts",
            body={
                "accountId": account_id,
                "ibanId": iban,
                "totalAmount": amount_cents,
                "commissionAmount": 0,
                "autoCommission": False,
                # LemonWay keeps 35 alphanumeric characters for the bank statement.
                "comment": comment[:140],
                "reference": reference,
            },
        )
        return _money_out_result(answer.get("transaction") or {})

    def fetch_money_out(self, *, reference: str) -> MoneyOutResult | None:
        item = self._find("/v2/moneyouts", reference)
        return None if item is None else _money_out_result(item)


def _money_out_result(item: Any) -> MoneyOutResult:
    if not isinstance(item, dict):
        item = {}
    code = _text(item.get("status"))
    return MoneyOutResult(
        MONEY_OUT_STATUS.get(code, FAILED),
        provider_id=_text(item.get("id")),
        message="" if code in MONEY_OUT_STATUS else f"LemonWay money-out status {code!r}",
    )


def _alpha3(code: str) -> str:
    """ISO 3166-1 alpha-3, as LemonWay takes countries and nationalities."""
    value = alpha3(code)
    if not value:
        raise GatewayError(f"not an ISO 3166-1 country: {code!r}", definitive=True, code="country")
    return value
