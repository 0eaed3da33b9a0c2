"""Paying vendors (PAY-1): the payout run, and resuming or retrying one payout.

A run (`payout_run`: the worker's daily task, or a staff member's button) first resumes the
payouts a previous run left unfinished, then, for each vendor whose payable money
(`selectors.vendors_payable`, the one rule) reaches the minimum, with no open payout and a
validated payment account (KYC and bank account, `payout_account_for`):

1. writes the `Payout` with its `PayoutLine`s (each vendor order and its net, frozen) and our
   two provider references, in one transaction;
2. asks the provider for the P2P from the marketplace wallet to the vendor's wallet, by
   `transfer_reference`; once it is confirmed, one transaction moves the payout to
   "transferred" and writes one `payout` ledger entry per line (amount −line, operator 0);
3. asks for the money-out from the vendor's wallet to its IBAN, by `money_out_reference`;
   once confirmed, the payout is "paid".

Idempotency. A step's provider call is made after commit, never inside a row lock, by the
run that "claims" the payout (a conditional UPDATE of `claimed_until`). Before calling again
a step that was already asked once (`attempts` > 1), the provider is asked what became of
our reference (`fetch_transfer` / `fetch_money_out`): a step that went through but whose
answer was lost is recorded, not done twice. A run that dies midway leaves its claim, which
expires after CLAIM_SECONDS; the next run resumes from the stage the payout is in. The
database refuses two open payouts for one vendor, and a vendor whose payout was created
after the run read the ledger is skipped (its reading may be stale): nobody is paid twice.

The ledger entries are written here with `LedgerEntry.objects.bulk_create` (the ledger model
allows creating and forbids changing): the ledger services have no payout function, and the
entry set of a payout belongs to its transfer's transaction.

Errors of one vendor (a provider that refuses or does not answer, a bug) are logged, counted
on the run (`errors`) and never stop the others.

Speed (issue 13: 10,000 vendors in seconds). The run works by batches of BATCH vendors: it
reads their payment accounts in one query, writes their payouts, lines and "created" events
in one transaction of a few bulk INSERTs, then asks the provider for the batch's P2Ps as one
round (`gateway.transfers`), records the answers, then the money-outs as another round. A
provider whose API has no batch (LemonWay) takes a round as concurrent requests, up to
`concurrent_calls` at once (LEMONWAY_CONCURRENT_CALLS); the sandbox writes its records in one
INSERT. Each round's answers are recorded with `states.payouts_transition` (one locked read,
bulk UPDATEs, bulk events) and the ledger entries with one bulk INSERT
(`states.payouts_save`: one UPDATE statement executed for the batch's rows). So our own
queries are a constant per batch, whatever its size. Every guarantee above holds batch-wise:
the step is claimed (at creation) before any call; the answers of a round are committed
before the next round's calls; a batch whose recording fails is recorded payout by payout,
so one vendor's bug leaves only that payout to resume.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from allies.core.errors import AlliesError
from allies.core.money import eur_to_cents
from allies.ledger.models import LedgerEntry
from allies.orders.events import SYSTEM, Actor
from allies.payments.gateways import get_gateway
from allies.payments.gateways.base import (
    FAILED,
    SUCCEEDED,
    GatewayError,
    MoneyOutOrder,
    PaymentGateway,
    TransferOrder,
)
from allies.payouts.models import Payout, PayoutLine, PayoutRun
from allies.payouts.selectors import (
    Payable,
    PayoutAccount,
    vendor_payout_accounts,
    vendors_payable,
)
from allies.payouts.states import (
    OPEN_STATUSES,
    RESUMABLE_STATUSES,
    PayoutAction,
    PayoutEventKind,
    PayoutStatus,
    PayoutTransitionNotAllowed,
    payout_events_add,
    payout_transition,
    payouts_save,
    payouts_transition,
)
from allies.vendors.models import Vendor

if TYPE_CHECKING:
    from allies.accounts.models import User

__all__ = [
    "BATCH",
    "CLAIM_SECONDS",
    "PayoutAccount",
    "PayoutError",
    "payout_account_for",
    "payout_create",
    "payout_resume",
    "payout_retry",
    "payout_run",
    "payout_run_scheduled",
]

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
# How long a run holds a payout's provider call: far longer than a provider call (timeouts
# are seconds), short enough that a payout left by a dead run is resumed the same day.
CLAIM_SECONDS = 300
# Vendors per batch: their payouts are written, then their answers recorded, together. Big
# enough that our queries are few per vendor; small enough that a run dying midway leaves
# at most one batch's calls to re-read, and that a batch's IN lists stay well under SQLite's
# cap on a statement's parameters.
BATCH = 500
# Rows per bulk INSERT of lines and ledger entries.
ROWS = 500
NO_ACCOUNT = "Compte de paiement du vendeur non validé."


class PayoutError(AlliesError):
    """A payout cannot be moved as asked (the message is French, for staff)."""

    code = "payout_refused"


def payout_account_for(*, vendor: Vendor) -> PayoutAccount | None:
    """The vendor's wallet and bank account, or None unless its KYC is validated (the
    payments app's `vendor_payout_account` is the rule)."""
    from allies.payments.selectors import vendor_payout_account

    found = vendor_payout_account(vendor=vendor)
    if found is None:
        return None
    account_id, iban_id, iban_masked = found
    return PayoutAccount(account_id=account_id, iban_id=iban_id, iban_masked=iban_masked)


def payout_gateway() -> PaymentGateway:
    """The provider payouts go through (the configured gateway, PAYMENT_GATEWAY)."""
    return get_gateway()


def _reference() -> str:
    return f"ALP-{secrets.token_hex(8).upper()}"


def _short(text: str) -> str:
    return (text or "")[:300]


# --- writing payouts ------------------------------------------------------------------------


def _new_payout(
    vendor_id: int, payable: Payable, account: PayoutAccount, run: PayoutRun | None,
    now: datetime,
) -> Payout:  # fmt: skip
    base = _reference()
    return Payout(
        vendor_id=vendor_id,
        run=run,
        status=PayoutStatus.PENDING,
        amount=payable.amount,
        amount_cents=eur_to_cents(payable.amount),
        iban_masked=account.iban_masked,
        transfer_reference=f"{base}-P2P",
        money_out_reference=f"{base}-MO1",
        created_at=now,
        updated_at=now,
        # The creating run holds its first provider call (see `_claim`).
        claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
        attempts=1,
    )


def _payouts_write(
    payouts: Sequence[Payout], payables: Mapping[int, Payable], actor: Actor | None,
    now: datetime,
) -> None:  # fmt: skip
    """INSERT the payouts, their lines and their "created" events (inside the caller's
    transaction)."""
    Payout.objects.bulk_create(payouts, batch_size=ROWS)
    PayoutLine.objects.bulk_create(
        [
            PayoutLine(payout=payout, vendor_order_id=line.vendor_order_id, amount=line.amount)
            for payout in payouts
            for line in payables[payout.vendor_id].lines
        ],
        batch_size=ROWS,
    )
    payout_events_add(
        events=[
            (payout, PayoutEventKind.CREATED,
             {"lines": len(payables[payout.vendor_id].lines), "amount": str(payout.amount)})
            for payout in payouts
        ],
        actor=actor, now=now, to_status=PayoutStatus.PENDING,
    )  # fmt: skip


def payout_create(
    *, vendor: Vendor, payable: Payable, account: PayoutAccount, run: PayoutRun | None,
    actor: Actor | None = None, read_at: datetime | None = None, now: datetime | None = None,
) -> Payout | None:  # fmt: skip
    """Write the payout of `payable` (its lines frozen) for `vendor`, or None when another
    payout is open for it, or was created after `read_at` (when `payable` was read: that
    reading may miss it). Nothing is asked of the provider here."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            Vendor.objects.select_for_update().filter(pk=vendor.pk).values_list("pk").get()
            since = read_at or payable.as_of
            if Payout.objects.filter(
                Q(vendor=vendor) & (Q(status__in=OPEN_STATUSES) | Q(created_at__gte=since))
            ).exists():
                return None
            payout = _new_payout(vendor.pk, payable, account, run, now)
            _payouts_write([payout], {vendor.pk: payable}, actor, now)
    except IntegrityError:
        # Another run opened a payout for this vendor at the same moment.
        return None
    return payout


def _payouts_create(
    *, vendor_ids: Sequence[int], payables: Mapping[int, Payable],
    accounts: Mapping[int, PayoutAccount], run: PayoutRun | None, actor: Actor | None,
    read_at: datetime,
) -> tuple[list[Payout], int]:  # fmt: skip
    """`payout_create` for a batch of vendors in one transaction (a few queries): returns the
    payouts written and the number of vendors that failed. Vendors with an open payout, or
    one created after `read_at`, are skipped. Should another run open a payout for one of
    them meanwhile (the database refuses two open ones), the batch is written vendor by
    vendor instead, so only that vendor is skipped."""
    now = timezone.now()
    ids = sorted(vendor_ids)
    if not ids:
        return [], 0
    try:
        with transaction.atomic():
            # The same lock as `payout_create`: one writer of payouts per vendor at a time.
            list(
                Vendor.objects.select_for_update()
                .filter(pk__in=ids)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            busy = set(
                Payout.objects.filter(vendor_id__in=ids)
                .filter(Q(status__in=OPEN_STATUSES) | Q(created_at__gte=read_at))
                .values_list("vendor_id", flat=True)
            )
            payouts = [
                _new_payout(vendor_id, payables[vendor_id], accounts[vendor_id], run, now)
                for vendor_id in ids
                if vendor_id not in busy
            ]
            _payouts_write(payouts, payables, actor, now)
        return payouts, 0
    except IntegrityError:
        logger.warning("payouts of vendors %s..%s: written one by one", ids[0], ids[-1])
    created: list[Payout] = []
    errors = 0
    for vendor_id in ids:
        try:
            payout = payout_create(
                vendor=Vendor(pk=vendor_id), payable=payables[vendor_id],
                account=accounts[vendor_id], run=run, actor=actor, read_at=read_at,
            )  # fmt: skip
        except Exception:
            logger.exception("payout of vendor %s could not be prepared", vendor_id)
            errors += 1
            continue
        if payout is not None:
            created.append(payout)
    return created, errors


# --- the provider's steps ------------------------------------------------------------------


def _claim(payout: Payout, status: PayoutStatus, now: datetime) -> bool:
    """Take the payout's next provider call for CLAIM_SECONDS (one UPDATE); False when it
    moved on, or another run holds it."""
    taken = (
        Payout.objects.filter(pk=payout.pk, status=status)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1)
    )
    if taken:
        payout.attempts += 1
        payout.status = status
    return bool(taken)


@dataclass
class _Outcome:
    """The provider's answer for one payout's step, to record: a transition (`action`), or,
    when nothing is known (`action` None), the claim given back with an event `kind`."""

    payout: Payout
    action: PayoutAction | None
    changes: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    kind: PayoutEventKind | None = None
    message: str = ""


def _no_answer(payout: Payout, kind: PayoutEventKind, message: str) -> _Outcome:
    return _Outcome(payout, None, kind=kind, message=_short(message))


@dataclass(frozen=True)
class _Step:
    """One provider step of a payout: how it is re-read, asked for, and what success does."""

    status: PayoutStatus
    fail: PayoutAction
    what: str
    fetch: Callable[[PaymentGateway, Payout], Any]
    ask: Callable[[PaymentGateway, list[Payout], Mapping[int, PayoutAccount]], list[Any]]
    done: Callable[[Payout, Any], _Outcome]


def _answer_outcome(step: _Step, payout: Payout, answer: Any) -> _Outcome | None:
    """What one provider answer (a result, or the exception the call raised) does to the
    payout; None for a bug of ours (logged: its stage is unchanged, so it goes no further in
    this run, and its claim is left to expire: the next run re-reads the step)."""
    if isinstance(answer, GatewayError):
        if answer.definitive:
            return _Outcome(payout, step.fail, {"failure_message": _short(str(answer))},
                            {"code": answer.code})  # fmt: skip
        return _no_answer(payout, PayoutEventKind.NO_ANSWER, str(answer))
    if isinstance(answer, Exception):
        logger.error("payout %s: step failed", payout.pk, exc_info=answer)
        return None
    if answer.status == SUCCEEDED:
        return step.done(payout, answer)
    if answer.status == FAILED:
        return _Outcome(payout, step.fail, {"failure_message": _short(answer.message)})
    return _no_answer(
        payout, PayoutEventKind.STILL_PENDING, answer.message or f"{step.what} pending"
    )


def _round(
    step: _Step, payouts: Sequence[Payout], gateway: PaymentGateway,
    accounts: Mapping[int, PayoutAccount],
) -> list[_Outcome]:  # fmt: skip
    """One step of payouts this run holds the claim of: the steps asked before are re-read by
    reference first (`attempts` > 1), the others asked for in one round
    (`gateway.transfers` / `money_outs`: in one go or concurrently, as the provider allows)."""
    found: dict[int, Any] = {}
    reread = [payout for payout in payouts if payout.attempts > 1]
    if reread:
        answers = gateway.each(lambda payout: step.fetch(gateway, payout), reread)
        found = {payout.pk: answer for payout, answer in zip(reread, answers, strict=True)}
    outcomes: list[_Outcome | None] = []
    to_ask: list[Payout] = []
    for payout in payouts:
        answer = found.get(payout.pk)
        if answer is not None:  # the provider knows the step: recorded, not asked again
            outcomes.append(_answer_outcome(step, payout, answer))
        elif payout.vendor_id not in accounts:
            outcomes.append(_Outcome(payout, step.fail, {"failure_message": NO_ACCOUNT}))
        else:
            to_ask.append(payout)
    if to_ask:
        try:
            answers = step.ask(gateway, to_ask, accounts)
        except Exception as exc:  # the whole round failed on our side: all re-read next run
            answers = [exc] * len(to_ask)
        for payout, answer in zip(to_ask, answers, strict=True):
            outcomes.append(_answer_outcome(step, payout, answer))
    return [outcome for outcome in outcomes if outcome is not None]


def _comment(payout: Payout) -> str:
    return f"Alliés virement {payout.pk}"


def _transferred(payout: Payout, result: Any) -> _Outcome:
    # The run goes straight on to the money-out: it keeps the claim for that step.
    keep = timezone.now() + timedelta(seconds=CLAIM_SECONDS)
    return _Outcome(
        payout, PayoutAction.TRANSFER,
        {"transfer_provider_id": result.provider_transfer_id[:64], "failure_message": "",
         "attempts": 1, "claimed_until": keep},
        {"provider_id": result.provider_transfer_id},
    )  # fmt: skip


def _paid(payout: Payout, result: Any) -> _Outcome:
    return _Outcome(
        payout, PayoutAction.PAY,
        {"money_out_provider_id": result.provider_id[:64], "failure_message": ""},
        {"provider_id": result.provider_id},
    )  # fmt: skip


TRANSFER = _Step(
    status=PayoutStatus.PENDING,
    fail=PayoutAction.TRANSFER_FAIL,
    what="P2P",
    fetch=lambda gateway, payout: gateway.fetch_transfer(reference=payout.transfer_reference),
    ask=lambda gateway, payouts, accounts: gateway.transfers(
        [
            TransferOrder(
                accounts[p.vendor_id].account_id, p.amount_cents, _comment(p), p.transfer_reference
            )
            for p in payouts
        ]
    ),  # fmt: skip
    done=_transferred,
)
MONEY_OUT = _Step(
    status=PayoutStatus.TRANSFERRED,
    fail=PayoutAction.MONEY_OUT_FAIL,
    what="money-out",
    fetch=lambda gateway, payout: gateway.fetch_money_out(reference=payout.money_out_reference),
    ask=lambda gateway, payouts, accounts: gateway.money_outs(
        [
            MoneyOutOrder(
                accounts[p.vendor_id].account_id,
                accounts[p.vendor_id].iban_id,
                p.amount_cents,
                _comment(p),
                p.money_out_reference,
            )
            for p in payouts
        ]
    ),  # fmt: skip
    done=_paid,
)


Lines = dict[int, list[tuple[int, Decimal]]]


def _write_ledger(payouts: Sequence[Payout], now: datetime, lines: Lines) -> None:
    """One `payout` entry per line of each payout (amount −line, operator 0), in bulk; lines
    not given (a resumed payout) are read in one query."""
    missing = [payout.pk for payout in payouts if payout.pk not in lines]
    if missing:
        for payout_id, vendor_order_id, amount in PayoutLine.objects.filter(
            payout_id__in=missing
        ).values_list("payout_id", "vendor_order_id", "amount"):
            lines.setdefault(payout_id, []).append((vendor_order_id, amount))
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                vendor_id=payout.vendor_id,
                vendor_order_id=vendor_order_id,
                payout=payout,
                kind=LedgerEntry.Kind.PAYOUT,
                amount=-amount,
                operator_amount=ZERO,
                description=payout.transfer_reference,
                created_at=now,
            )
            for payout in payouts
            for vendor_order_id, amount in lines.get(payout.pk, [])
        ],
        batch_size=ROWS,
    )


def _apply(group: Sequence[_Outcome], actor: Actor | None, lines: Lines) -> None:
    """Record one kind of answer for many payouts in one transaction."""
    now = timezone.now()
    action = group[0].action
    with transaction.atomic():
        if action is None:
            payouts = [outcome.payout for outcome in group]
            for outcome in group:
                outcome.payout.claimed_until = None
                outcome.payout.failure_message = outcome.message
                outcome.payout.updated_at = now
            payouts_save(payouts=payouts, fields=["claimed_until", "failure_message", "updated_at"])
            payout_events_add(
                events=[(o.payout, o.kind or PayoutEventKind.NO_ANSWER, {"message": o.message})
                        for o in group],
                actor=actor, now=now,
            )  # fmt: skip
            return
        moved, refused = payouts_transition(
            payouts=[outcome.payout for outcome in group], action=action, actor=actor, now=now,
            changes={o.payout.pk: o.changes for o in group},
            event_data={o.payout.pk: o.data for o in group},
        )  # fmt: skip
        if action == PayoutAction.TRANSFER and moved:
            _write_ledger(moved, now, lines)
    for payout in refused:
        logger.warning("payout %s: %s refused, moved meanwhile by another run", payout.pk, action)


_KEPT = ("status", "claimed_until", "attempts", "failure_message", "updated_at",
         "transferred_at", "paid_at", "transfer_provider_id", "money_out_provider_id",
         "money_out_reference")  # fmt: skip


def _record(outcomes: Sequence[_Outcome], actor: Actor | None, lines: Lines) -> None:
    """Record a round of answers: one transaction per kind of answer; when one fails (a bug,
    the database), that group again payout by payout, so only the faulty ones stay to resume
    (their claim expires). A payout whose recording failed keeps its stage in memory too."""
    groups: dict[Any, list[_Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.action or outcome.kind, []).append(outcome)
    for group in groups.values():
        saved = {o.payout.pk: {n: getattr(o.payout, n) for n in _KEPT} for o in group}
        try:
            _apply(group, actor, lines)
            continue
        except Exception:
            if len(group) == 1:
                logger.exception("payout %s: recording the answer failed", group[0].payout.pk)
        for outcome in group:
            for name, value in saved[outcome.payout.pk].items():
                setattr(outcome.payout, name, value)
        if len(group) == 1:
            continue
        for outcome in group:
            try:
                _apply([outcome], actor, lines)
            except Exception:
                logger.exception("payout %s: recording the answer failed", outcome.payout.pk)
                for name, value in saved[outcome.payout.pk].items():
                    setattr(outcome.payout, name, value)


def _advance(
    payouts: Sequence[Payout], gateway: PaymentGateway, actor: Actor | None,
    accounts: Mapping[int, PayoutAccount], lines: Lines | None = None,
) -> None:  # fmt: skip
    """Do the remaining steps of payouts this run holds the claim of: every P2P, their
    answers recorded, then every money-out, their answers recorded. Each payout ends in the
    stage its answers led to (in memory as in the database)."""
    lines = {} if lines is None else lines
    for step in (TRANSFER, MONEY_OUT):
        due = [payout for payout in payouts if payout.status == step.status]
        if due:
            _record(_round(step, due, gateway, accounts), actor, lines)


def payout_resume(*, payout: Payout, actor: Actor | None = None) -> Payout:
    """Go on with an unfinished payout from its stage (re-reading the provider first when a
    step was already asked). Returns it as it ends up; a step left unknown stays to resume."""
    payout = Payout.objects.get(pk=payout.pk)
    status = PayoutStatus(payout.status)
    if status in RESUMABLE_STATUSES and _claim(payout, status, timezone.now()):
        accounts = vendor_payout_accounts(vendor_ids=[payout.vendor_id])
        _advance([payout], payout_gateway(), actor, accounts)
    return payout


def payout_retry(*, payout: Payout, by: User) -> Payout:
    """Staff retry a money-out the provider refused (the cause fixed: IBAN, account…), with a
    new reference (the refused one is final at the provider)."""
    payout = Payout.objects.select_related("vendor").get(pk=payout.pk)
    if payout.status != PayoutStatus.MONEY_OUT_FAILED:
        raise PayoutError("Seul un virement bancaire refusé peut être relancé.", code="not_failed")
    actor = Actor.staff(by)
    number = 1 + payout.events.filter(kind=PayoutEventKind.RETRIED).count() + 1
    base = payout.money_out_reference.rsplit("-MO", 1)[0]
    try:
        payout_transition(payout=payout, action=PayoutAction.RETRY, actor=actor,
                          changes={"money_out_reference": f"{base}-MO{number}", "attempts": 0,
                                   "failure_message": ""})  # fmt: skip
    except PayoutTransitionNotAllowed:
        raise PayoutError("Ce virement a changé entre-temps.", code="moved") from None
    return payout_resume(payout=payout, actor=actor)


# --- the run ------------------------------------------------------------------------------


def _batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Tally:
    seen: int = 0
    made: int = 0
    amount: Decimal = ZERO
    errors: int = 0

    def count(self, payouts: Iterable[Payout]) -> None:
        """A payout a run took up is made once paid; anything else (refused, no answer, to
        retry, a bug) is an error of the run."""
        for payout in payouts:
            if payout.status == PayoutStatus.PAID:
                self.made += 1
                self.amount += payout.amount
            else:
                self.errors += 1


def payout_run(
    *,
    trigger: str,
    by: User | None = None,
    as_of: datetime | None = None,
    scheduled_for: Any = None,
) -> PayoutRun:
    """Pay every vendor whose payable money reaches the minimum (see the module's docstring).

    `trigger` is a `PayoutRun.Trigger`; `by` the staff member who pressed the button;
    `as_of` the moment the availability rule is read at (now by default). A scheduled run
    passes `scheduled_for` (its day): a second run for the same day raises IntegrityError.
    """
    now = timezone.now()
    with transaction.atomic():  # a savepoint: a second run of the day fails alone
        run = PayoutRun.objects.create(
            trigger=trigger, started_by=by, started_at=now, scheduled_for=scheduled_for
        )
    actor = Actor.staff(by) if by is not None else SYSTEM
    gateway = payout_gateway()
    tally = _Tally()

    # 1. What earlier runs left unfinished (their money is already counted out): each is
    # claimed alone (another run may hold it), then advanced batch by batch.
    leftovers = list(Payout.objects.filter(status__in=RESUMABLE_STATUSES).order_by("pk"))
    for batch in _batches(leftovers, BATCH):
        claimed = []
        for payout in batch:
            tally.seen += 1
            if _claim(payout, payout.status, timezone.now()):
                claimed.append(payout)
            else:
                tally.errors += 1  # another run holds it: it is not this run's to pay
        if not claimed:
            continue
        accounts = vendor_payout_accounts(vendor_ids={p.vendor_id for p in claimed})
        _advance(claimed, gateway, actor, accounts)
        tally.count(claimed)

    # 2. New payouts, by batches of vendors.
    read_at = timezone.now()
    payables = vendors_payable(as_of=as_of or read_at)
    ready = sorted(vendor_id for vendor_id, p in payables.items() if p.payable)
    for ids in _batches(ready, BATCH):
        tally.seen += len(ids)
        try:
            # No validated KYC: shown in the console, not an error.
            accounts = vendor_payout_accounts(vendor_ids=ids)
            created, failed = _payouts_create(
                vendor_ids=[vendor_id for vendor_id in ids if vendor_id in accounts],
                payables=payables, accounts=accounts, run=run, actor=actor, read_at=read_at,
            )  # fmt: skip
        except Exception:
            logger.exception("payouts of vendors %s..%s could not be prepared", ids[0], ids[-1])
            tally.errors += len(ids)
            continue
        tally.errors += failed
        lines: Lines = {
            payout.pk: [(li.vendor_order_id, li.amount) for li in payables[payout.vendor_id].lines]
            for payout in created
        }
        _advance(created, gateway, actor, accounts, lines)
        tally.count(created)

    run.vendors_seen, run.payouts_made = tally.seen, tally.made
    run.amount, run.errors = tally.amount, tally.errors
    run.finished_at = timezone.now()
    run.save(update_fields=["vendors_seen", "payouts_made", "amount", "errors", "finished_at"])
    return run


def payout_run_scheduled(*, now: datetime | None = None) -> PayoutRun | None:
    """The day's scheduled run, once a day (local date): None when it already ran today.
    Safe to call every minute (the supervisor's sweeps) and from two processes at once."""
    today = timezone.localdate(now or timezone.now())
    if PayoutRun.objects.filter(scheduled_for=today).exists():
        return None
    try:
        return payout_run(trigger=PayoutRun.Trigger.SCHEDULE, scheduled_for=today)
    except IntegrityError:
        return None  # another process started today's run first
