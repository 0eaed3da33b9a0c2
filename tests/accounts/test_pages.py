"""The personal space "COMPTE": menu, sign-in required, bounded queries (ACC-8)."""

import pytest
from django.urls import reverse

from tests.accounts.conftest import text
from tests.factories import AddressFactory

pytestmark = pytest.mark.django_db

PRIVATE_PAGES = [
    "/compte/",
    "/compte/achats/",
    "/compte/parametres/",
    "/compte/abonnements/",
    "/compte/adresses/",
    "/compte/adresses/ajouter/livraison/",
    "/compte/adresses/ajouter/facturation/",
    "/compte/adresses/1/modifier/",
    "/compte/adresses/1/supprimer/",
    "/compte/desactiver/",
]

MENU = [
    "Mes informations",
    "Mes achats",
    "Paramètres de compte",
    "Mes abonnements aux offres",
    "Mes adresses",
    "Désactiver mon compte",
]


@pytest.mark.parametrize("url", PRIVATE_PAGES)
def test_account_pages_send_anonymous_visitors_to_login(client, url):
    # covers: ACC-8
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/compte/connexion/?next={url}"


def test_url_names_used_by_the_header():
    # covers: ACC-8
    assert reverse("accounts:login") == "/compte/connexion/"
    assert reverse("accounts:home") == "/compte/"


@pytest.mark.parametrize("url", [u for u in PRIVATE_PAGES if "/1/" not in u])
def test_account_pages_show_the_menu_with_bounded_queries(
    signed_in, user, url, django_assert_max_num_queries
):
    # covers: ACC-8
    for n in range(3):
        AddressFactory(user=user, is_default=n == 0)
    signed_in.get(url)  # warm the per-process menu cache
    with django_assert_max_num_queries(6):
        response = signed_in.get(url)
    assert response.status_code == 200
    html = text(response)
    positions = [html.index(f">{label}</a>") for label in MENU]
    assert positions == sorted(positions)
    assert 'aria-current="page"' in html
    assert "Se déconnecter" in html


def test_address_list_queries_do_not_grow_with_addresses(
    signed_in, user, django_assert_max_num_queries
):
    # covers: ACC-8, ACC-9
    for n in range(25):
        AddressFactory(user=user, is_default=n == 0)
    signed_in.get("/compte/adresses/")
    with django_assert_max_num_queries(6):
        assert signed_in.get("/compte/adresses/").status_code == 200


def test_purchases_empty_state_links_to_the_shop(signed_in):
    # covers: ACC-8
    html = text(signed_in.get("/compte/achats/"))
    assert "Vous n'avez pas encore passé de commande" in html
    assert f'href="{reverse("storefront:home")}"' in html


def test_home_shows_personal_information_form(signed_in, user):
    # covers: ACC-8
    html = text(signed_in.get("/compte/"))
    assert "Mes informations" in html
    assert 'value="Jean"' in html
    assert "Langue de vos emails" in html
    assert user.email in html


@pytest.mark.parametrize("url", ["/en/compte/connexion/", "/en/compte/inscription/"])
def test_english_urls_serve_the_same_pages(client, url):
    # covers: ACC-8 — emails to English-speaking customers link under /en/
    assert client.get(url).status_code == 200
