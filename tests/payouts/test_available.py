"""PAY-1: what is "Disponible pour virement" — one selector for the statement and the run."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from allies.orders.closing import withdrawal_window_end
from allies.payouts.selectors import Blocked, availability_cutoff, vendor_payable, vendors_due
from allies.support.models import Motif, Thread
from allies.support.states import ThreadStage
from tests.aftersales.conftest import claimed, delivered, returned
from tests.ledger.conftest import buy, offer_of, refund, vendor_with_rates
from tests.orders.conftest import market  # noqa: F401 (fixture)
from tests.payouts.conftest import AVAILABLE_AT, DELIVERED_AT, deliver

pytestmark = pytest.mark.django_db
ZERO = Decimal("0.00")


@pytest.fixture
def shop(db):
    vendor = vendor_with_rates(fee=Decimal("5.00"), commission_rate=Decimal("0.10"))
    return {"vendor": vendor, "shirt": offer_of(vendor, price="60.00")}


def _sold(shop, quantity=1):
    with time_machine.travel(DELIVERED_AT - timedelta(days=3), tick=False):
        return buy([(shop["shirt"], quantity)]).vendor_orders.get()


def test_the_cutoff_is_the_closing_rule_turned_around():
    # covers: PAY-1, RET-1
    for hours in range(0, 24 * 20, 7):
        delivered = DELIVERED_AT + timedelta(hours=hours)
        end = withdrawal_window_end(delivered)
        assert delivered < availability_cutoff(end)
        assert not delivered < availability_cutoff(end - timedelta(seconds=1))


def test_not_delivered_money_is_held_whatever_its_age(shop):
    # covers: PAY-1
    _sold(shop)
    payable = vendor_payable(vendor=shop["vendor"], as_of=DELIVERED_AT + timedelta(days=90))
    assert payable.amount == ZERO
    assert payable.held == Decimal("59.00")  # 60 + 5 shipping − 6 commission
    assert payable.blocked == Blocked.NOTHING


def test_money_becomes_available_when_the_withdrawal_window_has_passed(shop):
    # covers: PAY-1, RET-1
    deliver(_sold(shop))
    # 13 days and a half after delivery (15 December, 23:59): still held.
    with time_machine.travel(AVAILABLE_AT - timedelta(minutes=1), tick=False):
        payable = vendor_payable(vendor=shop["vendor"])
        assert (payable.amount, payable.held) == (ZERO, Decimal("59.00"))
    with time_machine.travel(AVAILABLE_AT, tick=False):
        payable = vendor_payable(vendor=shop["vendor"])
        assert (payable.amount, payable.held) == (Decimal("59.00"), ZERO)
        assert payable.payable
        assert [line.amount for line in payable.lines] == [Decimal("59.00")]


def test_an_open_return_holds_that_vendor_order_only(market):  # noqa: F811
    # covers: PAY-1, RET-1
    returned_vo = delivered(market, [(market["shirt"], 1)])
    kept = delivered(market, [(market["belt"], 1)])
    returned(returned_vo, {"Chemise Oxford bleue": 1}, at=DELIVERED_AT + timedelta(days=5))
    payable = vendor_payable(vendor=market["verlaine"], as_of=AVAILABLE_AT)
    assert [x.vendor_order_id for x in payable.lines] == [kept.pk]
    assert payable.held > 0
    assert payable.amount == vendor_payable(vendor=market["verlaine"], as_of=AVAILABLE_AT).amount
    # The return ends (refused by the vendor): the order is available again.
    from allies.aftersales.models import ReturnRequest

    ReturnRequest.objects.filter(vendor_order=returned_vo).update(status="refused")
    again = vendor_payable(vendor=market["verlaine"], as_of=AVAILABLE_AT)
    assert {x.vendor_order_id for x in again.lines} == {kept.pk, returned_vo.pk}
    assert again.amount == payable.amount + payable.held


def test_an_open_claim_holds_its_vendor_order(market):  # noqa: F811
    # covers: PAY-1, SAV-1
    vo = delivered(market, [(market["wallet"], 1)])
    before = vendor_payable(vendor=market["brun"], as_of=AVAILABLE_AT)
    assert [x.vendor_order_id for x in before.lines] == [vo.pk]
    claimed(vo, {"Portefeuille en cuir": 1}, at=DELIVERED_AT + timedelta(days=2))
    payable = vendor_payable(vendor=market["brun"], as_of=AVAILABLE_AT)
    assert payable.amount == ZERO and payable.held == before.amount


def test_an_escalated_thread_holds_its_vendor_order_until_resolved(shop):
    # covers: PAY-1, CS-2
    vo = deliver(_sold(shop))
    thread = Thread.objects.create(
        kind="order", motif=Motif.DELIVERY, customer=vo.order.customer, vendor=vo.vendor,
        order=vo.order, vendor_order=vo, stage=ThreadStage.ESCALATED,
    )  # fmt: skip
    assert vendor_payable(vendor=shop["vendor"], as_of=AVAILABLE_AT).amount == ZERO
    Thread.objects.filter(pk=thread.pk).update(stage=ThreadStage.RESOLVED)
    assert vendor_payable(vendor=shop["vendor"], as_of=AVAILABLE_AT).amount == Decimal("59.00")


def test_a_debt_is_always_taken_and_a_negative_balance_blocks(shop):
    # covers: PAY-1
    from allies.ledger.models import LedgerEntry

    vo = deliver(_sold(shop))
    # As if it had been paid out already: the payout entry brings it to 0…
    LedgerEntry.objects.create(vendor=vo.vendor, vendor_order=vo, kind="payout",
                               amount=Decimal("-59.00"))  # fmt: skip
    # …then the customer is refunded 30 €: the vendor owes 27 € (commission 3 € given back).
    refund(vo, lines_amount=Decimal("30.00"))
    recent = _sold(shop)  # not delivered: held, does not cover the debt
    payable = vendor_payable(vendor=shop["vendor"], as_of=AVAILABLE_AT)
    assert payable.debts == Decimal("-27.00")
    assert payable.amount == Decimal("-27.00")
    assert payable.blocked == Blocked.NEGATIVE
    assert payable.held == Decimal("59.00")
    # Once the later order is available, the payout takes the debt from it.
    deliver(recent)
    payable = vendor_payable(vendor=shop["vendor"], as_of=AVAILABLE_AT)
    assert payable.amount == Decimal("32.00")
    assert {x.amount for x in payable.lines} == {Decimal("-27.00"), Decimal("59.00")}


def test_below_the_minimum_nothing_is_paid(shop, settings):
    # covers: PAY-1
    settings.PAYOUT_MIN_AMOUNT = Decimal("100.00")
    deliver(_sold(shop))
    payable = vendor_payable(vendor=shop["vendor"], as_of=AVAILABLE_AT)
    assert payable.amount == Decimal("59.00") and payable.blocked == Blocked.BELOW_MINIMUM
    settings.PAYOUT_MIN_AMOUNT = Decimal("59.00")
    assert vendor_payable(vendor=shop["vendor"], as_of=AVAILABLE_AT).payable


def test_the_balance_keeps_its_vendor_orders_delivery_through_every_move(market, settings):  # noqa: F811
    # covers: PAY-1, RET-1
    """The rule reads each balance row's moment of delivery, not the vendor order: the row
    follows it through the real flow (accepted, shipped, delivered by the vendor), a refund,
    the closing, a payout that settles it and a debt written after."""
    from allies.ledger.models import LedgerEntry, VendorOrderBalance
    from allies.orders.acceptance import vendor_order_lines_decide
    from allies.orders.closing import vendor_orders_close_due
    from allies.orders.models import VendorOrder
    from allies.orders.shipments import vendor_order_mark_delivered, vendor_order_ship
    from allies.orders.states import VENDOR_ORDER_TRANSITIONS, VendorOrderStatus
    from tests.orders.conftest import buy as buy_in
    from tests.orders.conftest import vendor_order_of

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def kept():
        row = VendorOrderBalance.objects.filter(vendor_order=vo).first()
        return None if row is None else (row.due_cents, row.delivered_at)

    def due():  # what a payout would pay, as the statement and as the dashboards read it
        amount = vendor_payable(vendor=vendor, as_of=AVAILABLE_AT).amount
        dashboard = vendors_due(as_of=AVAILABLE_AT, vendor_ids=[vendor.pk])
        assert dashboard.get(vendor.pk, ZERO) == amount
        return amount

    shirt = market["shirt"]
    vendor = shirt.vendor
    with time_machine.travel(DELIVERED_AT - timedelta(days=3), tick=False):
        vo = vendor_order_of(buy_in(market, [(shirt, 1)]), vendor)
        owed = kept()[0]
        assert kept() == (owed, None) and owed > 0  # paid, not delivered
        accepted = {line.pk: "accept" for line in vo.lines.all()}
        vendor_order_lines_decide(vendor_order=vo, vendor=vendor, decisions=accepted)
    with time_machine.travel(DELIVERED_AT - timedelta(days=1), tick=False):
        vendor_order_ship(vendor_order=vo, vendor=vendor, carrier="colissimo",
                          parcels=["6A12345699999"])  # fmt: skip
    assert kept() == (owed, None) and due() == ZERO  # shipped: still held at any date
    with time_machine.travel(DELIVERED_AT, tick=False):
        vendor_order_mark_delivered(vendor_order=vo, vendor=vendor)
    vo.refresh_from_db()
    assert vo.status == VendorOrder.Status.DELIVERED
    assert kept() == (owed, vo.delivered_at) and vo.delivered_at == DELIVERED_AT
    assert due() * 100 == owed
    # A refund moves the amount; the moment stays.
    refund(vo, lines_amount=Decimal("10.00"))
    owed = kept()[0]
    assert kept() == (owed, DELIVERED_AT) and due() * 100 == owed
    # Closed once the window passed: another stage, still delivered for the rule.
    assert vendor_orders_close_due(now=AVAILABLE_AT) == 1
    vo.refresh_from_db()
    assert vo.status == VendorOrder.Status.CLOSED
    assert kept() == (owed, DELIVERED_AT) and due() * 100 == owed
    # Paid out: the row is gone; a refund after it is a debt, its row written with the
    # moment read from the vendor order.
    LedgerEntry.objects.create(vendor=vendor, vendor_order=vo, kind="payout",
                               amount=-Decimal(owed) / 100)  # fmt: skip
    assert kept() is None and due() == ZERO
    refund(vo, lines_amount=Decimal("5.00"))
    debt = kept()[0]
    assert kept() == (debt, DELIVERED_AT) and debt < 0 and due() * 100 == debt
    # No move takes a delivered or closed vendor order back to an earlier stage: the kept
    # moment never has to be emptied (the ledger writes nothing for the other moves).
    done = {VendorOrderStatus.DELIVERED, VendorOrderStatus.CLOSED}
    assert all(target in done for (stage, _), target in VENDOR_ORDER_TRANSITIONS.items()
               if stage in done)  # fmt: skip
