"""Dates go through each language's formats (allies/formats): no "à" on English pages, no
capitalised month mid-sentence on French ones (issue 8 §5)."""

import importlib
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from allies.formats import PROJECT_FORMATS
from tests.orders import conftest as orders_conftest
from tests.orders.conftest import buy

market = orders_conftest.market  # the orders' test market (two vendors, a customer), as a fixture

ROOT = Path(__file__).resolve().parents[2] / "allies"
PARIS = ZoneInfo("Europe/Paris")
MOMENT = datetime(2026, 12, 2, 16, 20, tzinfo=PARIS)
DJANGO_FORMATS = (
    "DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT",
    "MONTH_DAY_FORMAT", "YEAR_MONTH_FORMAT",
)  # fmt: skip


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_named_format_exists_in_every_language(language):
    # covers: SITE-4 — Django prints an unknown format name literally ("WEEKDAY_DATE_FORMAT").
    module = importlib.import_module(f"allies.formats.{language}.formats")
    for name in (*DJANGO_FORMATS, *PROJECT_FORMATS):
        assert isinstance(getattr(module, name, None), str), name
    with translation.override(language):
        for name in PROJECT_FORMATS:
            assert "FORMAT" not in date_format(MOMENT, name)


def test_french_and_english_dates_and_times():
    # covers: SITE-4, issue 8 §5
    with translation.override("fr"):
        assert date_format(MOMENT, "DATETIME_FORMAT") == "2 décembre 2026 à 16:20"
        assert date_format(MOMENT, "WEEKDAY_DATETIME_FORMAT") == "mercredi 2 décembre 2026 à 16:20"
        # Mid-sentence ("livrée le 2 déc."): the abbreviation stays lower case.
        assert date_format(date(2026, 12, 2), "MONTH_DAY_SHORT_FORMAT") == "2 déc."
    with translation.override("en"):
        assert date_format(MOMENT, "DATETIME_FORMAT") == "2 December 2026, 16:20"
        assert date_format(MOMENT, "WEEKDAY_DATETIME_FORMAT") == "Wednesday 2 December 2026, 16:20"
        assert date_format(date(2026, 12, 2), "MONTH_DAY_SHORT_FORMAT") == "2 Dec."


_DATE_ARG = re.compile(r"\|date:(_\()?[\"']([^\"']*)[\"']")


def test_templates_name_their_date_formats_instead_of_spelling_them():
    # covers: issue 8 §5 — a spelled format ("j F Y à H:i") is French on every page.
    allowed = {*DJANGO_FORMATS, *PROJECT_FORMATS, "c"}  # "c": ISO 8601, for machines
    spelled = []
    for path in ROOT.glob("**/templates/**/*"):
        if path.suffix not in (".html", ".txt"):
            continue
        for match in _DATE_ARG.finditer(path.read_text(encoding="utf-8")):
            if match.group(1) or match.group(2) not in allowed:
                spelled.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert spelled == []


@pytest.mark.django_db
def test_the_order_page_in_english_has_no_french_date(client, market):
    # covers: ORD-2, SITE-4, issue 8 §5
    order = buy(market, [(market["shirt"], 1)])
    client.force_login(market["customer"])
    with translation.override("en"):
        url = reverse("orders:detail", args=[order.reference])
    body = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    placed = order.created_at.astimezone(PARIS)
    assert f"Placed on {placed.day} {placed:%B %Y, %H:%M}" in body
    assert " à " not in re.sub(r"<[^>]+>", " ", body).replace("\u00a0", " ")


@pytest.mark.django_db
def test_purchases_in_french_keep_month_abbreviations_lower_case(client, market):
    # covers: ACC-8, issue 8 §5
    order = buy(market, [(market["shirt"], 1)])
    client.force_login(market["customer"])
    body = client.get(reverse("orders:purchases")).content.decode()
    vendor_order = order.vendor_orders.get(vendor=market["verlaine"])
    with translation.override("fr"):
        start = date_format(vendor_order.delivery_min_date, "j N")
    assert f"livraison estimée du {start}" in body
    assert not re.search(r"\d (Jan|Fév|Mar|Avr|Mai|Juin|Juil|Aoû|Sep|Oct|Nov|Déc)", body)
