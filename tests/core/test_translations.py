"""The English catalogue is complete: every French text has its translation (SITE-4)."""

import ast
import gettext
import re
from pathlib import Path

from django.utils import translation

ROOT = Path(__file__).resolve().parents[2] / "allies"
CATALOGUES = sorted(ROOT.glob("**/locale/en/LC_MESSAGES/django.po"))
_ENTRY = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$')


def _entries(path: Path):
    """(flags, {field: text}) for each entry of a .po file, header excluded."""
    entry, flags, field = {}, "", None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry.get("msgid"):
                yield flags, entry
            entry, flags, field = {}, "", None
        elif line.startswith("#,"):
            flags += line
        elif m := _ENTRY.match(line):
            field = m.group(1)
            entry[field] = m.group(2)
        elif line.startswith('"') and field:
            entry[field] += line[1:-1]


def test_every_catalogue_entry_is_translated_and_none_is_fuzzy():
    assert CATALOGUES, "no English catalogue found"
    missing = []
    for path in CATALOGUES:
        for flags, entry in _entries(path):
            strs = [v for k, v in entry.items() if k.startswith("msgstr")]
            if "fuzzy" in flags or not strs or not all(strs):
                missing.append(f"{path.relative_to(ROOT)}: {entry['msgid'][:60]}")
    assert missing == []


def _text(po_string: str) -> str:
    return ast.literal_eval(f'"{po_string}"')


def test_compiled_catalogues_are_those_of_the_sources():
    """The committed .mo files say what the .po files say (`make messages` was run)."""
    stale = []
    for path in CATALOGUES:
        with path.with_suffix(".mo").open("rb") as mo:
            catalog = gettext.GNUTranslations(mo)._catalog
        for _flags, entry in _entries(path):
            msgid = _text(entry["msgid"])
            if "msgctxt" in entry:
                msgid = f"{_text(entry['msgctxt'])}\x04{msgid}"
            if "msgid_plural" in entry:
                expected = {(msgid, 0): _text(entry.get("msgstr[0]", ""))}
            else:
                expected = {msgid: _text(entry.get("msgstr", ""))}
            for key, text in expected.items():
                if catalog.get(key) != text:
                    stale.append(f"{path.relative_to(ROOT)}: {msgid[:60]}")
    assert stale == []


def test_the_site_speaks_english_under_en():
    with translation.override("en"):
        assert translation.gettext("Paiement sécurisé") == "Secure payment"
        assert translation.gettext("En rupture de stock") == "Out of stock"
