"""catalog.images: colour names to palette colours, deterministic SVG per product."""

from allies.catalog.images import FALLBACKS, PALETTE, colour_for, product_svg


def test_colour_names_are_matched_without_accents_case_or_plural():
    # covers: CAT-1
    assert colour_for("Bleu marine") == PALETTE["marine"]
    assert colour_for("ÉCRU") == PALETTE["ecru"]
    assert colour_for("vert foncé") == PALETTE["vert fonce"]
    assert colour_for("Bleue") == PALETTE["bleu"]
    assert colour_for("Gris chiné") == PALETTE["gris chine"]


def test_unknown_colour_uses_a_stable_fallback():
    # covers: CAT-1
    assert colour_for("Multicolore", seed=3) == FALLBACKS[3]
    assert colour_for(None, seed=0) == FALLBACKS[0]


def test_svg_is_deterministic_and_self_contained():
    # covers: CAT-1
    a = product_svg(kind="watch", colour="Cognac", seed=42)
    assert a == product_svg(kind="watch", colour="Cognac", seed=42)
    assert a.startswith("<svg") and a.endswith("</svg>")
    assert "href" not in a and "<script" not in a
    assert product_svg(kind="unknown", colour="", seed=1).startswith("<svg")
