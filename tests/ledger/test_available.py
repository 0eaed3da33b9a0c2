"""Payout readiness: only vendor orders delivered more than 14 days ago can be paid out."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from allies.ledger.selectors import vendor_balance, vendor_balance_available
from allies.orders.models import VendorOrder
from allies.payments.models import VendorTransfer
from tests.ledger.conftest import buy

pytestmark = pytest.mark.django_db


def test_only_orders_delivered_more_than_14_days_ago_are_available(two_vendors):
    # covers: PAY-1, PAY-2, RET-1
    vendor = two_vendors["brun"]
    old = buy([(two_vendors["wallet"], 1)]).vendor_orders.get()
    owed_old = vendor_balance(vendor=vendor)
    recent = buy([(two_vendors["wallet"], 2)]).vendor_orders.get()
    owed_recent = vendor_balance(vendor=vendor) - owed_old
    buy([(two_vendors["wallet"], 1)])  # not delivered yet
    now = timezone.now()
    VendorOrder.objects.filter(pk=old.pk).update(delivered_at=now - timedelta(days=15))
    VendorOrder.objects.filter(pk=recent.pk).update(delivered_at=now - timedelta(days=13))
    assert vendor_balance_available(vendor=vendor, as_of=now) == owed_old
    # Two days later the second one's withdrawal period is over too.
    later = now + timedelta(days=2)
    assert vendor_balance_available(vendor=vendor, as_of=later) == owed_old + owed_recent
    # What was already moved to the vendor's wallet is not available twice.
    VendorTransfer.objects.create(
        payment=old.order.payments.get(), vendor=vendor, gateway="sandbox",
        credit_account_id="W-1", amount=Decimal("10.00"), amount_cents=1000,
        status="succeeded", idempotency_key="t-1",
    )  # fmt: skip
    assert vendor_balance_available(vendor=vendor, as_of=later) == owed_old + owed_recent - 10
    assert vendor_balance(vendor=vendor) > owed_old + owed_recent  # the third one is held


def test_a_vendor_order_not_delivered_yet_is_held_whatever_its_age(two_vendors):
    # covers: PAY-1, PAY-2
    vo = buy([(two_vendors["wallet"], 1)]).vendor_orders.get()
    assert vo.delivered_at is None
    long_after = timezone.now() + timedelta(days=60)
    assert vendor_balance(vendor=vo.vendor) > 0
    assert vendor_balance_available(vendor=vo.vendor, as_of=long_after) == 0
