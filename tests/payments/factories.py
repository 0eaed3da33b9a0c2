"""Helpers for tests that need a vendor who can be paid (or nearly): they go through the real
services and the sandbox gateway, so the KYC notifications run as in production.

    from tests.payments.factories import vendor_account_validated
    account = vendor_account_validated(vendor)        # wallet + IBAN + 3 validated documents
    vendor_payout_account(vendor=vendor)              # -> (account_id, iban_id, "FR76 •••• …")
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.test import TestCase

from allies.payments.accounts import REQUIRED_KINDS, kyc_document_submit, vendor_account_open
from allies.payments.gateways.base import LegalRepresentative
from allies.payments.models import KycDocument, VendorAccount

IBAN = "FR7630006000011234567890189"
IBAN_MASKED = "FR76 •••• •••• 0189"
BIC = "AGRIFRPP"
# The smallest files the KYC checks accept (they are only sniffed by payments).
_PDF_BODY = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
)
PDF_BYTES = (
    _PDF_BODY
    + b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    + b"trailer<</Size 3/Root 1 0 R>>\nstartxref\n"
    + str(len(_PDF_BODY)).encode()
    + b"\n%%EOF\n"
)
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@dataclass(frozen=True)
class Upload:
    """What the attachment checks hand over (support.attachments.CheckedFile's shape)."""

    name: str
    content: bytes = PDF_BYTES
    content_type: str = "application/pdf"


# The company's legal representative its wallet is opened with.
REPRESENTATIVE = LegalRepresentative(
    first_name="Hélène",
    last_name="Dupont",
    nationality="FR",
    birth_date=date(1978, 4, 12),
    birth_city="Lyon",
    birth_country="FR",
)


def vendor_account_opened(
    vendor, *, iban: str = IBAN, bic: str = BIC, representative=REPRESENTATIVE
) -> VendorAccount:
    with TestCase.captureOnCommitCallbacks(execute=True):
        vendor_account_open(
            vendor=vendor,
            iban=iban,
            bic=bic,
            holder=vendor.legal_name,
            representative=representative,
        )
    return VendorAccount.objects.get(vendor=vendor)


def kyc_document_sent(vendor, kind: str, *, name: str = "") -> KycDocument:
    """Send one document; the sandbox validates it at once (refuses it if `name` says "refus")."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        document = kyc_document_submit(
            vendor=vendor, kind=kind, uploaded_file=Upload(name or f"{kind}.pdf"), by=None
        )
    return KycDocument.objects.get(pk=document.pk)


def vendor_account_validated(vendor, *, iban: str = IBAN) -> VendorAccount:
    """A vendor whose wallet, IBAN and KYC are validated in the sandbox: it can be paid."""
    vendor_account_opened(vendor, iban=iban)
    for kind in REQUIRED_KINDS:
        kyc_document_sent(vendor, kind)
    account = VendorAccount.objects.get(vendor=vendor)
    assert account.status == VendorAccount.Status.VALIDATED, account.last_error
    return account
