"""The customer's claim pages (SAV-1…4): "Signaler un problème" and what it tells before the
claim is sent, one claim with its deadline, photos, pickup choice and label, the handover from
"Assistance en ligne", and who may reach them."""

import html
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from allies.aftersales.claim_states import ClaimStatus
from allies.aftersales.claims import claim_refuse, claim_return_propose, claim_settle
from allies.aftersales.models import Claim, ClaimPhoto
from allies.core.money import format_eur
from allies.orders.events import Actor
from allies.support.models import Thread
from tests.aftersales.conftest import DELIVERED_AT, claimed, delivered, line_of, photo
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Thirty days after delivery: past the withdrawal window, a claim is still possible.
LATER = DELIVERED_AT + timedelta(days=30)


@pytest.fixture(autouse=True)
def _later():
    """Every page is read on LATER (a session opened today would have expired by then)."""
    with time_machine.travel(LATER, tick=False):
        yield


def text(response) -> str:
    return html.unescape(response.content.decode())


def form_url(vo, problem=""):
    url = reverse("aftersales:claim_request", args=[vo.order.reference, vo.pk])
    return f"{url}?probleme={problem}" if problem else url


def claim_url(claim):
    return reverse("aftersales:claim", args=[claim.pk])


def _vendor(market):
    return {"actor": Actor.vendor_user(market["verlaine_user"]), "vendor": market["verlaine"]}


def test_the_order_page_offers_to_report_a_problem_on_a_delivered_vendor_order(client, market):
    vo = delivered(market)
    client.force_login(market["customer"])
    page = text(client.get(reverse("orders:detail", args=[vo.order.reference])))
    assert form_url(vo) in page
    assert "Signaler un problème" in page


def test_the_form_lists_problems_items_remedies_and_what_happens_next(client, market):
    # covers: SAV-1, SAV-2, SAV-3, SAV-4
    vo = delivered(market)
    client.force_login(market["customer"])
    with time_machine.travel(LATER, tick=False):
        response = client.get(form_url(vo, "incomplete"))
    page = text(response)
    assert response.status_code == 200
    for label in (
        "Article abîmé ou cassé",
        "Colis incomplet ou article manquant",
        "Article non conforme (taille, couleur, modèle)",
        "Remplacement du produit",
        "Remboursement",
        "Réception des pièces manquantes",
        "Chemise Oxford bleue",
        "Ceinture en cuir",
    ):
        assert label in page
    assert 'id="id_problem_incomplete" name="problem" value="incomplete" checked' in page
    assert 'accept="image/*" multiple' in page
    assert "Les photos sont obligatoires" in page
    assert "photo de l'étiquette du colis et une de la notice de montage" in page
    assert "sous 48 heures ouvrées" in page
    assert "le retour est à ses frais" in page
    assert "traitée comme une rétractation : les frais de retour sont alors déduits" in page
    assert 'enctype="multipart/form-data"' in page


def test_an_undelivered_order_explains_when_a_claim_is_possible(client, market):
    vo = delivered(market)
    vo.delivered_at = None
    vo.save(update_fields=["delivered_at"])
    client.force_login(market["customer"])
    page = text(client.get(form_url(vo, "damaged")))
    assert "se signale une fois la commande livrée" in page
    assert '<form class="form form-wide claim-form"' not in page


def test_a_claim_without_photo_is_refused_with_the_message_and_keeps_the_text(client, market):
    # covers: SAV-1
    vo = delivered(market)
    belt = line_of(vo, "Ceinture en cuir")
    client.force_login(market["customer"])
    with time_machine.travel(LATER, tick=False):
        response = client.post(
            form_url(vo),
            {
                "problem": "damaged",
                "remedy": "replacement",
                f"qty-{belt.pk}": "1",
                f"desc-{belt.pk}": "La boucle est cassée net.",
            },
        )
    page = text(response)
    assert response.status_code == 200
    assert "Ajoutez au moins une photo de « Ceinture en cuir » : elle est obligatoire." in page
    assert "La boucle est cassée net." in page
    assert "choisissez-les à nouveau" in page
    assert 'value="replacement" checked' in page
    assert not Claim.objects.exists()
    assert not Thread.objects.exists()


def test_a_claim_with_a_photo_is_created_and_shows_its_deadline(client, market):
    # covers: SAV-1, SAV-2
    vo = delivered(market)
    belt = line_of(vo, "Ceinture en cuir")
    client.force_login(market["customer"])
    with time_machine.travel(LATER, tick=False):
        response = client.post(
            form_url(vo),
            {
                "problem": "damaged",
                "remedy": "refund",
                f"qty-{belt.pk}": "2",
                f"desc-{belt.pk}": "La boucle est cassée net.",
                f"photos-{belt.pk}": [photo("boucle.jpg"), photo("dos.jpg", (0, 0, 200))],
            },
        )
        claim = Claim.objects.get()
        assert response.status_code == 302 and response["Location"] == claim_url(claim)
        page = client.get(response["Location"], follow=True)
    body = text(page)
    assert claim.problem == "damaged" and claim.remedy == "refund"
    item = claim.items.get()
    assert item.quantity == 2 and item.order_line == belt
    assert ClaimPhoto.objects.filter(item=item).count() == 2
    assert "Votre réclamation est envoyée au vendeur" in body
    assert claim.reference in body
    assert "En attente de la réponse du vendeur" in body
    # Thursday 31 December 2026 10:00 + 48 business hours: 14 h that day, 1 January (public
    # holiday) and the weekend skipped, 24 h on Monday, 10 h on Tuesday.
    assert "Réponse du vendeur attendue avant le 5 janvier 2027 à 10:00" in body
    for attachment_id in ClaimPhoto.objects.values_list("attachment_id", flat=True):
        assert reverse("support:attachment", args=[attachment_id]) in body
    assert reverse("support:thread", args=[claim.thread_id]) in body


def test_the_photo_thumbnail_link_downloads_the_customers_photo(client, market):
    vo = delivered(market)
    claim = claimed(vo, {"Ceinture en cuir": 1}, at=LATER)
    attachment_id = ClaimPhoto.objects.get().attachment_id
    client.force_login(market["customer"])
    response = client.get(reverse("support:attachment", args=[attachment_id]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert claim.status == ClaimStatus.REQUESTED


def test_another_customer_reaches_none_of_the_claim_pages(client, market):
    vo = delivered(market)
    claim = claimed(vo, {"Ceinture en cuir": 1}, at=LATER)
    client.force_login(UserFactory())
    assert client.get(form_url(vo, "damaged")).status_code == 404
    assert client.post(form_url(vo), {"problem": "damaged"}).status_code == 404
    for name in ("claim", "claim_label_pdf"):
        assert client.get(reverse(f"aftersales:{name}", args=[claim.pk])).status_code == 404
    for name in ("claim_pickup", "claim_cancel"):
        assert client.post(reverse(f"aftersales:{name}", args=[claim.pk])).status_code == 404
    assert Claim.objects.get().status == ClaimStatus.REQUESTED


def test_the_customer_picks_a_pickup_date_on_the_page(client, market):
    # covers: SAV-3
    vo = delivered(market)
    claim = claimed(vo, {"Ceinture en cuir": 1}, at=LATER)
    with time_machine.travel(LATER + timedelta(days=1), tick=False):
        dates = ["2027-01-05", "2027-01-06"]
        claim_return_propose(claim=claim, mode="pickup", pickup_dates=dates, **_vendor(market))
        client.force_login(market["customer"])
        page = text(client.get(claim_url(claim)))
        assert "Produit à renvoyer au vendeur" in page
        assert "mardi 5 janvier 2027" in page and "mercredi 6 janvier 2027" in page
        response = client.post(
            reverse("aftersales:claim_pickup", args=[claim.pk]), {"day": "2027-01-06"}, follow=True
        )
    body = text(response)
    claim.refresh_from_db()
    assert str(claim.pickup_date) == "2027-01-06" and claim.tracking_number
    assert "Enlèvement à domicile confirmé pour le 6 janvier 2027" in body
    assert "Enlèvement à votre domicile prévu le mercredi 6 janvier 2027" in body
    assert 'name="day"' not in body


def test_a_date_not_offered_is_refused_with_the_message(client, market):
    vo = delivered(market)
    claim = claimed(vo, {"Ceinture en cuir": 1}, at=LATER)
    with time_machine.travel(LATER + timedelta(days=1), tick=False):
        claim_return_propose(claim=claim, mode="pickup", pickup_dates=["2027-01-05"],
                             **_vendor(market))  # fmt: skip
        client.force_login(market["customer"])
        response = client.post(
            reverse("aftersales:claim_pickup", args=[claim.pk]), {"day": "2027-01-08"}, follow=True
        )
    assert "Choisissez une des dates proposées." in text(response)
    claim.refresh_from_db()
    assert claim.pickup_date is None


def test_the_prepaid_label_downloads_as_a_pdf_once_the_vendor_proposed_it(client, market):
    # covers: SAV-3
    vo = delivered(market)
    claim = claimed(vo, {"Ceinture en cuir": 1}, at=LATER)
    client.force_login(market["customer"])
    label_url = reverse("aftersales:claim_label_pdf", args=[claim.pk])
    assert client.get(label_url).status_code == 404
    with time_machine.travel(LATER + timedelta(days=1), tick=False):
        claim_return_propose(claim=claim, mode="label", **_vendor(market))
    page = text(client.get(claim_url(claim)))
    assert "Votre bon de retour prépayé est prêt" in page and label_url in page
    pdf = client.get(label_url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert f'filename="bon-de-retour-{claim.reference}.pdf"' in pdf["Content-Disposition"]
    assert pdf.content.startswith(b"%PDF")


def test_the_customer_cancels_a_claim_waiting_for_the_answer(client, market):
    vo = delivered(market)
    claim = claimed(vo, {"Ceinture en cuir": 1}, at=LATER)
    client.force_login(market["customer"])
    assert "Annuler ma réclamation" in text(client.get(claim_url(claim)))
    response = client.post(reverse("aftersales:claim_cancel", args=[claim.pk]), follow=True)
    body = text(response)
    assert "Votre réclamation est annulée." in body and "Demande annulée" in body
    assert "Annuler ma réclamation" not in body
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED


def test_the_damaged_motif_of_assistance_en_ligne_leads_to_the_claim_form(client, market):
    vo = delivered(market)
    client.force_login(market["customer"])
    response = client.get(
        reverse("support:order_assistance", args=[vo.order.reference]),
        {"vendor_order": vo.pk, "about": "commande", "motif": "damaged", "etape": "message"},
    )
    assert response.status_code == 302 and response["Location"] == form_url(vo, "damaged")
    page = text(client.get(response["Location"]))
    assert 'id="id_problem_damaged" name="problem" value="damaged" checked' in page


def test_the_claim_page_queries_are_bounded(client, market, django_assert_max_num_queries):
    vo = delivered(market)
    claim = claimed(vo, {"Ceinture en cuir": 2, "Chemise Oxford bleue": 1}, at=LATER)
    client.force_login(market["customer"])
    # However many items and photos: the claim, its items, their photos, its events.
    with django_assert_max_num_queries(10):
        assert client.get(claim_url(claim)).status_code == 200
    with django_assert_max_num_queries(13):
        assert client.get(form_url(vo)).status_code == 200


def test_a_replacement_shows_its_carrier_and_tracking_number(client, market):
    # covers: SAV-4
    vo = delivered(market)
    claim = claimed(vo, {"Ceinture en cuir": 1}, at=LATER, remedy="replacement")
    claim_settle(claim=claim, resolution="replacement", carrier="colissimo",
                 tracking_number="6A98765432101", **_vendor(market))  # fmt: skip
    client.force_login(market["customer"])
    page = text(client.get(claim_url(claim)))
    assert "Nouvel envoi expédié" in page
    assert "Nouvel envoi gratuit par Colissimo, suivi n° 6A98765432101." in page
    assert "6A98765432101" in page and "Suivre le colis" in page
    assert "Annuler ma réclamation" not in page


def test_a_refund_shows_its_amount(client, market):
    # covers: SAV-4
    vo = delivered(market)
    claim = claimed(vo, {"Ceinture en cuir": 1}, at=LATER)
    claim_settle(claim=claim, resolution="refund", **_vendor(market))
    claim.refresh_from_db()
    client.force_login(market["customer"])
    page = text(client.get(claim_url(claim)))
    assert claim.refunded_amount > 0
    assert f"Remboursement déclenché : {format_eur(claim.refunded_amount)}" in page


def test_a_refusal_shows_the_vendors_reason(client, market):
    vo = delivered(market)
    claim = claimed(vo, {"Ceinture en cuir": 1}, at=LATER)
    claim_refuse(claim=claim, reason="La rayure figurait sur la fiche produit.", **_vendor(market))
    client.force_login(market["customer"])
    page = text(client.get(claim_url(claim)))
    assert "Réclamation refusée par le vendeur" in page
    assert "La rayure figurait sur la fiche produit." in page
