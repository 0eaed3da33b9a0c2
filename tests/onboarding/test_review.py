"""Staff review an application: ask for changes (the applicant edits through the emailed
link), approve (vendor, first user, shipping, payment account) or reject."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from allies.onboarding.models import ApplicationStage, VendorApplication
from allies.onboarding.services import (
    DEFAULT_SHIPPING_RATES,
    ApplicationError,
    application_edit_token,
    vendor_application_approve,
    vendor_application_reject,
    vendor_application_request_changes,
)
from allies.onboarding.states import ApplicationTransitionNotAllowed
from allies.payments.models import VendorAccount
from allies.shipping.models import ShippingRate
from allies.vendors.models import Vendor, VendorMembership
from tests.accounts.conftest import link_in, login
from tests.factories import UserFactory, VendorFactory, VendorMembershipFactory
from tests.onboarding.factories import (
    application_data,
    form_post,
    reviewer,
    submitted,
    suspender,
)

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Cuir-fauve-1987?"


def _edit_path(message) -> str:
    return link_in(message, prefix=reverse("storefront:become_vendor_edit"))


def test_changes_requested_then_applicant_edits_through_the_link_and_resubmits(client):
    # covers: VEN-1 (ask for changes → edit with a signed link → resubmitted)
    application = submitted()
    staff = reviewer()
    mail.outbox.clear()
    vendor_application_request_changes(
        application=application, by=staff, note="Le BIC ne correspond pas à votre banque."
    )
    [email] = mail.outbox
    assert email.to == [application.contact_email]
    assert "Le BIC ne correspond pas" in email.body
    edit = _edit_path(email)
    page = client.get(edit)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Le BIC ne correspond pas" in html and application.legal_name in html
    data = application_data(
        siret=application.siret, vat_number=application.vat_number,
        contact_email=application.contact_email, bic="CRLYFRPPXXX",
        categories=[c.pk for c in application.categories.all()],
    )  # fmt: skip
    token = edit.split("jeton=")[1]
    response = client.post(
        reverse("storefront:become_vendor_edit"), {**form_post(data), "jeton": token}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.stage == ApplicationStage.RESUBMITTED
    assert application.bic == "CRLYFRPPXXX"
    assert [(e.to_stage, e.actor) for e in application.events.all()] == [
        ("submitted", None), ("changes", staff), ("resubmitted", None),
    ]  # fmt: skip
    # The link served once: the application is back with staff.
    assert client.get(edit).status_code == 404


def test_edit_link_refused_when_forged_superseded_or_expired(client, settings):
    # covers: VEN-1
    application = submitted()
    staff = reviewer()
    vendor_application_request_changes(application=application, by=staff, note="SIRET ?")
    application.refresh_from_db()
    old = application_edit_token(application=application)
    url = reverse("storefront:become_vendor_edit")
    assert client.get(f"{url}?jeton={old}").status_code == 200
    assert client.get(f"{url}?jeton={old[:-2]}xx").status_code == 404
    assert client.get(url).status_code == 404
    # Staff ask again (after a resubmission): only the newest link works.
    VendorApplication.objects.filter(pk=application.pk).update(stage=ApplicationStage.RESUBMITTED)
    vendor_application_request_changes(application=application, by=staff, note="Et la TVA ?")
    assert client.get(f"{url}?jeton={old}").status_code == 404
    application.refresh_from_db()
    assert (
        client.get(f"{url}?jeton={application_edit_token(application=application)}").status_code
        == 200
    )


def test_edit_form_shows_errors_and_keeps_the_application_waiting(client):
    # covers: VEN-1
    application = submitted()
    vendor_application_request_changes(application=application, by=reviewer(), note="IBAN ?")
    application.refresh_from_db()
    token = application_edit_token(application=application)
    data = application_data(
        siret=application.siret, vat_number=application.vat_number,
        iban="FR76 3000 6000 0112 3456 7890 188",
    )  # fmt: skip
    response = client.post(
        reverse("storefront:become_vendor_edit"), {**form_post(data), "jeton": token}
    )
    assert response.status_code == 400
    assert "Cet IBAN est erroné" in response.content.decode()
    application.refresh_from_db()
    assert application.stage == ApplicationStage.CHANGES_REQUESTED


def test_approval_creates_vendor_user_membership_shipping_and_payment_account(
    django_capture_on_commit_callbacks,
):
    # covers: VEN-1 (approval), PAY-1 (wallet opened at the provider)
    application = submitted(name="Maison Dumas")
    VendorFactory(slug="maison-dumas")  # the obvious slug is taken
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        vendor = vendor_application_approve(application=application, by=reviewer())
    assert vendor.slug == "maison-dumas-2" and vendor.is_active
    assert (vendor.legal_name, vendor.siret, vendor.vat_number) == (
        application.legal_name, application.siret, application.vat_number,
    )  # fmt: skip
    membership = VendorMembership.objects.select_related("user").get(vendor=vendor)
    user = membership.user
    assert user.email == application.contact_email and user.first_name == "Claire"
    application.refresh_from_db()
    assert application.stage == ApplicationStage.APPROVED and application.vendor == vendor
    rates = ShippingRate.objects.filter(vendor=vendor, is_active=True)
    assert rates.count() == len(DEFAULT_SHIPPING_RATES)
    assert {r.zone for r in rates.filter(mode="home")} == {"FR", "CORSE", "BE"}
    account = VendorAccount.objects.get(vendor=vendor)
    assert account.iban == "FR7630006000011234567890189" and account.bic == "BNPAFRPPXXX"
    assert account.account_id  # the sandbox provider opened the wallet after the commit
    assert account.status != VendorAccount.Status.VALIDATED  # not paid before KYC
    [email] = mail.outbox
    assert email.to == [user.email]
    assert "/compte/mot-de-passe/" in email.body and "Kbis" in email.body


def test_the_new_vendor_sets_its_password_from_the_email_and_reaches_the_portal(client):
    # covers: VEN-1 (set-password email through the accounts' reset link)
    application = submitted()
    mail.outbox.clear()
    vendor_application_approve(application=application, by=reviewer())
    link = link_in(mail.outbox[0], prefix="/compte/mot-de-passe/")
    page = client.get(link, follow=True)
    form_url = page.redirect_chain[-1][0]
    done = client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert done.status_code == 200
    assert login(client, application.contact_email, NEW_PASSWORD).status_code == 302
    portal = client.get(reverse("vendor_portal:dashboard"))
    assert portal.status_code == 200
    assert application.name in portal.content.decode()


def test_an_existing_customer_account_becomes_the_vendors_user_without_a_new_password():
    # covers: VEN-1
    customer = UserFactory(email="claire.client@atelier.test")
    application = submitted(contact_email="Claire.Client@atelier.test")
    mail.outbox.clear()
    vendor = vendor_application_approve(application=application, by=reviewer())
    assert VendorMembership.objects.get(vendor=vendor).user == customer
    assert "/compte/mot-de-passe/" not in mail.outbox[0].body


def test_approval_refused_for_a_deactivated_account_and_nothing_is_created():
    # covers: VEN-1, ACC-7
    UserFactory(email="ferme@atelier.test", is_active=False)
    application = submitted(contact_email="ferme@atelier.test")
    with pytest.raises(ApplicationError):
        vendor_application_approve(application=application, by=reviewer())
    application.refresh_from_db()
    assert application.stage == ApplicationStage.SUBMITTED
    assert not Vendor.objects.filter(siret=application.siret).exists()


def test_rejection_emails_the_reason_and_is_final():
    # covers: VEN-1
    application = submitted()
    staff = reviewer()
    mail.outbox.clear()
    with pytest.raises(ApplicationError):
        vendor_application_reject(application=application, by=staff, note="  ")
    vendor_application_reject(application=application, by=staff, note="Hors de notre univers.")
    application.refresh_from_db()
    assert application.stage == ApplicationStage.REJECTED and application.decided_at
    assert "Hors de notre univers." in mail.outbox[0].body
    with pytest.raises(ApplicationTransitionNotAllowed):
        vendor_application_approve(application=application, by=staff)
    assert not Vendor.objects.filter(siret=application.siret).exists()
    # Turned down, the company may apply again.
    again = submitted(siret=application.siret, vat_number=application.vat_number)
    assert again.stage == ApplicationStage.SUBMITTED


def test_decisions_need_the_permission():
    # covers: VEN-1
    application = submitted()
    for user in (UserFactory(), UserFactory(is_staff=True)):
        with pytest.raises(ApplicationError):
            vendor_application_approve(application=application, by=user)
        with pytest.raises(ApplicationError):
            vendor_application_request_changes(application=application, by=user, note="x")
        with pytest.raises(ApplicationError):
            vendor_application_reject(application=application, by=user, note="x")
    application.refresh_from_db()
    assert application.stage == ApplicationStage.SUBMITTED


# --- the console --------------------------------------------------------------------------


def test_console_list_filters_by_stage_in_bounded_queries(client, django_assert_max_num_queries):
    # covers: VEN-1
    waiting = [submitted() for _ in range(3)]
    rejected = submitted()
    staff = reviewer()
    vendor_application_reject(application=rejected, by=staff, note="Non.")
    client.force_login(staff)
    url = reverse("backoffice:vendor_applications")
    with django_assert_max_num_queries(10):
        page = client.get(url)
    html = page.content.decode()
    assert all(a.name in html for a in waiting) and rejected.name not in html
    for _ in range(10):
        submitted()
    with django_assert_max_num_queries(10):
        client.get(url)
    refused = client.get(url, {"etape": "refusees"}).content.decode()
    assert rejected.name in refused and waiting[0].name not in refused
    assert client.get(url, {"etape": "nimporte"}).status_code == 404
    assert client.get(url, {"page": "999"}).status_code == 404


def test_console_detail_shows_the_checks_and_decides(client, django_assert_max_num_queries):
    # covers: VEN-1 (SIRET ✓, TVA ✓, IBAN ✓ shown)
    application = submitted()
    client.force_login(reviewer())
    url = reverse("backoffice:vendor_application", kwargs={"pk": application.pk})
    with django_assert_max_num_queries(10):
        page = client.get(url)
    html = page.content.decode()
    assert "SIRET</strong> valide" in html and "IBAN</strong> valide" in html
    assert "TVA intracommunautaire</strong> valide" in html
    decide = reverse("backoffice:vendor_application_decide", kwargs={"pk": application.pk})
    refused = client.post(decide, {"action": "changes", "note": ""})
    assert refused.status_code == 422
    assert client.post(decide, {"action": "nope"}).status_code == 422
    response = client.post(decide, {"action": "changes", "note": "Précisez vos marques."})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.stage == ApplicationStage.CHANGES_REQUESTED
    # Approving while the company edits is not possible.
    assert client.post(decide, {"action": "approve"}).status_code == 422
    VendorApplication.objects.filter(pk=application.pk).update(stage=ApplicationStage.RESUBMITTED)
    assert client.post(decide, {"action": "approve"}).status_code == 302
    assert Vendor.objects.filter(siret=application.siret).exists()
    assert (
        client.get(reverse("backoffice:vendor_application", kwargs={"pk": 10**9})).status_code
        == 404
    )


@pytest.mark.parametrize(
    "name,kwargs,method",
    [
        ("backoffice:vendor_applications", {}, "get"),
        ("backoffice:vendor_application", {"pk": 0}, "get"),
        ("backoffice:vendor_application_decide", {"pk": 0}, "post"),
    ],
)
def test_console_application_pages_are_refused_without_the_permission(client, name, kwargs, method):
    # covers: VEN-1 (staff only, with onboarding.change_vendorapplication)
    application = submitted()
    kwargs = {"pk": application.pk} if kwargs else {}
    url = reverse(name, kwargs=kwargs)
    anonymous = getattr(client, method)(url, {"action": "approve"} if method == "post" else {})
    assert anonymous.status_code == 302 and "/compte/connexion/" in anonymous["Location"]
    vendor_user = VendorMembershipFactory().user
    for user in (UserFactory(), UserFactory(is_staff=True), suspender(), vendor_user):
        client.force_login(user)
        response = getattr(client, method)(url, {"action": "approve"} if method == "post" else {})
        assert response.status_code == 403
    application.refresh_from_db()
    assert application.stage == ApplicationStage.SUBMITTED


# --- the legal representative in the review -------------------------------------------------


def test_console_shows_the_legal_representative(client):
    # covers: VEN-1
    application = submitted(
        representative_first_name="Jan", representative_last_name="Peeters",
        representative_nationality="BE", representative_birth_date="1969-12-31",
        representative_birth_city="Gent", representative_birth_country="BE",
    )  # fmt: skip
    client.force_login(reviewer())
    html = client.get(
        reverse("backoffice:vendor_application", kwargs={"pk": application.pk})
    ).content.decode()
    assert "Représentant légal</h2>" in html
    assert "Jan Peeters" in html and "Belgique" in html and "Gent" in html
    assert "31 décembre 1969" in html
    assert "Représentant légal</strong> valide" in html


def _sent_before_the_representative_was_asked():
    application = submitted()
    VendorApplication.objects.filter(pk=application.pk).update(
        representative_first_name="", representative_last_name="",
        representative_nationality="", representative_birth_date=None,
        representative_birth_city="", representative_birth_country="",
    )  # fmt: skip
    application.refresh_from_db()
    return application


def test_an_application_without_representative_is_not_approved_staff_are_told_why(client):
    # covers: VEN-1, PAY-1 (no wallet opened with made-up data)
    application = _sent_before_the_representative_was_asked()
    with pytest.raises(ApplicationError) as refused:
        vendor_application_approve(application=application, by=reviewer())
    assert "représentant légal" in refused.value.message
    assert "Demandez une modification" in refused.value.message
    assert not Vendor.objects.exists() and not VendorAccount.objects.exists()
    application.refresh_from_db()
    assert application.stage == ApplicationStage.SUBMITTED
    # The console says so before and after the click.
    client.force_login(reviewer())
    url = reverse("backoffice:vendor_application", kwargs={"pk": application.pk})
    html = client.get(url).content.decode()
    assert "Représentant légal</strong> à vérifier" in html
    assert "Non renseigné : la candidature a été envoyée avant que le formulaire le demande" in html
    decide = reverse("backoffice:vendor_application_decide", kwargs={"pk": application.pk})
    response = client.post(decide, {"action": "approve"})
    assert response.status_code == 422
    assert "ne dit pas qui est le représentant légal" in response.content.decode()
    assert not Vendor.objects.exists()


def test_the_company_completes_the_representative_through_the_edit_link_then_is_approved(
    client, django_capture_on_commit_callbacks
):
    # covers: VEN-1, PAY-1
    application = _sent_before_the_representative_was_asked()
    mail.outbox.clear()
    vendor_application_request_changes(
        application=application, by=reviewer(), note="Indiquez le représentant légal."
    )
    edit = _edit_path(mail.outbox[0])
    page = client.get(edit).content.decode()
    assert 'name="representative_first_name"' in page
    data = application_data(
        siret=application.siret, vat_number=application.vat_number,
        contact_email=application.contact_email,
        categories=[c.pk for c in application.categories.all()],
        representative_first_name="Odile", representative_last_name="Vasseur",
    )  # fmt: skip
    token = edit.split("jeton=")[1]
    response = client.post(
        reverse("storefront:become_vendor_edit"), {**form_post(data), "jeton": token}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.stage == ApplicationStage.RESUBMITTED
    assert application.representative_name == "Odile Vasseur"
    with django_capture_on_commit_callbacks(execute=True):
        vendor = vendor_application_approve(application=application, by=reviewer())
    account = VendorAccount.objects.get(vendor=vendor)
    assert (account.representative_first_name, account.representative_last_name) == (
        "Odile",
        "Vasseur",
    )
    assert account.representative_birth_date == application.representative_birth_date
    assert account.account_id
