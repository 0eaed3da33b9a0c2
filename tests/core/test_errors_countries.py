"""The application error base (a stable code, a message) and the one list of countries."""

import pytest
from django.utils import translation

from allies.accounts.models import Address
from allies.core.countries import Country, country_label
from allies.core.errors import AlliesError
from allies.vendors.services import MemberError, ProfileError


def test_refusals_carry_a_stable_code_and_the_message_to_show():
    # covers: issue 8 §4
    error = AlliesError("Commande introuvable.", code="not_found")
    assert (error.code, error.message, str(error)) == (
        "not_found",
        "Commande introuvable.",
        "Commande introuvable.",
    )
    assert AlliesError("Refusé.").code == "invalid"  # the base's default


def test_vendor_refusals_are_application_errors_with_their_own_codes():
    # covers: issue 8 §4
    with pytest.raises(AlliesError) as caught:
        raise MemberError("Indiquez une adresse email valide.")
    assert caught.value.code == "member_refused"
    profile = ProfileError({"siret": "SIRET invalide."})
    assert isinstance(profile, AlliesError)
    assert profile.code == "invalid_profile" and profile.errors == {"siret": "SIRET invalide."}
    assert profile.message == "SIRET invalide."


def test_country_names_follow_the_language_and_addresses_use_the_same_list():
    # covers: issue 8 §4
    assert Address.Country is Country
    with translation.override("fr"):
        assert (country_label("FR"), country_label("BE")) == ("France", "Belgique")
    with translation.override("en"):
        assert country_label("BE") == "Belgium"
    assert country_label("XX") == "XX"  # an unknown code is shown as it is
