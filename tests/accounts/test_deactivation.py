"""Deactivation on request, no login nor email afterwards, reopening by staff (ACC-7)."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from allies.accounts import services
from allies.accounts.models import Newsletter, User
from allies.notifications.services import notification_send
from tests.accounts.conftest import login, text
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def deactivate(client, password=PASSWORD):
    return client.post("/compte/desactiver/", {"password": password}, follow=True)


def test_deactivation_page_explains_the_consequences(signed_in, settings):
    # covers: ACC-7
    html = text(signed_in.get("/compte/desactiver/"))
    assert "Vous ne pourrez plus vous connecter" in html
    assert "Vous ne recevrez plus aucun email" in html
    assert settings.CUSTOMER_SERVICE_EMAIL in html
    assert "Vos commandes et vos factures sont conservées" in html
    assert 'autocomplete="current-password"' in html


def test_deactivation_needs_the_password(signed_in, user):
    # covers: ACC-7
    page = deactivate(signed_in, password="faux")
    assert "Ce mot de passe n'est pas le bon." in text(page)
    user.refresh_from_db()
    assert user.is_active


def test_deactivation_logs_out_and_confirms(signed_in, user):
    # covers: ACC-7
    page = deactivate(signed_in)
    assert page.redirect_chain == [("/compte/desactive/", 302)]
    assert "Votre compte est désactivé" in text(page)
    assert SESSION_KEY not in signed_in.session
    user.refresh_from_db()
    assert user.is_active is False
    assert user.deactivated_at is not None


def test_deactivated_account_cannot_log_in_and_is_told_why(client, settings):
    # covers: ACC-7
    closed = UserFactory(email="ferme@example.test", is_active=False)
    response = login(client, closed.email)
    html = text(response)
    assert "Ce compte a été désactivé" in html
    assert settings.CUSTOMER_SERVICE_EMAIL in html
    assert SESSION_KEY not in client.session
    # A wrong password gives the usual answer, not the account's status.
    assert "Email ou mot de passe incorrect." in text(login(client, closed.email, "faux"))


def test_deactivation_ends_sessions_on_other_devices(client, user):
    # covers: ACC-7
    phone = Client()
    phone.force_login(user)
    client.force_login(user)
    deactivate(client)
    assert phone.get("/compte/").status_code == 302


def test_deactivated_account_receives_no_email_of_any_kind(client, user, mailoutbox):
    # covers: ACC-7
    services.newsletter_subscription_set(user=user, subscribed=True)
    services.user_deactivate(user=user)
    user.refresh_from_db()
    assert user.newsletter_opt_in is False
    client.post("/compte/mot-de-passe-oublie/", {"email": user.email})
    services.newsletter_send(newsletter=Newsletter.objects.create(subject="S", body="B"))
    services.user_set_password(user=user, password="Nouveau-secret-77!")
    assert notification_send(template="account_welcome", user=user) is False
    assert notification_send(template="account_welcome", to_email=user.email) is False
    assert mailoutbox == []


def test_email_queued_before_deactivation_is_not_delivered(user, mailoutbox, settings):
    # covers: ACC-7 — the delivery task checks again
    from allies.notifications.models import OutgoingEmail
    from allies.notifications.tasks import email_deliver

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    assert notification_send(template="account_welcome", user=user)  # queued, not yet sent
    services.user_deactivate(user=user)
    queued = OutgoingEmail.objects.get(to=user.email)
    assert email_deliver.call(email_id=queued.pk) == OutgoingEmail.Status.BLOCKED
    assert mailoutbox == []


def test_staff_reactivate_from_the_admin_and_the_customer_logs_in_again(client, user):
    # covers: ACC-7
    services.user_deactivate(user=user)
    staff = UserFactory(email="sav@allies.test", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(staff)
    page = admin.post(
        "/admin/accounts/user/",
        {"action": "reactivate_accounts", "_selected_action": [user.pk]},
        follow=True,
    )
    assert "1 compte réactivé." in text(page)
    user.refresh_from_db()
    assert user.is_active and user.reactivated_at is not None
    assert login(client, user.email).status_code == 302


def test_admin_customer_list_searches_by_email_and_filters(client, user):
    # covers: ACC-7
    closed = UserFactory(email="ferme@example.test", is_active=False)
    staff = UserFactory(email="sav@allies.test", is_staff=True, is_superuser=True)
    client.force_login(staff)
    found = text(client.get("/admin/accounts/user/", {"q": "FERME@example"}))
    assert closed.email in found and user.email not in found
    inactive = text(client.get("/admin/accounts/user/", {"is_active__exact": "0"}))
    assert closed.email in inactive and user.email not in inactive
    staff_only = text(client.get("/admin/accounts/user/", {"is_staff__exact": "1"}))
    assert "sav@allies.test" in staff_only and user.email not in staff_only
    assert "Réactiver les comptes" in found


def test_old_sessions_stay_closed_after_reactivation(user):
    # covers: ACC-7
    before = Client()
    before.force_login(user)
    services.user_deactivate(user=user)
    services.user_reactivate(user=User.objects.get(pk=user.pk))
    assert before.get("/compte/").status_code == 302


def test_staff_can_deactivate_from_the_admin_too(user):
    # covers: ACC-7
    staff = UserFactory(email="sav@allies.test", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(staff)
    admin.post(
        "/admin/accounts/user/",
        {"action": "deactivate_accounts", "_selected_action": [user.pk, staff.pk]},
    )
    assert User.objects.get(pk=user.pk).is_active is False
    assert User.objects.get(pk=staff.pk).is_active is True  # never one's own account


def test_admin_customer_pages_open_and_create_lower_cased_accounts(user):
    # covers: ACC-1, ACC-7
    staff = UserFactory(email="sav@allies.test", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(staff)
    assert admin.get(f"/admin/accounts/user/{user.pk}/change/").status_code == 200
    assert admin.get("/admin/accounts/user/add/").status_code == 200
    assert admin.get("/admin/accounts/newsletter/add/").status_code == 200
    admin.post(
        "/admin/accounts/user/add/",
        {
            "email": "Cree.Par@SAV.test",
            "password1": "Velours-brun-2024!",
            "password2": "Velours-brun-2024!",
        },
    )
    assert User.objects.filter(email="cree.par@sav.test").exists()
    page = admin.post(
        "/admin/accounts/user/add/",
        {
            "email": "CREE.PAR@sav.test",
            "password1": "Velours-brun-2024!",
            "password2": "Velours-brun-2024!",
        },
    )
    assert "Un compte existe déjà avec cette adresse email" in text(page)
