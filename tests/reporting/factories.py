"""Synthetic order histories for the dashboards' tests: orders, vendor orders, lines and
their ledger entries written straight into the tables at chosen moments (the real services
always write `now`; a dashboard test needs days, weeks and months of history). The amounts
follow the ledger's rules (allies/ledger/services.py): sale and shipping on the vendor's
side, commission moved to the operator's side, a refund reversing them.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal

from allies.core.money import round_cent
from allies.ledger.models import LedgerEntry
from allies.orders.models import Order, OrderLine, VendorOrder
from tests.factories import (
    CategoryFactory,
    OfferFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
)

K = LedgerEntry.Kind
_refs = itertools.count(1)
ADDRESS = {
    "recipient": "Claire Test",
    "street": "1 rue A",
    "postcode": "75001",
    "city": "Paris",
    "country": "FR",
}


def offer_in(vendor, category=None):
    product = ProductFactory(category=category or CategoryFactory())
    return OfferFactory(vendor=vendor, variant=VariantFactory(product=product))


def history_order(
    *,
    at: datetime,
    parts: list[tuple[object, list[tuple[object, Decimal, int]], Decimal]],
    rate: Decimal = Decimal("0.15"),
    customer=None,
    delivery_min: date | None = None,
) -> Order:
    """A validated order paid at `at`: parts = [(vendor, [(offer, unit price, quantity)], fee)]
    with its sale, shipping and commission entries written at `at`."""
    customer = customer or UserFactory()
    lines_total = sum((p * q for _v, lines, _f in parts for _o, p, q in lines), Decimal(0))
    shipping = sum((f for _v, _l, f in parts), Decimal(0))
    order = Order.objects.create(
        reference=f"AL-T-{next(_refs):06d}",
        customer=customer,
        status="validated",
        delivery_address=ADDRESS,
        billing_address=ADDRESS,
        lines_total=lines_total,
        shipping_total=shipping,
        total=lines_total + shipping,
        validated_at=at,
    )
    for vendor, lines, fee in parts:
        vo = VendorOrder.objects.create(
            order=order,
            vendor=vendor,
            status="waiting_acceptance",
            shipping_mode="home",
            shipping_fee=fee,
            lines_total=sum((p * q for _o, p, q in lines), Decimal(0)),
            delivery_min_date=delivery_min or at.date(),
            delivery_max_date=delivery_min or at.date(),
        )
        entries = [
            LedgerEntry(vendor=vendor, vendor_order=vo, kind=K.SHIPPING, amount=fee, created_at=at)
        ]
        for offer, price, quantity in lines:
            line = OrderLine.objects.create(
                vendor_order=vo,
                vendor=vendor,
                offer=offer,
                product_title="Article",
                sku="SKU",
                unit_price=price,
                vat_rate=Decimal("0.200"),
                quantity=quantity,
            )
            total = price * quantity
            commission = round_cent(total * rate)
            entries += [
                LedgerEntry(
                    vendor=vendor,
                    vendor_order=vo,
                    order_line=line,
                    kind=K.SALE,
                    amount=total,
                    created_at=at,
                ),
                LedgerEntry(
                    vendor=vendor,
                    vendor_order=vo,
                    order_line=line,
                    kind=K.COMMISSION,
                    amount=-commission,
                    operator_amount=commission,
                    base=total,
                    rate=rate,
                    created_at=at,
                ),
            ]
        LedgerEntry.objects.bulk_create(entries)
    return order


def history_refund(
    *, line: OrderLine, at: datetime, part: Decimal = Decimal(1), shipping: Decimal = Decimal(0)
):
    """A refund of `part` of a line (and some shipping) written at `at`: the customer gets
    back line × part + shipping; the commission of that part goes back to the vendor."""
    vo = line.vendor_order
    commission = LedgerEntry.objects.get(order_line=line, kind=K.COMMISSION, refund__isnull=True)
    amount = round_cent(line.unit_price * line.quantity * part)
    back = round_cent(commission.operator_amount * part)
    rows = [
        LedgerEntry(
            vendor_id=vo.vendor_id,
            vendor_order=vo,
            order_line=line,
            kind=K.REFUND_SALE,
            amount=-amount,
            created_at=at,
        ),
        LedgerEntry(
            vendor_id=vo.vendor_id,
            vendor_order=vo,
            order_line=line,
            kind=K.REFUND_COMMISSION,
            amount=back,
            operator_amount=-back,
            created_at=at,
        ),
    ]
    if shipping:
        rows.append(
            LedgerEntry(
                vendor_id=vo.vendor_id,
                vendor_order=vo,
                kind=K.REFUND_SHIPPING,
                amount=-shipping,
                created_at=at,
            )
        )
    return LedgerEntry.objects.bulk_create(rows)


def history_payout(*, vendor_order: VendorOrder, at: datetime, amount: Decimal) -> LedgerEntry:
    return LedgerEntry.objects.create(
        vendor_id=vendor_order.vendor_id,
        vendor_order=vendor_order,
        kind=K.PAYOUT,
        amount=-amount,
        created_at=at,
    )


def history_claim(*, vendor_order: VendorOrder, at: datetime):
    """A claim opened at `at` on the vendor order (with the support thread it needs)."""
    import time_machine

    from allies.aftersales.models import Claim, ClaimProblem, ClaimRemedy
    from allies.support.models import Thread, ThreadKind
    from allies.support.states import ThreadStage, sort_keys

    with time_machine.travel(at, tick=False):
        fields = {
            "kind": ThreadKind.ORDER,
            "motif": ClaimProblem.values[0],
            "stage": ThreadStage.WAITING_VENDOR,
            "vendor_id": vendor_order.vendor_id,
            "customer_id": vendor_order.order.customer_id,
            "order_id": vendor_order.order_id,
            "vendor_order_id": vendor_order.pk,
            "language": "fr",
        }
        fields.update(sort_keys(None, None))
        thread = Thread.objects.create(**fields)
        return Claim.objects.create(
            vendor_order=vendor_order,
            vendor_id=vendor_order.vendor_id,
            customer_id=vendor_order.order.customer_id,
            thread=thread,
            problem=ClaimProblem.values[0],
            remedy=ClaimRemedy.values[0],
            answer_due_at=at,
        )
