"""An after-sales claim in Chromium (issue 11, "Tests"): a delivered belt arrives broken; the
customer claims it from "Assistance en ligne" with two photos, the vendor offers home pickup
dates in its portal, the customer picks one, the vendor receives the belt, confirms the
defect and ships a replacement: its tracking number is on the customer's order page."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from allies.aftersales.claim_states import ClaimStatus
from allies.aftersales.models import Claim, ClaimPhoto
from allies.core.deadlines import is_working_day
from allies.payments.models import Refund
from tests.browser.test_returns import delivered_13_days_ago  # noqa: F401 (fixture)
from tests.browser.test_support import _emails_to, _logged_in


def _photo(path, color):
    Image.new("RGB", (120, 90), color).save(path, format="JPEG")
    return str(path)


def _next_working_days(count):
    day, found = timezone.localdate(), []
    while len(found) < count:
        day += timedelta(days=1)
        if is_working_day(day):
            found.append(day)
    return found


def test_claim_with_photos_home_pickup_then_a_tracked_replacement(
    page,
    browser,
    live_server,
    delivered_13_days_ago,  # noqa: F811
    tmp_path,
):
    # covers: SAV-1, SAV-2, SAV-3, SAV-4, VEN-2
    vo = delivered_13_days_ago
    belt = vo.lines.get(product_title="Ceinture en cuir")
    customer = _logged_in(browser, live_server, "luc@example.test", page=page)
    customer.goto(live_server.url + f"/compte/achats/{vo.order.reference}/assistance/")
    customer.get_by_label("Objet").select_option(label="Article abîmé ou cassé")
    customer.get_by_role("button", name="Écrire le message").click()
    customer.get_by_role("heading", name="Signaler un problème").wait_for()
    assert customer.get_by_label("Article abîmé ou cassé").is_checked()
    customer.locator(f"#qty-{belt.pk}").select_option("1")
    customer.locator(f"#desc-{belt.pk}").fill("La boucle s'est détachée dès le premier jour.")
    # Sent without photo first: refused with the message, nothing created.
    customer.get_by_label("Remplacement du produit").check()
    customer.get_by_role("button", name="Envoyer la réclamation").click()
    customer.get_by_text("Ajoutez au moins une photo de « Ceinture en cuir »").wait_for()
    assert not Claim.objects.exists()
    customer.locator(f"#photos-{belt.pk}").set_input_files(
        [_photo(tmp_path / "boucle.jpg", (150, 40, 30)), _photo(tmp_path / "dos.jpg", (40, 40, 40))]
    )
    customer.get_by_label("Remplacement du produit").check()
    customer.get_by_role("button", name="Envoyer la réclamation").click()
    customer.get_by_role("heading", name="Réclamation SAV-").wait_for()
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.REQUESTED and claim.remedy == "replacement"
    assert ClaimPhoto.objects.filter(item__claim=claim).count() == 2
    assert customer.get_by_text("Réponse du vendeur attendue avant le").is_visible()

    # The vendor offers two home pickup dates from its portal.
    first, second = _next_working_days(2)
    seller = _logged_in(browser, live_server, "marc@verlaine.test")
    seller.goto(live_server.url + "/vendeur/reclamations/")
    seller.get_by_role("link", name=claim.reference).click()
    expect(seller.locator("[data-testid=claim-item] img")).to_have_count(2)  # the photos, seen
    seller.get_by_label("Enlèvement à votre domicile").check()
    seller.locator("#pickup-1").fill(first.isoformat())
    seller.locator("#pickup-2").fill(second.isoformat())
    seller.get_by_test_id("propose").click()
    seller.get_by_test_id("pickup-dates").wait_for()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_RETURN
    assert claim.pickup_dates == [first.isoformat(), second.isoformat()]
    assert any("renvoi du produit" in m.subject for m in _emails_to("luc@example.test"))

    # The customer picks the second date.
    customer.reload()
    customer.locator("#id_day_2").check()
    customer.get_by_role("button", name="Confirmer cette date").click()
    customer.get_by_text("Enlèvement").first.wait_for()
    claim.refresh_from_db()
    assert claim.pickup_date == second and claim.tracking_number

    # The belt reaches the vendor, who confirms the defect and ships a new one.
    mail.outbox.clear()
    seller.reload()
    seller.get_by_test_id("received").click()
    seller.get_by_test_id("resolution-replacement").check()
    seller.locator("#settle-carrier").select_option("colissimo")
    seller.locator("#settle-tracking").fill("6A98765432109")
    seller.get_by_test_id("settle").click()
    seller.get_by_test_id("reship").wait_for()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RESHIPPED and claim.defect_confirmed is True
    assert claim.reship_tracking_number == "6A98765432109"
    assert not Refund.objects.exists()
    (reshipped,) = [m for m in _emails_to("luc@example.test") if "nouvel envoi" in m.subject]
    assert "6A98765432109" in reshipped.body

    # The replacement's tracking is on the customer's order page.
    customer.goto(live_server.url + f"/compte/achats/{vo.order.reference}/")
    customer.get_by_text("Colissimo, suivi 6A98765432109").wait_for()
