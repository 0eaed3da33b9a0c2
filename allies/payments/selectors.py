"""Reads on payments that carry a rule: where a vendor can be paid, and what its "Paiements"
page shows (only that vendor's own account and documents)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from allies.payments.accounts import REQUIRED_KINDS
from allies.payments.models import KycDocument, VendorAccount
from allies.vendors.models import Vendor


class PayoutAccount(NamedTuple):
    account_id: str
    iban_id: str
    iban_masked: str


def vendor_payout_account(*, vendor: Vendor) -> PayoutAccount | None:
    """Where the vendor's payouts go: (wallet id, provider's IBAN id, masked IBAN), or None
    while the vendor cannot be paid: no wallet, KYC not validated, or no IBAN activated by
    the provider (LemonWay pays out only to an IBAN of status 5). One query."""
    account = (
        VendorAccount.objects.filter(vendor_id=vendor.pk)
        .only("account_id", "status", "iban", "iban_provider_id", "iban_status")
        .first()
    )
    if (
        account is None
        or not account.account_id
        or account.status != VendorAccount.Status.VALIDATED
        or not account.iban_provider_id
        or account.iban_status != VendorAccount.IbanStatus.VALIDATED
    ):
        return None
    return PayoutAccount(account.account_id, account.iban_provider_id, account.iban_masked)


@dataclass(frozen=True)
class KycChecklistItem:
    kind: str
    label: str
    document: KycDocument | None  # the latest one sent for this kind


@dataclass(frozen=True)
class VendorAccountOverview:
    account: VendorAccount | None
    checklist: list[KycChecklistItem]
    payable: bool
    missing: list[str]  # the kinds still to send or to send again


def vendor_account_overview(*, vendor: Vendor) -> VendorAccountOverview:
    """The vendor's own wallet state and KYC checklist (two queries)."""
    account = VendorAccount.objects.filter(vendor_id=vendor.pk).first()
    latest: dict[str, KycDocument] = {}
    if account is not None:
        for document in KycDocument.objects.filter(account=account, vendor_id=vendor.pk).order_by(
            "created_at", "id"
        ):
            latest[document.kind] = document
    labels = dict(KycDocument.Kind.choices)
    checklist = [KycChecklistItem(k, str(labels[k]), latest.get(k)) for k in REQUIRED_KINDS]
    missing = [
        item.kind
        for item in checklist
        if item.document is None or item.document.status == KycDocument.Status.REFUSED
    ]
    payable = (
        account is not None
        and account.status == VendorAccount.Status.VALIDATED
        and bool(account.iban_provider_id)
        and account.iban_status == VendorAccount.IbanStatus.VALIDATED
    )
    return VendorAccountOverview(account, checklist, payable, missing)
