"""Every line printed on an invoice adds up: quantity × unit price HT = line total HT.

The customer read "2 × 119,92 € HT = 239,83 €" on an invoice (issue 8 §5): the unit price HT
was rounded on its own while the line total came from the TTC paid. The rule chosen
(`allies.invoices.amounts`, rule 4): the unit price HT is derived from the line total and
printed with the decimals it needs. These tests read the rendered document, as a customer or
an accountant would, and redo the arithmetic.
"""

import re
from decimal import Decimal as D

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allies.invoices.amounts import GoodsLine, breakdown_compute, unit_price_derive
from allies.invoices.models import Invoice
from allies.invoices.pdf import invoice_html

RATES = [D("0.200"), D("0.100"), D("0.055"), D("0.021")]
_ROW = re.compile(r'<tr(?: class="extra")?>\s*<td class="designation">.*?</tr>', re.S)
_CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
_TOTAL = re.compile(r'<table class="totals">\s*<tr><td>[^<]*</td><td>(.*?)</td>')  # total HT


def _amount(text: str, *, language: str) -> D:
    """ "1 249,915 €" / "€1,249.915" / "-7,86 €" → Decimal."""
    text = text.replace("\u00a0", "").replace("€", "").replace("−", "-").strip()
    if language == "en":
        text = text.replace(",", "")
    else:
        text = text.replace(" ", "").replace(",", ".")
    return D(text)


def _document(goods, *, shipping=D("0"), discount=D("0"), language="fr") -> str:
    amounts = breakdown_compute(
        goods=goods, shipping=shipping, discount=discount, show_free_shipping=True
    )
    seller = {
        "legal_name": "Verlaine Habillement", "trade_name": "Maison Verlaine", "legal_form": "",
        "share_capital": "", "street": "18 rue du Cherche-Midi", "postcode": "75006",
        "city": "Paris", "country": "FR", "siret": "73282932000074", "rcs_city": "",
        "vat_number": "FR44732829320", "email": "", "phone": "",
    }  # fmt: skip
    buyer = {
        "recipient": "Luc Santoni", "company": "", "street": "3 cours Napoléon",
        "street_extra": "", "postcode": "20000", "city": "Ajaccio", "country": "FR",
    }  # fmt: skip
    today = timezone.localdate().isoformat()
    invoice = Invoice(
        kind=Invoice.Kind.INVOICE,
        source=Invoice.Source.GENERATED,
        number="F-V0001-2026-000001",
        issued_at=timezone.now(),
        language=language,
        total_ht=amounts.total_ht,
        total_vat=amounts.total_vat,
        total_ttc=amounts.total_ttc,
        data={
            "seller": seller, "buyer": buyer, "delivery": None,
            "order": {"reference": "AL-2026-000001", "sold_on": today, "paid_on": today,
                      "shipped_on": today, "discount_code": ""},
            "amounts": amounts.as_json(),
        },
    )  # fmt: skip
    return invoice_html(invoice)


def _printed_rows(html: str, *, language: str) -> list[tuple[int, D, D]]:
    """(quantity, unit price HT, total HT) of each row of the lines table, as printed."""
    rows = []
    for row in _ROW.findall(html):
        cells = _CELL.findall(row)
        quantity, unit, total = cells[1], cells[2], cells[4]
        rows.append(
            (int(quantity), _amount(unit, language=language), _amount(total, language=language))
        )
    return rows


def test_the_reported_line_now_adds_up():
    # covers: INV-3, issue 8 §5 — 2 × 143,90 € TTC at 20 %: 239,83 € HT, not 2 × 119,92 €.
    html = _document([GoodsLine("Manteau", D("143.90"), 2, D("0.200"))])
    rows = _printed_rows(html, language="fr")
    assert rows[0] == (2, D("119.915"), D("239.83"))
    assert "119,915\u00a0€" in html and "119,92\u00a0€" not in html
    assert "le prix unitaire HT en est déduit" in html  # the rule is stated on the document


def test_unit_prices_keep_two_decimals_when_they_suffice():
    # covers: INV-3
    assert unit_price_derive(D("99.80"), 2) == D("49.90")
    assert unit_price_derive(D("100.00"), 3) == D("33.333")  # 3 × 33,333 = 99,999 → 100,00
    assert unit_price_derive(D("-7.86"), 1) == D("-7.86")


prices = st.integers(min_value=1, max_value=400_000).map(lambda cents: D(cents) / 100)
lines = st.lists(
    st.tuples(prices, st.integers(min_value=1, max_value=250), st.sampled_from(RATES)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=lines,
    shipping=st.integers(0, 3000),
    discount_percent=st.integers(0, 50),
    language=st.sampled_from(["fr", "en"]),
)
def test_every_printed_line_adds_up(lines, shipping, discount_percent, language):
    # covers: INV-3, issue 8 §5
    goods = [GoodsLine(f"Article {i}", p, q, r) for i, (p, q, r) in enumerate(lines)]
    goods_ttc = sum(g.total_ttc for g in goods)
    discount = (goods_ttc * discount_percent / 100).quantize(D("0.01"))
    html = _document(goods, shipping=D(shipping) / 100, discount=discount, language=language)
    rows = _printed_rows(html, language=language)
    assert len(rows) >= len(goods)
    for quantity, unit, total in rows:
        # What a reader computes from the printed figures, rounded to the cent as euros are.
        assert (unit * quantity).quantize(D("0.01")) == total, (quantity, unit, total)
        assert -unit.as_tuple().exponent <= 2 + len(str(quantity))  # no needless decimals
    # And the rows add up to the printed total HT.
    printed_total = _amount(_TOTAL.search(html).group(1), language=language)
    assert sum(total for _, _, total in rows) == printed_total
