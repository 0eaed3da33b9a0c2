"""From TTC prices to HT / TVA / TTC: exact to the cent whatever the basket (INV-3)."""

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from allies.invoices.amounts import GoodsLine, allocate, breakdown_compute

RATES = [D("0.200"), D("0.100"), D("0.055"), D("0.021"), D("0.210")]


def test_one_rate_everything_at_twenty_percent():
    # covers: INV-3
    result = breakdown_compute(
        goods=[GoodsLine("Chemise", D("59.90"), 2, D("0.200"))], shipping=D("6.90")
    )
    assert [(r.kind, r.total_ht, r.total_ttc) for r in result.rows] == [
        ("goods", D("99.83"), D("119.80")),
        ("shipping", D("5.75"), D("6.90")),
    ]
    # 99,83 € HT for two: the unit price HT printed is 49,915 €, so that 2 × it = 99,83 €.
    assert result.rows[0].unit_ht == D("49.915")
    assert (result.total_ht, result.total_vat, result.total_ttc) == (
        D("105.58"), D("21.12"), D("126.70"),
    )  # fmt: skip


def test_mixed_rates_split_shipping_and_discount_pro_rata():
    # covers: INV-3
    result = breakdown_compute(
        goods=[
            GoodsLine("Chemise", D("59.90"), 3, D("0.200")),
            GoodsLine("Baume", D("12.99"), 1, D("0.055")),
            GoodsLine("Ceinture", D("35.00"), 1, D("0.200")),
        ],
        shipping=D("6.90"),
        discount=D("10.00"),
    )
    # Goods keep their order; shipping 6.90 = 6.51 (20 %) + 0.39 (5.5 %), discount 9.43 + 0.57.
    assert [r.title for r in result.rows if r.kind == "goods"] == ["Chemise", "Baume", "Ceinture"]
    assert {(r.kind, r.vat_rate): r.total_ttc for r in result.rows if r.kind != "goods"} == {
        ("shipping", D("0.200")): D("6.51"),
        ("shipping", D("0.055")): D("0.39"),
        ("discount", D("0.200")): D("-9.43"),
        ("discount", D("0.055")): D("-0.57"),
    }
    assert [(r.vat_rate, r.base_ht, r.vat, r.total_ttc) for r in result.rates] == [
        (D("0.200"), D("176.48"), D("35.30"), D("211.78")),
        (D("0.055"), D("12.14"), D("0.67"), D("12.81")),
    ]
    assert result.total_ttc == D("224.59") == D("59.90") * 3 + D("12.99") + 35 + D("6.90") - 10


def test_a_single_unit_row_taking_the_rounding_cent_shows_it_in_its_unit_price():
    # 59.90 + 2.30 at 20 %: 51.83 HT, rows would say 49.92 + 1.92 = 51.84.
    result = breakdown_compute(
        goods=[GoodsLine("Chemise", D("59.90"), 1, D("0.200"))], shipping=D("2.30")
    )
    assert result.total_ht == D("51.83")
    assert result.rows and all(r.unit_ht * r.quantity == r.total_ht for r in result.rows)
    assert sum(r.total_ht for r in result.rows) == D("51.83")


def test_allocate_parts_add_up_exactly():
    assert allocate(D("10.00"), {D("0.2"): D("1"), D("0.1"): D("1"), D("0.055"): D("1")}) == {
        D("0.2"): D("3.34"), D("0.1"): D("3.33"), D("0.055"): D("3.33"),
    }  # fmt: skip
    assert allocate(D("-0.01"), {D("0.2"): D("5"), D("0.1"): D("5")}) == {
        D("0.2"): D("-0.01"), D("0.1"): D("0.00"),
    }  # fmt: skip


cents = st.integers(min_value=1, max_value=500_000).map(lambda c: D(c) / 100)
lines = st.lists(
    st.tuples(cents, st.integers(min_value=1, max_value=12), st.sampled_from(RATES)),
    min_size=1,
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(lines=lines, shipping=st.integers(0, 5000), discount_percent=st.integers(0, 90))
def test_ht_plus_vat_is_ttc_and_rows_add_up(lines, shipping, discount_percent):
    # covers: INV-3
    goods = [GoodsLine(f"L{i}", price, qty, rate) for i, (price, qty, rate) in enumerate(lines)]
    goods_ttc = sum(g.total_ttc for g in goods)
    shipping = D(shipping) / 100
    discount = (goods_ttc * discount_percent / 100).quantize(D("0.01"))
    result = breakdown_compute(goods=goods, shipping=shipping, discount=discount)
    assert result.total_ttc == goods_ttc + shipping - discount
    assert result.total_ht + result.total_vat == result.total_ttc
    assert sum(r.total_ht for r in result.rows) == result.total_ht
    assert sum(r.total_ttc for r in result.rows) == result.total_ttc
    for rate in result.rates:
        assert rate.base_ht + rate.vat == rate.total_ttc
        # The VAT is the exact rate on the base, to the cent.
        assert abs(rate.vat - rate.base_ht * rate.vat_rate) <= D("0.01")
        rows = [r for r in result.rows if r.vat_rate == rate.vat_rate]
        assert sum(r.total_ht for r in rows) == rate.base_ht
    for row in result.rows:
        # Every row's HT is its TTC without VAT, give or take the rounding cents.
        slack = D("0.01") * (len(result.rows) + 2)  # the absorbed rounding cents at most
        assert abs(row.total_ht - row.total_ttc / (1 + row.vat_rate)) <= slack
