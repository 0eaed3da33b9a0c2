"""PAY-1's money identities over random histories: sales, refunds (before and after payouts),
payouts (some interrupted by the provider), time passing.

Checked once the provider answers again (a last run without faults: a P2P left without
answer is known to the provider before the ledger records it).

- For every vendor, to the cent:
      sales − commission − refunds − payouts = balance
  with each term read from its own source: sales from the vendor orders (lines + shipping),
  commission from the operator's side of the ledger, refunds from the refunds made, payouts
  from the P2P transfers the provider actually recorded to the vendor's wallet, and the
  balance from the ledger (`ledger.selectors.vendor_balance`).
- The marketplace wallet's balance at the provider (card payments captured − refunds − P2P
  to vendor wallets) equals the ledger's total (Σ amount + operator_amount).
- The vendor orders' balances the ledger keeps as it writes (`VendorOrderBalance`, read by
  the payout rule) equal the sums of their entries, with no row for a vendor order at zero,
  and each row's moment of delivery is its vendor order's (empty unless delivered or
  closed), after every step of the history (buying, delivering, refunding, closing, paying
  out); a rebuild from the entries gives the same rows.
- The payout rule evaluated by the database (`vendors_payable`: in payment, debt, available,
  held, summed per vendor) equals the same rule told in Python over the entries and the
  vendor orders, before every run; its lines add up to the amount paid, and what a payout now
  would pay each vendor as the dashboards read it (`vendors_due`) is the same amount.
- Nobody is paid twice: each payout's P2P and money-out happened at most once at the
  provider (none for a refused P2P, exactly one each for a paid payout).
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from allies.ledger.balances import balances_rebuild
from allies.ledger.models import LedgerEntry, VendorOrderBalance
from allies.ledger.selectors import vendor_balance
from allies.orders.closing import vendor_orders_close_due
from allies.orders.models import VendorOrder
from allies.payments.gateways.sandbox import sandbox_faults
from allies.payments.models import SandboxOperation, SandboxTransaction
from allies.payouts.models import Payout, PayoutLine
from allies.payouts.selectors import availability_cutoff, vendors_due, vendors_payable
from allies.payouts.services import payout_run
from tests.ledger.conftest import buy, offer_of, refund, vendor_with_rates
from tests.payouts.conftest import DELIVERED_AT, deliver, payable_account

pytestmark = pytest.mark.django_db
ZERO = Decimal("0.00")

# A history is a few rounds; each buys, delivers (now, or as if recorded 10 or 20 days
# late), refunds, lets days pass, then runs the payouts (sometimes with a provider fault).
rounds = st.lists(
    st.fixed_dictionaries(
        {
            "buy": st.lists(st.tuples(st.integers(0, 2), st.integers(1, 3)), max_size=3),
            "deliver": st.lists(
                st.tuples(st.integers(0, 20), st.sampled_from([0, 10, 20])), max_size=3
            ),  # fmt: skip
            "refund": st.lists(st.tuples(st.integers(0, 20), st.integers(1, 100)), max_size=2),
            "wait": st.sampled_from([0, 1, 7, 15]),
            "fault": st.sampled_from(["", "", "", "transfer", "money_out"]),
            "mode": st.sampled_from(["timeout", "error"]),
        }
    ),
    min_size=1,
    max_size=4,
)


def _cents(value) -> Decimal:
    return (Decimal(value or 0) / 100).quantize(Decimal("0.01"))


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=rounds,
    rates=st.lists(st.sampled_from(["0", "0.1", "0.15", "0.333"]), min_size=3, max_size=3),
)
def test_money_identities_hold_over_random_histories(db, history, rates):
    # covers: PAY-1, PAY-2
    with transaction.atomic():
        _check_history(history, rates)
        transaction.set_rollback(True)


def _check_history(history, rates) -> None:  # noqa: C901 - one story, told in order
    sandbox_faults.clear()
    vendors, offers = [], []
    for i, rate in enumerate(rates):
        vendor = vendor_with_rates(fee=Decimal(["0", "4.90", "7.45"][i]),
                                   commission_rate=Decimal(rate))  # fmt: skip
        payable_account(vendor)
        vendors.append(vendor)
        offers.append(offer_of(vendor, price=["19.99", "59.90", "120.00"][i]))
    sold: list = []  # vendor orders in the order bought
    refunded = {v.pk: ZERO for v in vendors}
    now = DELIVERED_AT
    for step in history:
        with time_machine.travel(now, tick=False):
            for which, quantity in step["buy"]:
                sold.append(buy([(offers[which], quantity)]).vendor_orders.get())
            for index, age in step["deliver"]:
                if sold:
                    vo = sold[index % len(sold)]
                    vo.refresh_from_db()
                    if vo.delivered_at is None:
                        deliver(vo, at=now - timedelta(days=age))
            for index, percent in step["refund"]:
                if not sold:
                    continue
                vo = sold[index % len(sold)]
                left = sum(
                    (e.amount for e in LedgerEntry.objects.filter(
                        vendor_order=vo, kind__in=["sale", "refund_sale"])), ZERO
                )  # fmt: skip
                amount = (left * percent / 100).quantize(Decimal("0.01"))
                if amount > 0:
                    row, _entries = refund(vo, lines_amount=amount)
                    refunded[vo.vendor_id] += row.amount
            _check_balances()
        now += timedelta(days=step["wait"], hours=1)
        with time_machine.travel(now, tick=False):
            # Delivered vendor orders whose window passed are closed (a move after delivery).
            if vendor_orders_close_due(now=now):
                event("closed some vendor orders")
            _check_balances()
            _check_payable(now)
            if step["fault"]:
                sandbox_faults.fail_next(step["fault"], step["mode"])
            payout_run(trigger="schedule")
            sandbox_faults.clear()
            _check_balances()
        now += timedelta(hours=1)
    # A last run with a provider that answers: what was left without answer is re-read and
    # recorded (until then the provider knows of a P2P the ledger does not show yet).
    with time_machine.travel(now, tick=False):
        payout_run(trigger="schedule")
    event(f"payouts paid: {min(Payout.objects.filter(status='paid').count(), 3)}")
    event(f"payouts left unfinished: {Payout.objects.exclude(status='paid').exists()}")
    event(f"a debt: {any(vendor_balance(vendor=v) < 0 for v in vendors)}")
    _check(vendors, refunded)
    _check_balances(rebuild=True)
    _check_payable(now)


def _check_payable(now) -> None:
    """The rule as the database evaluates it (`vendors_payable`) against the same rule told
    in Python over the entries: in payment, debt, available (delivered, window passed) or
    held; the sums without the lines equal those with them."""
    cutoff = availability_cutoff(now)
    pending = PayoutLine.objects.filter(payout__status="pending")
    in_flight = set(pending.values_list("vendor_order_id", flat=True))
    nets: dict[int, int] = defaultdict(int)
    for entry in LedgerEntry.objects.all():
        nets[entry.vendor_order_id] += int(entry.amount * 100)
    expected: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for vo in VendorOrder.objects.filter(pk__in=[k for k, v in nets.items() if v]):
        net, kinds = nets[vo.pk], expected[vo.vendor_id]
        if vo.pk in in_flight:
            continue
        if net < 0:
            kinds["debts"] += net
        elif vo.status in ("delivered", "closed") and vo.delivered_at < cutoff:
            kinds["available"] += net
        else:
            kinds["held"] += net
    payables = vendors_payable(as_of=now)
    figures = vendors_payable(as_of=now, with_lines=False)
    due = vendors_due(as_of=now)
    assert set(due) <= set(payables)
    for vendor_id, payable in payables.items():
        assert due.get(vendor_id, ZERO) == payable.amount, vendor_id
    for vendor_id, kinds in expected.items():
        payable = payables[vendor_id]
        for name in ("available", "debts", "held"):
            assert getattr(payable, name) * 100 == kinds[name], (vendor_id, name)
        assert sum(line.amount for line in payable.lines) == payable.amount
        light = figures[vendor_id]
        assert (light.available, light.debts, light.held, light.in_payment, light.lines) == (
            payable.available, payable.debts, payable.held, payable.in_payment, ()
        )  # fmt: skip


def _check_balances(*, rebuild: bool = False) -> None:
    """The balance rows equal the entries' sums per vendor order (none at zero), each with
    its vendor order's moment of delivery while it is delivered or closed; `rebuild`: and
    recomputing them from the entries gives the same rows."""
    expected: dict[int, tuple[int, int]] = {}
    for entry in LedgerEntry.objects.all():
        vendor, cents = expected.get(entry.vendor_order_id, (entry.vendor_id, 0))
        expected[entry.vendor_order_id] = (vendor, cents + int(entry.amount * 100))
    delivered = {
        vo.pk: vo.delivered_at if vo.status in ("delivered", "closed") else None
        for vo in VendorOrder.objects.filter(pk__in=list(expected))
    }
    rows = {vo: (*row, delivered[vo]) for vo, row in expected.items() if row[1]}

    def kept() -> dict[int, tuple[int, int, object]]:
        return {
            b.vendor_order_id: (b.vendor_id, b.due_cents, b.delivered_at)
            for b in VendorOrderBalance.objects.all()
        }

    assert kept() == rows
    if rebuild:
        balances_rebuild(connection)
        assert kept() == rows


def _check(vendors, refunded) -> None:
    for vendor in vendors:
        account_id = vendor.payment_account.account_id
        sales = ZERO
        for vo in vendor.orders.all():
            sales += vo.lines_total + vo.shipping_fee
        commission = LedgerEntry.objects.filter(vendor=vendor).aggregate(
            c=Sum("operator_amount"))["c"] or ZERO  # fmt: skip
        commission = Decimal(commission).quantize(Decimal("0.01"))
        p2p = SandboxOperation.objects.filter(kind="p2p", account_id=account_id)
        payouts = _cents(p2p.aggregate(s=Sum("amount_cents"))["s"])
        balance = vendor_balance(vendor=vendor)
        assert sales - commission - refunded[vendor.pk] - payouts == balance, vendor
        # Nobody paid twice: one P2P and at most one money-out per payout reference…
        references = list(p2p.values_list("reference", flat=True))
        assert len(references) == len(set(references))
        money_outs = list(
            SandboxOperation.objects.filter(kind="money_out", account_id=account_id).values_list(
                "reference", flat=True
            )
        )
        assert len(money_outs) == len(set(money_outs))
        # …and each payout moved its money once: a refused P2P moved nothing, a paid payout
        # went through one P2P and one money-out (a money-out left without answer may have
        # gone through: at most one).
        for payout in Payout.objects.filter(vendor=vendor):
            base = payout.transfer_reference.removesuffix("-P2P")
            moved = p2p.filter(reference=payout.transfer_reference).count()
            out = SandboxOperation.objects.filter(kind="money_out", reference__startswith=base)
            expected = {"failed": {0}, "pending": {0, 1}}.get(payout.status, {1})
            assert moved in expected, payout
            assert out.count() == (1 if payout.status == "paid" else out.count()) <= 1, payout
    # The marketplace wallet: captured − refunded − P2P, from the provider's own records.
    captured = refunded_cents = 0
    for tx in SandboxTransaction.objects.filter(status="succeeded"):
        captured += tx.amount_cents
        refunded_cents += tx.refunded_cents
    transfers = SandboxOperation.objects.filter(kind="p2p").aggregate(s=Sum("amount_cents"))["s"]
    wallet = _cents(captured - refunded_cents - (transfers or 0))
    totals = LedgerEntry.objects.aggregate(a=Sum("amount"), o=Sum("operator_amount"))
    ledger = (Decimal(totals["a"] or 0) + Decimal(totals["o"] or 0)).quantize(Decimal("0.01"))
    assert wallet == ledger
