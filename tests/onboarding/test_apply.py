"""A company applies to sell ("Devenir vendeur"): what the form accepts and refuses."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from allies.onboarding.models import ApplicationStage, VendorApplication
from allies.onboarding.services import ApplicationError, vendor_application_submit
from allies.vendors import legal
from tests.factories import CategoryFactory, VendorFactory
from tests.onboarding.factories import BE_BIC, BE_IBAN, application_data, form_post

pytestmark = pytest.mark.django_db


def _errors(**overrides) -> dict[str, str]:
    before = VendorApplication.objects.count()
    with pytest.raises(ApplicationError) as caught:
        vendor_application_submit(data=application_data(**overrides))
    assert VendorApplication.objects.count() == before  # nothing written
    return caught.value.errors


def test_valid_application_is_recorded_acknowledged_and_on_the_timeline():
    # covers: VEN-1 (issue 13 "Devenir vendeur")
    application = vendor_application_submit(
        data=application_data(siret="732 829 320 00074", vat_number="fr 44 732829320")
    )
    assert application.stage == ApplicationStage.SUBMITTED
    assert (application.siret, application.vat_number) == ("73282932000074", "FR44732829320")
    assert application.iban == "FR7630006000011234567890189"
    assert [e.to_stage for e in application.events.all()] == ["submitted"]
    [email] = mail.outbox
    assert email.to == [application.contact_email]
    assert "Kbis" in email.body


def test_bad_siret_is_refused_with_its_reason():
    # covers: VEN-1
    assert "clé de contrôle" in _errors(siret="73282932000075")["siret"]
    assert "14 chiffres" in _errors(siret="7328293200")["siret"]


def test_vat_number_must_match_the_siret():
    # covers: VEN-1
    errors = _errors(vat_number=legal.fr_vat_number(legal.siren_make(random.Random(5))))
    assert "vat_number" in errors


def test_iban_with_a_wrong_checksum_is_refused():
    # covers: VEN-1
    errors = _errors(iban="FR76 3000 6000 0112 3456 7890 188")
    assert "clé de contrôle" in errors["iban"]
    assert "longueur" in _errors(iban="FR76 3000 6000")["iban"]


def test_malformed_bic_is_refused():
    # covers: VEN-1
    assert "BIC" in _errors(bic="BNP1")["bic"]
    assert "bic" in _errors(bic="12PAFRPP")


def test_belgian_company_applies_with_its_enterprise_number():
    # covers: VEN-1 (Belgian enterprise number, BE VAT)
    number = legal.be_enterprise_number_make(random.Random(7))
    application = vendor_application_submit(
        data=application_data(
            country="BE", siret=number, vat_number=legal.be_vat_number(number),
            postcode="1000", city="Bruxelles", iban=BE_IBAN, bic=BE_BIC,
        )
    )  # fmt: skip
    assert application.country == "BE" and application.siret == number
    wrong = number[:8] + f"{(int(number[8:]) + 1) % 100:02d}"
    errors = _errors(country="BE", siret=wrong, vat_number=f"BE{wrong}", postcode="1000")
    assert "numéro d'entreprise" in errors["siret"]


def test_belgian_vat_must_be_the_enterprise_number():
    # covers: VEN-1
    number = legal.be_enterprise_number_make(random.Random(8))
    other = legal.be_enterprise_number_make(random.Random(9))
    errors = _errors(country="BE", siret=number, vat_number=f"BE{other}", postcode="1000")
    assert "vat_number" in errors


def test_a_second_pending_application_of_the_same_company_is_refused():
    # covers: VEN-1 (one open application per company)
    data = application_data()
    vendor_application_submit(data=data)
    with pytest.raises(ApplicationError) as caught:
        vendor_application_submit(data={**data, "contact_email": "autre@atelier.test"})
    assert "déjà en cours d'examen" in caught.value.errors["siret"]
    with pytest.raises(ApplicationError) as caught:
        vendor_application_submit(data=application_data(contact_email=data["contact_email"]))
    assert "contact_email" in caught.value.errors
    assert VendorApplication.objects.count() == 1


def test_a_company_already_selling_cannot_apply_again():
    # covers: VEN-1
    VendorFactory(siret="73282932000074")
    errors = _errors(siret="73282932000074", vat_number="FR44732829320")
    assert "vend déjà" in errors["siret"]


def test_missing_fields_other_countries_and_unknown_categories_are_refused():
    # covers: VEN-1
    errors = _errors(legal_name="", iban="", categories=[])
    assert set(errors) >= {"legal_name", "iban", "categories"}
    assert "France ou en Belgique" in _errors(country="DE")["country"]
    assert "categories" in _errors(categories=[987654])
    assert "postcode" in _errors(postcode="6900")


# --- the public page -----------------------------------------------------------------------


def test_the_page_says_what_a_vendor_gets_and_which_documents_come_later(
    client, django_assert_max_num_queries
):
    # covers: VEN-1
    CategoryFactory.create_batch(5)
    with django_assert_max_num_queries(3):
        response = client.get(reverse("storefront:become_vendor"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Kbis" in html and "RIB" in html and "pièce d'identité" in html
    assert 'class="contact-trap"' in html


def test_posting_the_form_records_the_application(client, django_assert_max_num_queries):
    # covers: VEN-1
    data = application_data()
    # Constant: categories, duplicate checks, the writes, the session; the tests' task backend
    # also delivers the acknowledgement inline (about 8 of them).
    with django_assert_max_num_queries(28):
        response = client.post(reverse("storefront:become_vendor"), form_post(data))
    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:become_vendor_done")
    assert VendorApplication.objects.get().contact_email == data["contact_email"]
    done = client.get(response["Location"])
    assert "Merci" in done.content.decode()


def test_form_errors_are_shown_in_french_and_nothing_is_written(client):
    # covers: VEN-1
    data = application_data(iban="FR76 3000 6000 0112 3456 7890 188", siret="123")
    response = client.post(reverse("storefront:become_vendor"), form_post(data))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Cet IBAN est erroné" in html and "Le SIRET compte 14 chiffres." in html
    assert VendorApplication.objects.count() == 0


def test_a_robot_filling_the_honeypot_is_thanked_and_nothing_is_written(client):
    # covers: VEN-1 (spam)
    response = client.post(
        reverse("storefront:become_vendor"), {**form_post(application_data()), "website": "x"}
    )
    assert response.status_code == 302
    assert VendorApplication.objects.count() == 0 and mail.outbox == []


def test_the_form_is_throttled_per_client_address(client):
    # covers: VEN-1 (spam): 5 an hour from one address
    statuses = [
        client.post(reverse("storefront:become_vendor"), form_post(application_data())).status_code
        for _ in range(6)
    ]
    assert statuses == [302] * 5 + [429]
    assert VendorApplication.objects.count() == 5


# --- the legal representative --------------------------------------------------------------


def test_the_legal_representative_is_recorded_with_the_application():
    # covers: VEN-1, PAY-1 (what the payment provider identifies)
    application = vendor_application_submit(
        data=application_data(
            representative_first_name="  Jean-Marc ", representative_last_name="N'Diaye",
            representative_nationality="sn", representative_birth_date="1972-02-29",
            representative_birth_city="Saint-Louis", representative_birth_country="SN",
        )
    )  # fmt: skip
    application.refresh_from_db()
    assert application.representative_name == "Jean-Marc N'Diaye"
    assert application.representative_nationality == "SN"
    assert application.representative_birth_date == date(1972, 2, 29)
    assert (application.representative_birth_city, application.representative_birth_country) == (
        "Saint-Louis",
        "SN",
    )


def test_a_missing_legal_representative_is_refused_field_by_field():
    # covers: VEN-1
    errors = _errors(
        representative_first_name="", representative_last_name="",
        representative_nationality="", representative_birth_date="",
        representative_birth_city="", representative_birth_country="",
    )  # fmt: skip
    assert errors == {
        "representative_first_name": "Indiquez le prénom du représentant légal.",
        "representative_last_name": "Indiquez le nom du représentant légal.",
        "representative_nationality": (
            "Choisissez la nationalité du représentant légal dans la liste."
        ),
        "representative_birth_date": "Indiquez la date de naissance du représentant légal.",
        "representative_birth_city": "Indiquez la ville de naissance du représentant légal.",
        "representative_birth_country": "Choisissez le pays de naissance dans la liste.",
    }


def _birth_error(born) -> str:
    return _errors(representative_birth_date=born)["representative_birth_date"]


def test_the_representative_must_be_an_adult_born_in_the_last_120_years():
    # covers: VEN-1: birth date parsed with bounds
    today = timezone.localdate()
    assert "majeur" in _birth_error(today.replace(year=today.year - 17, day=1).isoformat())
    assert "futur" in _birth_error((today + timedelta(days=1)).isoformat())
    assert "120 ans" in _birth_error(f"{today.year - 122}-01-01")
    assert "date de naissance valide" in _birth_error("1980-02-30")
    assert "date de naissance valide" in _birth_error("14 juillet 1980")
    # Just 18 today is accepted.
    eighteen = today.replace(year=today.year - 18) if (today.month, today.day) != (2, 29) else None
    if eighteen is not None:
        vendor_application_submit(data=application_data(representative_birth_date=eighteen))


def test_made_up_or_malformed_names_and_unknown_countries_are_refused():
    # covers: VEN-1 (LemonWay refuses made-up names: refused here first, in French)
    errors = _errors(
        representative_first_name="Test", representative_last_name="J3an",
        representative_nationality="XX", representative_birth_country="France",
    )  # fmt: skip
    assert "nom réel" in errors["representative_first_name"]
    assert "lettres" in errors["representative_last_name"]
    assert "dans la liste" in errors["representative_nationality"]
    assert "dans la liste" in errors["representative_birth_country"]
    same = _errors(representative_first_name="Dumas", representative_last_name="DUMAS")
    assert "différents" in same["representative_last_name"]
    tripled = _errors(representative_first_name="Jeannne")["representative_first_name"]
    assert "trois fois de suite" in tripled
    city = _errors(representative_birth_city="<script>")["representative_birth_city"]
    assert "sans caractères spéciaux" in city


def test_the_form_asks_for_the_representative_and_explains_its_errors_in_french(client):
    # covers: VEN-1
    CategoryFactory()
    page = client.get(reverse("storefront:become_vendor")).content.decode()
    assert "Le représentant légal de l'entreprise" in page
    assert 'name="representative_birth_date"' in page and 'type="date"' in page
    assert '<option value="BE">Belgique</option>' in page
    data = application_data(representative_birth_date="31/02/1980", representative_last_name="")
    response = client.post(reverse("storefront:become_vendor"), form_post(data))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Indiquez une date de naissance valide, par exemple 14/07/1980." in html
    assert "Indiquez le nom du représentant légal." in html
    assert VendorApplication.objects.count() == 0
    # The French way of writing a date is understood too.
    data = application_data(representative_birth_date="14/07/1980")
    assert client.post(reverse("storefront:become_vendor"), form_post(data)).status_code == 302
    assert VendorApplication.objects.get().representative_birth_date == date(1980, 7, 14)


def test_the_form_in_english_names_the_countries_in_english(client):
    # covers: VEN-1
    CategoryFactory()
    with translation.override("en"):
        url = reverse("storefront:become_vendor")
    html = client.get(url).content.decode()
    assert '<option value="DE">Germany</option>' in html
    assert "Choose a country" in html
