"""The demo's money side (issue 13): every vendor but the last has its payment wallet (opened
with its legal representative: the demo's vendor user, born in the vendor's city), bank
account and KYC documents validated by the sandbox provider; the last one still has its
documents to send (the portal's "Paiements" checklist). The demo's delivered order is dated
back past its withdrawal window, and one payout run pays its vendors, so the "Relevé" shows a
payout with its orders. One company's application waits in the console ("Candidatures
vendeurs").

Everything goes through the real services (sandbox provider only, like the demo orders),
outside any outer transaction: each step commits, and the sandbox provider answers then.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from stdnum import iban as stdnum_iban

from allies.catalog.models import Category
from allies.demo import words
from allies.payments.gateways.base import LegalRepresentative
from allies.vendors import legal
from allies.vendors.models import Vendor

logger = logging.getLogger(__name__)

# The smallest PDF the KYC checks accept: the sandbox provider validates what it receives.
_PDF_BODY = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
)
KYC_PDF = (
    _PDF_BODY
    + b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    + b"trailer<</Size 3/Root 1 0 R>>\nstartxref\n"
    + str(len(_PDF_BODY)).encode()
    + b"\n%%EOF\n"
)
DEMO_BIC = "AGRIFRPP"


@dataclass(frozen=True)
class _Document:
    """A KYC file as the attachment checks hand it over."""

    name: str
    content: bytes = KYC_PDF
    content_type: str = "application/pdf"


def demo_iban(index: int) -> str:
    """A French IBAN with valid check digits, one per demo vendor."""
    bban = f"3000600001{12345678900 + index:011d}89"
    return f"FR{stdnum_iban.calc_check_digits('FR??' + bban)}{bban}"


def demo_representative(index: int, vendor: Vendor) -> LegalRepresentative:
    """The demo vendor's legal representative: the person of its demo user (same names),
    an adult born in the vendor's city."""
    return LegalRepresentative(
        first_name=words.FIRST_NAMES[index % len(words.FIRST_NAMES)],
        last_name=words.LAST_NAMES[index % len(words.LAST_NAMES)],
        nationality=vendor.country or "FR",
        birth_date=date(1965 + index % 25, 1 + index % 12, 1 + (index * 7) % 28),
        birth_city=vendor.city or "Paris",
        birth_country=vendor.country or "FR",
    )


def demo_vendor_accounts_create(*, vendors: list[Vendor]) -> int:
    """Wallet, IBAN and KYC for each vendor (the last one's documents not sent). Returns how
    many vendors can be paid."""
    from allies.payments.accounts import REQUIRED_KINDS, kyc_document_submit, vendor_account_open
    from allies.payments.models import VendorAccount

    if settings.PAYMENT_GATEWAY != "sandbox":
        return 0
    validated = 0
    for index, vendor in enumerate(vendors):
        if VendorAccount.objects.filter(vendor=vendor).exists():
            continue
        with transaction.atomic():  # the sandbox answers once it commits
            vendor_account_open(
                vendor=vendor,
                iban=demo_iban(index),
                bic=DEMO_BIC,
                holder=vendor.legal_name,
                representative=demo_representative(index, vendor),
            )
        if index == len(vendors) - 1:
            break  # one vendor still has its documents to send
        for kind in REQUIRED_KINDS:
            with transaction.atomic():  # the sandbox answers once it commits
                document = _Document(f"{kind}.pdf")
                kyc_document_submit(vendor=vendor, kind=kind, uploaded_file=document)
        validated += VendorAccount.objects.filter(
            vendor=vendor, status=VendorAccount.Status.VALIDATED
        ).exists()
    return validated


def demo_payout_create() -> int:
    """Date the demo's delivered vendor orders back past their withdrawal window, then run
    the payouts once. Returns how many vendors were paid."""
    from allies.orders.closing import WITHDRAWAL_DAYS
    from allies.orders.models import VendorOrder
    from allies.payouts.models import PayoutRun
    from allies.payouts.services import payout_run

    if settings.PAYMENT_GATEWAY != "sandbox":
        return 0
    delivered = VendorOrder.objects.filter(delivered_at__isnull=False)
    back = timezone.now() - timedelta(days=WITHDRAWAL_DAYS + 6)
    # Demo fiction only: the delivery happened three weeks ago.
    delivered.update(delivered_at=back)
    run = payout_run(trigger=PayoutRun.Trigger.SCHEDULE)
    if run.errors:
        logger.warning("demo payout run: %s errors", run.errors)
    return run.payouts_made


def demo_application_create() -> None:
    """One company's application waiting for review."""
    from allies.onboarding.models import VendorApplication
    from allies.onboarding.services import vendor_application_submit

    if VendorApplication.objects.exists():
        return
    rng = random.Random(2026)
    siren = legal.siren_make(rng)
    vendor_application_submit(
        data={
            "name": "Maison Garance",
            "legal_name": "Maison Garance SARL",
            "legal_form": "SARL",
            "share_capital": "8 000 €",
            "country": "FR",
            "siret": legal.siret_make(siren),
            "vat_number": legal.fr_vat_number(siren),
            "rcs_city": "Nantes",
            "street": "12 quai de la Fosse",
            "postcode": "44000",
            "city": "Nantes",
            "contact_first_name": "Hélène",
            "contact_last_name": "Garance",
            "contact_email": "helene@maison-garance.test",
            "contact_phone": "02 40 00 00 00",
            "representative_first_name": "Hélène",
            "representative_last_name": "Garance",
            "representative_nationality": "FR",
            "representative_birth_date": date(1979, 5, 21),
            "representative_birth_city": "Nantes",
            "representative_birth_country": "FR",
            "sample_products": (
                "Cravate en soie tissée à Lyon, 69 €\nPochette en lin lavé, 35 €\n"
                "Bretelles en cuir, 79 €"
            ),
            "message": "Nous fabriquons des accessoires en petite série à Nantes depuis 2015.",
            "iban": demo_iban(99),
            "bic": DEMO_BIC,
            "account_holder": "Maison Garance SARL",
            "categories": list(Category.objects.order_by("id").values_list("pk", flat=True)[:2]),
        }
    )
