"""Prepaid return labels: the PDF a customer prints, its barcode, and what the carrier refuses."""

import io
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from barcode.charsets import code128
from django.core.exceptions import ImproperlyConfigured
from pypdf import PdfReader

from allies.shipping import labels
from allies.shipping.carriers import tracking_number_valid
from allies.shipping.labels import (
    BARCODE_MODULE_MM,
    LabelParty,
    LabelRefused,
    barcode_svg,
    return_label_create,
    return_label_pdf,
)

CUSTOMER = LabelParty(
    name="Jean-Édouard Dupont",
    street="12 rue de la Roquette\nBâtiment B",
    postcode="75011",
    city="Paris",
    country="FR",
)
VENDOR = LabelParty(
    name="Maison Brossard",
    street="4 quai Saint-Antoine",
    postcode="69002",
    city="Lyon",
    country="FR",
)
MM_TO_PT = 72 / 25.4
BERLIN = LabelParty("Kaufhaus", "Hauptstr. 1", "10115", "Berlin", "DE")
REUNION = LabelParty("Marie Hoarau", "1 rue de Paris", "97400", "Saint-Denis", "FR")
NO_STREET = LabelParty("Jean Dupont", "  ", "75011", "Paris", "FR")
NO_NAME = LabelParty("", "4 quai Saint-Antoine", "69002", "Lyon", "FR")


def _pdf_text(pdf: bytes) -> tuple[int, str, PdfReader]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), reader.pages[0].extract_text(), reader


def _create(**overrides):
    kwargs: dict[str, Any] = {
        "sender": CUSTOMER,
        "recipient": VENDOR,
        "reference": "AL-2026-000123",
        "weight_grams": 1250,
    }
    kwargs.update(overrides)
    return return_label_create(**kwargs)


def test_the_label_is_one_printable_a6_page_with_everything_the_carrier_needs():
    # covers: SAV-3, RET-5
    label = _create()
    assert label.pdf.startswith(b"%PDF-")
    pages, text, reader = _pdf_text(label.pdf)
    assert pages == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(105 * MM_TO_PT, abs=1)
    assert float(box.height) == pytest.approx(148 * MM_TO_PT, abs=1)
    for shown in (
        label.tracking_number,
        "Maison Brossard",
        "69002 LYON",
        "Jean-Édouard Dupont",
        "75011 PARIS",
        "AL-2026-000123",
        "1,25 kg",
        "Colissimo",
    ):
        assert shown in text
    lowered = text.lower()
    for heading in ("retour prépayé", "expéditeur", "destinataire", "point relais"):
        assert heading in lowered


def test_each_label_gets_its_own_valid_tracking_number_from_the_configured_carrier(settings):
    # covers: RET-4 (the number proves the return), SAV-3
    first, second = _create(), _create()
    assert first.carrier == second.carrier == "colissimo"
    assert tracking_number_valid("colissimo", first.tracking_number)
    assert tracking_number_valid("colissimo", second.tracking_number)
    assert first.tracking_number != second.tracking_number

    settings.RETURN_LABEL_CARRIER = "mondial_relay"
    relay = _create()
    assert relay.carrier == "mondial_relay"
    assert tracking_number_valid("mondial_relay", relay.tracking_number)
    assert "Mondial Relay" in _pdf_text(relay.pdf)[1]


def test_a_carrier_without_a_label_adapter_is_a_configuration_error(settings):
    settings.RETURN_LABEL_CARRIER = "bpost"
    with pytest.raises(ImproperlyConfigured):
        _create()


@pytest.mark.parametrize(
    "sender, recipient",
    [
        (CUSTOMER, LabelParty("Atelier Bastia", "2 rue Napoléon", "20200", "Bastia", "FR")),
        (LabelParty("Luc Peeters", "Rue Neuve 1", "1000", "Bruxelles", "BE"), VENDOR),
    ],
    ids=["corsica", "belgium"],
)
def test_corsica_and_belgium_are_served(sender, recipient):
    # covers: RET-5, CHK-4
    label = _create(sender=sender, recipient=recipient)
    assert recipient.postcode in _pdf_text(label.pdf)[1]


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"weight_grams": 0}, "poids"),
        ({"weight_grams": -300}, "poids"),
        ({"weight_grams": 30_001}, "30 kg"),
        ({"weight_grams": "1200"}, "poids"),
        ({"recipient": BERLIN}, "Belgique"),
        ({"sender": REUNION}, "DOM"),
        ({"sender": NO_STREET}, "l'adresse de l'expéditeur"),
        ({"recipient": NO_NAME}, "nom du destinataire"),
        ({"reference": "R" * 41}, "40 caractères"),
    ],
    ids=[
        "zero",
        "negative",
        "too-heavy",
        "not-an-int",
        "germany",
        "reunion",
        "no-street",
        "no-name",
        "long-ref",
    ],
)
def test_a_label_the_carrier_cannot_issue_is_refused_with_a_reason_and_nothing_is_drawn(
    monkeypatch, overrides, words
):
    # covers: SAV-3 (the carrier's own limits), CHK-4 (zones served)
    def must_not_draw(**kwargs):
        raise AssertionError("a refused label must not be drawn")

    monkeypatch.setattr(labels, "label_pdf_draw", must_not_draw)
    with pytest.raises(LabelRefused) as refused:
        _create(**overrides)
    assert refused.value.code == "label_refused"
    assert words in refused.value.message


def test_the_customer_can_download_the_same_label_again():
    # covers: SAV-3
    label = _create()
    spaced = " ".join(re.findall(".{1,4}", label.tracking_number.lower()))  # as typed back
    again = return_label_pdf(
        label_carrier=label.carrier,
        tracking_number=spaced,
        sender=CUSTOMER,
        recipient=VENDOR,
        reference="AL-2026-000123",
        weight_grams=1250,
    )
    pages, text, _reader = _pdf_text(again)
    assert pages == 1
    assert label.tracking_number in text
    assert "Maison Brossard" in text


def test_redrawing_a_number_that_is_not_the_carriers_fails_loudly():
    with pytest.raises(ValueError):
        return_label_pdf(
            label_carrier="colissimo",
            tracking_number="123",
            sender=CUSTOMER,
            recipient=VENDOR,
            reference="",
            weight_grams=100,
        )


def _decode_code128(svg: str) -> str:
    """Read the bars back: module widths → 11-module symbols → Code 128 values → text."""
    root = ET.fromstring(svg)
    unit = BARCODE_MODULE_MM
    bars = []
    for rect in root.iter("{http://www.w3.org/2000/svg}rect"):
        if "x" not in rect.attrib:  # the white background
            continue
        x = float(rect.attrib["x"].removesuffix("mm"))
        width = float(rect.attrib["width"].removesuffix("mm"))
        bars.append((round(x / unit), round(width / unit)))
    start = bars[0][0]
    end = bars[-1][0] + bars[-1][1]
    modules = ["0"] * (end - start)
    for position, count in bars:
        for i in range(position - start, position - start + count):
            modules[i] = "1"
    pattern = "".join(modules)
    # The stop pattern of the Code 128 specification (ISO/IEC 15417), with its final bar.
    assert pattern.endswith("1100011101011")
    pattern = pattern[:-13]
    assert len(pattern) % 11 == 0
    values = [code128.CODES.index(pattern[i : i + 11]) for i in range(0, len(pattern), 11)]
    *data, check = values
    assert check == (data[0] + sum(i * v for i, v in enumerate(data[1:], start=1))) % 103
    charset = {103: "A", 104: "B", 105: "C"}[data[0]]
    text = ""
    for value in data[1:]:
        if charset == "C" and value < 100:
            text += f"{value:02d}"
        elif value == 99 and charset != "C":
            charset = "C"
        elif value == 100 and charset != "B":
            charset = "B"
        elif value == 101 and charset != "A":
            charset = "A"
        elif charset == "A" and value >= 64:
            text += chr(value - 64)
        else:
            text += chr(value + 32)
    return text


def test_the_barcode_encodes_the_tracking_number_with_the_number_under_it():
    # covers: RET-4 (the carrier scans the number at the drop-off)
    number = _create().tracking_number
    svg = barcode_svg(number)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(list(root.iter(f"{ns}rect"))) > 20
    assert [(t.text or "").strip() for t in root.iter(f"{ns}text")] == [number]
    assert _decode_code128(svg) == number
