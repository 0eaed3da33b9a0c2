"""Discount codes: every refusal has its own message; amounts are right to the cent."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from allies.cart.discounts import (
    DiscountLine,
    DiscountRefused,
    discount_evaluate,
    split_proportionally,
)
from allies.cart.models import DiscountCode
from allies.orders.models import Order
from tests.factories import CategoryFactory, UserFactory, VendorFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def code(**kw) -> DiscountCode:
    defaults = dict(
        code="BIENVENUE10",
        kind=DiscountCode.Kind.PERCENT,
        value=Decimal("10"),
        valid_from=NOW - timedelta(days=1),
        max_uses_per_customer=1,
    )
    defaults.update(kw)
    return DiscountCode.objects.create(**defaults)


def lines(*amounts, vendor_id=1, category_id=1):
    return [DiscountLine(vendor_id, category_id, Decimal(a)) for a in amounts]


def refusal(**kw) -> str:
    with pytest.raises(DiscountRefused) as exc:
        discount_evaluate(now=NOW, **kw)
    return exc.value.code


def test_percentage_code_takes_its_share_of_the_lines():
    # covers: CHK-5
    code()
    result = discount_evaluate(
        code=" bienvenue10 ", lines=lines("49.90", "20.05"), customer=None, now=NOW
    )
    assert result.amount == Decimal("7.00")  # 10 % of 69.95 = 6.995 → 7.00


def test_fixed_code_needs_its_minimum_and_never_exceeds_the_lines():
    # covers: CHK-5
    code(
        code="MOINS15",
        kind=DiscountCode.Kind.AMOUNT,
        value=Decimal("15"),
        minimum_amount=Decimal("60"),
    )
    assert refusal(code="MOINS15", lines=lines("59.99"), customer=None) == "minimum_not_reached"
    with pytest.raises(DiscountRefused) as exc:
        discount_evaluate(code="MOINS15", lines=lines("10"), customer=None, now=NOW)
    assert "60,00" in str(exc.value)
    assert discount_evaluate(
        code="MOINS15", lines=lines("60"), customer=None, now=NOW
    ).amount == Decimal("15.00")
    code(code="GROS", kind=DiscountCode.Kind.AMOUNT, value=Decimal("500"))
    assert discount_evaluate(
        code="GROS", lines=lines("42.50"), customer=None, now=NOW
    ).amount == Decimal("42.50")


def test_each_refusal_has_its_reason():
    # covers: CHK-5
    code(code="VIEUX", valid_from=NOW - timedelta(days=30), valid_until=NOW - timedelta(days=1))
    code(code="BIENTOT", valid_from=NOW + timedelta(days=1))
    code(code="ETEINT", is_active=False)
    assert refusal(code="INCONNU", lines=lines("50"), customer=None) == "unknown"
    assert refusal(code="", lines=lines("50"), customer=None) == "unknown"
    assert refusal(code="ETEINT", lines=lines("50"), customer=None) == "unknown"
    assert refusal(code="VIEUX", lines=lines("50"), customer=None) == "expired"
    assert refusal(code="BIENTOT", lines=lines("50"), customer=None) == "not_started"


def _order_with(discount: DiscountCode, customer, status=Order.Status.VALIDATED) -> Order:
    n = Order.objects.count() + 1
    return Order.objects.create(
        reference=f"AL-2026-{n:06d}", customer=customer, status=status, delivery_address={},
        billing_address={}, lines_total=Decimal("50"), shipping_total=Decimal("0"),
        total=Decimal("45"), discount_code=discount,
    )  # fmt: skip


def test_usage_limits_per_customer_and_in_total():
    # covers: CHK-5
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    once = code(code="UNEFOIS", max_uses=2, max_uses_per_customer=1)
    _order_with(once, alice)
    assert refusal(code="UNEFOIS", lines=lines("50"), customer=alice) == "already_used"
    # A failed payment does not use the code up.
    _order_with(once, bob, status=Order.Status.PAYMENT_FAILED)
    assert discount_evaluate(code="UNEFOIS", lines=lines("50"), customer=bob, now=NOW).amount
    _order_with(once, bob, status=Order.Status.AWAITING_PAYMENT)
    assert refusal(code="UNEFOIS", lines=lines("50"), customer=carol) == "exhausted"


def test_code_limited_to_a_vendor_or_category_applies_to_its_lines_only():
    # covers: CHK-5
    vendor, other = VendorFactory(), VendorFactory()
    cat = CategoryFactory()
    code(
        code="MAISON20", value=Decimal("20"), vendor=vendor, funded_by=DiscountCode.FundedBy.VENDOR
    )
    mixed = [
        DiscountLine(vendor.id, cat.id, Decimal("100")),
        DiscountLine(other.id, cat.id, Decimal("80")),
    ]
    result = discount_evaluate(code="MAISON20", lines=mixed, customer=None, now=NOW)
    assert result.amount == Decimal("20.00")
    assert result.by_vendor == {vendor.id: Decimal("20.00")}
    assert refusal(code="MAISON20", lines=mixed[1:], customer=None) == "not_applicable"
    code(code="CHEMISES", value=Decimal("50"), category=cat)
    assert discount_evaluate(
        code="CHEMISES", lines=mixed, customer=None, now=NOW
    ).amount == Decimal("90.00")


@given(
    total=st.decimals(min_value=0, max_value=10000, places=2),
    weights=st.dictionaries(
        st.integers(1, 50),
        st.decimals(min_value="0.01", max_value=5000, places=2),
        min_size=1,
        max_size=10,
    ),
)
def test_shares_of_a_discount_add_up_to_the_cent(total, weights):
    # covers: CHK-5
    shares = split_proportionally(total, weights)
    assert sum(shares.values()) == total
    assert all(s >= 0 for s in shares.values()) or total == 0
