"""The vendor portal's "Réclamations": the list and its tabs with the 48 business hours answer
deadline, one claim with its items, descriptions, photos and the customer's wanted remedy,
the vendor's actions through the pages (propose a home pickup, item received, settle with a
replacement, a refund or a refund treated as a withdrawal, close without defect, refuse), a
refused action changing nothing; another vendor gets 404 on every route and photo; the list
costs the same queries whatever the number of claims."""

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allies.aftersales.claim_states import ClaimStatus
from allies.aftersales.claims import claim_mark_received, claim_return_propose
from allies.aftersales.models import Claim
from allies.orders.events import Actor
from allies.payments.models import Refund
from tests.aftersales.conftest import (  # noqa: F401  (the aftersales tests' fixtures)
    DELIVERED_AT,
    _fast_passwords,
    _support_storage_in_tmp,
    claimed,
    delivered,
)

pytestmark = pytest.mark.django_db

LIST = reverse("vendor_portal:claims")
DAY = timedelta(days=1)
# Friday 4 December 2026, 11:00: the pickup dates offered are the next Tuesday and Wednesday.
NOW = DELIVERED_AT + 3 * DAY + timedelta(hours=1)
PICKUP = ["2026-12-08", "2026-12-09", "", "", ""]


def url(name: str, found) -> str:
    return reverse(f"vendor_portal:{name}", args=[found.pk])


def html(response) -> str:
    """The page's text as the user reads it (entities decoded)."""
    return unescape(response.content.decode())


def followed(client, response) -> str:
    """The page a POST redirected to, with its flashed message."""
    assert response.status_code == 302, response.status_code
    return html(client.get(response["Location"]))


def act(client, name: str, found, data=None) -> str:
    """Post the claim page's form `name` and read the claim page it leads back to."""
    response = client.post(url(name, found), data or {})
    assert response["Location"] == url("claim", found)
    return followed(client, response)


def vendor_actor(market):
    return {"actor": Actor.vendor_user(market["verlaine_user"]), "vendor": market["verlaine"]}


def in_return(market, claim, at=NOW):
    """The claim's item asked back with a home pickup, then received."""
    with time_machine.travel(at, tick=False):
        claim_return_propose(claim=claim, mode="pickup", pickup_dates=PICKUP[:1],
                             **vendor_actor(market))  # fmt: skip
        claim_mark_received(claim=claim, **vendor_actor(market))
    claim.refresh_from_db()
    return claim


@pytest.fixture
def three(market):
    """Verlaine's delivered order (a shirt 59,90 €, two belts 35,00 €, shipping 7,00 €) and
    three claims: the shirt broken (replacement wanted) on day 2, a belt incomplete (missing
    parts) on day 3, a belt broken (refund wanted) on day 3, received back."""
    vo = delivered(market)
    shirt = claimed(vo, {"Chemise Oxford bleue": 1}, at=DELIVERED_AT + 1 * DAY,
                    remedy="replacement")  # fmt: skip
    parts = claimed(vo, {"Ceinture en cuir": 1}, at=DELIVERED_AT + 2 * DAY,
                    problem="incomplete", remedy="missing_parts")  # fmt: skip
    back = claimed(vo, {"Ceinture en cuir": 1}, at=DELIVERED_AT + 2 * DAY + timedelta(hours=1))
    in_return(market, back)
    return {"vo": vo, "shirt": shirt, "parts": parts, "back": back}


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_own_claims_with_the_answer_deadline(verlaine_client, market, three):
    # covers: VEN-2, SAV-1, SAV-2
    shirt, parts, back = three["shirt"], three["parts"], three["back"]
    # Day 3 at 11:00: the shirt's 48 business hours have run out, not the belt's.
    assert shirt.answer_due_at < NOW < parts.answer_due_at
    with time_machine.travel(NOW, tick=False):
        to_handle = html(verlaine_client.get(LIST))
        late = html(verlaine_client.get(LIST, {"filtre": "en-retard"}))
        inspect = html(verlaine_client.get(LIST, {"filtre": "a-expertiser"}))
        closed = html(verlaine_client.get(LIST, {"filtre": "terminees"}))
        every = verlaine_client.get(LIST, {"filtre": "toutes"})
    assert shirt.reference in to_handle and parts.reference in to_handle
    assert back.reference not in to_handle
    due = shirt.answer_due_at.astimezone(DELIVERED_AT.tzinfo).strftime("%d/%m/%Y %H:%M")
    assert f"répondre avant le {due}" in to_handle and "En retard" in to_handle
    assert "Article abîmé ou cassé" in to_handle and "Remplacement du produit" in to_handle
    assert "Réception des pièces manquantes" in to_handle
    assert "Luc" in to_handle and three["vo"].order.reference in to_handle
    assert "luc@example.test" not in to_handle and "Martin" not in to_handle
    assert shirt.reference in late and parts.reference not in late
    assert back.reference in inspect and "À expertiser" in inspect
    assert "Aucune réclamation terminée." in closed
    rows = every.context["page"].object_list
    assert [r.pk for r in rows] == [shirt.pk, parts.pk, back.pk]  # the oldest claim first
    assert every.context["claim_counts"].late == 1


def test_another_vendors_claims_are_invisible_and_404_everywhere(client, market, three):
    # covers: VEN-2
    client.force_login(market["brun_user"])
    listing = client.get(LIST, {"filtre": "toutes"})
    assert list(listing.context["page"].object_list) == []
    assert three["shirt"].reference not in html(listing)
    for found in (three["shirt"], three["back"]):
        assert client.get(url("claim", found)).status_code == 404
        for name in ("claim_return", "claim_refuse", "claim_received", "claim_settle",
                     "claim_reject"):  # fmt: skip
            form = {"mode": "pickup", "pickup_date": PICKUP, "reason": "x", "note": "x",
                    "resolution": "refund"}  # fmt: skip
            assert client.post(url(name, found), form).status_code == 404, name
        photo = found.items.get().photos.get()
        photo_url = reverse("vendor_portal:claim_photo", args=[found.pk, photo.pk])
        assert client.get(photo_url).status_code == 404
    assert client.get(reverse("vendor_portal:claim", args=[999999])).status_code == 404
    statuses = dict(Claim.objects.values_list("pk", "status"))
    assert statuses[three["shirt"].pk] == ClaimStatus.REQUESTED
    assert statuses[three["back"].pk] == ClaimStatus.RECEIVED
    assert not Refund.objects.exists()


def test_the_list_costs_the_same_queries_for_3_or_12_claims(
    verlaine_client, market, django_assert_max_num_queries
):
    # covers: VEN-2 (queries constant in the number of claims)
    for offer in (market["shirt"], market["belt"]):
        offer.stock = 20
        offer.save(update_fields=["stock"])
    vo = delivered(market, [(market["shirt"], 10), (market["belt"], 10)])
    titles = ["Chemise Oxford bleue", "Ceinture en cuir"] * 6
    counted = []
    for total in (3, 12):
        while Claim.objects.count() < total:
            claimed(vo, {titles.pop(): 1}, at=DELIVERED_AT + DAY)
        verlaine_client.get(LIST)  # the session is warm
        # session · user · vendors · counts · menu's messages · page count · page
        with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as queries:
            response = verlaine_client.get(LIST, {"filtre": "toutes"})
        assert response.status_code == 200
        assert len(response.context["page"].object_list) == total
        counted.append(len(queries))
    assert counted[0] == counted[1]


# --- one claim -------------------------------------------------------------------------------


def test_the_detail_shows_descriptions_photos_remedy_and_the_conversation(verlaine_client, three):
    # covers: VEN-2, SAV-1
    shirt, back = three["shirt"], three["back"]
    page = html(verlaine_client.get(url("claim", shirt)))
    assert "Chemise Oxford bleue : couture ouverte" in page
    assert "Remplacement du produit" in page and "Article abîmé ou cassé" in page
    assert url("support_thread", shirt.thread) in page
    photo = shirt.items.get().photos.get()
    photo_url = reverse("vendor_portal:claim_photo", args=[shirt.pk, photo.pk])
    assert f'src="{photo_url}"' in page
    served = verlaine_client.get(photo_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content)[:2] == b"\xff\xd8"  # a JPEG
    # The photo of one claim through another claim's address: not found.
    assert (
        verlaine_client.get(
            reverse("vendor_portal:claim_photo", args=[back.pk, photo.pk])
        ).status_code
        == 404
    )
    # A claim to answer: return, refuse and settle (no withdrawal before inspection).
    for testid in ("propose", "refuse", "settle", "resolution-replacement"):
        assert f'data-testid="{testid}"' in page, testid
    assert 'data-testid="resolution-withdrawal"' not in page
    assert page.count('type="date"') == 5
    # A claim received: settle or close without defect, no answer any more.
    received = html(verlaine_client.get(url("claim", back)))
    assert 'data-testid="reject"' in received and 'data-testid="resolution-repair"' in received
    assert 'data-testid="propose"' not in received and 'data-testid="refuse"' not in received


def test_propose_a_home_pickup_then_mark_the_item_received(verlaine_client, three):
    # covers: VEN-2, SAV-3
    shirt = three["shirt"]
    with time_machine.travel(NOW, tick=False):
        page = act(
            verlaine_client, "claim_return", shirt, {"mode": "pickup", "pickup_date": PICKUP}
        )
    shirt.refresh_from_db()
    assert shirt.status == ClaimStatus.AWAITING_RETURN
    assert shirt.return_mode == "pickup" and shirt.pickup_dates == PICKUP[:2]
    assert "Enlèvement proposé" in page and "8 décembre 2026" in page
    assert 'data-testid="received"' in page
    received = act(verlaine_client, "claim_received", shirt)
    shirt.refresh_from_db()
    assert shirt.status == ClaimStatus.RECEIVED and shirt.received_at is not None
    assert "Produit marqué reçu" in received and 'data-testid="reject"' in received


def test_propose_a_prepaid_label(verlaine_client, three):
    # covers: VEN-2, SAV-3
    parts = three["parts"]
    with time_machine.travel(NOW, tick=False):
        page = act(verlaine_client, "claim_return", parts, {"mode": "label", "pickup_date": PICKUP})
    parts.refresh_from_db()
    assert parts.status == ClaimStatus.AWAITING_RETURN and parts.return_mode == "label"
    assert parts.tracking_number and parts.pickup_dates == []
    assert "Bon de retour prépayé émis" in page and parts.tracking_number in page


@pytest.mark.parametrize(
    "dates, words",
    [
        (["2026-12-32"], "Indiquez des dates au format JJ/MM/AAAA."),
        (["2026-12-05"], "n'est pas un jour ouvré"),  # a Saturday
        (["2026-12-03"], "Proposez des dates entre demain et dans 21 jours."),  # yesterday
        (["", ""], "Proposez au moins une date d'enlèvement."),
    ],
)
def test_a_bad_pickup_date_shows_the_message_and_changes_nothing(
    verlaine_client, three, dates, words
):
    # covers: SAV-3
    shirt = three["shirt"]
    with time_machine.travel(NOW, tick=False):
        page = act(verlaine_client, "claim_return", shirt, {"mode": "pickup", "pickup_date": dates})
    assert words in page
    shirt.refresh_from_db()
    assert shirt.status == ClaimStatus.REQUESTED and shirt.pickup_dates == []


def test_settle_with_a_replacement_and_its_tracking_number(verlaine_client, three):
    # covers: VEN-2, SAV-4
    shirt = three["shirt"]
    form = {"resolution": "replacement", "carrier": "colissimo"}
    bad = act(verlaine_client, "claim_settle", shirt, {**form, "tracking_number": "12"})
    assert "Ce numéro de suivi ne correspond pas au format de Colissimo." in bad
    assert 'data-testid="settle"' in bad  # the same form, to try again
    shirt.refresh_from_db()
    assert shirt.status == ClaimStatus.REQUESTED and shirt.reship_tracking_number == ""
    missing = act(verlaine_client, "claim_settle", shirt, form)
    assert "Indiquez le numéro de suivi de l'envoi." in missing
    sent = {**form, "tracking_number": "6A 1234 5678 901"}
    done = act(verlaine_client, "claim_settle", shirt, sent)
    shirt.refresh_from_db()
    assert shirt.status == ClaimStatus.RESHIPPED and shirt.resolution == "replacement"
    assert shirt.reship_carrier == "colissimo" and shirt.reship_tracking_number == "6A12345678901"
    assert "Nouvel envoi enregistré" in done and "6A12345678901" in done
    assert not Refund.objects.exists()


def test_settle_with_a_refund_shows_then_refunds_the_amount(verlaine_client, three):
    # covers: VEN-2, SAV-4
    parts = three["parts"]  # a belt: 35,00 + its shipping share round(7,00 × 35 / 129,90)
    page = html(verlaine_client.get(url("claim", parts)))
    assert "Le client sera remboursé de 36,89" in page
    done = act(verlaine_client, "claim_settle", parts, {"resolution": "refund"})
    parts.refresh_from_db()
    assert parts.status == ClaimStatus.REFUNDED and parts.refunded_amount == Decimal("36.89")
    assert Refund.objects.get().amount == Decimal("36.89")
    assert "Remboursement de 36,89" in done


def test_a_refund_without_defect_is_a_withdrawal_less_the_return_cost(verlaine_client, three):
    # covers: SAV-3, SAV-4
    back = three["back"]  # a belt whose refund was asked, back through a 12,00 € pickup
    assert back.return_cost == Decimal("12.00")
    page = html(verlaine_client.get(url("claim", back)))
    assert "Le client sera remboursé de 36,89" in page  # defect confirmed: the whole price
    withdrawal = "remboursé de 24,89 € : frais de retour de 12,00 € déduits"
    assert withdrawal in page.replace("\xa0", " ")
    done = act(verlaine_client, "claim_settle", back, {"resolution": "withdrawal"})
    back.refresh_from_db()
    assert back.status == ClaimStatus.REFUNDED and back.resolution == "withdrawal"
    assert back.defect_confirmed is False
    assert back.refunded_amount == Decimal("24.89")
    assert Refund.objects.get().amount == Decimal("24.89")
    assert "Remboursement de 24,89" in done


def test_closing_without_defect_needs_a_note(verlaine_client, three):
    # covers: VEN-2, SAV-4
    back = three["back"]
    empty = act(verlaine_client, "claim_reject", back, {"note": " "})
    assert "Expliquez au client ce que l'expertise a constaté." in empty
    back.refresh_from_db()
    assert back.status == ClaimStatus.RECEIVED
    done = act(verlaine_client, "claim_reject", back, {"note": "Usure normale du cuir."})
    back.refresh_from_db()
    assert back.status == ClaimStatus.REJECTED and back.inspection_note == "Usure normale du cuir."
    assert "Réclamation close sans défaut" in done
    assert not Refund.objects.exists()


def test_refusing_needs_a_reason(verlaine_client, three):
    # covers: VEN-2, SAV-2
    shirt = three["shirt"]
    empty = act(verlaine_client, "claim_refuse", shirt, {"reason": ""})
    assert "Indiquez la raison du refus." in empty
    shirt.refresh_from_db()
    assert shirt.status == ClaimStatus.REQUESTED
    done = act(verlaine_client, "claim_refuse", shirt, {"reason": "Dommage causé par le client."})
    shirt.refresh_from_db()
    assert shirt.status == ClaimStatus.REFUSED
    assert shirt.refusal_reason == "Dommage causé par le client."
    assert "Réclamation refusée" in done and "Dommage causé par le client." in done
    again = act(verlaine_client, "claim_refuse", shirt, {"reason": "Encore."})
    assert "Cette réclamation a déjà une réponse." in again


# --- navigation ------------------------------------------------------------------------------


def test_the_dashboard_card_and_the_menu(verlaine_client, three):
    # covers: VEN-2
    with time_machine.travel(NOW, tick=False):
        page = html(verlaine_client.get(reverse("vendor_portal:dashboard")))
    assert 'data-testid="claims"' in page and 'data-testid="nav-claims"' in page
    assert "2 réclamations à traiter" in page and "1 produit à expertiser" in page
    assert page.index('data-testid="nav-returns"') < page.index('data-testid="nav-claims"')
