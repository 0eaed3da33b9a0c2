"""Vendors' wallets, KYC documents and bank accounts with the sandbox gateway (PAY-1)."""

from dataclasses import replace
from datetime import date

import pytest
from django.test import TestCase

from allies.payments.accounts import (
    VendorAccountError,
    kyc_document_submit,
    vendor_account_open,
    vendor_account_sync,
)
from allies.payments.gateways.base import GatewayError, MoneyOutOrder, TransferOrder
from allies.payments.gateways.sandbox import (
    SandboxGateway,
    sandbox_faults,
    sandbox_wallet_balance,
    sandbox_wallet_block,
)
from allies.payments.models import (
    KycDocument,
    PaymentNotification,
    SandboxOperation,
    VendorAccount,
    VendorAccountEvent,
)
from allies.payments.selectors import vendor_payout_account
from allies.payments.services import payment_notification_handle
from tests.factories import VendorFactory
from tests.payments.factories import (
    BIC,
    IBAN,
    IBAN_MASKED,
    PNG_BYTES,
    REPRESENTATIVE,
    Upload,
    kyc_document_sent,
    vendor_account_opened,
    vendor_account_validated,
)

pytestmark = pytest.mark.django_db


def test_opening_creates_the_wallet_and_registers_the_iban_normalised():
    # covers: PAY-1
    vendor = VendorFactory()
    account = vendor_account_opened(vendor, iban="fr76 3000 6000 0112 3456 7890 189")
    assert account.status == VendorAccount.Status.DOCUMENTS_PENDING
    assert account.account_id == f"ALLIES-V{vendor.pk:06d}"
    assert account.iban == IBAN and account.iban_masked == IBAN_MASKED
    assert account.iban_provider_id.startswith("SBXI-")
    assert account.iban_status == VendorAccount.IbanStatus.VALIDATED
    # Not payable before the KYC is validated.
    assert vendor_payout_account(vendor=vendor) is None


def test_opening_twice_creates_nothing_more():
    # covers: PAY-1
    vendor = VendorFactory()
    first = vendor_account_opened(vendor)
    again = vendor_account_opened(vendor)
    assert again.pk == first.pk and VendorAccount.objects.count() == 1
    assert SandboxOperation.objects.filter(kind="account").count() == 1
    assert SandboxOperation.objects.filter(kind="iban").count() == 1


def test_bad_iban_is_refused_in_french_and_nothing_is_written():
    # covers: PAY-1
    vendor = VendorFactory()
    with pytest.raises(VendorAccountError, match="IBAN n'est pas valide"):
        vendor_account_open(vendor=vendor, iban="FR7630006000011234567890180", bic=BIC, holder="X")
    with pytest.raises(VendorAccountError, match="BIC"):
        vendor_account_open(vendor=vendor, iban=IBAN, bic="12", holder="X")
    assert not VendorAccount.objects.exists()


def test_provider_timeout_leaves_a_retryable_account_that_a_rerun_finishes():
    # covers: PAY-1
    vendor = VendorFactory()
    sandbox_faults.fail_next("iban", "error")
    sandbox_faults.fail_next("account", "timeout")
    account = vendor_account_opened(vendor)
    # The wallet was opened at the provider, but we never heard back.
    assert account.account_id == "" and "timeout" not in account.status
    assert account.last_error.startswith("account_create")
    account = vendor_account_sync(account=account)
    assert account.account_id  # the same wallet, found by our reference
    assert SandboxOperation.objects.filter(kind="account").count() == 1
    # The IBAN was refused once (armed fault): the vendor's next save registers it.
    assert account.iban_status == VendorAccount.IbanStatus.REFUSED
    account = vendor_account_opened(vendor, iban="FR1420041010050500013M02606")
    assert account.iban_status == VendorAccount.IbanStatus.VALIDATED and not account.last_error


def test_three_validated_documents_make_the_vendor_payable():
    # covers: PAY-1
    vendor = VendorFactory()
    account = vendor_account_validated(vendor)
    assert account.validated_at is not None
    payout = vendor_payout_account(vendor=vendor)
    assert payout == (account.account_id, account.iban_provider_id, IBAN_MASKED)
    steps = list(VendorAccountEvent.objects.filter(account=account).values_list("to_status"))
    assert steps == [("documents_pending",), ("validated",)]
    # Each verdict came through the notification entry point, as LemonWay's would.
    notes = PaymentNotification.objects.filter(payload__NotifCategory="9")
    assert notes.count() == 3 and {n.outcome for n in notes} == {"applied"}


def test_a_refused_document_blocks_payouts_until_sent_again():
    # covers: PAY-1
    vendor = VendorFactory()
    vendor_account_opened(vendor)
    kyc_document_sent(vendor, "kbis")
    refused = kyc_document_sent(vendor, "id", name="carte-refusee.pdf")
    kyc_document_sent(vendor, "rib")
    assert refused.status == KycDocument.Status.REFUSED and refused.refusal_message
    account = VendorAccount.objects.get(vendor=vendor)
    assert account.status == VendorAccount.Status.REFUSED
    assert vendor_payout_account(vendor=vendor) is None
    kyc_document_sent(vendor, "id", name="carte.pdf")
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.VALIDATED
    assert vendor_payout_account(vendor=vendor) is not None


def test_documents_sent_before_the_wallet_exists_go_once_it_does():
    # covers: PAY-1
    vendor = VendorFactory()
    sandbox_faults.fail_next("account", "error")
    vendor_account_opened(vendor)
    document = kyc_document_sent(vendor, "kbis")
    assert document.sent_at is None and document.status == "pending"
    with TestCase.captureOnCommitCallbacks(execute=True):
        vendor_account_sync(account=VendorAccount.objects.get(vendor=vendor))
    document.refresh_from_db()
    assert document.status == KycDocument.Status.VALIDATED


def test_a_webp_or_unknown_file_is_refused_and_nothing_is_stored():
    # covers: PAY-1
    vendor = VendorFactory()
    with pytest.raises(VendorAccountError, match="PDF ou une photo JPEG ou PNG"):
        kyc_document_submit(
            vendor=vendor,
            kind="kbis",
            uploaded_file=Upload("x.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        )
    with pytest.raises(VendorAccountError):
        kyc_document_submit(
            vendor=vendor, kind="kbis", uploaded_file=Upload("x.png", PNG_BYTES, "application/pdf")
        )
    with pytest.raises(VendorAccountError):
        kyc_document_submit(vendor=vendor, kind="passport", uploaded_file=Upload("x.pdf"))
    assert not KycDocument.objects.exists() and not VendorAccount.objects.exists()


def test_kyc_notification_is_idempotent_and_checked_against_what_we_sent():
    # covers: PAY-1, PAY-3
    vendor = VendorFactory()
    vendor_account_opened(vendor)
    document = kyc_document_sent(vendor, "kbis")
    body = {
        "NotifCategory": "9",
        "ExtId": document.account.account_id,
        "DocId": document.provider_document_id,
        "DocType": "7",
        "Status": "2",
    }
    again = payment_notification_handle(gateway="sandbox", data=body)
    assert again.outcome == "duplicate"
    other = payment_notification_handle(
        gateway="sandbox", data={**body, "ExtId": "SOMEONE-ELSE", "Status": "3"}
    )
    assert other.outcome == "mismatch"
    wrong_type = payment_notification_handle(gateway="sandbox", data={**body, "DocType": "0"})
    assert wrong_type.outcome == "mismatch"
    unknown = payment_notification_handle(gateway="sandbox", data={**body, "DocId": "nope"})
    assert unknown.outcome == "unknown"
    document.refresh_from_db()
    assert document.status == KycDocument.Status.VALIDATED
    # A later refusal by the provider is applied, with its French reason.
    refused = payment_notification_handle(gateway="sandbox", data={**body, "Status": "5"})
    document.refresh_from_db()
    assert refused.outcome == "applied" and document.refusal_message == "Document expiré."


# --- the sandbox's P2P and money-out, and its fault hook -----------------------------------


def test_sandbox_transfer_then_money_out_are_re_read_by_reference():
    # covers: PAY-1
    vendor = VendorFactory()
    account = vendor_account_validated(vendor)
    gw = SandboxGateway()
    assert gw.fetch_transfer(reference="P-1") is None
    done = gw.transfer(
        credit_account_id=account.account_id, amount_cents=5000, comment="x", reference="P-1"
    )
    assert done.status == "succeeded"
    assert gw.fetch_transfer(reference="P-1") == done
    assert sandbox_wallet_balance(account_id=account.account_id) == 5000
    out = gw.money_out(
        account_id=account.account_id,
        iban_id=account.iban_provider_id,
        amount_cents=5000,
        comment="Virement",
        reference="M-1",
    )
    assert out.status == "succeeded" and gw.fetch_money_out(reference="M-1") == out
    assert sandbox_wallet_balance(account_id=account.account_id) == 0
    with pytest.raises(GatewayError) as refused:  # the wallet is empty now
        gw.money_out(
            account_id=account.account_id,
            iban_id=account.iban_provider_id,
            amount_cents=1,
            comment="",
            reference="M-2",
        )
    assert refused.value.definitive


def test_sandbox_faults_timeout_does_the_operation_error_does_nothing():
    # covers: PAY-1
    vendor = VendorFactory()
    account = vendor_account_validated(vendor)
    gw = SandboxGateway()
    sandbox_faults.fail_next("transfer", "timeout")
    with pytest.raises(GatewayError) as lost:
        gw.transfer(
            credit_account_id=account.account_id, amount_cents=700, comment="", reference="P-9"
        )
    assert not lost.value.definitive and lost.value.code == "timeout"
    assert gw.fetch_transfer(reference="P-9").status == "succeeded"
    sandbox_faults.fail_next("money_out", "error")
    with pytest.raises(GatewayError) as refused:
        gw.money_out(
            account_id=account.account_id,
            iban_id=account.iban_provider_id,
            amount_cents=700,
            comment="",
            reference="M-9",
        )
    assert refused.value.definitive and gw.fetch_money_out(reference="M-9") is None
    # Used once: the next money-out goes through.
    assert (
        gw.money_out(
            account_id=account.account_id,
            iban_id=account.iban_provider_id,
            amount_cents=700,
            comment="",
            reference="M-9",
        ).status
        == "succeeded"
    )
    with pytest.raises(ValueError):
        sandbox_faults.fail_next("refund", "timeout")


def test_a_sandbox_round_answers_each_order_as_a_lone_call_would():
    # covers: PAY-1 (a payout run's round of P2Ps, then of money-outs, in one go)
    first, second = (vendor_account_validated(VendorFactory()) for _ in range(2))
    gw = SandboxGateway()
    sandbox_faults.fail_next("money_out", "error")  # armed for another step: not used here
    sandbox_faults.fail_next("transfer", "error")
    sandbox_faults.fail_next("transfer", "timeout")
    answers = gw.transfers(
        [
            TransferOrder(first.account_id, 100, "", "P-A"),  # refused (first fault)
            TransferOrder(first.account_id, 3000, "", "P-B"),  # done, answer lost
            TransferOrder(second.account_id, 2000, "", "P-C"),
            TransferOrder("", 2000, "", "P-D"),  # no wallet
        ]
    )
    assert [type(a).__name__ for a in answers] == [
        "GatewayError", "GatewayError", "TransferResult", "GatewayError",
    ]  # fmt: skip
    assert answers[0].definitive and answers[1].code == "timeout" and answers[3].definitive
    assert gw.fetch_transfer(reference="P-A") is None
    assert gw.fetch_transfer(reference="P-B").status == "succeeded"
    assert gw.fetch_transfer(reference="P-C") == answers[2]
    # Money-outs: the wallet's balance is spent order by order within the round.
    outs = gw.money_outs(
        [
            MoneyOutOrder(first.account_id, first.iban_provider_id, 2000, "", "M-A"),
            MoneyOutOrder(first.account_id, first.iban_provider_id, 2000, "", "M-B"),
            MoneyOutOrder(first.account_id, second.iban_provider_id, 500, "", "M-C"),
            MoneyOutOrder(second.account_id, second.iban_provider_id, 2000, "", "M-D"),
            MoneyOutOrder(first.account_id, first.iban_provider_id, 2000, "", "M-E"),
        ]
    )
    assert outs[0].code == "fault"  # the money-out fault armed first
    assert outs[3].status == "succeeded"
    assert outs[1].status == "succeeded" and outs[2].code == "iban"  # not its IBAN
    assert outs[4].code == "balance"  # 3000 − 2000 left 1000 in the first wallet
    assert sandbox_wallet_balance(account_id=first.account_id) == 1000
    assert sandbox_wallet_balance(account_id=second.account_id) == 0
    assert gw.fetch_money_out(reference="M-A") is None
    assert gw.fetch_money_out(reference="M-E") is None


def test_the_every_minute_sweep_finishes_an_account_the_provider_left_half_open():
    # covers: PAY-1 — `vendor_accounts_sync` (serve's SWEEPS, cron in production)
    from io import StringIO

    from django.core.management import call_command

    vendor = VendorFactory()
    sandbox_faults.fail_next("account", "timeout")
    account = vendor_account_opened(vendor)
    assert account.account_id == ""  # opened at the provider, but we never heard back
    out = StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("vendor_accounts_sync", stdout=out)
    account.refresh_from_db()
    assert account.account_id and not account.last_error
    assert account.iban_status == VendorAccount.IbanStatus.VALIDATED
    assert SandboxOperation.objects.filter(kind="account").count() == 1  # not opened twice
    assert "1 vendor account(s) completed" in out.getvalue()


# --- the legal representative -----------------------------------------------------------------


def test_no_wallet_is_opened_without_the_legal_representative():
    # covers: PAY-1 (never made-up data at the provider)
    vendor = VendorFactory()
    with pytest.raises(VendorAccountError) as refused:
        vendor_account_open(vendor=vendor, iban=IBAN, bic=BIC, holder="X")
    assert refused.value.code == "representative"
    assert "représentant légal" in refused.value.message
    assert not VendorAccount.objects.exists() and not SandboxOperation.objects.exists()


def test_an_invalid_representative_is_refused_field_by_field_and_nothing_is_written():
    # covers: PAY-1
    vendor = VendorFactory()
    minor = replace(REPRESENTATIVE, birth_date=date(date.today().year - 17, 1, 1))
    with pytest.raises(VendorAccountError) as refused:
        vendor_account_open(vendor=vendor, iban=IBAN, bic=BIC, holder="X", representative=minor)
    assert set(refused.value.errors) == {"representative_birth_date"}
    assert "majeur" in refused.value.errors["representative_birth_date"]
    made_up = replace(REPRESENTATIVE, first_name="Test", nationality="XX")
    with pytest.raises(VendorAccountError) as refused:
        vendor_account_open(vendor=vendor, iban=IBAN, bic=BIC, holder="X", representative=made_up)
    assert set(refused.value.errors) == {
        "representative_first_name",
        "representative_nationality",
    }
    assert not VendorAccount.objects.exists()


def test_an_account_left_without_representative_waits_instead_of_calling_the_provider():
    # covers: PAY-1: an account row written before the representative was asked for
    vendor = VendorFactory()
    account = VendorAccount.objects.create(vendor=vendor, gateway="sandbox", iban=IBAN, bic=BIC)
    account = vendor_account_sync(account=account)
    assert account.account_id == ""
    assert account.last_error == "account_create: no legal representative"
    assert not SandboxOperation.objects.filter(kind="account").exists()
    # Given with the bank details, the wallet opens with it.
    account = vendor_account_opened(vendor)
    assert account.account_id and not account.last_error
    assert account.representative_first_name == REPRESENTATIVE.first_name
    op = SandboxOperation.objects.get(kind="account")
    assert "Hélène Dupont" in op.detail


def test_the_representative_of_an_open_wallet_is_not_replaced():
    # covers: PAY-1: the wallet keeps the person it was opened with
    vendor = VendorFactory()
    vendor_account_opened(vendor)
    other = replace(REPRESENTATIVE, first_name="Marc")
    account = vendor_account_opened(vendor, representative=other)
    assert account.representative_first_name == "Hélène"
    assert SandboxOperation.objects.filter(kind="account").count() == 1


# --- the wallet's status (category 8) in the sandbox -------------------------------------------


def test_the_sandbox_says_when_the_wallet_is_verified():
    # covers: PAY-1
    vendor = VendorFactory()
    account = vendor_account_validated(vendor)
    (note,) = PaymentNotification.objects.filter(payload__NotifCategory="8")
    assert note.payload["ExtId"] == account.account_id and note.payload["Status"] == "6"
    # The documents' own notifications validated the account first: nothing more to do.
    assert note.outcome == "duplicate"
    assert SandboxGateway().fetch_account(account_id=account.account_id).code == "6"


def test_a_blocked_sandbox_wallet_blocks_payouts_until_unblocked():
    # covers: PAY-1
    vendor = VendorFactory()
    account = vendor_account_validated(vendor)
    sandbox_wallet_block(account_id=account.account_id)
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.BLOCKED
    assert vendor_payout_account(vendor=vendor) is None
    # The vendor replaces a document: the account stays blocked.
    kyc_document_sent(vendor, "rib", name="rib-2.pdf")
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.BLOCKED
    sandbox_wallet_block(account_id=account.account_id, blocked=False)
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.VALIDATED
    assert vendor_payout_account(vendor=vendor) is not None
    steps = list(
        VendorAccountEvent.objects.filter(account=account).values_list("to_status", flat=True)
    )
    assert steps[-2:] == ["blocked", "validated"]


def test_a_wallet_notification_applied_twice_changes_nothing():
    # covers: PAY-1
    vendor = VendorFactory()
    account = vendor_account_opened(vendor)
    body = {"NotifCategory": "8", "ExtId": account.account_id, "Status": "3", "Blocked": "0"}
    kyc_document_sent(vendor, "kbis", name="kbis-refuse.pdf")  # the sandbox refuses it
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.REFUSED
    first = payment_notification_handle(gateway="sandbox", data=body)
    again = payment_notification_handle(gateway="sandbox", data=body)
    assert (first.outcome, again.outcome) == ("duplicate", "duplicate")
    assert VendorAccountEvent.objects.filter(account=account, to_status="refused").count() == 1
