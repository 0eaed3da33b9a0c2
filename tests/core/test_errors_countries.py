"""The application error base (a stable code, a message) and the one list of countries."""

import importlib
import inspect
import pkgutil

import pytest
from django.utils import translation

import allies
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


# Exceptions that never reach a user: control flow inside one module, or a programming error.
# (Module-private ones, named `_Something`, are internal by their name.)
INTERNAL = {
    "allies.notifications.services.TransitionNotAllowed",
    "allies.ledger.models.LedgerImmutable",
    "allies.core.hooks.UnknownHook",
    "allies.vendor_api.errors.NulCharacterInBody",
    "allies.payments.services.NotificationRetry",
}


def _project_exceptions():
    for info in pkgutil.walk_packages(allies.__path__, "allies."):
        if ".migrations" in info.name or info.name.endswith((".wsgi", ".asgi")):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, Exception)
                and value.__module__ == info.name
                and not name.startswith("_")
            ):
                yield f"{info.name}.{name}", value


def test_every_refusal_of_the_project_is_an_application_error():
    # covers: issue 8 §4 — one base: a view or the API catches one type and finds a code
    found = dict(_project_exceptions())
    assert "allies.orders.vendor_side.FulfilmentError" in found  # the walk reaches the apps
    outside = sorted(
        name
        for name, cls in found.items()
        if name not in INTERNAL and not issubclass(cls, AlliesError)
    )
    assert outside == []
    for name, cls in found.items():
        if issubclass(cls, AlliesError):
            assert isinstance(cls.code, str) and cls.code, name


def test_country_names_follow_the_language_and_addresses_use_the_same_list():
    # covers: issue 8 §4
    assert Address.Country is Country
    with translation.override("fr"):
        assert (country_label("FR"), country_label("BE")) == ("France", "Belgique")
    with translation.override("en"):
        assert country_label("BE") == "Belgium"
    assert country_label("XX") == "XX"  # an unknown code is shown as it is
