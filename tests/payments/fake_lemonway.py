"""A local fake of LemonWay's DirectKit JSON v2 API, for the LemonWay gateway's tests.

An `http.server` in a thread on 127.0.0.1 with a random port. It implements what Alliés calls,
shaped as LemonWay documents it:

    POST /oauth/token                       client-credentials token (Basic API key)
    POST <api>/v2/moneyins/card/webinit     -> {"webKitToken", "id"}; transaction status 4
    GET  <api>/v2/moneyins?transactionId=   -> {"transactions": {"value": [transaction]}}
    PUT  <api>/v2/refund/{id}               -> {"transaction": {"id", "status", ...}}
    POST <api>/v2/p2p                       -> {"transaction": {"id", "status": 3, ...}}
    GET  <api>/v2/p2p?reference=            -> {"transactions": {"value": [p2p]}}
    POST <api>/v2/accounts/legal            -> {"legalAccount": {"id", "lemonwayId"}}
                                               (refused without the legal representative:
                                               names, alpha-3 nationality, birth yyyy/MM/dd)
    GET  <api>/v2/accounts/{id}             -> {"account": {"id", "status", "isblocked",
                                               "balance"...}}; status 2 until
                                               `set_account_status`
    POST <api>/v2/accounts/{id}/documents/upload -> {"uploadDocument": {"id", "status": 1}}
    POST <api>/v2/moneyouts/iban            -> {"ibanId", "status": 5 (`iban_status`)}
    GET  <api>/v2/moneyouts/{id}/iban       -> {"ibans": [{"id", "status", ...}]}
    POST <api>/v2/moneyouts                 -> {"transaction": {"id", "status": 3, ...}}
    GET  <api>/v2/moneyouts?reference=      -> {"transactions": {"value": [money-out]}}

Wallet balances are kept: a P2P credits the vendor wallet, a money-out debits it (refused with
an error, like LemonWay, when the wallet holds less, or the IBAN is not the wallet's or not
activated (status 5)).

Tests play the buyer and LemonWay's back office with `pay`, `set_status`, `complete_refund`,
and make it misbehave with `fail_next(path_part, "timeout" | "500" | "error")`; the mode
"timeout_after" executes the call and then answers too late (done, but the answer is lost).
Every request is kept in `requests` (method, path, query, lower-cased headers, json body) for
assertions.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API_PREFIX = "/mb/allies/dev/directkitrest"
API_KEY = base64.b64encode(b"allies:secret-key").decode()


class FakeLemonWay:
    def __init__(self, *, timeout_delay: float = 1.5):
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.transactions: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.transfers: list[dict] = []
        self.accounts: dict[str, dict] = {}
        self.documents: dict[str, dict] = {}
        self.ibans: dict[str, dict] = {}
        self.money_outs: list[dict] = []
        self.balances: dict[str, int] = {}
        self.iban_status = 5
        self.failures: list[tuple[str, str]] = []
        self.refund_status = "0"
        self.timeout_delay = timeout_delay
        self.tokens_issued: list[str] = []
        # Seconds each API request takes, and the most requests it ever had at once (to see
        # a payout run's calls overlap).
        self.latency = 0.0
        self.in_flight = 0
        self.most_in_flight = 0
        self.flight_lock = threading.Lock()  # its own: answers are sent under `lock` too
        self._ids = itertools.count(1001)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> FakeLemonWay:
        self.thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def oauth_url(self) -> str:
        return self.base_url + "/oauth/token"

    # -- the tests' levers -----------------------------------------------------------------
    def fail_next(self, path_part: str, mode: str) -> None:
        with self.lock:
            self.failures.append((path_part, mode))

    def set_status(self, transaction_id: str, status: str) -> None:
        with self.lock:
            self.transactions[str(transaction_id)]["status"] = int(status)

    def pay(self, transaction_id: str) -> None:
        """The buyer completed the card page and the bank accepted."""
        self.set_status(transaction_id, "0")

    def complete_refund(self, refund_id: str) -> None:
        with self.lock:
            refund = self.refunds[str(refund_id)]
            refund["status"] = 0
            tx = self.transactions[refund["origin"]]
            tx["refundAmount"] = tx.get("refundAmount", 0) + refund["debitAmount"]

    def set_account_status(self, account_id: str, status: int, *, blocked: bool = False) -> None:
        """LemonWay's back office moved the wallet (6 KYC 2, 3 documents rejected, 10
        blocked…), or blocked it (`isblocked`)."""
        with self.lock:
            self.accounts[str(account_id)]["status"] = status
            self.accounts[str(account_id)]["isblocked"] = blocked

    def set_iban_status(self, iban_id: str, status: int) -> None:
        """LemonWay's back office checked the IBAN (5 activated, 9 rejected…)."""
        with self.lock:
            self.ibans[str(iban_id)]["status"] = status

    def calls(self, method: str, path_part: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == method and path_part in r["path"]]

    # -- HTTP ------------------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            late = False
            counted = False

            def _leave(self) -> None:
                """No longer in flight. Called just before the answer is sent: once the client
                has it, it may send its next request, which must not find this one counted."""
                if self.counted:
                    self.counted = False
                    with fake.flight_lock:
                        fake.in_flight -= 1

            def _reply(self, status: int, payload: dict) -> None:
                if self.late:  # done, but the answer arrives after the client gave up
                    time.sleep(fake.timeout_delay)
                self._leave()
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self, method: str) -> None:
                with fake.flight_lock:
                    fake.in_flight += 1
                    fake.most_in_flight = max(fake.most_in_flight, fake.in_flight)
                self.counted = True
                try:
                    if fake.latency and self.path.startswith(API_PREFIX):
                        time.sleep(fake.latency)
                    self._answer(method)
                finally:
                    self._leave()

            def _answer(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = None
                if raw and "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(raw)
                record = {
                    "method": method,
                    "path": parts.path,
                    "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "json": body,
                    "raw": raw.decode("utf-8", "replace"),
                }
                with fake.lock:
                    fake.requests.append(record)
                    failure = next((f for f in fake.failures if f[0] in parts.path), None)
                    if failure:
                        fake.failures.remove(failure)
                self.late = bool(failure) and failure[1] == "timeout_after"
                if failure and not self.late:
                    mode = failure[1]
                    if mode == "timeout":
                        time.sleep(fake.timeout_delay)
                        return self._reply(200, {})
                    if mode == "500":
                        return self._reply(500, {"message": "Internal Server Error"})
                    if mode == "error":
                        return self._reply(
                            200, {"error": {"code": 221, "message": "Opération refusée"}}
                        )
                if parts.path == "/oauth/token":
                    return self._token(record)
                if not parts.path.startswith(API_PREFIX):
                    return self._reply(404, {"message": "not found"})
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer ") or auth[7:] not in fake.tokens_issued:
                    return self._reply(401, {"message": "Unauthorized"})
                if not self.headers.get("PSU-IP-Address"):
                    return self._reply(400, {"error": {"code": 1, "message": "PSU-IP-Address"}})
                route = parts.path[len(API_PREFIX) :]
                if method == "POST" and route == "/v2/moneyins/card/webinit":
                    return self._webinit(body or {})
                if method == "GET" and route == "/v2/moneyins":
                    return self._money_ins(record["query"])
                if method == "PUT" and route.startswith("/v2/refund/"):
                    return self._refund(route.rsplit("/", 1)[1], body or {})
                if method == "POST" and route == "/v2/p2p":
                    return self._p2p(body or {})
                if method == "GET" and route == "/v2/p2p":
                    return self._search(fake.transfers, record["query"])
                if method == "POST" and route == "/v2/accounts/legal":
                    return self._account_create(body or {})
                if method == "POST" and route.endswith("/documents/upload"):
                    return self._document(route.split("/")[3], body or {})
                if method == "GET" and route.startswith("/v2/accounts/"):
                    return self._account_get(route.rsplit("/", 1)[1])
                if method == "POST" and route == "/v2/moneyouts/iban":
                    return self._iban(body or {})
                if method == "POST" and route == "/v2/moneyouts":
                    return self._money_out(body or {})
                if (
                    method == "GET"
                    and route.startswith("/v2/moneyouts/")
                    and route.endswith("/iban")
                ):
                    return self._ibans(route.split("/")[3])
                if method == "GET" and route == "/v2/moneyouts":
                    return self._search(fake.money_outs, record["query"])
                return self._reply(404, {"message": "not found"})

            def _token(self, record) -> None:
                form = parse_qs(record["raw"])
                if self.headers.get("Authorization") != f"Basic {API_KEY}" or form.get(
                    "grant_type"
                ) != ["client_credentials"]:
                    return self._reply(401, {"error": "invalid_client"})
                token = f"token-{len(fake.tokens_issued) + 1}"
                fake.tokens_issued.append(token)
                return self._reply(
                    200, {"access_token": token, "token_type": "bearer", "expires_in": 3600}
                )

            def _webinit(self, body: dict) -> None:
                missing = [
                    k
                    for k in ("accountId", "returnUrl", "errorUrl", "cancelUrl", "totalAmount")
                    if body.get(k) in (None, "")
                ]
                if missing or not isinstance(body.get("totalAmount"), int):
                    return self._reply(
                        400, {"error": {"code": 400, "message": f"invalid {missing}"}}
                    )
                with fake.lock:
                    tx_id = str(next(fake._ids))
                    token = f"wk{tx_id}x{len(fake.transactions)}"
                    fake.transactions[tx_id] = {
                        "id": int(tx_id),
                        "status": 4,
                        "receiverAccountId": body["accountId"],
                        "creditAmount": body["totalAmount"] - body.get("commissionAmount", 0),
                        "commissionAmount": body.get("commissionAmount", 0),
                        "reference": body.get("reference"),
                        "comment": body.get("comment"),
                        "method": 0,
                        "token": token,
                    }
                return self._reply(200, {"webKitToken": token, "id": int(tx_id)})

            def _money_ins(self, query: dict) -> None:
                with fake.lock:
                    found = [
                        {k: v for k, v in tx.items() if k != "token"}
                        for tx in fake.transactions.values()
                        if str(tx["id"]) == query.get("transactionId")
                        or (
                            tx["reference"]
                            and tx["reference"] == query.get("transactionMerchantToken")
                        )
                    ]
                return self._reply(200, {"transactions": {"value": found}})

            def _refund(self, tx_id: str, body: dict) -> None:
                with fake.lock:
                    tx = fake.transactions.get(tx_id)
                    if tx is None or tx["status"] != 0:
                        return self._reply(
                            400, {"error": {"code": 149, "message": "transaction not paid"}}
                        )
                    amount = body.get("amountToRefund") or tx["creditAmount"]
                    already = sum(
                        r["debitAmount"] for r in fake.refunds.values() if r["origin"] == tx_id
                    )
                    if already + amount > tx["creditAmount"] + tx["commissionAmount"]:
                        return self._reply(
                            400, {"error": {"code": 150, "message": "amount too high"}}
                        )
                    refund_id = str(next(fake._ids))
                    fake.refunds[refund_id] = {
                        "id": int(refund_id),
                        "status": int(fake.refund_status),
                        "debitAmount": amount,
                        "origin": tx_id,
                        "comment": body.get("comment"),
                    }
                    if fake.refund_status == "0":
                        tx["refundAmount"] = tx.get("refundAmount", 0) + amount
                    answer = {k: v for k, v in fake.refunds[refund_id].items() if k != "origin"}
                return self._reply(200, {"transaction": answer})

            def _p2p(self, body: dict) -> None:
                with fake.lock:
                    p2p_id = next(fake._ids)
                    transaction = {
                        "id": p2p_id,
                        "status": 3,
                        "senderAccountId": body.get("debitAccountId"),
                        "receiverAccountId": body.get("creditAccountId"),
                        "debitAmount": body.get("amount"),
                        "creditAmount": body.get("amount"),
                        "comment": body.get("comment"),
                        "reference": body.get("reference"),
                    }
                    fake.transfers.append({**body, **transaction})
                    credited = str(body.get("creditAccountId"))
                    fake.balances[credited] = fake.balances.get(credited, 0) + int(
                        body.get("amount") or 0
                    )
                return self._reply(200, {"transaction": transaction})

            def _search(self, operations: list[dict], query: dict) -> None:
                with fake.lock:
                    found = [
                        {k: v for k, v in op.items() if k not in ("amount", "creditAccountId")}
                        for op in operations
                        if op.get("reference") and op.get("reference") == query.get("reference")
                    ]
                return self._reply(200, {"transactions": {"value": found}})

            def _account_create(self, body: dict) -> None:
                required = ("accountId", "email", "firstName", "lastName", "nationality")
                missing = [k for k in required if not body.get(k)]
                company = body.get("company") or {}
                birth = body.get("birth") or {}
                alpha3 = re.compile(r"[A-Z]{3}")
                checks = {
                    "firstName": len(str(body.get("firstName", ""))) >= 2,
                    "lastName": body.get("firstName") != body.get("lastName"),
                    "nationality": alpha3.fullmatch(str(body.get("nationality"))),
                    "birth.date": re.fullmatch(r"[12]\d{3}/\d{2}/\d{2}", str(birth.get("date"))),
                    "birth.country": alpha3.fullmatch(str(birth.get("country"))),
                    "birth.city": len(str(birth.get("city", ""))) <= 140,
                }
                invalid = [name for name, ok in checks.items() if not ok]
                if missing or invalid or not company.get("name") or not company.get("description"):
                    return self._reply(
                        400, {"error": {"code": 400, "message": f"invalid {missing + invalid}"}}
                    )
                with fake.lock:
                    if body["accountId"] in fake.accounts:
                        return self._reply(
                            200, {"error": {"code": 152, "message": "Wallet already exists"}}
                        )
                    internal = next(fake._ids)
                    fake.accounts[body["accountId"]] = {
                        **body, "lemonwayId": internal, "status": 2, "isblocked": False,
                    }  # fmt: skip
                return self._reply(
                    200, {"legalAccount": {"id": body["accountId"], "lemonwayId": internal}}
                )

            def _account_get(self, account_id: str) -> None:
                with fake.lock:
                    account = fake.accounts.get(account_id)
                    balance = fake.balances.get(account_id, 0)
                if account is None:
                    return self._reply(200, {"error": {"code": 147, "message": "Wallet not found"}})
                return self._reply(
                    200,
                    {
                        "account": {
                            "id": account_id,
                            "internalId": account["lemonwayId"],
                            "email": account["email"],
                            "status": account["status"],
                            "isblocked": account["isblocked"],
                            "balance": balance,
                        }
                    },
                )

            def _document(self, account_id: str, body: dict) -> None:
                with fake.lock:
                    if account_id not in fake.accounts:
                        return self._reply(
                            200, {"error": {"code": 147, "message": "Wallet not found"}}
                        )
                    try:
                        content = base64.b64decode(body.get("buffer") or "", validate=True)
                    except ValueError:
                        content = b""
                    if not content or not isinstance(body.get("type"), int):
                        return self._reply(400, {"error": {"code": 400, "message": "bad document"}})
                    doc_id = next(fake._ids)
                    fake.documents[str(doc_id)] = {
                        "id": doc_id,
                        "accountId": account_id,
                        "type": body["type"],
                        "name": body.get("name"),
                        "content": content,
                        "status": 1,
                    }
                return self._reply(200, {"uploadDocument": {"id": doc_id, "status": 1}})

            def _iban(self, body: dict) -> None:
                with fake.lock:
                    if body.get("accountId") not in fake.accounts:
                        return self._reply(
                            200, {"error": {"code": 147, "message": "Wallet not found"}}
                        )
                    if not body.get("holder") or not body.get("iban"):
                        return self._reply(400, {"error": {"code": 400, "message": "iban"}})
                    iban_id = next(fake._ids)
                    fake.ibans[str(iban_id)] = {**body, "id": iban_id, "status": fake.iban_status}
                return self._reply(200, {"ibanId": iban_id, "status": fake.iban_status})

            def _ibans(self, account_id: str) -> None:
                with fake.lock:
                    found = [
                        {
                            "id": iban["id"],
                            "status": iban["status"],
                            "iban": iban["iban"],
                            "swift": iban.get("bic"),
                            "holder": iban["holder"],
                        }
                        for iban in fake.ibans.values()
                        if iban["accountId"] == account_id
                    ]
                return self._reply(200, {"ibans": found})

            def _money_out(self, body: dict) -> None:
                with fake.lock:
                    account_id = str(body.get("accountId"))
                    iban = fake.ibans.get(str(body.get("ibanId")))
                    amount = body.get("totalAmount")
                    if iban is None or iban["accountId"] != account_id or iban["status"] != 5:
                        return self._reply(
                            200, {"error": {"code": 218, "message": "IBAN not found"}}
                        )
                    if not isinstance(amount, int) or amount <= 0:
                        return self._reply(400, {"error": {"code": 400, "message": "amount"}})
                    if amount > fake.balances.get(account_id, 0):
                        return self._reply(
                            200, {"error": {"code": 110, "message": "Insufficient balance"}}
                        )
                    fake.balances[account_id] -= amount
                    transaction = {
                        "id": next(fake._ids),
                        "status": 3,
                        "senderAccountId": account_id,
                        "debitAmount": amount,
                        "commissionAmount": body.get("commissionAmount", 0),
                        "IbanId": iban["id"],
                        "comment": body.get("comment"),
                        "reference": body.get("reference"),
                    }
                    fake.money_outs.append(transaction)
                return self._reply(200, {"transaction": transaction})

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def do_PUT(self):
                self._handle("PUT")

        return Handler
