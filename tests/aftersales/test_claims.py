"""After-sales claims (SAV-1…4) through the services: photos, the 48 business hours, the
item back at the vendor's cost, the inspection's outcome, and every refund to the cent."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from allies.aftersales.claim_states import ClaimStatus
from allies.aftersales.claims import (
    ItemInput,
    claim_cancel,
    claim_label_pdf,
    claim_mark_received,
    claim_open,
    claim_pickup_choose,
    claim_refuse,
    claim_reject,
    claim_return_propose,
    claim_settle,
)
from allies.aftersales.errors import ClaimError, ClaimForbidden
from allies.aftersales.models import Claim, ClaimPhoto
from allies.aftersales.returns import returnable_lines
from allies.ledger.models import LedgerEntry
from allies.orders.closing import vendor_order_has_open_after_sales
from allies.orders.events import Actor
from allies.orders.models import OrderEvent
from allies.orders.shipments import tracking_events_apply
from allies.orders.timeline import vendor_order_timeline
from allies.payments.models import Refund
from allies.shipping import tracking
from allies.support.models import Attachment, Message, Motif, Thread, ThreadStage
from allies.support.services import message_post
from tests.aftersales.conftest import DELIVERED_AT, PARIS, claimed, delivered, line_of, photo, sent
from tests.factories import UserFactory
from tests.orders.conftest import assert_ledger_balanced

pytestmark = pytest.mark.django_db

LATER = DELIVERED_AT + timedelta(days=20)  # past the withdrawal window: the guarantee applies


def vendor_actor(market):
    return Actor.vendor_user(market["verlaine_user"])


def carrier_event(number: str, event: str, at: datetime) -> None:
    tracking_events_apply(
        adapter=tracking.SimulatedAdapter(),
        events=[tracking.TrackingEvent(tracking_number=number, event=event, at=at)],
    )


def test_a_claim_without_photo_is_refused_with_the_message_and_writes_nothing(market):
    # covers: SAV-1
    vo = delivered(market)
    belt = line_of(vo, "Ceinture en cuir")
    with pytest.raises(ClaimError) as refused:
        claim_open(
            customer=market["customer"], vendor_order=vo, problem="damaged", remedy="refund",
            items={belt.pk: ItemInput(quantity="1", description="Boucle cassée", photos=[])},
        )  # fmt: skip
    assert refused.value.code == "photo_required"
    assert "Ajoutez au moins une photo de « Ceinture en cuir »" in refused.value.message
    assert not Claim.objects.exists() and not Thread.objects.exists()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("problem", "remedy", "item", "code"),
    [
        ("damaged", "missing_parts", {"quantity": "1"}, "invalid_remedy"),
        ("lost", "refund", {"quantity": "1"}, "invalid_problem"),
        ("damaged", "refund", {"quantity": "3"}, "too_many"),
        ("damaged", "refund", {"quantity": "١"}, "invalid_quantity"),
        ("damaged", "refund", {"quantity": "1", "description": " "}, "description_required"),
        ("damaged", "refund", {"quantity": "0"}, "no_items"),
    ],
)
def test_bad_claims_are_refused_with_a_message(market, problem, remedy, item, code):
    # covers: SAV-1
    vo = delivered(market)
    belt = line_of(vo, "Ceinture en cuir")
    fields = {"description": "Boucle cassée", "photos": [photo()], **item}
    with pytest.raises(ClaimError) as refused:
        claim_open(customer=market["customer"], vendor_order=vo, problem=problem,
                   remedy=remedy, items={belt.pk: ItemInput(**fields)})  # fmt: skip
    assert refused.value.code == code and refused.value.message
    assert not Claim.objects.exists()


def test_a_claim_opens_a_thread_whose_clock_counts_48_business_hours(market):
    # covers: SAV-1, SAV-2
    vo = delivered(market)
    # Thursday 24 December 2026, 15:00: Christmas, then a weekend.
    at = datetime(2026, 12, 24, 15, 0, tzinfo=PARIS)
    claim = claimed(vo, {"Ceinture en cuir": 2}, at=at)
    # 9 h left on the 24th, 25th a holiday, 26–27 a weekend, 24 h on the 28th, 15 h on the 29th.
    assert claim.answer_due_at == datetime(2026, 12, 29, 15, 0, tzinfo=PARIS)
    thread = claim.thread
    assert thread.motif == Motif.DAMAGED and thread.stage == ThreadStage.WAITING_VENDOR
    assert thread.vendor_due_at == claim.answer_due_at
    first = Message.objects.filter(thread=thread).first()
    assert "Remboursement" in first.body and "couture ouverte" in first.body
    [item] = claim.items.all()
    assert item.quantity == 2
    [stored] = ClaimPhoto.objects.filter(item=item)
    assert (
        stored.attachment.message_id == first.pk and stored.attachment.content_type == "image/jpeg"
    )
    assert OrderEvent.objects.filter(vendor_order=vo, kind="claim_opened").exists()
    # The claimed units are held: neither returned nor claimed twice.
    assert {r.line.product_title for r in returnable_lines(vendor_order=vo)} == {
        "Chemise Oxford bleue"
    }
    # The vendor answers in the thread, the customer writes again: a new 48 business hours.
    with time_machine.travel(datetime(2026, 12, 28, 9, 0, tzinfo=PARIS), tick=False):
        message_post(thread=thread, actor=vendor_actor(market), vendor=market["verlaine"],
                     body="Pouvez-vous préciser ?")  # fmt: skip
    # New Year's Eve 18:00: 6 h, Jan 1st a holiday, 2–3 a weekend, 24 h on the 4th, 18 h on the 5th.
    again = datetime(2026, 12, 31, 18, 0, tzinfo=PARIS)
    with time_machine.travel(again, tick=False):
        message_post(thread=thread, actor=Actor.customer(market["customer"]),
                     body="La boucle s'est détachée.")  # fmt: skip
    thread.refresh_from_db()
    assert thread.vendor_due_at == datetime(2027, 1, 5, 18, 0, tzinfo=PARIS)


def test_a_plain_question_keeps_48_calendar_hours(market):
    # covers: CS-1 (the business hours are the claims' alone)
    from allies.support.services import thread_open

    vo = delivered(market)
    at = datetime(2026, 12, 24, 15, 0, tzinfo=PARIS)
    with time_machine.travel(at, tick=False):
        thread = thread_open(actor=Actor.customer(market["customer"]), vendor_order=vo,
                             motif=Motif.INVOICE, body="Ma facture ?")  # fmt: skip
    assert thread.vendor_due_at == at + timedelta(hours=48)


def test_another_customer_or_vendor_reaches_nothing(market):
    # covers: SAV-1, VEN-2
    other_customer = UserFactory()
    vo = delivered(market)
    with pytest.raises(ClaimForbidden):
        claimed(vo, {"Ceinture en cuir": 1}, at=LATER, customer=other_customer)
    claim = claimed(vo, {"Ceinture en cuir": 1}, at=LATER)
    atelier = Actor.vendor_user(market["brun_user"])
    for action in (
        lambda: claim_refuse(claim=claim, actor=atelier, vendor=market["brun"], reason="Non"),
        lambda: claim_return_propose(
            claim=claim, actor=atelier, vendor=market["brun"], mode="label"
        ),  # fmt: skip
        lambda: claim_settle(
            claim=claim, actor=atelier, vendor=market["brun"], resolution="refund"
        ),
    ):
        with pytest.raises(ClaimForbidden):
            action()
    with pytest.raises(ClaimForbidden):
        claim_cancel(claim=claim, customer=other_customer)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REQUESTED and not Refund.objects.exists()


def test_prepaid_label_at_the_vendors_cost_then_the_carrier_delivers_it(market):
    # covers: SAV-3
    vo = delivered(market)
    claim = claimed(vo, {"Chemise Oxford bleue": 1}, at=LATER, remedy="replacement")
    with time_machine.travel(LATER + timedelta(hours=3), tick=False):
        claim_return_propose(claim=claim, actor=vendor_actor(market), vendor=market["verlaine"],
                             mode="label")  # fmt: skip
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_RETURN and claim.tracking_number
    assert claim.decided_at == LATER + timedelta(hours=3)
    assert claim_label_pdf(claim=claim).startswith(b"%PDF-")
    label = LedgerEntry.objects.get(kind="return_label")
    assert label.amount == Decimal("-5.90")  # the vendor pays, whatever its returns policy
    [email] = sent("aftersales_claim_return_proposed")
    assert "bon de retour prépayé" in email.body
    carrier_event(claim.tracking_number, tracking.IN_TRANSIT, LATER + timedelta(days=1))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_RETURN
    carrier_event(claim.tracking_number, tracking.DELIVERED, LATER + timedelta(days=2))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RECEIVED
    assert len(sent("aftersales_claim_received")) == 1
    assert len(sent("aftersales_vendor_claim_delivered")) == 1


def test_home_pickup_dates_are_checked_then_the_customer_picks_one(market):
    # covers: SAV-3
    vo = delivered(market)
    claim = claimed(vo, {"Chemise Oxford bleue": 1}, at=LATER)  # Monday 21 December 2026
    propose = lambda dates: claim_return_propose(  # noqa: E731
        claim=claim, actor=vendor_actor(market), vendor=market["verlaine"], mode="pickup",
        pickup_dates=dates,
    )  # fmt: skip
    with time_machine.travel(LATER + timedelta(hours=1), tick=False):
        for dates, code in (
            ([], "dates_required"),
            (["2026-12-26"], "not_working_day"),  # a Saturday
            (["2026-12-25"], "not_working_day"),  # Christmas
            (["2026-12-21"], "date_out_of_range"),  # today
            (["2027-03-01"], "date_out_of_range"),
            (["22/12/2026"], "invalid_date"),
            (["２０２６-12-22"], "invalid_date"),
        ):
            with pytest.raises(ClaimError) as refused:
                propose(dates)
            assert refused.value.code == code
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.REQUESTED
        propose(["2026-12-23", "2026-12-22", "2026-12-23"])
    claim.refresh_from_db()
    assert claim.pickup_dates == ["2026-12-22", "2026-12-23"] and claim.awaits_pickup_choice
    with pytest.raises(ClaimError):
        claim_pickup_choose(claim=claim, customer=market["customer"], day="2026-12-24")
    with time_machine.travel(LATER + timedelta(hours=2), tick=False):
        claim_pickup_choose(claim=claim, customer=market["customer"], day="2026-12-23")
    claim.refresh_from_db()
    assert claim.pickup_date.isoformat() == "2026-12-23" and claim.tracking_number
    assert not claim.awaits_pickup_choice
    assert LedgerEntry.objects.get(kind="return_label").amount == Decimal("-12.00")
    [email] = sent("aftersales_vendor_claim_pickup")
    assert "23 décembre 2026" in email.body
    with pytest.raises(ClaimError):
        claim_label_pdf(claim=claim)  # a pickup has no label to print


def test_a_defective_item_is_refunded_with_its_whole_shipping_share(market):
    # covers: SAV-4
    vo = delivered(market)  # shirt 59.90 + 2 belts 35.00, shipping 7.00
    claim = claimed(vo, {"Chemise Oxford bleue": 1}, at=LATER)
    actor, vendor = vendor_actor(market), market["verlaine"]
    claim_return_propose(claim=claim, actor=actor, vendor=vendor, mode="label")
    with pytest.raises(ClaimError) as early:
        claim_settle(claim=claim, actor=actor, vendor=vendor, resolution="repair",
                     carrier="colissimo", tracking_number="6A12345678901")  # fmt: skip
    assert early.value.code == "invalid_state"
    claim_mark_received(claim=claim, actor=actor, vendor=vendor)
    claim = claim_settle(claim=claim, actor=actor, vendor=vendor, resolution="refund")
    # 59.90 + round(7.00 × 59.90 / 129.90) = 59.90 + 3.23
    assert claim.status == ClaimStatus.REFUNDED and claim.defect_confirmed is True
    assert claim.refunded_amount == Decimal("63.13")
    assert Refund.objects.get().amount == Decimal("63.13")
    [email] = sent("aftersales_claim_refunded")
    assert "63,13" in email.body and "63,13" in email.subject
    assert "rétractation" not in email.body
    assert line_of(vo, "Chemise Oxford bleue").refunded_quantity == 1
    assert_ledger_balanced(vo.order)
    # Settled twice (a double click): refused, one refund.
    with pytest.raises(ClaimError):
        claim_settle(claim=claim, actor=actor, vendor=vendor, resolution="refund")
    assert Refund.objects.count() == 1


def test_a_refund_asked_without_defect_is_treated_as_a_withdrawal_minus_the_return_cost(market):
    # covers: SAV-4, RET-3
    vo = delivered(market)
    claim = claimed(vo, {"Ceinture en cuir": 1}, at=LATER, remedy="refund")
    actor, vendor = vendor_actor(market), market["verlaine"]
    claim_return_propose(claim=claim, actor=actor, vendor=vendor, mode="label")
    claim_mark_received(claim=claim, actor=actor, vendor=vendor)
    claim = claim_settle(claim=claim, actor=actor, vendor=vendor, resolution="withdrawal",
                         note="Pas de défaut de fabrication.")  # fmt: skip
    # 35.00 + round(7.00 × 35.00 / 129.90) = 35.00 + 1.89, less the label's 5.90
    assert claim.refunded_amount == Decimal("30.99") and claim.defect_confirmed is False
    [email] = sent("aftersales_claim_refunded")
    assert "5,90" in email.body and "rétractation" in email.body
    assert line_of(vo, "Ceinture en cuir").refunded_deduction == Decimal("5.90")
    assert_ledger_balanced(vo.order)


def test_without_a_refund_asked_no_defect_means_the_item_goes_back(market):
    # covers: SAV-4
    vo = delivered(market)
    claim = claimed(vo, {"Ceinture en cuir": 1}, at=LATER, remedy="replacement")
    actor, vendor = vendor_actor(market), market["verlaine"]
    claim_return_propose(claim=claim, actor=actor, vendor=vendor, mode="label")
    claim_mark_received(claim=claim, actor=actor, vendor=vendor)
    with pytest.raises(ClaimError) as refused:
        claim_settle(claim=claim, actor=actor, vendor=vendor, resolution="withdrawal")
    assert refused.value.code == "refund_not_asked"
    with pytest.raises(ClaimError) as unexplained:
        claim_reject(claim=claim, actor=actor, vendor=vendor, note="  ")
    assert unexplained.value.code == "note_required"
    claim_reject(claim=claim, actor=actor, vendor=vendor, note="Usure normale du cuir.")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED and not Refund.objects.exists()
    [email] = sent("aftersales_claim_rejected")
    assert "Usure normale du cuir." in email.body


def test_missing_parts_ship_as_a_new_free_shipment_tracked_on_the_order(market):
    # covers: SAV-1, SAV-4
    vo = delivered(market)
    claim = claimed(vo, {"Ceinture en cuir": 1}, at=LATER, problem="incomplete",
                    remedy="missing_parts")  # fmt: skip
    actor, vendor = vendor_actor(market), market["verlaine"]
    with pytest.raises(ClaimError) as bad:
        claim_settle(claim=claim, actor=actor, vendor=vendor, resolution="missing_parts",
                     carrier="colissimo", tracking_number="123")  # fmt: skip
    assert bad.value.code == "invalid_tracking"
    with pytest.raises(ClaimError) as repair:
        claim_settle(claim=claim, actor=actor, vendor=vendor, resolution="repair",
                     carrier="colissimo", tracking_number="6A12345678901")  # fmt: skip
    assert repair.value.code == "item_not_received"
    with time_machine.travel(LATER + timedelta(hours=5), tick=False):
        claim = claim_settle(claim=claim, actor=actor, vendor=vendor,
                             resolution="missing_parts", carrier="colissimo",
                             tracking_number="6a 1234 5678 901")  # fmt: skip
    assert claim.status == ClaimStatus.RESHIPPED
    assert claim.reship_tracking_number == "6A12345678901"
    event = OrderEvent.objects.get(vendor_order=vo, kind="claim_reshipped")
    assert event.data["tracking_number"] == "6A12345678901"
    [email] = sent("aftersales_claim_reshipped")
    assert "6A12345678901" in email.body and "Colissimo" in email.body
    assert not Refund.objects.exists()
    carrier_event("6A12345678901", tracking.DELIVERED, LATER + timedelta(days=2))
    claim.refresh_from_db()
    assert claim.reship_delivered_at == LATER + timedelta(days=2)
    assert OrderEvent.objects.filter(vendor_order=vo, kind="claim_reship_delivered").count() == 1
    carrier_event("6A12345678901", tracking.DELIVERED, LATER + timedelta(days=3))  # replayed
    assert OrderEvent.objects.filter(vendor_order=vo, kind="claim_reship_delivered").count() == 1
    # The customer's order page tells it, with the new shipment's tracking.
    entries = {e.kind: e for e in vendor_order_timeline(vo)}
    assert entries["claim_reshipped"].detail == "Colissimo, suivi 6A12345678901"
    assert entries["claim_reship_delivered"].at == LATER + timedelta(days=2)


def test_refusal_needs_a_reason_and_cancel_frees_the_units(market):
    # covers: SAV-1, SAV-2
    vo = delivered(market)
    claim = claimed(vo, {"Ceinture en cuir": 2}, at=LATER)
    with pytest.raises(ClaimError):
        claim_refuse(claim=claim, actor=vendor_actor(market), vendor=market["verlaine"],
                     reason="")  # fmt: skip
    assert vendor_order_has_open_after_sales(vo)
    claim_cancel(claim=claim, customer=market["customer"])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED and claim.closed_at
    assert not vendor_order_has_open_after_sales(vo)
    assert {r.line.product_title: r.quantity for r in returnable_lines(vendor_order=vo)} == {
        "Chemise Oxford bleue": 1,
        "Ceinture en cuir": 2,
    }
    second = claimed(vo, {"Ceinture en cuir": 1}, at=LATER)
    claim_refuse(claim=second, actor=vendor_actor(market), vendor=market["verlaine"],
                 reason="La photo montre une usure, pas un défaut.")  # fmt: skip
    second.refresh_from_db()
    assert second.status == ClaimStatus.REFUSED
    [email] = sent("aftersales_claim_refused")
    assert "La photo montre une usure" in email.body
