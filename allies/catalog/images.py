"""Generated product images: a flat SVG illustration of the product's kind, in its colour.

The catalogue has no photographs yet; every product gets a clean, deterministic drawing
instead (same product, same bytes, so browsers and proxies cache it by ETag). The drawing
depends only on the kind (`Product.Kind`), the colour name of the first variant (mapped to a
palette, accents and case ignored) and the product id (which picks the soft background).
"""

from __future__ import annotations

import hashlib

from allies.core.text import fold

# Colour names vendors use, folded (core.text.fold), to a fill colour.
PALETTE = {
    "bleu": "#3d5f91",
    "bleu marine": "#1f3050",
    "marine": "#1f3050",
    "bleu ciel": "#8fb5dc",
    "ciel": "#8fb5dc",
    "bleu clair": "#9cc0e0",
    "indigo": "#2e3a6e",
    "denim": "#4a6b92",
    "blanc": "#f7f5f0",
    "ecru": "#ede4cf",
    "creme": "#efe6d2",
    "ivoire": "#f1ead8",
    "noir": "#2b2b2d",
    "gris": "#8c9198",
    "gris clair": "#c3c6ca",
    "gris chine": "#a3a6aa",
    "anthracite": "#41464c",
    "beige": "#d7c2a0",
    "sable": "#d8c49c",
    "naturel": "#cdb995",
    "camel": "#b88a4f",
    "cognac": "#9a5428",
    "tabac": "#7a4a26",
    "marron": "#6b4327",
    "brun": "#5c3b24",
    "chocolat": "#4f3020",
    "vert": "#4d7a50",
    "vert fonce": "#2f5233",
    "sauge": "#9aae8f",
    "kaki": "#6e6a3f",
    "olive": "#6b6b33",
    "rouge": "#b23b2f",
    "bordeaux": "#6d1f2b",
    "brique": "#a4492f",
    "terracotta": "#b5572f",
    "rose": "#d99aa6",
    "jaune": "#e0b43c",
    "moutarde": "#c9972e",
    "orange": "#d97a2b",
    "violet": "#6b4c8a",
    "prune": "#5b2f4c",
    "or": "#c9a54a",
    "dore": "#c9a54a",
    "argent": "#b9bdc3",
    "acier": "#9aa1a8",
    "chrome": "#c4c8cd",
    "transparent": "#cfe0e6",
}
# When the colour is unknown or missing: muted, good-looking defaults, picked by product id.
FALLBACKS = ("#3d5f91", "#6b4327", "#4d7a50", "#8c9198", "#b88a4f", "#6d1f2b")
BACKGROUNDS = ("#f1ece3", "#e9eef1", "#edf0e6", "#f4ebe6", "#ecebf2", "#f2eee2")

SIZE = 400


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def mix(a: str, b: str, t: float) -> str:
    """`a` moved a fraction `t` of the way to `b`."""
    ra, rb = _rgb(a), _rgb(b)
    red, green, blue = (x + (y - x) * t for x, y in zip(ra, rb, strict=True))
    return _hex((red, green, blue))


def _luminance(hex_colour: str) -> float:
    r, g, b = _rgb(hex_colour)
    return (0.299 * r + 0.587 * g + 0.114 * b) / 255


def colour_for(name: str | None, *, seed: int = 0) -> str:
    """The palette colour of a colour name ("Bleu marine", "ÉCRU", "vert foncé chiné")."""
    folded = " ".join(fold(name or "").replace("-", " ").split())
    if folded in PALETTE:
        return PALETTE[folded]
    words = folded.split()
    # "Bleu marine" is more marine than blue: try two-word names, then the later words first.
    for i in range(len(words) - 1):
        pair = f"{words[i]} {words[i + 1]}"
        if pair in PALETTE:
            return PALETTE[pair]
    for word in reversed(words):
        if word in PALETTE:
            return PALETTE[word]
        if word.rstrip("es") in PALETTE:  # "bleue", "vertes", "grises"
            return PALETTE[word.rstrip("es")]
    return FALLBACKS[seed % len(FALLBACKS)]


class _Ink:
    """Shades of the main colour: fill, darker line work, lighter highlights."""

    def __init__(self, base: str):
        self.base = base
        light = _luminance(base) > 0.72
        self.line = mix(base, "#1c2b3a", 0.55 if light else 0.45)
        self.shade = mix(base, "#1c2b3a", 0.18 if light else 0.22)
        self.light = mix(base, "#ffffff", 0.25)
        self.detail = mix(base, "#1c2b3a", 0.35) if light else mix(base, "#ffffff", 0.55)


def _shirt(c: _Ink) -> str:
    return f"""
<path d="M152 86 L112 100 Q92 108 86 130 L64 290 Q63 298 71 299 L98 303 Q106 304 107 296
 L124 190 L124 322 Q124 332 134 332 L266 332 Q276 332 276 322 L276 190 L293 296 Q294 304 302 303
 L329 299 Q337 298 336 290 L314 130 Q308 108 288 100 L248 86 Z" fill="{c.base}" stroke="{c.line}"
 stroke-width="3" stroke-linejoin="round"/>
<path d="M124 190 L124 322 Q124 332 134 332 L150 332 L150 196 Z" fill="{c.shade}" opacity=".5"/>
<path d="M68 272 L108 278 L105 300 L65 295 Z" fill="{c.shade}" stroke="{c.line}" stroke-width="2.5"
 stroke-linejoin="round"/>
<path d="M332 272 L292 278 L295 300 L335 295 Z" fill="{c.shade}" stroke="{c.line}"
 stroke-width="2.5" stroke-linejoin="round"/>
<path d="M92 150 Q104 200 112 250 M308 150 Q296 200 288 250" fill="none" stroke="{c.line}"
 stroke-width="1.5" opacity=".35"/>
<path d="M152 86 Q200 104 248 86 L240 100 Q200 116 160 100 Z" fill="{c.shade}"/>
<path d="M152 86 L200 120 L176 146 L146 100 Z" fill="{c.light}" stroke="{c.line}"
 stroke-width="3" stroke-linejoin="round"/>
<path d="M248 86 L200 120 L224 146 L254 100 Z" fill="{c.light}" stroke="{c.line}"
 stroke-width="3" stroke-linejoin="round"/>
<line x1="200" y1="120" x2="200" y2="332" stroke="{c.line}" stroke-width="2.5"/>
<g fill="{c.detail}" stroke="{c.line}" stroke-width="1.5">
<circle cx="208" cy="158" r="4.5"/><circle cx="208" cy="196" r="4.5"/>
<circle cx="208" cy="234" r="4.5"/><circle cx="208" cy="272" r="4.5"/>
<circle cx="208" cy="310" r="4.5"/></g>
<path d="M226 168 L258 168 L258 200 Q242 208 226 200 Z" fill="none" stroke="{c.line}"
 stroke-width="2.5" stroke-linejoin="round"/>
"""


def _knitwear(c: _Ink) -> str:
    rib = "".join(
        f'<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}"/>'
        for x in range(140, 262, 9)
        for (y1, y2) in [(312, 334)]
    )
    cuff_l = "".join(
        f'<line x1="{66 + i * 7}" y1="{222 + i * 2.4}" x2="{60 + i * 7}" y2="{240 + i * 2.4}"/>'
        for i in range(5)
    )
    cuff_r = "".join(
        f'<line x1="{334 - i * 7}" y1="{222 + i * 2.4}" x2="{340 - i * 7}" y2="{240 + i * 2.4}"/>'
        for i in range(5)
    )
    chevrons = "".join(
        f'<path d="M{x - 8} {y} l8 8 l8 -8"/>'
        for y in range(160, 300, 28)
        for x in range(168, 240, 32)
    )
    return f"""
<path d="M160 84 L116 98 Q90 108 82 136 L56 232 Q54 242 64 244 L98 252 Q108 254 110 244 L130 172
 L130 326 Q130 336 140 336 L260 336 Q270 336 270 326 L270 172 L290 244 Q292 254 302 252 L336 244
 Q346 242 344 232 L318 136 Q310 108 284 98 L240 84 Q200 112 160 84 Z" fill="{c.base}"
 stroke="{c.line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M130 172 L130 326 Q130 336 140 336 L154 336 L154 186 Z" fill="{c.shade}" opacity=".5"/>
<path d="M160 84 Q200 112 240 84 L232 78 Q200 100 168 78 Z" fill="{c.shade}" stroke="{c.line}"
 stroke-width="3" stroke-linejoin="round"/>
<path d="M130 310 L270 310" stroke="{c.line}" stroke-width="2.5"/>
<g stroke="{c.line}" stroke-width="2" stroke-linecap="round" opacity=".7">{rib}{cuff_l}{cuff_r}</g>
<g fill="none" stroke="{c.detail}" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round"
 opacity=".8">{chevrons}</g>
"""


def _trousers(c: _Ink) -> str:
    return f"""
<path d="M132 82 L268 82 L272 110 L290 326 Q291 334 283 334 L220 334 Q213 334 212 327 L200 168
 L188 327 Q187 334 180 334 L117 334 Q109 334 110 326 L128 110 Z" fill="{c.base}"
 stroke="{c.line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M200 168 L212 327 Q213 334 220 334 L236 334 L214 150 Z" fill="{c.shade}" opacity=".55"/>
<rect x="130" y="82" width="140" height="26" rx="3" fill="{c.shade}" stroke="{c.line}"
 stroke-width="3"/>
<g fill="{c.line}"><rect x="150" y="80" width="7" height="30" rx="2"/>
<rect x="196" y="80" width="7" height="30" rx="2"/>
<rect x="243" y="80" width="7" height="30" rx="2"/></g>
<circle cx="200" cy="95" r="5" fill="{c.detail}" stroke="{c.line}" stroke-width="1.5"/>
<path d="M200 108 L200 150 Q200 164 188 168" fill="none" stroke="{c.line}" stroke-width="2.5"
 stroke-linecap="round"/>
<path d="M138 116 Q160 124 166 150" fill="none" stroke="{c.line}" stroke-width="2.5"
 stroke-linecap="round"/>
<path d="M262 116 Q240 124 234 150" fill="none" stroke="{c.line}" stroke-width="2.5"
 stroke-linecap="round"/>
<path d="M150 180 L144 320 M250 180 L256 320" stroke="{c.line}" stroke-width="1.5" opacity=".45"/>
"""


def _shoes(c: _Ink) -> str:
    sole = mix(c.base, "#1c2b3a", 0.65) if _luminance(c.base) < 0.6 else "#f3efe8"
    sole_line = "#1c2b3a" if sole != "#f3efe8" else c.line
    eyelets = "".join(
        f'<circle cx="{x}" cy="{y}" r="3.5"/>'
        for x, y in [(196, 180), (212, 190), (228, 200), (244, 210)]
    )
    laces = "".join(
        f'<line x1="{x - 12}" y1="{y + 10}" x2="{x + 4}" y2="{y - 6}"/>'
        for x, y in [(200, 182), (216, 192), (232, 202), (248, 212)]
    )
    return f"""
<path d="M64 280 L66 214 Q68 176 100 170 L150 164 Q178 160 196 172 L258 214 Q300 226 332 240
 Q352 250 348 272 L346 280 Z" fill="{c.base}" stroke="{c.line}" stroke-width="3"
 stroke-linejoin="round"/>
<path d="M66 214 Q68 176 100 170 L124 167 Q102 200 106 280 L64 280 Z" fill="{c.shade}"
 opacity=".7"/>
<path d="M178 166 Q206 168 262 216 Q250 224 232 224 Q200 200 170 184 Z" fill="{c.light}"
 stroke="{c.line}" stroke-width="2.5" stroke-linejoin="round"/>
<path d="M258 214 Q300 226 332 240 Q352 250 348 272 L300 272 Q300 236 258 214 Z" fill="{c.shade}"
 opacity=".45"/>
<g fill="{c.line}">{eyelets}</g>
<g stroke="{c.detail}" stroke-width="3" stroke-linecap="round">{laces}</g>
<path d="M70 252 Q150 246 200 256 Q260 266 344 262" fill="none" stroke="{c.line}"
 stroke-width="1.5" stroke-dasharray="5 5" opacity=".6"/>
<rect x="56" y="276" width="298" height="22" rx="10" fill="{sole}" stroke="{sole_line}"
 stroke-width="3"/>
<path d="M64 298 L64 304 Q64 310 72 310 L122 310 Q128 310 128 304 L128 298 Z" fill="{sole}"
 stroke="{sole_line}" stroke-width="3" stroke-linejoin="round"/>
"""


def _watch(c: _Ink) -> str:
    metal = "#c9a54a" if c.base in (PALETTE["or"],) else "#aeb4bb"
    metal_line = mix(metal, "#1c2b3a", 0.5)
    ticks = []
    for i in range(12):
        long = i % 3 == 0
        ticks.append(
            f'<rect x="198" y="{146 if long else 148}" width="{4 if long else 2}" '
            f'height="{14 if long else 8}" rx="1" transform="rotate({i * 30} 200 200)"/>'
        )
    holes = "".join(f'<circle cx="200" cy="{y}" r="3.5"/>' for y in (290, 306, 322))
    return f"""
<path d="M166 70 L234 70 L228 140 L172 140 Z" fill="{c.base}" stroke="{c.line}" stroke-width="3"
 stroke-linejoin="round"/>
<path d="M172 260 L228 260 L234 338 L166 338 Z" fill="{c.base}" stroke="{c.line}"
 stroke-width="3" stroke-linejoin="round"/>
<path d="M172 78 L184 78 L180 138 L174 138 Z M174 262 L180 262 L184 334 L170 334 Z"
 fill="{c.shade}" opacity=".6"/>
<path d="M176 86 L224 86 M176 322 L224 322" stroke="{c.detail}" stroke-width="1.5"
 stroke-dasharray="4 4" opacity=".8"/>
<g fill="{c.line}" opacity=".9">{holes}</g>
<circle cx="200" cy="200" r="76" fill="{metal}" stroke="{metal_line}" stroke-width="3"/>
<rect x="272" y="190" width="14" height="20" rx="4" fill="{metal}" stroke="{metal_line}"
 stroke-width="2.5"/>
<circle cx="200" cy="200" r="62" fill="#fbf9f4" stroke="{metal_line}" stroke-width="2"/>
<g fill="#2b3440">{"".join(ticks)}</g>
<g stroke="#1c2b3a" stroke-linecap="round"><line x1="200" y1="200" x2="200" y2="160"
 stroke-width="5"/><line x1="200" y1="200" x2="234" y2="214" stroke-width="3.5"/></g>
<circle cx="200" cy="200" r="5" fill="#1c2b3a"/>
"""


def _leather(c: _Ink) -> str:
    brass = "#c9a54a"
    return f"""
<path d="M160 138 L160 112 Q160 94 178 94 L222 94 Q240 94 240 112 L240 138" fill="none"
 stroke="{c.line}" stroke-width="12" stroke-linecap="round"/>
<path d="M160 138 L160 112 Q160 94 178 94 L222 94 Q240 94 240 112 L240 138" fill="none"
 stroke="{c.base}" stroke-width="6" stroke-linecap="round"/>
<rect x="82" y="132" width="236" height="180" rx="14" fill="{c.base}" stroke="{c.line}"
 stroke-width="3"/>
<path d="M96 312 L96 146 Q96 136 106 134 L114 134 L114 312 Z" fill="{c.shade}" opacity=".5"/>
<path d="M82 146 Q82 132 96 132 L304 132 Q318 132 318 146 L318 196 Q200 224 82 196 Z"
 fill="{c.shade}" stroke="{c.line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M92 190 Q200 214 308 190" fill="none" stroke="{c.detail}" stroke-width="2"
 stroke-dasharray="6 5" opacity=".85"/>
<rect x="92" y="142" width="216" height="160" rx="8" fill="none" stroke="{c.detail}"
 stroke-width="2" stroke-dasharray="6 5" opacity=".55"/>
<rect x="184" y="196" width="32" height="26" rx="4" fill="{brass}"
 stroke="{mix(brass, "#1c2b3a", 0.5)}" stroke-width="2.5"/>
<circle cx="200" cy="209" r="4" fill="{mix(brass, "#1c2b3a", 0.5)}"/>
"""


def _grooming(c: _Ink) -> str:
    label = "#fbf9f4"
    cap = "#2b2b2d" if _luminance(c.base) > 0.35 else "#c9a54a"
    return f"""
<rect x="176" y="84" width="48" height="44" rx="6" fill="{cap}" stroke="#1c2b3a"
 stroke-width="3"/>
<rect x="186" y="126" width="28" height="22" fill="{c.shade}" stroke="{c.line}" stroke-width="3"/>
<path d="M146 176 Q146 148 176 146 L224 146 Q254 148 254 176 L254 316 Q254 334 236 334 L164 334
 Q146 334 146 316 Z" fill="{c.base}" stroke="{c.line}" stroke-width="3"/>
<path d="M160 170 Q160 160 170 158 L170 320 Q160 318 160 308 Z" fill="#ffffff" opacity=".35"/>
<rect x="164" y="206" width="72" height="80" rx="4" fill="{label}" stroke="{c.line}"
 stroke-width="2"/>
<g fill="#1c2b3a"><rect x="180" y="222" width="40" height="6" rx="2"/>
<rect x="186" y="236" width="28" height="4" rx="2" opacity=".6"/>
<rect x="176" y="262" width="48" height="3" rx="1.5" opacity=".45"/>
<rect x="184" y="270" width="32" height="3" rx="1.5" opacity=".45"/></g>
<rect x="262" y="270" width="76" height="64" rx="10" fill="{c.light}" stroke="{c.line}"
 stroke-width="3"/>
<rect x="258" y="254" width="84" height="22" rx="6" fill="{cap}" stroke="#1c2b3a"
 stroke-width="3"/>
<rect x="276" y="292" width="48" height="22" rx="3" fill="{label}" opacity=".9"/>
<path d="M74 334 L74 214 Q74 204 84 204 L104 204 Q114 204 114 214 L114 334 Z" fill="{c.shade}"
 stroke="{c.line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M80 204 L80 176 Q94 160 108 176 L108 204 Z" fill="#e9e6df" stroke="{c.line}"
 stroke-width="3" stroke-linejoin="round"/>
"""


def _furniture(c: _Ink) -> str:
    wood = "#7a4a26"
    return f"""
<path d="M100 300 L94 338 L108 338 L116 300 Z M300 300 L306 338 L292 338 L284 300 Z"
 fill="{wood}" stroke="#3e2614" stroke-width="2.5" stroke-linejoin="round"/>
<path d="M112 96 Q112 80 128 80 L272 80 Q288 80 288 96 L292 224 L108 224 Z" fill="{c.base}"
 stroke="{c.line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M136 98 L264 98 L266 206 L134 206 Z" fill="{c.shade}" opacity=".35"/>
<g fill="{c.line}" opacity=".7"><circle cx="160" cy="130" r="3.5"/>
<circle cx="200" cy="130" r="3.5"/><circle cx="240" cy="130" r="3.5"/>
<circle cx="180" cy="166" r="3.5"/><circle cx="220" cy="166" r="3.5"/></g>
<rect x="118" y="212" width="164" height="50" rx="14" fill="{c.light}" stroke="{c.line}"
 stroke-width="3"/>
<path d="M72 186 Q72 166 92 166 L112 166 Q130 166 130 186 L130 302 L72 302 Z" fill="{c.base}"
 stroke="{c.line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M328 186 Q328 166 308 166 L288 166 Q270 166 270 186 L270 302 L328 302 Z" fill="{c.base}"
 stroke="{c.line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M72 186 Q72 166 92 166 L100 166 Q86 176 86 196 L86 302 L72 302 Z" fill="{c.shade}"
 opacity=".6"/>
<path d="M270 186 Q270 166 288 166 L296 166 Q282 176 282 196 L282 302 L270 302 Z"
 fill="{c.shade}" opacity=".6"/>
<rect x="126" y="258" width="148" height="44" fill="{c.shade}" stroke="{c.line}" stroke-width="3"/>
"""


DRAWINGS = {
    "shirt": _shirt,
    "knitwear": _knitwear,
    "trousers": _trousers,
    "shoes": _shoes,
    "watch": _watch,
    "leather": _leather,
    "grooming": _grooming,
    "furniture": _furniture,
}


def product_svg(*, kind: str, colour: str | None, seed: int) -> str:
    """The SVG document for a product (see module docstring)."""
    base = colour_for(colour, seed=seed)
    background = BACKGROUNDS[seed % len(BACKGROUNDS)]
    if _luminance(base) > 0.8:
        # A white shirt on a pale background needs a little more contrast.
        background = mix(background, "#8c9198", 0.18)
    halo = mix(background, "#ffffff", 0.55)
    shadow = mix(background, "#1c2b3a", 0.14)
    drawing = DRAWINGS.get(kind, _leather)(_Ink(base))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" '
        f'width="{SIZE}" height="{SIZE}">'
        f'<rect width="{SIZE}" height="{SIZE}" fill="{background}"/>'
        f'<circle cx="200" cy="196" r="150" fill="{halo}"/>'
        f'<ellipse cx="200" cy="350" rx="130" ry="12" fill="{shadow}"/>'
        f"{drawing}</svg>"
    )


def svg_etag(svg: str) -> str:
    return '"' + hashlib.sha256(svg.encode()).hexdigest()[:32] + '"'
