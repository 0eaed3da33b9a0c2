"""PAY-1: the payout run against the sandbox provider — right amount, once, whatever fails."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from allies.ledger.models import LedgerEntry
from allies.ledger.selectors import vendor_balance
from allies.payments.gateways.sandbox import sandbox_faults, sandbox_wallet_balance
from allies.payments.models import SandboxOperation
from allies.payouts import services
from allies.payouts.models import Payout, PayoutRun
from allies.payouts.selectors import vendor_payable
from allies.payouts.services import CLAIM_SECONDS, payout_retry, payout_run
from allies.payouts.states import PayoutEventKind, PayoutStatus
from tests.factories import UserFactory
from tests.ledger.conftest import buy, offer_of, refund, vendor_with_rates
from tests.payouts.conftest import AVAILABLE_AT, DELIVERED_AT, deliver, payable_account

pytestmark = pytest.mark.django_db
ZERO = Decimal("0.00")
STAFF = PayoutRun.Trigger.STAFF


def _vendor(*, account=True):
    vendor = vendor_with_rates(fee=Decimal("5.00"), commission_rate=Decimal("0.10"))
    if account:
        payable_account(vendor)
    return vendor, offer_of(vendor, price="60.00")


def _sold(offer, quantity=1, *, delivered_at=DELIVERED_AT):
    with time_machine.travel(DELIVERED_AT - timedelta(days=3), tick=False):
        vo = buy([(offer, quantity)]).vendor_orders.get()
    return deliver(vo, at=delivered_at) if delivered_at else vo


def _ops(kind, vendor=None):
    qs = SandboxOperation.objects.filter(kind=kind)
    if vendor is not None:
        qs = qs.filter(account_id=vendor.payment_account.account_id)
    return list(qs.values_list("amount_cents", flat=True))


def _run(at=AVAILABLE_AT, **kwargs):
    with time_machine.travel(at, tick=False):
        return payout_run(trigger=STAFF, **kwargs)


def test_the_run_pays_what_is_available_once(db):
    # covers: PAY-1
    vendor, offer = _vendor()
    first, second = _sold(offer), _sold(offer, 2)  # 59 € and 113 €
    _sold(offer, delivered_at=AVAILABLE_AT - timedelta(days=2))  # window still open
    _sold(offer, delivered_at=None)  # not delivered
    run = _run()
    payout = Payout.objects.get()
    assert (payout.status, payout.amount, payout.amount_cents) == ("paid", Decimal("172.00"), 17200)
    assert payout.iban_masked == "FR76 •••• •••• 0189"
    assert (run.payouts_made, run.amount, run.errors) == (1, Decimal("172.00"), 0)
    # One P2P and one money-out of 172 € at the provider; the wallet is emptied to the bank.
    assert _ops("p2p", vendor) == [17200] and _ops("money_out", vendor) == [17200]
    assert sandbox_wallet_balance(account_id=vendor.payment_account.account_id) == 0
    # The ledger: one payout entry per vendor order, each bringing it to 0.
    entries = LedgerEntry.objects.filter(kind="payout", payout=payout)
    assert {(e.vendor_order_id, e.amount) for e in entries} == {
        (first.pk, Decimal("-59.00")), (second.pk, Decimal("-113.00"))
    }  # fmt: skip
    assert {e.operator_amount for e in entries} == {ZERO}
    assert {line.vendor_order_id for line in payout.lines.all()} == {first.pk, second.pk}
    # Nothing left to pay: running again pays nobody.
    again = _run(AVAILABLE_AT + timedelta(hours=1))
    assert (again.payouts_made, again.errors) == (0, 0)
    assert Payout.objects.count() == 1 and len(_ops("p2p")) == 1
    assert vendor_payable(vendor=vendor, as_of=AVAILABLE_AT).held == Decimal("118.00")
    kinds = list(payout.events.values_list("kind", flat=True))
    assert kinds == ["created", "transferred", "paid"]


def test_no_validated_kyc_no_payout(db):
    # covers: PAY-1, VEN-1
    vendor, offer = _vendor(account=False)
    _sold(offer)
    run = _run()
    assert Payout.objects.count() == 0 and run.errors == 0
    assert vendor_payable(vendor=vendor, as_of=AVAILABLE_AT).amount == Decimal("59.00")


def test_below_the_threshold_waits(db, settings):
    # covers: PAY-1
    settings.PAYOUT_MIN_AMOUNT = Decimal("60.00")
    vendor, offer = _vendor()
    _sold(offer)
    _run()
    assert Payout.objects.count() == 0
    _sold(offer)
    _run(AVAILABLE_AT + timedelta(hours=1))
    assert Payout.objects.get().amount == Decimal("118.00")


def test_a_p2p_without_answer_is_re_read_not_done_twice(db):
    # covers: PAY-1
    vendor, offer = _vendor()
    _sold(offer)
    sandbox_faults.fail_next("transfer", "timeout")  # done at the provider, answer lost
    run = _run()
    payout = Payout.objects.get()
    assert payout.status == PayoutStatus.PENDING and run.errors == 1
    assert payout.failure_message
    assert not LedgerEntry.objects.filter(kind="payout").exists()
    # Meanwhile the rule does not offer the same money again.
    assert vendor_payable(vendor=vendor, as_of=AVAILABLE_AT).in_payment == Decimal("59.00")
    rerun = _run(AVAILABLE_AT + timedelta(minutes=10))
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and rerun.payouts_made == 1
    assert _ops("p2p", vendor) == [5900] and _ops("money_out", vendor) == [5900]
    assert LedgerEntry.objects.filter(kind="payout").count() == 1
    assert vendor_balance(vendor=vendor) == ZERO


def test_fail_after_the_p2p_before_the_money_out_then_rerun(db):
    # covers: PAY-1
    vendor, offer = _vendor()
    _sold(offer)
    sandbox_faults.fail_next("money_out", "timeout")
    run = _run()
    payout = Payout.objects.get()
    assert payout.status == PayoutStatus.TRANSFERRED and run.errors == 1
    assert LedgerEntry.objects.filter(kind="payout").count() == 1  # the P2P is recorded
    rerun = _run(AVAILABLE_AT + timedelta(minutes=10))
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and rerun.payouts_made == 1
    assert _ops("p2p", vendor) == [5900] and _ops("money_out", vendor) == [5900]
    assert Payout.objects.count() == 1


def test_a_run_that_dies_after_the_p2p_is_resumed_once_its_claim_expires(db, monkeypatch):
    # covers: PAY-1
    vendor, offer = _vendor()
    _sold(offer)
    real = services._write_ledger

    def crash(*args, **kwargs):
        raise RuntimeError("the worker was killed")

    monkeypatch.setattr(services, "_write_ledger", crash)
    run = _run()
    assert run.errors == 1
    payout = Payout.objects.get()
    assert payout.status == PayoutStatus.PENDING and payout.claimed_until is not None
    monkeypatch.setattr(services, "_write_ledger", real)
    # A run a minute later leaves it alone (the dead run's claim still holds)…
    _run(AVAILABLE_AT + timedelta(minutes=1))
    assert Payout.objects.get().status == PayoutStatus.PENDING
    # …the next one after the claim expired finds the P2P done and goes on.
    _run(AVAILABLE_AT + timedelta(seconds=CLAIM_SECONDS + 1))
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert _ops("p2p", vendor) == [5900] and _ops("money_out", vendor) == [5900]
    assert LedgerEntry.objects.filter(kind="payout").count() == 1


def test_a_refused_money_out_waits_for_staff_and_is_retried_once(db):
    # covers: PAY-1
    vendor, offer = _vendor()
    _sold(offer)
    sandbox_faults.fail_next("money_out", "error")
    run = _run()
    payout = Payout.objects.get()
    assert payout.status == PayoutStatus.MONEY_OUT_FAILED and run.errors == 1
    assert "refused" in payout.failure_message
    # The money sits in the vendor's wallet; another run does not pay it again.
    assert sandbox_wallet_balance(account_id=vendor.payment_account.account_id) == 5900
    _sold(offer, delivered_at=DELIVERED_AT)
    _run(AVAILABLE_AT + timedelta(hours=1))
    assert Payout.objects.count() == 1 and _ops("money_out") == []
    staff = UserFactory(is_staff=True)
    with time_machine.travel(AVAILABLE_AT + timedelta(hours=2), tick=False):
        payout = payout_retry(payout=payout, by=staff)
    assert payout.status == PayoutStatus.PAID
    assert payout.money_out_reference.endswith("-MO2")
    assert _ops("money_out", vendor) == [5900]
    assert payout.events.filter(kind=PayoutEventKind.RETRIED, actor=staff).exists()
    # Now the second sale is paid by the next run.
    _run(AVAILABLE_AT + timedelta(hours=3))
    assert Payout.objects.filter(status="paid").count() == 2


def test_a_refused_p2p_fails_the_payout_and_frees_its_orders(db):
    # covers: PAY-1
    vendor, offer = _vendor()
    _sold(offer)
    sandbox_faults.fail_next("transfer", "error")
    run = _run()
    assert Payout.objects.get().status == PayoutStatus.FAILED and run.errors == 1
    assert not LedgerEntry.objects.filter(kind="payout").exists()
    _run(AVAILABLE_AT + timedelta(hours=1))
    assert Payout.objects.filter(status="paid").get().amount == Decimal("59.00")


def test_a_refund_after_a_payout_is_taken_from_the_next_one(db):
    # covers: PAY-1, PAY-2
    vendor, offer = _vendor()
    paid_vo = _sold(offer)
    _run()
    with time_machine.travel(AVAILABLE_AT + timedelta(days=1), tick=False):
        refund(paid_vo, lines_amount=Decimal("30.00"))  # vendor owes 27 €
    assert vendor_balance(vendor=vendor) == Decimal("-27.00")
    # A negative balance blocks: nothing paid while it is not covered.
    later = AVAILABLE_AT + timedelta(days=2)
    assert vendor_payable(vendor=vendor, as_of=later).blocked == "negative"
    _run(later)
    assert Payout.objects.count() == 1
    # A new sale becomes available: the next payout is smaller by the debt.
    _sold(offer, delivered_at=later - timedelta(days=16))
    run = _run(later + timedelta(hours=1))
    last = Payout.objects.order_by("-id").first()
    assert (run.payouts_made, last.amount) == (1, Decimal("32.00"))
    assert vendor_balance(vendor=vendor) == ZERO
    assert sum(_ops("money_out", vendor)) == 5900 + 3200


def test_one_vendor_failing_never_stops_the_others(db):
    # covers: PAY-1
    vendors = [_vendor() for _ in range(3)]
    for _v, offer in vendors:
        _sold(offer)
    sandbox_faults.fail_next("transfer", "error")
    run = _run()
    statuses = sorted(Payout.objects.values_list("status", flat=True))
    assert statuses == ["failed", "paid", "paid"]
    assert (run.payouts_made, run.errors, run.amount) == (2, 1, Decimal("118.00"))


def _queries_of_a_run(n: int, at) -> tuple[int, int]:
    """(our queries, the sandbox provider's queries) of a run paying `n` new vendors."""
    for _ in range(n):
        _vendor_, offer = _vendor()
        _sold(offer)
    with time_machine.travel(at, tick=False), CaptureQueriesContext(connection) as ctx:
        run = payout_run(trigger=STAFF)
    assert run.payouts_made == n
    provider = [q for q in ctx.captured_queries if "payments_sandboxoperation" in q["sql"]]
    return len(ctx.captured_queries) - len(provider), len(provider)


def test_queries_per_vendor_are_constant(db):
    # covers: PAY-1 (speed: 10,000 vendors in seconds; the run's own queries are a constant
    # per batch of vendors, only the provider's calls grow with the vendors)
    ours_one, provider_one = _queries_of_a_run(1, AVAILABLE_AT)
    ours_five, provider_five = _queries_of_a_run(5, AVAILABLE_AT + timedelta(days=1))
    assert ours_five == ours_one, (ours_one, ours_five)
    assert ours_one <= 40, ours_one
    # The sandbox's own records of the P2Ps and the money-outs (its "API"): a round of
    # either is a few queries whatever the number of vendors.
    assert provider_five == provider_one, (provider_one, provider_five)
    assert provider_one <= 5, provider_one


def test_a_batch_of_vendors_costs_the_same_queries_as_one(db, monkeypatch):
    # covers: PAY-1 (speed: batches of BATCH vendors; 7 vendors in batches of 3 = 3 batches)
    monkeypatch.setattr(services, "BATCH", 3)
    ours, _provider = _queries_of_a_run(7, AVAILABLE_AT)
    monkeypatch.setattr(services, "BATCH", 500)
    ours_one_batch, _provider = _queries_of_a_run(7, AVAILABLE_AT + timedelta(days=1))
    assert Payout.objects.filter(status="paid").count() == 14
    per_batch = (ours - ours_one_batch) / 2
    assert per_batch == int(per_batch) and per_batch <= 30, (ours, ours_one_batch)


def test_the_scheduled_run_happens_once_a_day(db):
    # covers: PAY-1
    from io import StringIO

    from django.core.management import call_command

    from tests.payouts.conftest import PARIS

    _vendor_, offer = _vendor()
    _sold(offer)
    out = StringIO()
    day = AVAILABLE_AT.astimezone(PARIS).replace(hour=5)
    with time_machine.travel(day, tick=False):
        call_command("payouts_run", stdout=out)  # before 6:00: not yet
    assert not PayoutRun.objects.exists()
    for minutes in (60, 61, 62):  # every minute after, as the supervisor's sweeps call it
        with time_machine.travel(day + timedelta(minutes=minutes), tick=False):
            call_command("payouts_run", stdout=out)
    run = PayoutRun.objects.get()
    assert (run.trigger, run.scheduled_for, run.payouts_made) == ("schedule", day.date(), 1)
    assert "already done today" in out.getvalue()
    with time_machine.travel(day + timedelta(days=1, hours=2), tick=False):
        from allies.payouts.tasks import payouts_run_due

        assert payouts_run_due.call() == 0  # the next day's run: nothing left to pay
    assert PayoutRun.objects.count() == 2
