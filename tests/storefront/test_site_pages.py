"""The site's own pages (about, terms, legal notice, privacy policy, delivery and returns), the
header promises and the footer (SITE-1, SITE-4), and the "Livraison gratuite" badges."""

import re
from decimal import Decimal

import pytest
from django.test import override_settings

from allies.aftersales.returns import REFUND_DAYS, SEND_BACK_DAYS
from allies.orders.closing import WITHDRAWAL_DAYS
from allies.privacy.registry import ACCOUNTING_RETENTION_YEARS
from allies.shipping.models import ShippingRate
from tests.factories import VendorFactory
from tests.storefront.conftest import add_product, text

pytestmark = pytest.mark.django_db

PAGES = {
    "/a-propos/": ("À propos des Alliés", "About"),
    "/conditions-generales-de-vente/": ("Conditions générales de vente", "Terms"),
    "/mentions-legales/": ("Mentions légales", "Legal"),
    "/confidentialite/": ("Politique de confidentialité", "Privacy"),
    "/livraison-et-retours/": ("Livraison gratuite & Retours gratuits : les conditions", "Deliver"),
}


def hrefs(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


@pytest.mark.parametrize("path", list(PAGES))
def test_each_site_page_renders_in_french_and_english(client, path, django_assert_max_num_queries):
    # covers: SITE-4
    with django_assert_max_num_queries(3):
        fr = client.get(path)
    assert fr.status_code == 200
    assert f"<h1>{PAGES[path][0]}</h1>" in text(fr)
    assert '<html lang="fr">' in text(fr)
    en = client.get("/en" + path)
    assert en.status_code == 200
    assert '<html lang="en">' in text(en)
    # The English page links to the English versions of the site pages.
    assert "/en/conditions-generales-de-vente/" in hrefs(text(en))


def test_footer_links_to_the_four_pages_and_the_help_centre(client):
    # covers: SITE-1, SITE-2
    html = text(client.get("/"))
    footer = html[html.index('<footer class="site-footer">') :]
    links = hrefs(footer)
    for path in (
        "/conditions-generales-de-vente/",
        "/mentions-legales/",
        "/confidentialite/",
        "/a-propos/",
        "/aide/",
        "/livraison-et-retours/",
    ):
        assert path in links, path
    en_footer = text(client.get("/en/"))
    en_footer = en_footer[en_footer.index('<footer class="site-footer">') :]
    assert {"/en/mentions-legales/", "/en/aide/"} <= hrefs(en_footer)


def test_header_promises_link_to_their_exact_conditions(client):
    # covers: SITE-1
    html = text(client.get("/"))
    header = html[
        html.index('class="promises"') : html.index("</div>", html.index('class="promises"'))
    ]
    assert re.search(
        r'href="/livraison-et-retours/">.*Livraison gratuite (&amp;|&) Retours gratuits', header
    )
    assert re.search(r'href="/conditions-generales-de-vente/#paiement">.*Paiement sécurisé', header)
    assert re.search(
        r'href="/conditions-generales-de-vente/#retractation">.*'
        rf"Satisfait ou remboursé sous {WITHDRAWAL_DAYS} jours",
        header,
    )
    # Each anchor exists on its page, and says what the promise means.
    terms = text(client.get("/conditions-generales-de-vente/"))
    assert 'id="paiement"' in terms and 'id="retractation"' in terms
    payment = terms[terms.index('id="paiement"') : terms.index('id="livraison"')]
    for word in ("Visa", "MasterCard", "3-D Secure", "LemonWay"):
        assert word in payment
    delivery = text(client.get("/livraison-et-retours/"))
    assert "offerts dès" in delivery and "bon de retour prépayé" in delivery
    assert "à vos frais" in delivery  # Belgium and one's own carrier: said plainly


def test_delays_shown_are_those_the_code_applies(client, settings):
    # covers: RET-1, RET-2, RET-6, CS-1, CS-2
    terms = text(client.get("/conditions-generales-de-vente/"))
    assert f"{WITHDRAWAL_DAYS} jours calendaires à compter de la réception" in terms
    assert f"Vous avez alors {SEND_BACK_DAYS} jours calendaires pour renvoyer" in terms
    assert f"au plus tard {REFUND_DAYS} jours après votre demande" in terms
    assert f"jusqu'au {WITHDRAWAL_DAYS + 1} du mois inclus" in terms
    assert f"répond sous {settings.SUPPORT_VENDOR_ANSWER_HOURS} heures" in terms
    privacy = text(client.get("/confidentialite/"))
    assert f"{ACCOUNTING_RETENTION_YEARS} ans après la commande" in privacy


@override_settings(SUPPORT_VENDOR_ANSWER_HOURS=36, ORDER_ACCEPTANCE_WORKING_DAYS=3)
def test_pages_follow_a_changed_setting(client):
    # covers: CS-1 (the page is rendered from the setting, not typed)
    delivery = text(client.get("/livraison-et-retours/"))
    assert "36 heures" in delivery and "3 jours ouvrés" in delivery
    assert "48 heures" not in delivery


def test_privacy_policy_lists_only_essential_cookies_and_no_banner(client, settings):
    # covers: SITE-4 (privacy policy)
    response = client.get("/confidentialite/")
    html = text(response)
    assert settings.SESSION_COOKIE_NAME in html and settings.CSRF_COOKIE_NAME in html
    assert "ne vous demande pas votre accord" in html
    assert "cookie-banner" not in html and "Accepter les cookies" not in html
    # Visiting the public pages sets no cookie at all.
    assert not response.cookies
    assert 'href="/compte/donnees/"' in html


def test_legal_notice_names_publisher_host_and_director(client, settings):
    settings.OPERATOR_LEGAL_NAME = "Alliés Test SAS"
    html = text(client.get("/mentions-legales/"))
    assert "Alliés Test SAS" in html
    assert "Directeur de la publication" in html and "Hébergeur" in html
    assert settings.CUSTOMER_SERVICE_EMAIL in html


# --- "Livraison gratuite" badges ------------------------------------------------------------


@pytest.fixture
def two_vendors(db):
    free = VendorFactory(name="Port Offert")
    paid = VendorFactory(name="Port Payant")
    threshold = VendorFactory(name="Offert dès 60")
    ShippingRate.objects.create(vendor=free, mode="home", zone="FR", carrier="colissimo",
                                base_fee=Decimal("0"), min_days=2, max_days=4)  # fmt: skip
    ShippingRate.objects.create(vendor=paid, mode="home", zone="FR", carrier="colissimo",
                                base_fee=Decimal("6.90"), min_days=2, max_days=4)  # fmt: skip
    ShippingRate.objects.create(vendor=threshold, mode="home", zone="FR", carrier="colissimo",
                                base_fee=Decimal("5.00"), min_days=2, max_days=4,
                                free_shipping_threshold=Decimal("60"))  # fmt: skip
    return free, paid, threshold


def test_product_page_badge_only_on_offers_shipping_free_to_mainland_france(client, two_vendors):
    # covers: SITE-1, CHK-4
    free, paid, _threshold = two_vendors
    product = add_product(
        title="Chemise lin",
        offers=[{"vendor": free, "price": "49.90"}, {"vendor": paid, "price": "45.00"}],
    )
    html = text(client.get(product.get_absolute_url()))
    assert html.count('class="badge-free-delivery"') == 1
    # The badge sits in the free vendor's block "Modes de livraison disponibles".
    blocks = html.split('<details class="shipping-block">')[1:]
    free_block = next(b for b in blocks if "Livraison par Port Offert" in b)
    paid_block = next(b for b in blocks if "Livraison par Port Payant" in b)
    assert "Livraison gratuite" in free_block.split("</summary>")[0]
    assert "Livraison gratuite" not in paid_block.split("</summary>")[0]
