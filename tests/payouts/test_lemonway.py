"""PAY-1: the payout run against the local fake LemonWay (its HTTP API, not the sandbox):
a vendor paid once, a money-out whose answer is lost, a money-out LemonWay refuses."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from allies.payments.gateways import lemonway as lemonway_module
from allies.payments.models import VendorAccount
from allies.payouts.models import Payout, PayoutRun
from allies.payouts.services import payout_retry, payout_run
from allies.payouts.states import PayoutEventKind, PayoutStatus, payout_stage
from tests.factories import UserFactory
from tests.ledger.conftest import buy, offer_of, vendor_with_rates
from tests.payments.factories import vendor_account_opened
from tests.payments.fake_lemonway import API_KEY, FakeLemonWay
from tests.payouts.conftest import AVAILABLE_AT, DELIVERED_AT, deliver

pytestmark = pytest.mark.django_db
STAFF = PayoutRun.Trigger.STAFF


@pytest.fixture
def fake(settings):
    """The fake LemonWay on a local port; `point()` sends the gateway's calls to it (after
    the sales, which go through the sandbox's card page)."""
    server = FakeLemonWay().start()
    lemonway_module._token_cache.clear()

    def point():
        settings.PAYMENT_GATEWAY = "lemonway"
        settings.LEMONWAY_API_URL = server.api_url
        settings.LEMONWAY_OAUTH_URL = server.oauth_url
        settings.LEMONWAY_API_KEY = API_KEY
        settings.LEMONWAY_ACCESS_TOKEN = ""
        settings.LEMONWAY_WALLET_ID = "ALLIES-SC"
        settings.LEMONWAY_TIMEOUT = 0.5
        settings.LEMONWAY_PSU_IP = "203.0.113.7"

    server.point = point  # type: ignore[attr-defined]
    yield server
    server.close()
    lemonway_module._token_cache.clear()


def _vendor_paid_59_euros(fake):
    """A vendor with one sale of 59 € available, its wallet and IBAN opened at the fake
    LemonWay (IBAN activated) and its KYC validated."""
    vendor = vendor_with_rates(fee=Decimal("5.00"), commission_rate=Decimal("0.10"))
    offer = offer_of(vendor, price="60.00")
    with time_machine.travel(DELIVERED_AT - timedelta(days=3), tick=False):
        deliver(buy([(offer, 1)]).vendor_orders.get())
    fake.point()
    account = vendor_account_opened(vendor)
    # The KYC documents' verdicts come by notification (tested in tests/payments): here the
    # account is left as the validated flow leaves it.
    VendorAccount.objects.filter(pk=account.pk).update(status=VendorAccount.Status.VALIDATED)
    account.refresh_from_db()
    assert account.iban_status == VendorAccount.IbanStatus.VALIDATED
    return vendor, account.account_id


def _run(at=AVAILABLE_AT):
    with time_machine.travel(at, tick=False):
        return payout_run(trigger=STAFF)


def _posts(fake, path):
    return [r for r in fake.calls("POST", path) if r["path"].endswith(path)]


def test_a_run_pays_the_vendor_through_lemonway_once(fake):
    # covers: PAY-1
    vendor, wallet = _vendor_paid_59_euros(fake)
    run = _run()
    payout = Payout.objects.get()
    assert (payout.status, run.payouts_made, run.errors) == (PayoutStatus.PAID, 1, 0)
    (p2p,) = _posts(fake, "/v2/p2p")
    (money_out,) = _posts(fake, "/v2/moneyouts")
    # The P2P from the marketplace wallet to the vendor's, then the money-out to its IBAN.
    assert fake.requests.index(p2p) < fake.requests.index(money_out)
    assert p2p["json"]["debitAccountId"] == "ALLIES-SC"
    assert p2p["json"]["creditAccountId"] == wallet and p2p["json"]["amount"] == 5900
    assert p2p["json"]["reference"] == payout.transfer_reference
    assert money_out["json"]["accountId"] == wallet and money_out["json"]["totalAmount"] == 5900
    assert money_out["json"]["reference"] == payout.money_out_reference
    # The wallet was credited once and emptied once towards the bank.
    assert fake.balances[wallet] == 0
    assert payout.transfer_provider_id and payout.money_out_provider_id
    # Nothing left: a second run calls LemonWay for nothing.
    again = _run(AVAILABLE_AT + timedelta(hours=1))
    assert (again.payouts_made, again.errors) == (0, 0)
    assert len(_posts(fake, "/v2/p2p")) == 1 and len(_posts(fake, "/v2/moneyouts")) == 1


def test_a_money_out_whose_answer_is_lost_is_re_read_not_done_twice(fake):
    # covers: PAY-1
    vendor, wallet = _vendor_paid_59_euros(fake)
    # LemonWay does the money-out, but answers after the client gave up (timeout).
    fake.fail_next("/v2/moneyouts", "timeout_after")
    run = _run()
    payout = Payout.objects.get()
    assert payout.status == PayoutStatus.TRANSFERRED and run.errors == 1
    assert payout.failure_message  # staff see why it waits
    assert fake.balances[wallet] == 0  # the money did leave at LemonWay
    rerun = _run(AVAILABLE_AT + timedelta(minutes=10))
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and rerun.payouts_made == 1
    # The rerun asked LemonWay what became of our reference instead of paying again.
    assert [r["query"]["reference"] for r in fake.calls("GET", "/v2/moneyouts")] == [
        payout.money_out_reference
    ]
    assert len(_posts(fake, "/v2/moneyouts")) == 1 and len(fake.money_outs) == 1
    assert len(_posts(fake, "/v2/p2p")) == 1 and fake.balances[wallet] == 0
    assert Payout.objects.count() == 1


def test_a_money_out_lemonway_refuses_is_shown_to_retry_without_a_second_p2p(fake):
    # covers: PAY-1
    vendor, wallet = _vendor_paid_59_euros(fake)
    fake.fail_next("/v2/moneyouts", "error")
    run = _run()
    payout = Payout.objects.get()
    assert payout.status == PayoutStatus.MONEY_OUT_FAILED and run.errors == 1
    assert payout_stage(payout.status).open  # shown open, to retry by staff
    assert "Opération refusée" in payout.failure_message
    assert fake.balances[wallet] == 5900  # the money waits in the vendor's wallet
    # Another run neither pays it again nor makes a second P2P.
    _run(AVAILABLE_AT + timedelta(hours=1))
    assert len(_posts(fake, "/v2/p2p")) == 1 and Payout.objects.count() == 1
    assert fake.money_outs == []
    # Staff retry once the cause is fixed: a new reference, still one P2P.
    with time_machine.travel(AVAILABLE_AT + timedelta(hours=2), tick=False):
        payout = payout_retry(payout=payout, by=UserFactory(is_staff=True))
    assert payout.status == PayoutStatus.PAID and payout.money_out_reference.endswith("-MO2")
    assert payout.events.filter(kind=PayoutEventKind.RETRIED).count() == 1
    assert len(_posts(fake, "/v2/p2p")) == 1 and len(fake.money_outs) == 1
    assert fake.balances[wallet] == 0


@pytest.mark.parametrize("concurrent", [1, 4])
def test_a_round_of_payouts_overlaps_its_lemonway_calls_and_pays_each_vendor_its_own(
    fake, settings, concurrent
):
    # covers: PAY-1 (speed: LemonWay has no batch API; 10,000 vendors are 20,000 requests)
    wallets = {}
    for _ in range(6):
        settings.PAYMENT_GATEWAY = "sandbox"  # the sale goes through the sandbox's card page
        vendor, wallet = _vendor_paid_59_euros(fake)
        wallets[vendor.pk] = wallet
    settings.LEMONWAY_CONCURRENT_CALLS = concurrent
    fake.latency = 0.05
    fake.most_in_flight = 0
    run = _run()
    assert (run.payouts_made, run.errors) == (6, 0)
    # Each vendor's wallet got its own P2P under its own payout's reference, and was emptied
    # towards its bank once.
    for payout in Payout.objects.all():
        wallet = wallets[payout.vendor_id]
        (p2p,) = [t for t in fake.transfers if t["creditAccountId"] == wallet]
        assert p2p["reference"] == payout.transfer_reference and p2p["amount"] == 5900
        (out,) = [m for m in fake.money_outs if m["senderAccountId"] == wallet]
        assert out["reference"] == payout.money_out_reference and fake.balances[wallet] == 0
        assert payout.transfer_provider_id == str(p2p["id"])
    # Never more requests at once than the setting allows; with 4, they did overlap.
    assert fake.most_in_flight == concurrent
