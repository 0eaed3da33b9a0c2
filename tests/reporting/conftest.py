"""Dashboards test setup: fast passwords, people with and without the ledger permission."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def ledger_reader(**kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.user_permissions.add(Permission.objects.get(codename="view_ledgerentry"))
    return type(user).objects.get(pk=user.pk)


from tests.ledger.conftest import two_vendors  # noqa: E402, F401 (fixture of the statement tests)
