"""The portal's "Paiements" page: wallet, KYC checklist, uploads, bank account (PAY-1)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from allies.payments.models import KycDocument, VendorAccount
from allies.payments.storage import kyc_storage
from tests.factories import UserFactory, VendorFactory, VendorMembershipFactory
from tests.payments.factories import (
    BIC,
    IBAN,
    PDF_BYTES,
    kyc_document_sent,
    vendor_account_opened,
    vendor_account_validated,
)

pytestmark = pytest.mark.django_db
PAGE = "vendor_portal:payment_account"
UPLOAD = "vendor_portal:payment_account_document"


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.PAYMENT_GATEWAY = "sandbox"


@pytest.fixture
def vendor():
    return VendorFactory(legal_name="Atelier Dupont SARL")


@pytest.fixture
def member_client(client, vendor):
    user = UserFactory()
    VendorMembershipFactory(vendor=vendor, user=user)
    client.force_login(user)
    return client


def png_file(name="kbis.png"):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def stored_files() -> list[str]:
    storage = kyc_storage()
    try:
        return storage.listdir("vendors")[0]
    except FileNotFoundError:
        return []


def test_a_new_vendor_sees_what_is_missing_before_payouts(member_client):
    # covers: PAY-1
    response = member_client.get(reverse(PAGE))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Vos virements commenceront dès que vos documents seront validés." in page
    for label in ("Extrait Kbis", "Pièce d&#x27;identité du dirigeant", "RIB"):
        assert label in page
    assert "Indiquez le compte bancaire qui recevra vos virements." in page


REPRESENTATIVE_POST = {
    "representative_first_name": "Paul",
    "representative_last_name": "Dupont",
    "representative_nationality": "FR",
    "representative_birth_date": "1975-02-11",
    "representative_birth_city": "Dijon",
    "representative_birth_country": "FR",
}


def test_bank_details_open_the_wallet_and_show_the_iban_masked(
    member_client, vendor, django_capture_on_commit_callbacks
):
    # covers: PAY-1
    page = member_client.get(reverse(PAGE)).content.decode()
    assert "Le représentant légal de l'entreprise" in page  # asked with the first details
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            reverse(PAGE),
            {"iban": "FR76 3000 6000 0112 3456 7890 189", "bic": BIC, "holder": "X",
             **REPRESENTATIVE_POST},
        )  # fmt: skip
    assert response.status_code == 302
    account = VendorAccount.objects.get(vendor=vendor)
    assert account.iban == IBAN and account.account_id
    assert (account.representative_last_name, str(account.representative_birth_date)) == (
        "Dupont",
        "1975-02-11",
    )
    page = member_client.get(reverse(PAGE)).content.decode()
    assert "FR76 •••• •••• 0189" in page and IBAN not in page
    # The wallet is open: the representative is not asked again.
    assert "Le représentant légal de l'entreprise" not in page


def test_a_wallet_is_not_opened_without_the_legal_representative(member_client, vendor):
    # covers: PAY-1 (no wallet with made-up data)
    response = member_client.post(
        reverse(PAGE),
        {"iban": IBAN, "bic": BIC, "holder": "X", **REPRESENTATIVE_POST,
         "representative_first_name": "", "representative_birth_date": "2015-01-01"},
    )  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 422
    assert "Indiquez le prénom du représentant légal." in page
    assert not VendorAccount.objects.exists()
    response = member_client.post(
        reverse(PAGE),
        {"iban": IBAN, "bic": BIC, "holder": "X", **REPRESENTATIVE_POST,
         "representative_birth_date": "2015-01-01"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "doit être majeur" in response.content.decode()
    assert not VendorAccount.objects.exists()


def test_a_wrong_iban_is_refused_in_french_and_nothing_is_written(member_client, vendor):
    # covers: PAY-1
    response = member_client.post(
        reverse(PAGE),
        {"iban": "FR7630006000011234567890180", "bic": BIC, "holder": "X", **REPRESENTATIVE_POST},
    )
    assert response.status_code == 422
    assert "Cet IBAN n&#x27;est pas valide" in response.content.decode()
    assert not VendorAccount.objects.exists()


def test_uploading_a_document_puts_it_under_review_then_validated(
    member_client, vendor, django_capture_on_commit_callbacks
):
    # covers: PAY-1
    vendor_account_opened(vendor)
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(reverse(UPLOAD), {"kind": "kbis", "file": png_file()})
    assert response.status_code == 302
    document = KycDocument.objects.get(vendor=vendor)
    assert document.kind == "kbis" and document.content_type == "image/png"
    # The sandbox validated it through the notification entry point.
    assert document.status == KycDocument.Status.VALIDATED
    row = member_client.get(reverse(PAGE)).content.decode()
    assert "Validé" in row


def test_a_refused_document_shows_its_reason(member_client, vendor):
    # covers: PAY-1
    vendor_account_opened(vendor)
    kyc_document_sent(vendor, "id", name="piece-refusee.pdf")
    page = member_client.get(reverse(PAGE)).content.decode()
    assert "Refusé" in page and "Document refusé par notre prestataire de paiement." in page
    assert "Envoyez : Pièce d&#x27;identité du dirigeant." in page


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("kbis.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"),
        SimpleUploadedFile("kbis.pdf", b"%PDF-1.4 truncated", content_type="application/pdf"),
        SimpleUploadedFile("kbis.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", content_type="image/webp"),
    ],
    ids=["executable", "broken-pdf", "webp"],
)
def test_a_bad_file_is_refused_in_french_and_nothing_is_stored(member_client, vendor, upload):
    # covers: PAY-1
    vendor_account_opened(vendor)
    response = member_client.post(reverse(UPLOAD), {"kind": "kbis", "file": upload})
    assert response.status_code == 422
    page = response.content.decode()
    assert "field-invalid" in page
    assert not KycDocument.objects.exists() and stored_files() == []


def test_an_unknown_kind_or_no_file_changes_nothing(member_client, vendor):
    # covers: PAY-1
    pdf = SimpleUploadedFile("x.pdf", PDF_BYTES, content_type="application/pdf")
    assert member_client.post(reverse(UPLOAD), {"kind": "passport", "file": pdf}).status_code == 422
    response = member_client.post(reverse(UPLOAD), {"kind": "kbis"})
    assert response.status_code == 422
    assert "Choisissez le fichier à envoyer." in response.content.decode()
    assert not KycDocument.objects.exists()


def test_a_validated_vendor_is_told_payouts_go_to_its_bank(member_client, vendor):
    # covers: PAY-1
    vendor_account_validated(vendor)
    page = member_client.get(reverse(PAGE)).content.decode()
    assert "Votre compte de paiement est validé" in page
    assert "Vos virements commenceront" not in page


def test_the_page_does_a_bounded_number_of_queries(
    member_client, vendor, django_assert_max_num_queries
):
    # covers: PAY-1
    vendor_account_validated(vendor)
    for _ in range(5):  # replaced documents do not add queries
        kyc_document_sent(vendor, "kbis")
    with django_assert_max_num_queries(12):
        assert member_client.get(reverse(PAGE)).status_code == 200


def test_another_vendors_member_sees_and_changes_nothing_of_this_vendor(client, vendor):
    # covers: PAY-1
    vendor_account_validated(vendor)
    kyc_document_sent(vendor, "rib", name="rib-secret.pdf")
    other_user = UserFactory()
    VendorMembershipFactory(vendor=VendorFactory(), user=other_user)
    client.force_login(other_user)
    page = client.get(reverse(PAGE)).content.decode()
    assert "0189" not in page and "rib-secret" not in page
    assert "Vos virements commenceront" in page  # its own, empty account
    before = KycDocument.objects.filter(vendor=vendor).count()
    pdf = SimpleUploadedFile("x.pdf", PDF_BYTES, content_type="application/pdf")
    client.post(reverse(UPLOAD), {"kind": "kbis", "file": pdf})
    assert KycDocument.objects.filter(vendor=vendor).count() == before


@pytest.mark.parametrize("name", [PAGE, UPLOAD])
def test_visitors_and_customers_are_refused(client, name):
    # covers: PAY-1
    response = client.get(reverse(name))
    assert (
        response.status_code == 302
        and "/connexion" in response["Location"]
        or (response.status_code == 302)
    )
    client.force_login(UserFactory())
    assert client.get(reverse(PAGE)).status_code == 403
    assert client.post(reverse(UPLOAD), {"kind": "kbis"}).status_code == 403


def test_a_wallet_blocked_by_the_provider_is_said_so(member_client, vendor):
    # covers: PAY-1
    from allies.payments.gateways.sandbox import sandbox_wallet_block

    account = vendor_account_validated(vendor)
    sandbox_wallet_block(account_id=account.account_id)
    page = member_client.get(reverse(PAGE)).content.decode()
    assert "Bloqué par le prestataire de paiement" in page
    assert "Votre compte de paiement est bloqué par notre prestataire de paiement" in page
    assert "Votre compte de paiement est validé" not in page
