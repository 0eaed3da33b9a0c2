"""Help-centre test setup: the default help centre (loaded by the data migration), an agent
of the customer service, and the people who must not reach the console."""

import pytest
from django.contrib.auth.models import Group

from allies.helpcenter.services import QuestionData
from tests.factories import UserFactory

AGENTS = "Agents du service client"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def agent(db):
    user = UserFactory(is_staff=True, email="agent@allies.test", first_name="Inès")
    user.groups.add(Group.objects.get(name=AGENTS))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def customer(db):
    return UserFactory(email="luc@example.test")


@pytest.fixture
def plain_staff(db):
    return UserFactory(is_staff=True, email="compta@allies.test")


def data(**overrides) -> QuestionData:
    values = {
        "topic": "retours-et-remboursements",
        "slug": "chemise-trop-grande",
        "question_fr": "Ma chemise est trop grande : que faire ?",
        "answer_fr": "Retournez-la dans les {{delai:retractation}} avec "
        "[[lien:orders:purchases|Mes achats]].",
        "question_en": "My shirt is too big: what can I do?",
        "answer_en": "Send it back within {{delai:retractation}} from "
        "[[lien:orders:purchases|your purchases]].",
        "rule_ids": "RET-1",
        "position": 5,
        "is_published": True,
        "is_featured": False,
    }
    values.update(overrides)
    return QuestionData(**values)
