"""Builders for onboarding tests: valid application data (real check digits), staff users
with the console's permissions, and applications submitted through the service."""

from __future__ import annotations

import itertools
import random
from typing import Any

from django.contrib.auth.models import Permission

from allies.onboarding.services import vendor_application_submit
from allies.vendors import legal
from tests.factories import CategoryFactory, UserFactory

_seq = itertools.count(1)
FR_IBAN = "FR76 3000 6000 0112 3456 7890 189"
BE_IBAN = "BE75 0010 1234 5651"
FR_BIC = "BNPAFRPPXXX"
BE_BIC = "GEBABEBB"


def fr_company(n: int | None = None) -> dict[str, str]:
    rng = random.Random(1000 + (n if n is not None else next(_seq)))
    siren = legal.siren_make(rng)
    return {"siret": legal.siret_make(siren), "vat_number": legal.fr_vat_number(siren)}


def application_data(**overrides: Any) -> dict[str, Any]:
    """A French company's complete application, valid as it is."""
    n = next(_seq)
    data: dict[str, Any] = {
        "name": f"Atelier Nouveau {n}",
        "legal_name": f"Atelier Nouveau {n} SAS",
        "legal_form": "SAS",
        "share_capital": "10 000 €",
        "country": "FR",
        **fr_company(n),
        "rcs_city": "Lyon",
        "street": "3 rue des Tanneurs",
        "postcode": "69002",
        "city": "Lyon",
        "contact_first_name": "Claire",
        "contact_last_name": "Dumas",
        "contact_email": f"claire{n}@atelier.test",
        "contact_phone": "04 72 00 00 00",
        "representative_first_name": "Claire",
        "representative_last_name": "Dumas",
        "representative_nationality": "FR",
        "representative_birth_date": "1981-03-09",
        "representative_birth_city": "Grenoble",
        "representative_birth_country": "FR",
        "sample_products": "Ceinture cuir pleine fleur, 59 € — https://atelier.test/ceinture",
        "message": "",
        "iban": FR_IBAN,
        "bic": FR_BIC,
        "account_holder": f"Atelier Nouveau {n} SAS",
    }
    if "categories" not in overrides:
        data["categories"] = [CategoryFactory().pk]
    data.update(overrides)
    return data


def form_post(data: dict[str, Any]) -> dict[str, Any]:
    """The same data as the browser posts it (categories as a list of ids)."""
    return {**data, "categories": [str(pk) for pk in data["categories"]], "website": ""}


def submitted(**overrides: Any):
    return vendor_application_submit(data=application_data(**overrides))


def staff_with(*codenames: str, **fields: Any):
    """A staff member holding the given permissions ("onboarding.change_vendorapplication")."""
    user = UserFactory(is_staff=True, **fields)
    for name in codenames:
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return type(user).objects.get(pk=user.pk)  # permission cache empty


def reviewer():
    return staff_with("onboarding.change_vendorapplication")


def suspender():
    return staff_with("vendors.change_vendor")
