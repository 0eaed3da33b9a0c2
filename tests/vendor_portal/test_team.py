"""A vendor's team: one vendor, several users, each with their own account."""

import re

from django.core import mail
from django.urls import reverse

from allies.accounts.models import User
from allies.vendors.models import VendorMembership
from tests.factories import UserFactory, VendorMembershipFactory


def test_give_access_to_an_existing_account(verlaine_client, market):
    # covers: VEN-2
    colleague = UserFactory(email="paul@example.test")
    response = verlaine_client.post(
        reverse("vendor_portal:team"), {"email": "Paul@Example.test"}, follow=True
    )
    assert "a maintenant accès" in response.content.decode()
    assert VendorMembership.objects.filter(vendor=market["verlaine"], user=colleague).exists()
    email = next(m for m in mail.outbox if m.to == ["paul@example.test"])
    assert "Maison Verlaine" in email.subject and "/vendeur/" in email.body
    assert "mot de passe" not in email.body.lower()  # they already have one


def test_a_new_person_gets_an_account_and_chooses_a_password(client, verlaine_client, market):
    # covers: VEN-2, ACC-3
    verlaine_client.post(reverse("vendor_portal:team"), {"email": "lea@example.test"})
    user = User.objects.get(email="lea@example.test")
    assert VendorMembership.objects.filter(vendor=market["verlaine"], user=user).exists()
    email = next(m for m in mail.outbox if m.to == ["lea@example.test"])
    link = re.search(r"https?://\S+/mot-de-passe/\S+/\S+/", email.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    client.logout()
    form = client.get("/" + path, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else "/" + path,
        {"new_password1": "Un-mot-de-passe-42", "new_password2": "Un-mot-de-passe-42"},
    )
    assert done.status_code == 302
    assert client.login(username="lea@example.test", password="Un-mot-de-passe-42")
    assert client.get(reverse("vendor_portal:dashboard")).status_code == 200


def test_bad_or_repeated_addresses_are_refused(verlaine_client, market):
    # covers: VEN-2
    url = reverse("vendor_portal:team")
    assert verlaine_client.post(url, {"email": "pas-un-email"}).status_code == 422
    me = market["verlaine_user"].email
    response = verlaine_client.post(url, {"email": me})
    assert response.status_code == 422 and "déjà accès" in response.content.decode()
    assert VendorMembership.objects.filter(vendor=market["verlaine"]).count() == 1


def test_remove_a_colleague_but_not_myself_nor_another_vendors_member(verlaine_client, market):
    # covers: VEN-2
    colleague = VendorMembershipFactory(vendor=market["verlaine"])
    mine = VendorMembership.objects.get(user=market["verlaine_user"])
    theirs = VendorMembership.objects.get(user=market["brun_user"])
    remove = "vendor_portal:team_remove"
    assert verlaine_client.post(reverse(remove, args=[theirs.pk])).status_code == 404
    response = verlaine_client.post(reverse(remove, args=[mine.pk]), follow=True)
    assert "propre accès" in response.content.decode()
    verlaine_client.post(reverse(remove, args=[colleague.pk]))
    assert set(VendorMembership.objects.values_list("pk", flat=True)) == {mine.pk, theirs.pk}
