"""Newsletter: subscription, staff sending, one-click unsubscribe without login (ACC-6)."""

import re

import pytest
from django.conf import settings
from django.test import Client

from allies.accounts import selectors, services
from allies.accounts.models import Newsletter, User
from allies.accounts.tasks import newsletter_send_task
from tests.accounts.conftest import is_checked, text
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHECKBOX = "Je souhaite recevoir avant tout le monde les offres de Les Alliés par email"


@pytest.fixture
def staff_client(db):
    staff = UserFactory(email="staff@allies.test", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return client


def subscribers(n, **kwargs):
    return [UserFactory(newsletter_opt_in=True, **kwargs) for _ in range(n)]


def send_from_admin(staff_client, newsletter):
    return staff_client.post(
        "/admin/accounts/newsletter/",
        {"action": "send_newsletters", "_selected_action": [newsletter.pk]},
        follow=True,
    )


def unsubscribe_path(message) -> str:
    header = message.extra_headers["List-Unsubscribe"]
    url = re.fullmatch(r"<(.+)>", header).group(1)
    assert url.startswith(settings.SITE_URL + "/compte/newsletter/desinscription/")
    return url[len(settings.SITE_URL) :]


def test_subscription_page_with_the_help_page_labels(signed_in, user):
    # covers: ACC-6
    html = text(signed_in.get("/compte/abonnements/"))
    assert "Mes abonnements aux offres" in html
    assert CHECKBOX in html
    assert ">Valider<" in html
    signed_in.post("/compte/abonnements/", {"subscribed": "on"})
    user.refresh_from_db()
    assert user.newsletter_opt_in is True
    assert is_checked(text(signed_in.get("/compte/abonnements/")), "subscribed")
    signed_in.post("/compte/abonnements/", {})
    user.refresh_from_db()
    assert user.newsletter_opt_in is False
    assert not is_checked(text(signed_in.get("/compte/abonnements/")), "subscribed")


def test_staff_write_and_send_a_newsletter_from_the_admin(staff_client, mailoutbox):
    # covers: ACC-6
    alice, bob = subscribers(2)
    UserFactory(newsletter_opt_in=False)  # not subscribed
    UserFactory(newsletter_opt_in=True, is_active=False)  # deactivated (ACC-7)
    staff_client.post(
        "/admin/accounts/newsletter/add/",
        {"subject": "Ventes privées : -30 %", "body": "Cette semaine & jusqu'à dimanche."},
    )
    newsletter = Newsletter.objects.get()
    page = send_from_admin(staff_client, newsletter)
    assert "envoi lancé aux abonnés" in text(page)

    assert sorted(m.to[0] for m in mailoutbox) == sorted([alice.email, bob.email])
    newsletter.refresh_from_db()
    assert newsletter.recipient_count == 2
    assert newsletter.sent_at is not None
    assert newsletter.created_by.email == "staff@allies.test"

    message = next(m for m in mailoutbox if m.to == [alice.email])
    assert message.subject == "Ventes privées : -30 %"
    assert "Cette semaine & jusqu'à dimanche." in message.body  # text part not HTML-escaped
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = unsubscribe_path(message)
    token = selectors.newsletter_unsubscribe_token(user=alice)
    assert message.extra_headers["List-Unsubscribe"] == (
        f"<{settings.SITE_URL}/compte/newsletter/desinscription/{token}/>"
    )
    # The visible link is in the body (text and HTML).
    assert settings.SITE_URL + path in message.body
    assert settings.SITE_URL + path in message.alternatives[0][0]
    assert "Se désinscrire" in message.alternatives[0][0]


def test_sending_twice_does_not_email_anyone_twice(staff_client, mailoutbox):
    # covers: ACC-6
    subscribers(3)
    newsletter = Newsletter.objects.create(subject="Nouveautés", body="…")
    send_from_admin(staff_client, newsletter)
    page = send_from_admin(staff_client, newsletter)
    assert "a déjà été envoyée" in text(page)
    # Even the background task run again (a retry) finds everyone already served.
    newsletter_send_task.enqueue(newsletter_id=newsletter.pk)
    assert len(mailoutbox) == 3
    newsletter.refresh_from_db()
    assert newsletter.recipient_count == 3


def test_sent_newsletter_text_is_frozen_in_the_admin(staff_client):
    # covers: ACC-6
    newsletter = Newsletter.objects.create(subject="Soldes", body="Texte")
    send_from_admin(staff_client, newsletter)
    staff_client.post(
        f"/admin/accounts/newsletter/{newsletter.pk}/change/",
        {"subject": "Autre", "body": "Autre texte"},
    )
    newsletter.refresh_from_db()
    assert newsletter.subject == "Soldes"


def test_newsletter_reaches_every_subscriber_across_batches(mailoutbox):
    # covers: ACC-6 — recipients are read in batches, not all loaded at once
    subscribers(5)
    newsletter = Newsletter.objects.create(subject="S", body="B")
    assert services.newsletter_send(newsletter=newsletter, batch_size=2) == 5
    assert Newsletter.objects.get().recipient_count == 5
    assert len({m.to[0] for m in mailoutbox}) == 5


def test_one_click_post_unsubscribes_without_login_nor_csrf(mailoutbox):
    # covers: ACC-6
    (alice,) = subscribers(1)
    services.newsletter_send(newsletter=Newsletter.objects.create(subject="S", body="B"))
    path = unsubscribe_path(mailoutbox[0])
    mail_provider = Client(enforce_csrf_checks=True)
    response = mail_provider.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.newsletter_opt_in is False
    # Idempotent: a second POST changes nothing and still answers well.
    assert mail_provider.post(path).status_code == 200
    alice.refresh_from_db()
    assert alice.newsletter_opt_in is False


def test_link_asks_for_confirmation_before_unsubscribing(client):
    # covers: ACC-6
    (alice,) = subscribers(1)
    path = selectors.newsletter_unsubscribe_path(user=alice)
    page = client.get(path)
    assert page.status_code == 200
    assert "Me désinscrire" in text(page)
    alice.refresh_from_db()
    assert alice.newsletter_opt_in is True  # a GET (e.g. a link scanner) changes nothing
    done = client.post(path)
    assert "Vous êtes désinscrit" in text(done)
    alice.refresh_from_db()
    assert alice.newsletter_opt_in is False


def test_unsubscribed_customer_gets_no_more_newsletter(client, mailoutbox):
    # covers: ACC-6
    alice, bob = subscribers(2)
    client.post(selectors.newsletter_unsubscribe_path(user=alice))
    services.newsletter_send(newsletter=Newsletter.objects.create(subject="S", body="B"))
    assert [m.to for m in mailoutbox] == [[bob.email]]


@pytest.mark.parametrize(
    "forge",
    [
        lambda token, other: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token, other: str(other.pk) + token[token.index(":") :],
        lambda token, other: "pas-un-jeton",
        lambda token, other: "99999:" + token.split(":", 1)[1],
    ],
    ids=["altered-signature", "other-user-id", "garbage", "unknown-user"],
)
def test_forged_tokens_change_nothing(client, forge):
    # covers: ACC-6
    alice, bob = subscribers(2)
    token = selectors.newsletter_unsubscribe_token(user=alice)
    response = client.post(f"/compte/newsletter/desinscription/{forge(token, bob)}/")
    assert response.status_code == 400
    assert "Ce lien de désinscription n'est pas valable" in text(response)
    assert User.objects.filter(newsletter_opt_in=True).count() == 2


def test_token_cannot_be_reused_for_another_address(client, user):
    # covers: ACC-6 — after the account moves to a new address, the old link is dead
    services.newsletter_subscription_set(user=user, subscribed=True)
    old_path = selectors.newsletter_unsubscribe_path(user=user)
    services.user_change_email(user=user, new_email="nouvelle@example.test")
    response = client.post(old_path)
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.newsletter_opt_in is True
    assert selectors.newsletter_unsubscribe_path(user=user) != old_path


def test_deactivated_customer_gets_no_newsletter_even_if_subscribed(mailoutbox):
    # covers: ACC-6, ACC-7
    UserFactory(newsletter_opt_in=True, is_active=False)
    newsletter = Newsletter.objects.create(subject="S", body="B")
    assert services.newsletter_send(newsletter=newsletter) == 0
    assert mailoutbox == []
