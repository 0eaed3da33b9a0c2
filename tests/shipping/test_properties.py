"""Properties of the engine over generated carts and rates (hypothesis)."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from allies.core.money import round_cent
from allies.shipping.engine import QuoteItem, RateRule, quote_cart, quote_vendor, select_modes
from allies.shipping.selectors import shipping_table
from allies.shipping.zones import Zone

TODAY = date(2026, 11, 26)
MODES = ("home", "express", "relay")
CARRIER = {"home": "colissimo", "express": "chronopost", "relay": "mondial_relay"}

money = st.decimals(min_value=0, max_value=60, places=2)
prices = st.decimals(min_value=Decimal("0.01"), max_value=500, places=2)


@st.composite
def brackets(draw):
    count = draw(st.integers(0, 4))
    kgs = sorted(draw(st.sets(st.integers(1, 60), min_size=count, max_size=count)))
    fees = sorted(draw(st.lists(money, min_size=count, max_size=count)))
    return [{"up_to_kg": str(k), "fee": str(f)} for k, f in zip(kgs, fees, strict=True)]


@st.composite
def rules(draw, vendor_id=1, mode="home", zone="FR"):
    low = draw(st.integers(1, 8))
    return RateRule.from_values(
        vendor_id=vendor_id,
        mode=mode,
        zone=zone,
        carrier=CARRIER[mode],
        base_fee=draw(money),
        min_days=low,
        max_days=low + draw(st.integers(0, 6)),
        per_extra_item_fee=draw(money),
        per_extra_parcel_fee=draw(money),
        weight_brackets=draw(brackets()),
        per_kg_beyond=draw(st.decimals(min_value=0, max_value=3, places=2)),
        free_shipping_threshold=draw(st.none() | st.decimals(min_value=0, max_value=300, places=2)),
    )


items = st.builds(
    QuoteItem,
    offer_id=st.integers(1, 10**6),
    quantity=st.integers(1, 6),
    unit_price=prices,
    weight_grams=st.integers(0, 40000),
    parcel_count=st.integers(1, 4),
)


@st.composite
def carts(draw):
    vendor_ids = draw(st.lists(st.integers(1, 10**6), min_size=1, max_size=5, unique=True))
    items_by_vendor, rules_by_vendor = {}, {}
    for vendor_id in vendor_ids:
        items_by_vendor[vendor_id] = draw(st.lists(items, min_size=1, max_size=5))
        modes = draw(st.lists(st.sampled_from(MODES), min_size=1, max_size=3, unique=True))
        rules_by_vendor[vendor_id] = [draw(rules(vendor_id, mode)) for mode in modes]
    return items_by_vendor, rules_by_vendor


def _is_cents(amount: Decimal) -> bool:
    return amount == round_cent(amount)


@settings(max_examples=150, deadline=None)
@given(carts(), st.decimals(min_value=-50, max_value=3000, places=3), st.randoms())
def test_total_is_lines_plus_shipping_minus_discount_in_cents_never_negative(cart, discount, rnd):
    # covers: CHK-2, CHK-3, CHK-4, CHK-5
    items_by_vendor, rules_by_vendor = cart
    quote = quote_cart(items_by_vendor, rules_by_vendor, "FR", "75011", TODAY)
    chosen = {v.vendor_id: rnd.choice(v.options).mode for v in quote.vendors}
    selection = select_modes(quote, chosen, discount=discount)
    assert selection.total == (
        selection.lines_total + selection.shipping_total - selection.discount_total
    )
    assert selection.lines_total == sum(
        (
            round_cent(i.unit_price * i.quantity)
            for lines in items_by_vendor.values()
            for i in lines
        ),
        Decimal(0),
    )
    assert selection.shipping_total == sum(s.fee for s in selection.vendors)
    for amount in (
        selection.total,
        selection.lines_total,
        selection.shipping_total,
        selection.discount_total,
        *(s.fee for s in selection.vendors),
    ):
        assert amount >= 0
        assert _is_cents(amount)


@settings(max_examples=200, deadline=None)
@given(st.lists(items, min_size=1, max_size=5), items, rules())
def test_adding_an_article_never_lowers_the_fee_unless_it_becomes_free(lines, added, rate):
    # covers: CHK-4
    before = quote_vendor(lines, [rate], "FR", TODAY).option("home")
    after = quote_vendor([*lines, added], [rate], "FR", TODAY).option("home")
    crossed = (
        rate.free_shipping_threshold is not None
        and after.fee == 0
        and sum(i.line_total for i in [*lines, added]) >= rate.free_shipping_threshold
    )
    assert after.fee >= before.fee or crossed


@settings(max_examples=200, deadline=None)
@given(st.lists(items, min_size=1, max_size=5), st.integers(0, len(MODES) - 1), rules())
def test_one_more_unit_of_a_line_never_lowers_the_fee_unless_it_becomes_free(lines, _i, rate):
    # covers: CHK-4
    first, *rest = lines
    more = QuoteItem(
        first.offer_id, first.quantity + 1, first.unit_price, first.weight_grams, first.parcel_count
    )
    before = quote_vendor(lines, [rate], "FR", TODAY).option("home").fee
    after = quote_vendor([more, *rest], [rate], "FR", TODAY).option("home").fee
    assert after >= before or (after == 0 and rate.free_shipping_threshold is not None)


three_places = st.decimals(min_value=0, max_value=40, places=3)


@settings(max_examples=200, deadline=None)
@given(three_places, three_places, st.integers(1, 9))
def test_fees_round_half_up_like_round_cent(base, extra, quantity):
    # covers: CHK-4
    rate = RateRule(
        vendor_id=1,
        mode="home",
        zone="FR",
        carrier="colissimo",
        base_fee=base,
        per_extra_item_fee=extra,
        min_days=1,
        max_days=2,
    )
    line = QuoteItem(1, quantity, Decimal("10.00"), 0, 1)
    expected = (base + extra * (quantity - 1)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert quote_vendor([line], [rate], "FR", TODAY).option("home").fee == expected


@settings(max_examples=100, deadline=None)
@given(items, st.lists(st.sampled_from(MODES), min_size=1, max_size=3, unique=True), st.data())
def test_product_page_and_simulation_show_the_same_fee_for_one_article(article, modes, data):
    # covers: CAT-3, CHK-2
    one = QuoteItem(
        article.offer_id, 1, article.unit_price, article.weight_grams, article.parcel_count
    )
    rates = [data.draw(rules(1, mode, zone)) for mode in modes for zone in ("FR", "CORSE", "BE")]
    table = shipping_table(rules=rates, item=one, today=TODAY)
    for zone, postcode, country in (
        (Zone.FRANCE, "75011", "FR"),
        (Zone.CORSE, "20200", "FR"),
        (Zone.BELGIQUE, "1000", "BE"),
    ):
        quote = quote_cart({1: [one]}, {1: rates}, country, postcode, TODAY).vendors[0]
        rows = {r.mode: r for r in table if r.zone == zone}
        assert {m: o.fee for m, o in ((o.mode, o) for o in quote.options)} == {
            m: r.fee for m, r in rows.items()
        }
        assert all(rows[o.mode].latest == o.latest for o in quote.options)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(items, min_size=1, max_size=4),
    st.decimals(min_value=-20, max_value=20, places=2),
    st.decimals(min_value=-5, max_value=5, places=2),
)
def test_fees_are_never_negative_even_from_bad_rules(lines, base, extra):
    # covers: CHK-4
    assume(base < 0 or extra < 0)
    rate = RateRule(
        vendor_id=1,
        mode="home",
        zone="FR",
        carrier="colissimo",
        base_fee=base,
        per_extra_item_fee=extra,
        per_kg_beyond=extra,
        min_days=1,
        max_days=1,
    )
    assert quote_vendor(lines, [rate], "FR", TODAY).option("home").fee >= 0
