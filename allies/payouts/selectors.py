"""What a vendor may be paid (PAY-1): the one rule, read by the statement and the payout run.

A vendor order's money is "Disponible pour virement" once

- it was delivered (status "Livrée" or "Clôturée") and its withdrawal window has passed
  (`allies.orders.closing.withdrawal_window_end`: 14 calendar days after the day of delivery),
- and nothing is open on it: no return being handled, no claim being handled, no support
  thread escalated to the operator;

and its net is what the ledger still owes for it (Σ `LedgerEntry.amount`, kept per vendor order
as the entries are written: `allies.ledger.balances`): its sale, minus
commission and refunds, minus what payouts already paid (each payout writes one `payout`
entry per vendor order it paid, of −that vendor order's net at the time). So a vendor order
paid out nets 0, and a refund after the payout makes it negative: a DEBT. Debts are always
taken from the next payout, whatever their vendor order's state.

A vendor's payable amount is Σ available nets + Σ debts. It is paid only when it reaches the
minimum (setting PAYOUT_MIN_AMOUNT, 10 € by default); a negative amount is shown and blocks
payouts until later sales cover it. Vendor orders of a payout whose P2P is not confirmed yet
are "en cours de virement": not available again (their ledger entries are not written yet).

`vendors_payable` computes it for many vendors in two or three queries whatever their number:
the database sorts each vendor order the ledger does not see settled (the balances the ledger
keeps, never the whole ledger) into in payment / debt / available / held (`_kind`, the rule
in SQL) and returns sums per vendor. The balance rows carry what the rule needs from their
vendor order (its moment of delivery while it is delivered or closed, kept by the ledger:
allies/ledger/balances.py), so the rule reads no vendor order at all. The one-vendor
`vendor_payable` is the same function; `vendors_due` (what a payout now would pay each vendor,
the dashboards' "payouts due") applies the same `_kind` to the only rows that can be
available or debts, found through their indexes: what it reads does not grow with the
month of orders still held.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Case, CharField, Count, Q, QuerySet, Sum, Value, When
from django.http import Http404
from django.utils import timezone

from allies.aftersales.claim_states import OPEN_STATUSES as CLAIM_OPEN
from allies.aftersales.models import Claim, ReturnRequest
from allies.aftersales.return_states import OPEN_STATUSES as RETURN_OPEN
from allies.core.money import cents_to_eur
from allies.ledger.models import VendorOrderBalance
from allies.orders.closing import WITHDRAWAL_DAYS
from allies.payouts.models import Payout, PayoutLine, PayoutRun
from allies.payouts.states import OPEN_STATUSES, PayoutStatus
from allies.support.models import Thread
from allies.support.states import ThreadStage
from allies.vendors.models import Vendor

ZERO = Decimal("0.00")


def payout_min_amount() -> Decimal:
    """The smallest payout (setting PAYOUT_MIN_AMOUNT, euros; 10 € by default): a bank
    transfer for a few cents costs more than it brings."""
    return Decimal(str(settings.PAYOUT_MIN_AMOUNT))


def availability_cutoff(as_of: datetime) -> datetime:
    """Vendor orders delivered strictly before this moment have their withdrawal window
    passed at `as_of`.

    Same reading as `orders.closing.withdrawal_window_end` (the day of delivery does not
    count, the last day counts whole, Paris time), turned around so the database can compare:
    the window of a delivery on day D ends at midnight starting D + WITHDRAWAL_DAYS + 1, which
    is ≤ as_of exactly when D < (as_of's day − WITHDRAWAL_DAYS).
    """
    day = timezone.localdate(as_of) - timedelta(days=WITHDRAWAL_DAYS)
    return timezone.make_aware(datetime.combine(day, time.min))


class Blocked:
    """Why a vendor is not paid (the codes the console and the statement show)."""

    NOTHING = "nothing"
    NEGATIVE = "negative"
    BELOW_MINIMUM = "below_minimum"


@dataclass(frozen=True)
class PayableLine:
    vendor_order_id: int
    amount: Decimal  # the vendor order's net: positive (available) or negative (a debt)


@dataclass(frozen=True)
class Payable:
    """One vendor's money as the payout rule sees it at `as_of`."""

    vendor_id: int
    as_of: datetime
    minimum: Decimal
    lines: tuple[PayableLine, ...] = ()  # what a payout now would pay, vendor order by order
    available: Decimal = ZERO  # Σ positive nets that are available
    debts: Decimal = ZERO  # Σ negative nets (≤ 0), always taken
    held: Decimal = ZERO  # Σ positive nets not available yet (window, open request, transit)
    in_payment: Decimal = ZERO  # Σ lines of payouts whose P2P is not confirmed yet
    held_vendor_orders: int = 0

    @property
    def amount(self) -> Decimal:
        """What a payout now would pay (≤ 0: nothing, the vendor owes it)."""
        return self.available + self.debts

    @property
    def blocked(self) -> str | None:
        """None when a payout may be made now, else why not (`Blocked`)."""
        if self.amount < 0:
            return Blocked.NEGATIVE
        if self.amount == 0:
            return Blocked.NOTHING
        if self.amount < self.minimum:
            return Blocked.BELOW_MINIMUM
        return None

    @property
    def payable(self) -> bool:
        return self.blocked is None


# How the rule sorts one vendor order the ledger still owes for (or that owes).
IN_FLIGHT = "in_flight"  # in a payout whose P2P is not confirmed: counted in `in_payment`
DEBT = "debt"  # negative: always taken
AVAILABLE = "available"  # positive, window passed, nothing open
HELD = "held"  # positive, not available yet


def _kind(cutoff: datetime) -> Case:
    """The SQL that sorts a `VendorOrderBalance` row into IN_FLIGHT, DEBT, AVAILABLE or HELD:
    the PAY-1 rule itself, evaluated by the database so that only sums per vendor leave it.
    Open requests (a return or a claim being handled, a thread escalated to the operator)
    and payouts in flight are few whatever the history's size: subqueries."""

    def ids(qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.filter(vendor_order__isnull=False).values("vendor_order_id")

    in_flight = ids(PayoutLine.objects.filter(payout__status=PayoutStatus.PENDING))
    # `delivered_at` of the balance row: its vendor order's, empty unless it is delivered
    # or closed (`ledger.balances.DELIVERED`).
    available = (
        Q(delivered_at__lt=cutoff)
        & ~Q(vendor_order_id__in=ids(ReturnRequest.objects.filter(status__in=RETURN_OPEN)))
        & ~Q(vendor_order_id__in=ids(Claim.objects.filter(status__in=CLAIM_OPEN)))
        & ~Q(vendor_order_id__in=ids(Thread.objects.filter(stage=ThreadStage.ESCALATED)))
    )
    return Case(
        When(vendor_order_id__in=in_flight, then=Value(IN_FLIGHT)),
        When(due_cents__lt=0, then=Value(DEBT)),
        When(available, then=Value(AVAILABLE)),
        default=Value(HELD),
        output_field=CharField(),
    )


def _may_count(cutoff: datetime) -> Q:
    """The balance rows `_kind` can sort as AVAILABLE or DEBT (a superset: the others are
    HELD or IN_FLIGHT whatever else holds), each side through its index."""
    return Q(delivered_at__lt=cutoff) | Q(due_cents__lt=0)


def vendors_payable(
    *,
    as_of: datetime | None = None,
    vendor_ids: Iterable[int] | None = None,
    with_lines: bool = True,
) -> dict[int, Payable]:
    """The payable money of every vendor with a vendor order the ledger still owes for (or
    of `vendor_ids` only). The ledger is read as it is now; `as_of` (now by default) is the
    moment the withdrawal windows are judged at (the run's start).

    Two queries (sums per vendor and kind; what is in payment), three `with_lines` (the vendor
    orders a payout now would pay, for the payout run; a figure such as the dashboard's
    "payouts due" does without). Vendors the ledger owes nothing are absent (use `.get(id)`
    or `vendor_payable`).
    """
    as_of = as_of or timezone.now()
    ids = sorted(set(vendor_ids)) if vendor_ids is not None else None
    minimum = payout_min_amount()
    # The balances the entries keep as they are written (allies/ledger/balances.py): only
    # vendor orders not settled, never the whole ledger.
    balances = VendorOrderBalance.objects.all()
    in_flight = PayoutLine.objects.filter(payout__status=PayoutStatus.PENDING)
    if ids is not None:
        balances = balances.filter(vendor_id__in=ids)
        in_flight = in_flight.filter(payout__vendor_id__in=ids)
    classified = balances.annotate(kind=_kind(availability_cutoff(as_of)))
    sums: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    for row in (
        classified.order_by()
        .values("vendor_id", "kind")
        .annotate(cents=Sum("due_cents"), count=Count("pk"))
    ):
        sums[row["vendor_id"]][row["kind"]] = (row["cents"], row["count"])
    in_payment: dict[int, Decimal] = {
        row["payout__vendor_id"]: row["total"]
        for row in in_flight.order_by().values("payout__vendor_id").annotate(total=Sum("amount"))
    }
    lines: dict[int, list[PayableLine]] = defaultdict(list)
    if with_lines:
        for vendor_id, vendor_order_id, cents in (
            classified.filter(kind__in=[AVAILABLE, DEBT])
            .order_by("vendor_order_id")
            .values_list("vendor_id", "vendor_order_id", "due_cents")
        ):
            lines[vendor_id].append(PayableLine(vendor_order_id, cents_to_eur(cents)))

    def total(kinds: dict[str, tuple[int, int]], kind: str) -> Decimal:
        return cents_to_eur(kinds.get(kind, (0, 0))[0])

    return {
        vendor_id: Payable(
            vendor_id=vendor_id,
            as_of=as_of,
            minimum=minimum,
            lines=tuple(lines.get(vendor_id, ())),
            available=total(kinds, AVAILABLE),
            debts=total(kinds, DEBT),
            held=total(kinds, HELD),
            in_payment=in_payment.get(vendor_id, ZERO),
            held_vendor_orders=kinds.get(HELD, (0, 0))[1],
        )
        for vendor_id in sorted(sums.keys() | in_payment.keys())
        for kinds in (sums.get(vendor_id, {}),)
    }


def vendors_due(
    *, as_of: datetime | None = None, vendor_ids: Iterable[int] | None = None
) -> dict[int, Decimal]:
    """What a payout now would pay each vendor (`Payable.amount`: Σ available + Σ debts, ≤ 0
    when the vendor owes), for every vendor with such money (or `vendor_ids` only); vendors
    with neither are absent. One query, over the rows that can count only (`_may_count`):
    the same rule as `vendors_payable`, without the held money it need not read."""
    as_of = as_of or timezone.now()
    cutoff = availability_cutoff(as_of)
    balances = VendorOrderBalance.objects.filter(_may_count(cutoff))
    if vendor_ids is not None:
        balances = balances.filter(vendor_id__in=sorted(set(vendor_ids)))
    due: dict[int, int] = {}
    for row in (
        balances.annotate(kind=_kind(cutoff))
        .order_by()
        .values("vendor_id", "kind")
        .annotate(cents=Sum("due_cents"))
    ):
        if row["kind"] in (AVAILABLE, DEBT):
            due[row["vendor_id"]] = due.get(row["vendor_id"], 0) + row["cents"]
    return {vendor_id: cents_to_eur(cents) for vendor_id, cents in sorted(due.items())}


def vendor_payable(*, vendor: Vendor, as_of: datetime | None = None) -> Payable:
    """One vendor's payable money at `as_of` (now by default): the PAY-1 rule. Three queries."""
    as_of = as_of or timezone.now()
    found = vendors_payable(as_of=as_of, vendor_ids=[vendor.pk])
    return found.get(vendor.pk) or Payable(
        vendor_id=vendor.pk, as_of=as_of, minimum=payout_min_amount()
    )


# --- where vendors are paid ------------------------------------------------------------

ACCOUNT_BATCH = 500


@dataclass(frozen=True)
class PayoutAccount:
    """Where a vendor is paid: its wallet and registered IBAN at the provider."""

    account_id: str
    iban_id: str
    iban_masked: str


def vendor_payout_accounts(*, vendor_ids: Iterable[int]) -> dict[int, PayoutAccount]:
    """The payment account of each of `vendor_ids` that can be paid, in one query per
    ACCOUNT_BATCH vendors (the run reads a batch's accounts at once).

    The same rule as `allies.payments.selectors.vendor_payout_account` (the payments app's
    one-vendor read; payouts sits above payments and reads its model directly): a wallet,
    KYC validated, and an IBAN the provider activated. Vendors that cannot be paid are
    absent. Keep the two in step.
    """
    from allies.payments.models import VendorAccount

    ids = sorted(set(vendor_ids))
    found: dict[int, PayoutAccount] = {}
    for start in range(0, len(ids), ACCOUNT_BATCH):
        rows = (
            VendorAccount.objects.filter(
                vendor_id__in=ids[start : start + ACCOUNT_BATCH],
                status=VendorAccount.Status.VALIDATED,
                iban_status=VendorAccount.IbanStatus.VALIDATED,
            )
            .exclude(account_id="")
            .exclude(iban_provider_id="")
            .only("vendor_id", "account_id", "iban", "iban_provider_id")
        )
        for account in rows:
            found[account.vendor_id] = PayoutAccount(
                account.account_id, account.iban_provider_id, account.iban_masked
            )
    return found


# --- the console's reads --------------------------------------------------------------------

RUNS_SHOWN = 10
PAYOUTS_PER_PAGE = 50
BLOCKED_SHOWN = 100


def recent_runs(*, limit: int = RUNS_SHOWN) -> list[PayoutRun]:
    return list(
        PayoutRun.objects.select_related("started_by").order_by("-started_at", "-id")[:limit]
    )


def payouts_page(*, number: int, status: str | None = None) -> Page:
    """One page of payouts, newest first (two queries: the count and the page)."""
    qs = Payout.objects.select_related("vendor", "run").order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    paginator = Paginator(qs, PAYOUTS_PER_PAGE)
    if number < 1 or number > paginator.num_pages:
        raise Http404("page")
    return paginator.page(number)


def payout_counts() -> dict[str, int]:
    """How many payouts per stage (one query)."""
    rows = Payout.objects.order_by().values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in PayoutStatus.values}
    for row in rows:
        counts[row["status"]] = row["n"]
    counts["open"] = sum(counts[s] for s in OPEN_STATUSES)
    return counts


def payout_for_staff(*, pk: int) -> Payout:
    try:
        return Payout.objects.select_related("vendor", "run", "run__started_by").get(pk=pk)
    except Payout.DoesNotExist:
        raise Http404("payout") from None


def payout_lines(*, payout: Payout) -> list[PayoutLine]:
    return list(payout.lines.select_related("vendor_order__order").order_by("vendor_order_id"))


@dataclass(frozen=True)
class BlockedVendor:
    vendor: Vendor
    payable: Payable
    reason: str  # Blocked.NEGATIVE, or "no_account" (KYC not validated / no bank account)


def vendors_blocked(
    *, as_of: datetime | None = None, limit: int = BLOCKED_SHOWN
) -> list[BlockedVendor]:
    """Vendors a run would not pay although the ledger owes or is owed: a negative balance,
    or money ready but no validated payment account (KYC). Queries bounded by `limit`."""
    payables = vendors_payable(as_of=as_of)
    negative = [p for p in payables.values() if p.blocked == Blocked.NEGATIVE]
    ready = [p for p in payables.values() if p.payable]
    open_vendors = set(
        Payout.objects.filter(
            status__in=OPEN_STATUSES, vendor_id__in=[p.vendor_id for p in ready]
        ).values_list("vendor_id", flat=True)
    )
    ready = [p for p in ready if p.vendor_id not in open_vendors]
    ready.sort(key=lambda p: -p.amount)
    negative.sort(key=lambda p: p.amount)
    wanted = [p.vendor_id for p in negative[:limit]] + [p.vendor_id for p in ready[:limit]]
    vendors = Vendor.objects.in_bulk(wanted)
    blocked = [BlockedVendor(vendors[p.vendor_id], p, Blocked.NEGATIVE) for p in negative[:limit]]
    accounts = vendor_payout_accounts(vendor_ids=[p.vendor_id for p in ready[:limit]])
    for p in ready[:limit]:
        if len(blocked) >= limit:
            break
        if p.vendor_id not in accounts:
            blocked.append(BlockedVendor(vendors[p.vendor_id], p, "no_account"))
    return blocked
