"""Reviews in Chromium (SITE-3): a delivered order emails its invitation; the customer
follows the link, rates the shirt with a photo, and the review shows on the product page
with "Achat vérifié", the average and the vendor's answer; the page passes axe-core and is
screenshotted at 1280 and 375 px (in $VAR_DIR/screenshots/reviews, for a person to look at).
"""

import io
import os
import re
from pathlib import Path

from django.conf import settings as django_settings
from django.core import mail
from PIL import Image

from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.models import VendorOrder
from allies.orders.shipments import vendor_order_mark_delivered, vendor_order_ship
from allies.reviews.models import Review, ReviewStatus
from allies.reviews.services import review_answer, review_create
from tests.browser.conftest import axe_serious_violations
from tests.browser.test_support import PASSWORD, shop  # noqa: F401 (fixture)
from tests.factories import AddressFactory, UserFactory
from tests.orders.conftest import buy

SHOTS = Path(os.environ.get("VAR_DIR", "var")) / "screenshots" / "reviews"


def _delivered(market, customer=None):
    order = buy(market, [(market["shirt"], 1), (market["belt"], 1)], customer=customer,
                address=customer.addresses.get() if customer else None)  # fmt: skip
    vo = VendorOrder.objects.get(order=order)
    vendor = vo.vendor
    vendor_order_lines_decide(vendor_order=vo, vendor=vendor,
                              decisions={ln.pk: "accept" for ln in vo.lines.all()})  # fmt: skip
    vendor_order_ship(vendor_order=vo, vendor=vendor, carrier="colissimo",
                      parcels=[f"6A1234567{vo.pk:04d}"])  # fmt: skip
    vendor_order_mark_delivered(vendor_order=vo, vendor=vendor)
    vo.refresh_from_db()
    return vo


def _log_in(page, live_server, email):
    page.goto(live_server.url + "/compte/connexion/")
    page.locator("#id_username").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion/" not in url)


def _jpeg(path: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 70, 140)).save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    return path


def test_customer_reviews_from_the_invitation_and_it_shows_on_the_product_page(
    page,
    phone_page,
    browser,
    live_server,
    shop,  # noqa: F811
    tmp_path,
):
    # covers: SITE-3
    mail.outbox.clear()
    vendor_order = _delivered(shop)
    invitation = next(m for m in mail.outbox if "/compte/avis/commande/" in m.body)
    assert invitation.to == ["luc@example.test"]
    link = re.search(r"https?://\S+/compte/avis/commande/\d+/", invitation.body).group(0)
    path = link.removeprefix(django_settings.SITE_URL)

    # Another buyer's earlier review, answered by the vendor, so the page has some life.
    other = UserFactory(email="paul@example.test", first_name="Paul")
    AddressFactory(user=other, recipient="Paul Durand", is_default=True)
    earlier = _delivered(shop, customer=other)
    first = review_create(
        customer=other, vendor_order=earlier,
        order_line=earlier.lines.get(product_title="Chemise Oxford bleue"), rating=4,
        title="Bonne chemise", text="Coton épais, coupe droite. Les manches sont un peu longues.",
    )  # fmt: skip
    review_answer(
        vendor=shop["verlaine"],
        author=shop["vendor_user"],
        review=first,
        text="Merci Paul ! Nous proposons aussi cette chemise en coupe ajustée.",
    )

    _log_in(page, live_server, "luc@example.test")
    page.goto(live_server.url + path)
    page.get_by_role("heading", name="Donner mon avis", level=1).wait_for()
    item = page.locator("section", has=page.get_by_role("heading", name="Chemise Oxford bleue"))
    item.get_by_label("5 étoiles").check()
    item.get_by_label("Titre (facultatif)").fill("Parfaite pour le bureau")
    item.get_by_label("Votre avis").fill("Tissu épais, coupe nette, bien emballée. Je recommande.")
    item.get_by_label("Photos").set_input_files(str(_jpeg(tmp_path / "chemise.jpg")))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "form-1280.png"), full_page=True)
    item.get_by_role("button", name="Publier mon avis").click()
    page.get_by_text("Merci ! Votre avis est publié.").wait_for()
    review = Review.objects.get(customer=shop["customer"], order_line__isnull=False)
    assert review.status == ReviewStatus.PUBLISHED and review.has_photos

    product_url = live_server.url + shop["shirt"].variant.product.get_absolute_url()
    page.goto(product_url)
    reviews = page.get_by_test_id("reviews")
    reviews.get_by_text("Tissu épais, coupe nette").wait_for()
    assert reviews.get_by_text("Achat vérifié").count() == 2
    assert reviews.get_by_text("Réponse de Maison Verlaine").count() == 1
    assert "4,5" in reviews.inner_text()
    assert axe_serious_violations(page) == []
    page.screenshot(path=str(SHOTS / "product-1280.png"), full_page=True)

    phone_page.goto(product_url)
    phone_page.get_by_test_id("reviews").scroll_into_view_if_needed()
    phone_page.screenshot(path=str(SHOTS / "product-375.png"), full_page=True)
    assert axe_serious_violations(phone_page) == []
    assert vendor_order.pk

    # The vendor answers Luc's review from the portal's "Avis" page.
    vendor_page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    _log_in(vendor_page, live_server, "marc@verlaine.test")
    vendor_page.goto(live_server.url + "/vendeur/avis/?filtre=sans-reponse")
    card = vendor_page.get_by_test_id("vendor-review").filter(has_text="Parfaite pour le bureau")
    card.get_by_label("Votre réponse publique").fill("Merci Luc, ravis qu'elle vous plaise !")
    card.get_by_role("button", name="Publier la réponse").click()
    vendor_page.get_by_text("Votre réponse est publiée").wait_for()
    vendor_page.goto(live_server.url + "/vendeur/avis/")
    vendor_page.screenshot(path=str(SHOTS / "portal-1280.png"), full_page=True)
    assert axe_serious_violations(vendor_page) == []
    vendor_page.close()
    page.goto(product_url)
    page.get_by_text("Merci Luc, ravis qu'elle vous plaise !").wait_for()
