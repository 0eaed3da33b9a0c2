"""Payout test setup (PAY-1).

Vendor orders are bought and paid through the real checkout and sandbox provider (the sale
entries are written by the ledger's hook), then moved to delivered at a chosen moment with
`deliver`, through the vendor order's transition function (the delivery flow itself, parcels
and carriers, is the orders app's business, tested there). A vendor is
made payable with `payable_account`: its wallet and IBAN opened at the sandbox provider, and
its payment account marked validated as the KYC flow would leave it.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from allies.orders.events import SYSTEM
from allies.orders.models import VendorOrder
from allies.orders.states import VendorOrderAction, vendor_order_transition
from allies.payments.gateways.sandbox import SandboxGateway, sandbox_faults
from allies.payments.models import VendorAccount
from tests.payments.factories import REPRESENTATIVE

PARIS = ZoneInfo("Europe/Paris")
# Delivered on Tuesday 1 December 2026 at 10:00, Paris: the window ends on the 15th at
# midnight, so the money is available from Wednesday 16 December 00:00.
DELIVERED_AT = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
AVAILABLE_AT = datetime(2026, 12, 16, 0, 0, tzinfo=PARIS)
IBAN = "FR7630006000011234567890189"


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.PAYMENT_GATEWAY = "sandbox"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sandbox_faults.clear()
    yield
    sandbox_faults.clear()


def deliver(vendor_order: VendorOrder, *, at: datetime = DELIVERED_AT) -> VendorOrder:
    """Move a paid vendor order through its stages to delivered at `at` (the rule reads its
    stage and moment), by the transition function as every move is made."""
    A = VendorOrderAction
    for action in (A.ACCEPT, A.SHIP_ALL, A.DELIVER):
        vendor_order_transition(vendor_order=vendor_order, action=action, actor=SYSTEM, now=at)
    vendor_order.refresh_from_db()
    return vendor_order


def payable_account(vendor) -> VendorAccount:
    """The vendor's wallet and IBAN at the sandbox provider, KYC validated."""
    gateway = SandboxGateway()
    reference = f"ALLIES-V{vendor.pk:06d}"
    account = gateway.account_create(
        reference=reference, legal_name=vendor.legal_name, email=vendor.email, country="FR",
        company_id=vendor.siret, representative=REPRESENTATIVE,
    )  # fmt: skip
    iban = gateway.iban_register(
        account_id=account.account_id, holder=vendor.legal_name, iban=IBAN, bic="BNPAFRPP",
        reference=f"{reference}-IBAN",
    )  # fmt: skip
    return VendorAccount.objects.create(
        vendor=vendor, gateway="sandbox", account_id=account.account_id,
        status=VendorAccount.Status.VALIDATED, iban=IBAN, bic="BNPAFRPP",
        holder=vendor.legal_name, iban_provider_id=iban.provider_id,
        iban_status=VendorAccount.IbanStatus.VALIDATED,
    )  # fmt: skip
