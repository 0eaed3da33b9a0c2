"""The LemonWay gateway's wallets, KYC, P2P and money-out, against the local fake (PAY-1)."""

import base64
from datetime import date

import pytest
from django.test import TestCase
from django.urls import reverse

from allies.onboarding.services import vendor_application_approve
from allies.payments.accounts import vendor_account_sync
from allies.payments.gateways import get_gateway
from allies.payments.gateways.base import BLOCKED, FAILED, PENDING, SUCCEEDED, GatewayError
from allies.payments.models import (
    KycDocument,
    PaymentNotification,
    VendorAccount,
    VendorAccountEvent,
)
from allies.payments.selectors import vendor_payout_account
from tests.factories import VendorFactory
from tests.payments.factories import (
    IBAN,
    IBAN_MASKED,
    PDF_BYTES,
    REPRESENTATIVE,
    kyc_document_sent,
    vendor_account_opened,
)

pytestmark = pytest.mark.django_db


def notify_document(client, document, status, doc_type):
    data = {
        "NotifCategory": "9",
        "NotifDate": "2026-12-03T10:00:00.000",
        "IntId": "77",
        "ExtId": document.account.account_id,
        "DocId": document.provider_document_id,
        "DocType": doc_type,
        "Status": status,
    }
    return client.post(reverse("payments:notification", kwargs={"gateway": "lemonway"}), data)


@pytest.fixture
def vendor(db):
    return VendorFactory(legal_name="Atelier Dupont SARL", siret="73282932000074", country="FR")


def test_opening_sends_the_legal_account_then_the_iban(lemonway, vendor):
    # covers: PAY-1
    account = vendor_account_opened(vendor)
    (create,) = lemonway.calls("POST", "/v2/accounts/legal")
    body = create["json"]
    assert body["accountId"] == account.account_id == f"ALLIES-V{vendor.pk:06d}"
    assert body["payerOrBeneficiary"] == 2
    assert body["company"]["name"] == "Atelier Dupont SARL"
    assert body["company"]["identificationNumber"] == "73282932000074"
    # The person named is the company's legal representative, as LemonWay asks for it.
    assert (body["firstName"], body["lastName"], body["nationality"]) == ("Hélène", "Dupont", "FRA")
    assert body["birth"] == {"date": "1978/04/12", "city": "Lyon", "country": "FRA"}
    (iban,) = lemonway.calls("POST", "/v2/moneyouts/iban")
    assert iban["json"]["iban"] == IBAN and iban["json"]["accountId"] == account.account_id
    assert account.iban_status == VendorAccount.IbanStatus.VALIDATED
    assert account.iban_provider_id == str(next(iter(lemonway.ibans)))


def test_a_lost_answer_at_account_creation_is_finished_by_a_rerun(lemonway, vendor):
    # covers: PAY-1
    lemonway.fail_next("/v2/accounts/legal", "timeout_after")
    account = vendor_account_opened(vendor)
    assert account.account_id == "" and account.last_error
    assert account.reference in lemonway.accounts  # LemonWay did create it
    account = vendor_account_sync(account=account)
    # The second creation is refused (the wallet exists); reading it back settles it.
    assert account.account_id == account.reference and not account.last_error
    assert len(lemonway.calls("POST", "/v2/accounts/legal")) == 2
    assert account.status == VendorAccount.Status.DOCUMENTS_PENDING


def test_documents_are_uploaded_and_validated_by_category_9_notifications(lemonway, vendor, client):
    # covers: PAY-1, PAY-3
    vendor_account_opened(vendor)
    kbis = kyc_document_sent(vendor, "kbis")
    ident = kyc_document_sent(vendor, "id")
    rib = kyc_document_sent(vendor, "rib")
    uploads = lemonway.calls("POST", "/documents/upload")
    assert [u["json"]["type"] for u in uploads] == [7, 0, 2]
    assert base64.b64decode(uploads[0]["json"]["buffer"]) == PDF_BYTES
    assert kbis.status == "pending" and kbis.provider_document_id
    for document, doc_type in ((kbis, "7"), (ident, "0"), (rib, "2")):
        assert notify_document(client, document, "2", doc_type).status_code == 200
    account = VendorAccount.objects.get(vendor=vendor)
    assert account.status == VendorAccount.Status.VALIDATED
    assert vendor_payout_account(vendor=vendor) == (
        account.account_id,
        account.iban_provider_id,
        IBAN_MASKED,
    )
    # LemonWay withdraws the ID (expired): payouts stop, the vendor sees why.
    notify_document(client, ident, "5", "0")
    ident.refresh_from_db()
    assert ident.status == KycDocument.Status.REFUSED and ident.refusal_message
    assert vendor_payout_account(vendor=vendor) is None


def test_upload_timeout_is_retried_by_the_sync(lemonway, vendor):
    # covers: PAY-1
    vendor_account_opened(vendor)
    lemonway.fail_next("/documents/upload", "timeout")
    document = kyc_document_sent(vendor, "kbis")
    assert document.sent_at is None and not document.provider_document_id
    with TestCase.captureOnCommitCallbacks(execute=True):
        vendor_account_sync(account=document.account)
    document.refresh_from_db()
    assert document.sent_at and document.provider_document_id


def test_p2p_and_money_out_are_sent_and_re_read_by_reference(lemonway, vendor):
    # covers: PAY-1
    account = vendor_account_opened(vendor)
    gw = get_gateway("lemonway")
    assert gw.fetch_transfer(reference="PAYOUT-1-P2P") is None
    p2p = gw.transfer(
        credit_account_id=account.account_id,
        amount_cents=12000,
        comment="Virement Alliés",
        reference="PAYOUT-1-P2P",
    )
    assert p2p.status == "succeeded"
    (call,) = lemonway.calls("POST", "/v2/p2p")
    assert call["json"]["debitAccountId"] == "ALLIES-SC" and call["json"]["amount"] == 12000
    assert gw.fetch_transfer(reference="PAYOUT-1-P2P") == p2p
    out = gw.money_out(
        account_id=account.account_id,
        iban_id=account.iban_provider_id,
        amount_cents=12000,
        comment="Virement Alliés",
        reference="PAYOUT-1-OUT",
    )
    assert out.status == "succeeded" and out.provider_id
    (sent,) = [c for c in lemonway.calls("POST", "/v2/moneyouts") if c["path"].endswith("outs")]
    assert sent["json"]["ibanId"] == int(account.iban_provider_id)
    assert sent["json"]["totalAmount"] == 12000 and sent["json"]["commissionAmount"] == 0
    assert sent["json"]["reference"] == "PAYOUT-1-OUT"
    assert gw.fetch_money_out(reference="PAYOUT-1-OUT") == out
    assert gw.fetch_money_out(reference="PAYOUT-2-OUT") is None


def test_money_out_timeout_is_not_definitive_and_the_re_read_finds_it(lemonway, vendor):
    # covers: PAY-1
    account = vendor_account_opened(vendor)
    gw = get_gateway("lemonway")
    gw.transfer(credit_account_id=account.account_id, amount_cents=500, comment="", reference="T-1")
    lemonway.fail_next("/v2/moneyouts", "timeout_after")
    with pytest.raises(GatewayError) as lost:
        gw.money_out(
            account_id=account.account_id,
            iban_id=account.iban_provider_id,
            amount_cents=500,
            comment="",
            reference="M-1",
        )
    assert not lost.value.definitive
    assert gw.fetch_money_out(reference="M-1").status == "succeeded"
    assert lemonway.balances[account.account_id] == 0


def test_money_out_error_is_definitive_and_nothing_is_paid(lemonway, vendor):
    # covers: PAY-1
    account = vendor_account_opened(vendor)
    gw = get_gateway("lemonway")
    gw.transfer(credit_account_id=account.account_id, amount_cents=500, comment="", reference="T-2")
    lemonway.fail_next("/v2/moneyouts", "error")
    with pytest.raises(GatewayError) as refused:
        gw.money_out(
            account_id=account.account_id,
            iban_id=account.iban_provider_id,
            amount_cents=500,
            comment="",
            reference="M-2",
        )
    assert refused.value.definitive
    assert gw.fetch_money_out(reference="M-2") is None
    assert lemonway.balances[account.account_id] == 500
    # More than the wallet holds: LemonWay refuses it too.
    with pytest.raises(GatewayError) as short:
        gw.money_out(
            account_id=account.account_id,
            iban_id=account.iban_provider_id,
            amount_cents=501,
            comment="",
            reference="M-3",
        )
    assert short.value.definitive


def test_an_iban_waiting_for_checks_is_payable_once_lemonway_activates_it(lemonway, vendor, client):
    # covers: PAY-1
    lemonway.iban_status = 4  # waiting to be verified by LemonWay
    account = vendor_account_opened(vendor)
    assert account.iban_status == VendorAccount.IbanStatus.PENDING
    documents = [kyc_document_sent(vendor, kind) for kind in ("kbis", "id")]
    for document, doc_type in zip(documents, ("7", "0"), strict=True):
        notify_document(client, document, "2", doc_type)
    assert vendor_payout_account(vendor=vendor) is None
    rib = kyc_document_sent(vendor, "rib")
    lemonway.set_iban_status(account.iban_provider_id, 5)  # the RIB let LemonWay check it
    notify_document(client, rib, "2", "2")
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.VALIDATED
    assert account.iban_status == VendorAccount.IbanStatus.VALIDATED
    assert vendor_payout_account(vendor=vendor) is not None


def test_the_representative_of_another_nationality_is_sent_in_alpha_3(lemonway, vendor):
    # covers: PAY-1
    born_abroad = REPRESENTATIVE.__class__(
        first_name="Jan", last_name="Peeters", nationality="BE", birth_date=date(1969, 12, 31),
        birth_city="Gent", birth_country="MA",
    )  # fmt: skip
    vendor_account_opened(vendor, representative=born_abroad)
    (create,) = lemonway.calls("POST", "/v2/accounts/legal")
    assert create["json"]["nationality"] == "BEL"
    assert create["json"]["birth"] == {"date": "1969/12/31", "city": "Gent", "country": "MAR"}


# --- category 8: the wallet's status changed --------------------------------------------------


def notify_wallet(client, account_id, status, blocked="0"):
    data = {
        "NotifCategory": "8",
        "NotifDate": "2026-12-03T10:00:00.000",
        "IntId": "77",
        "ExtId": account_id,
        "Status": status,
        "Blocked": blocked,
    }
    return client.post(reverse("payments:notification", kwargs={"gateway": "lemonway"}), data)


def wallet_notes():
    return list(
        PaymentNotification.objects.filter(payload__NotifCategory="8")
        .order_by("id")
        .values_list("outcome", flat=True)
    )


def test_the_wallet_status_is_read_from_lemonway(lemonway, vendor):
    # covers: PAY-1
    account = vendor_account_opened(vendor)
    gw = get_gateway("lemonway")
    assert gw.fetch_account(account_id=account.account_id).status == PENDING  # 2
    for code, status in ((6, SUCCEEDED), (3, FAILED), (8, FAILED), (12, BLOCKED), (14, "")):
        lemonway.set_account_status(account.account_id, code)
        state = gw.fetch_account(account_id=account.account_id)
        assert (state.status, state.code) == (status, str(code))
    lemonway.set_account_status(account.account_id, 6, blocked=True)
    assert gw.fetch_account(account_id=account.account_id).status == BLOCKED
    assert gw.fetch_account(account_id="ALLIES-V999999") is None
    assert lemonway.calls("GET", f"/v2/accounts/{account.account_id}")


def test_kyc_2_validates_the_wallet_and_a_duplicate_changes_nothing(lemonway, vendor, client):
    # covers: PAY-1
    account = vendor_account_opened(vendor)
    lemonway.set_account_status(account.account_id, 6)
    assert notify_wallet(client, account.account_id, "6").status_code == 200
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.VALIDATED and account.validated_at
    assert vendor_payout_account(vendor=vendor) is not None
    assert notify_wallet(client, account.account_id, "6").status_code == 200
    assert wallet_notes() == ["applied", "duplicate"]
    event = VendorAccountEvent.objects.filter(account=account).latest("id")
    assert (event.to_status, event.source) == ("validated", "provider")
    assert event.note == "wallet status 6"


def test_the_body_is_never_trusted_lemonway_is_re_read(lemonway, vendor, client):
    # covers: PAY-1
    account = vendor_account_opened(vendor)
    # A forged or stale "verified": LemonWay still says documents missing.
    notify_wallet(client, account.account_id, "6")
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.DOCUMENTS_PENDING
    assert vendor_payout_account(vendor=vendor) is None
    # A late "documents missing" after LemonWay verified the wallet: the re-read wins.
    lemonway.set_account_status(account.account_id, 6)
    notify_wallet(client, account.account_id, "2")
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.VALIDATED
    note = PaymentNotification.objects.filter(payload__NotifCategory="8").latest("id")
    assert "the notification said 2" in note.detail


def test_a_blocked_wallet_stops_payouts_until_lemonway_lifts_the_block(lemonway, vendor, client):
    # covers: PAY-1
    account = vendor_account_opened(vendor)
    documents = [kyc_document_sent(vendor, kind) for kind in ("kbis", "id", "rib")]
    for document, doc_type in zip(documents, ("7", "0", "2"), strict=True):
        notify_document(client, document, "2", doc_type)
    assert vendor_payout_account(vendor=vendor) is not None
    lemonway.set_account_status(account.account_id, 6, blocked=True)
    notify_wallet(client, account.account_id, "6", blocked="1")
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.BLOCKED
    assert vendor_payout_account(vendor=vendor) is None
    # A new document sent and validated meanwhile does not unblock it.
    replaced = kyc_document_sent(vendor, "id", name="passeport.pdf")
    notify_document(client, replaced, "2", "0")
    replaced.refresh_from_db()
    account.refresh_from_db()
    assert replaced.status == KycDocument.Status.VALIDATED
    assert account.status == VendorAccount.Status.BLOCKED
    lemonway.set_account_status(account.account_id, 6, blocked=False)
    notify_wallet(client, account.account_id, "6")
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.VALIDATED
    assert vendor_payout_account(vendor=vendor) is not None


def test_rejected_or_expired_documents_refuse_the_wallet(lemonway, vendor, client):
    # covers: PAY-1
    account = vendor_account_opened(vendor)
    lemonway.set_account_status(account.account_id, 8)  # documents expired
    notify_wallet(client, account.account_id, "8")
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.REFUSED
    # Back to "documents missing": waiting for the vendor's documents again.
    lemonway.set_account_status(account.account_id, 2)
    notify_wallet(client, account.account_id, "2")
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.DOCUMENTS_PENDING


def test_unknown_unreadable_and_unused_wallet_notifications_are_recorded_only(
    lemonway, vendor, client
):
    # covers: PAY-1
    account = vendor_account_opened(vendor)
    assert notify_wallet(client, "SOMEONE-ELSE", "6").status_code == 200
    assert notify_wallet(client, "", "6").status_code == 200
    lemonway.set_account_status(account.account_id, 14)  # one-time customer: not ours
    assert notify_wallet(client, account.account_id, "14").status_code == 200
    notes = PaymentNotification.objects.filter(payload__NotifCategory="8").order_by("id")
    assert [n.outcome for n in notes] == ["ignored", "invalid", "ignored"]
    assert "not a vendor wallet of ours" in notes[0].detail
    assert "provider status 14" in notes[2].detail
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.DOCUMENTS_PENDING
    # No re-read for a wallet that is not ours.
    assert not lemonway.calls("GET", "/v2/accounts/SOMEONE-ELSE")


def test_lemonway_unreachable_asks_for_the_notification_again(lemonway, vendor, client):
    # covers: PAY-1
    account = vendor_account_opened(vendor)
    lemonway.set_account_status(account.account_id, 6)
    lemonway.fail_next(f"/v2/accounts/{account.account_id}", "500")
    assert notify_wallet(client, account.account_id, "6").status_code == 503
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.DOCUMENTS_PENDING
    assert notify_wallet(client, account.account_id, "6").status_code == 200
    account.refresh_from_db()
    assert account.status == VendorAccount.Status.VALIDATED
    assert wallet_notes() == ["error", "applied"]


def test_an_approved_application_opens_the_wallet_with_its_representative(lemonway, db):
    # covers: VEN-1, PAY-1
    from tests.onboarding.factories import reviewer, submitted

    application = submitted(
        representative_first_name="Élodie", representative_last_name="Marchand",
        representative_nationality="PT", representative_birth_date="1983-11-02",
        representative_birth_city="Porto", representative_birth_country="PT",
    )  # fmt: skip
    with TestCase.captureOnCommitCallbacks(execute=True):
        vendor = vendor_application_approve(application=application, by=reviewer())
    (create,) = lemonway.calls("POST", "/v2/accounts/legal")
    body = create["json"]
    assert (body["firstName"], body["lastName"], body["nationality"]) == (
        "Élodie",
        "Marchand",
        "PRT",
    )
    assert body["birth"] == {"date": "1983/11/02", "city": "Porto", "country": "PRT"}
    assert body["company"]["name"] == application.legal_name
    assert VendorAccount.objects.get(vendor=vendor).account_id == body["accountId"]
