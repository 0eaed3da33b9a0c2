"""Address book: delivery addresses and one billing address, delivery zones (ACC-9)."""

import pytest
from django.core.exceptions import ValidationError

from allies.accounts import services
from allies.accounts.models import Address
from tests.accounts.conftest import text
from tests.factories import AddressFactory, UserFactory

pytestmark = pytest.mark.django_db

PARIS = {
    "recipient": "Jean Martin",
    "company": "",
    "street": "12 rue de la Paix",
    "street_extra": "Bât. B",
    "postcode": "75002",
    "city": "Paris",
    "country": "FR",
    "phone": "06 01 02 03 04",
    "instructions": "3e étage, digicode 4521B",
}


def add(client, kind="livraison", **changes):
    return client.post(f"/compte/adresses/ajouter/{kind}/", {**PARIS, **changes}, follow=True)


def test_add_a_delivery_address_with_instructions(signed_in, user):
    # covers: ACC-9
    page = add(signed_in)
    assert page.redirect_chain == [("/compte/adresses/", 302)]
    address = Address.objects.get(user=user)
    assert address.kind == "delivery" and address.is_default
    assert address.instructions == "3e étage, digicode 4521B"
    html = text(page)
    assert "Adresse enregistrée (zone de livraison : France métropolitaine)." in html
    assert "digicode 4521B" in html


def test_corsica_postcode_is_recognised_and_shown(signed_in, user):
    # covers: ACC-9
    page = add(signed_in, postcode="20000", city="Ajaccio")
    assert "zone de livraison : Corse" in text(page)
    assert "· Corse" in text(signed_in.get("/compte/adresses/"))


def test_belgian_postcode(signed_in, user):
    # covers: ACC-9
    page = add(signed_in, postcode="1000", city="Bruxelles", country="BE")
    assert "zone de livraison : Belgique" in text(page)
    assert Address.objects.get(user=user).country == "BE"


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {"postcode": "97400", "city": "Saint-Denis"},
            "les DOM-TOM et Monaco ne sont pas desservis",
        ),
        ({"postcode": "7500"}, "Un code postal français compte 5 chiffres"),
        ({"postcode": "20999"}, "Ce code postal n'existe pas en Corse."),
        ({"postcode": "75002", "country": "BE"}, "Un code postal belge compte 4 chiffres"),
        (
            {"country": "DE", "postcode": "10115"},
            "Nous livrons uniquement en France (Corse comprise) et en Belgique",
        ),
        ({"phone": "pas de téléphone"}, "Saisissez un numéro de téléphone valide"),
        ({"recipient": ""}, "Ce champ est obligatoire."),
    ],
)
def test_refused_addresses_get_a_clear_message_and_nothing_is_saved(signed_in, changes, message):
    # covers: ACC-9
    page = add(signed_in, **changes)
    assert message in text(page)
    assert 'aria-invalid="true"' in text(page)
    assert not Address.objects.exists()


def test_service_refuses_countries_other_than_france_and_belgium(user):
    # covers: ACC-9 — even if a form were bypassed
    with pytest.raises(ValidationError) as error:
        services.address_save(user=user, kind="delivery", **{**PARIS, "country": "ES"})
    assert "country" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.address_save(user=user, kind="delivery", **{**PARIS, "postcode": "98000"})
    assert "postcode" in error.value.message_dict
    assert not Address.objects.exists()


def test_one_default_delivery_address_at_a_time(signed_in, user):
    # covers: ACC-9
    add(signed_in)
    add(signed_in, street="1 place Bellecour", postcode="69002", city="Lyon")
    first, second = Address.objects.filter(user=user).order_by("pk")
    assert first.is_default and not second.is_default
    signed_in.post(f"/compte/adresses/{second.pk}/par-defaut/")
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_default and not first.is_default
    # Deleting the default promotes the remaining address.
    signed_in.post(f"/compte/adresses/{second.pk}/supprimer/")
    first.refresh_from_db()
    assert first.is_default


def test_exactly_one_billing_address_editable(signed_in, user):
    # covers: ACC-9
    add(signed_in, kind="facturation", recipient="SARL Martin")
    billing = Address.objects.get(user=user, kind="billing")
    # Asking to add another one edits the existing one instead.
    assert signed_in.get("/compte/adresses/ajouter/facturation/")["Location"] == (
        f"/compte/adresses/{billing.pk}/modifier/"
    )
    with pytest.raises(ValidationError):
        services.address_save(user=user, kind="billing", **PARIS)
    signed_in.post(f"/compte/adresses/{billing.pk}/modifier/", {**PARIS, "city": "Paris 2e"})
    billing.refresh_from_db()
    assert billing.city == "Paris 2e"
    assert Address.objects.filter(user=user, kind="billing").count() == 1
    assert signed_in.post(f"/compte/adresses/{billing.pk}/supprimer/").status_code == 404


def test_editing_changes_the_saved_row_only(signed_in, user):
    # covers: ACC-9 — orders will copy addresses; an edit never touches another row
    address = AddressFactory(user=user)
    other = AddressFactory(user=UserFactory(), street="12 rue de la Paix")
    signed_in.post(f"/compte/adresses/{address.pk}/modifier/", {**PARIS, "street": "3 rue Neuve"})
    address.refresh_from_db()
    other.refresh_from_db()
    assert address.street == "3 rue Neuve"
    assert other.street == "12 rue de la Paix"


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/compte/adresses/{pk}/modifier/"),
        ("post", "/compte/adresses/{pk}/modifier/"),
        ("get", "/compte/adresses/{pk}/supprimer/"),
        ("post", "/compte/adresses/{pk}/supprimer/"),
        ("post", "/compte/adresses/{pk}/par-defaut/"),
    ],
)
def test_another_customers_address_is_a_404(signed_in, method, url):
    # covers: ACC-9
    theirs = AddressFactory(user=UserFactory(email="voisin@example.test"), is_default=False)
    response = getattr(signed_in, method)(url.format(pk=theirs.pk), {**PARIS, "city": "Pirate"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.city == "Paris" and not theirs.is_default


def test_address_list_shows_only_my_addresses(signed_in, user):
    # covers: ACC-9
    AddressFactory(user=user, recipient="Moi Même", is_default=True)
    AddressFactory(user=UserFactory(), recipient="Quelqu Un")
    html = text(signed_in.get("/compte/adresses/"))
    assert "Moi Même" in html and "Quelqu Un" not in html


def test_empty_address_book(signed_in):
    # covers: ACC-9
    html = text(signed_in.get("/compte/adresses/"))
    assert "Aucune adresse de livraison enregistrée" in html
    assert "Ajouter mon adresse de facturation" in html


def test_address_form_has_labels_and_autocomplete(signed_in):
    # covers: ACC-9
    html = text(signed_in.get("/compte/adresses/ajouter/livraison/"))
    for token in ("postal-code", "address-line1", "address-line2", "address-level2", "tel", "name"):
        assert f'autocomplete="{token}"' in html
    assert '<option value="FR" selected>France</option>' in html
    assert '<option value="BE">Belgique</option>' in html
    assert "Étage, digicode, interphone" in html
