"""Pure, deterministic generation of the demo catalogue (no database access).

`products_generate(count=…, seed=…)` yields one `ProductSpec` per product, drawn from
`random.Random(seed)` only: the same arguments always give the same titles, variants, offers
and prices. Listing summaries and search terms need the vendors' database ids, so the loader
(`demo.services`) computes them with the catalogue's own rules.
"""

import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from django.utils.text import slugify

from allies.catalog.models import Availability
from allies.core.money import eur_to_cents
from allies.demo import words
from allies.demo.identities import VENDORS

COLOUR_CODES = {
    "Blanc": "BLA", "Bleu ciel": "BCI", "Bleu marine": "BMA", "Noir": "NOI", "Gris": "GRI",
    "Beige": "BEI", "Camel": "CAM", "Marron": "MRR", "Bordeaux": "BOR", "Vert olive": "VOL",
    "Rose": "ROS", "Kaki": "KAK", "Cognac": "COG", "Naturel": "NAT",
}  # fmt: skip
assert set(COLOUR_CODES) == set(words.PALETTE)

# How many vendors carry a product (CAT-2: several vendors may sell the same product).
VENDOR_COUNT_WEIGHTS = {1: 30, 2: 35, 3: 22, 4: 13}
# A product's stock situation: most are mixed; some are only being restocked, some sold out,
# so that listings show all three availabilities.
PRODUCT_STATES = {"normal": 85, "restocking": 8, "sold_out": 7}
INACTIVE_OFFER_SHARE = 0.03
SIZE_COVERAGE = 0.85  # chance that a vendor of the product stocks a given size/colour


@dataclass(slots=True)
class OfferSpec:
    vendor: int  # index into identities.VENDORS
    price_cents: int
    stock: int
    restock_weeks: int | None
    is_active: bool

    @property
    def availability(self) -> int:
        if self.stock > 0:
            return Availability.IN_STOCK
        if self.restock_weeks:
            return Availability.RESTOCKING
        return Availability.OUT_OF_STOCK


@dataclass(slots=True)
class VariantSpec:
    sku: str
    size: str
    colour: str
    position: int
    offers: list[OfferSpec]


@dataclass(slots=True)
class ProductSpec:
    index: int
    category: int  # index into words.CATEGORIES
    kind: str
    title: str
    slug: str
    brand: str
    description: str
    parcel_count: int
    weight_grams: int
    age_seconds: int  # created this long before "now"
    colours: list[str]  # in variant order, as the search document lists them
    variants: list[VariantSpec]


_T = TypeVar("_T")


def _weighted(rng: random.Random, weights: Mapping[_T, int]) -> _T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _price_cents(value: float) -> int:
    """Shop-like prices: 12.50, 59.90, 145.00, 1 290.00."""
    if value < 20:
        euros = max(Decimal(1), Decimal(round(value * 2)) / 2)  # half-euros, at least 1 €
    elif value < 200:
        euros = int(value) + Decimal("0.90")
    elif value < 1000:
        euros = Decimal(round(value / 5) * 5)
    else:
        euros = Decimal(round(value / 10) * 10)
    return eur_to_cents(euros)


def _stock(rng: random.Random, state: str) -> tuple[int, int | None]:
    if state == "restocking":
        return 0, rng.randint(1, 6)
    if state == "sold_out":
        return 0, None
    roll = rng.random()
    if roll < 0.78:
        return rng.choice((1, 1, 2, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 40)), None
    if roll < 0.90:
        return 0, rng.randint(1, 6)
    return 0, None


# --- titles and descriptions, one function per kind ------------------------------------


@dataclass(slots=True)
class Drawn:
    """What a kind's word lists gave: title, description sentences and optional overrides
    of the category's weight, price range and colour."""

    title: str
    sentences: list[str]
    weight: int | None = None
    price_range: tuple[int, int] | None = None
    colour: str | None = None


def _shirt(rng: random.Random) -> Drawn:
    pattern, pattern_desc = rng.choice(words.SHIRT_PATTERNS)
    fabric, fabric_desc = rng.choice(words.SHIRT_FABRICS)
    collar, collar_desc = rng.choice(words.SHIRT_COLLARS)
    fit, fit_desc = rng.choice(words.FITS)
    title = " ".join(p for p in ("Chemise", pattern, fabric, collar) if p)
    if fit:
        title += f", {fit}"
    first = (
        f"Une chemise {pattern_desc} taillée dans {fabric_desc}."
        if pattern_desc
        else f"Une chemise taillée dans {fabric_desc}."
    )
    care = rng.choice((
        "Lavage en machine à 30 °C, repassage facile.",
        "Boutons en nacre cousus main.",
        "Hirondelles de renfort aux pans, finitions soignées.",
        "Poignets mousquetaires réglables à deux boutons.",
    ))  # fmt: skip
    return Drawn(title, [first, collar_desc, fit_desc, care])


def _trousers(rng: random.Random) -> Drawn:
    noun = rng.choice(words.TROUSER_NOUNS)
    fabric, fabric_desc = rng.choice(words.TROUSER_FABRICS)
    detail, detail_desc = rng.choice(words.TROUSER_DETAILS)
    fit = rng.choice(words.TROUSER_FITS)
    title = " ".join(p for p in (noun, fabric, detail) if p)
    if fit:
        title += f", {fit}"
    return Drawn(title, [
        f"{noun} coupé dans {fabric_desc}.",
        detail_desc,
        rng.choice((
            "Ourlet non fait : il se retouche à la longueur voulue.",
            "Braguette à boutons, poches passepoilées au dos.",
            "Fabriqué dans un atelier familial du Nord.",
            "Se porte aussi bien avec une veste qu'avec un pull.",
        )),
    ])  # fmt: skip


def _shoes(rng: random.Random) -> Drawn:
    noun, gender = rng.choice(words.SHOE_NOUNS)
    leather, leather_desc = rng.choice(words.SHOE_LEATHERS)
    detail, detail_desc = rng.choice(words.SHOE_DETAILS)
    title = " ".join(p for p in (noun, leather, detail) if p)
    made = "façonnées" if gender == "f" else "façonnés"
    return Drawn(title, [
        f"Des {noun[0].lower() + noun[1:]} {made} dans {leather_desc}.",
        detail_desc,
        rng.choice((
            "Doublure intégrale en cuir, première de propreté amovible.",
            "Chaussant standard : prenez votre pointure habituelle.",
            "Chaussant un peu ample : prenez une demi-pointure en dessous.",
            "La paire est livrée avec son sac à chaussures en coton.",
        )),
    ])  # fmt: skip


def _knitwear(rng: random.Random) -> Drawn:
    noun = rng.choice(words.KNIT_NOUNS)
    wool, wool_desc = rng.choice(words.KNIT_WOOLS)
    stitch = rng.choice(words.KNIT_STITCHES)
    title = " ".join(p for p in (noun, wool, stitch) if p)
    # Cashmere costs more than cotton: the category's range is moved up for it.
    price_range = (149, 390) if "cachemire" in wool else None
    return Drawn(title, [
        f"Tricoté dans {wool_desc}.",
        rng.choice((
            "Bords côtes aux poignets et à la taille pour garder sa forme.",
            "Coutures remaillées à la main.",
            "Lavage à la main ou programme laine à froid.",
            "Une pièce qui traverse les saisons et les années.",
        )),
    ], price_range=price_range)  # fmt: skip


def _watch(rng: random.Random) -> Drawn:
    kind, kind_desc = rng.choice(words.WATCH_TYPES)
    dial, colour = rng.choice(words.WATCH_DIALS)
    case = rng.choice(words.WATCH_CASES)
    strap = rng.choice(words.WATCH_STRAPS)
    return Drawn(f"{kind} {dial}, {case}, {strap}", [
        kind_desc,
        f"Verre saphir, {case}, {strap} interchangeable.",
        rng.choice((
            "Garantie deux ans, révision proposée par l'atelier.",
            "Livrée dans un écrin en bois avec son certificat.",
            "Assemblée et réglée à la main en France.",
        )),
    ], colour=colour)  # fmt: skip


def _leather(rng: random.Random) -> Drawn:
    noun, gender, grams, price_range = rng.choice(words.LEATHER_NOUNS)
    material, material_desc = rng.choice(words.LEATHER_MATERIALS)
    detail, detail_desc = rng.choice(words.LEATHER_DETAILS)
    title = " ".join(p for p in (noun, material, detail) if p)
    article = "Cette" if gender == "f" else ("Cet" if noun[0] in "AEIOUÉ" else "Ce")
    made = "réalisée" if gender == "f" else "réalisé"
    sentences = [f"{article} {noun[0].lower() + noun[1:]} est {made} dans {material_desc}."]
    if detail_desc:
        sentences.append(detail_desc[0].upper() + detail_desc[1:] + ".")
    sentences.append(rng.choice((
        "Le cuir prendra une belle patine avec le temps.",
        "Fabrication française, en petite série.",
        "Nourrir le cuir une à deux fois par an avec une crème incolore.",
    )))  # fmt: skip
    weight = round(grams * rng.uniform(0.8, 1.25) / 10) * 10
    return Drawn(title, sentences, weight=weight, price_range=price_range)


def _grooming(rng: random.Random) -> Drawn:
    noun, scented, formats, price_range = rng.choice(words.GROOMING_NOUNS)
    fmt = rng.choice(formats)
    if scented:
        scent, scent_desc = rng.choice(words.SCENTS)
        title = f"{noun} {scent}, {fmt}"
        first = (
            f"Un soin formulé à partir d'ingrédients d'origine naturelle, parfumé par {scent_desc}."
            if scent_desc
            else "Un soin sans parfum, pour les peaux sensibles."
        )
    else:
        title = f"{noun} {fmt}" if fmt.startswith("en ") else f"{noun}, {fmt}"
        first = "Un accessoire de rasage fait pour durer toute une vie."
    return Drawn(title, [
        first,
        rng.choice((
            "Fabriqué en France.",
            "Non testé sur les animaux.",
            "Conditionné dans un flacon recyclable.",
            "Conseillé par nos barbiers.",
        )),
    ], price_range=price_range)  # fmt: skip


def _furniture(rng: random.Random) -> Drawn:
    noun, materials, price_range = rng.choice(words.FURNITURE_NOUNS)
    material = rng.choice(materials)
    style = rng.choice(words.FURNITURE_STYLES)
    title = " ".join(p for p in (noun, material, style) if p)
    # The colour (drawn on the product image) follows the material.
    if "cuir" in material:
        colour = rng.choice(("Cognac", "Marron", "Noir", "Bordeaux"))
    elif "velours" in material:
        colour = rng.choice(("Vert olive", "Bordeaux", "Bleu marine", "Camel"))
    else:
        colour = rng.choice(("Naturel", "Marron", "Noir"))
    return Drawn(title, [
        f"{noun} {material}, fabrication à la commande dans l'atelier du fabricant.",
        rng.choice((
            "Livraison en plusieurs colis, montage simple avec la notice fournie.",
            "Livraison en plusieurs colis : prévoyez deux personnes pour le montage.",
        )),
        rng.choice((
            "Chaque pièce est unique : les veines du bois varient.",
            "Les matières naturelles rendent chaque exemplaire un peu différent.",
            "Délai de fabrication indiqué dans les modes de livraison.",
        )),
    ], price_range=price_range, colour=colour)  # fmt: skip


DRAW = {
    "shirt": _shirt, "trousers": _trousers, "shoes": _shoes, "knitwear": _knitwear,
    "watch": _watch, "leather": _leather, "grooming": _grooming, "furniture": _furniture,
}  # fmt: skip


def products_generate(*, count: int, seed: int) -> Iterator[ProductSpec]:
    rng = random.Random(seed)
    categories = words.CATEGORIES
    vendors_by_kind = {
        c.kind: [i for i, v in enumerate(VENDORS) if c.kind in v.kinds] for c in categories
    }
    used_slugs: set[str] = set()
    used_titles: set[str] = set()
    shares = [c.share for c in categories]
    for index in range(1, count + 1):
        # The first products cover every category, then categories follow their shares.
        if index <= len(categories):
            cat_index = index - 1
        else:
            cat_index = rng.choices(range(len(categories)), weights=shares)[0]
        cat = categories[cat_index]
        kind = cat.kind
        brands = words.BRANDS[kind]

        # Prefer a title not used yet; past a few draws accept a repeat under another brand.
        for attempt in range(8):
            drawn = DRAW[kind](rng)
            title = drawn.title
            brand = rng.choice(brands)
            slug = slugify(f"{title} {brand}")[:200].strip("-")
            if slug not in used_slugs and (title not in used_titles or attempt >= 5):
                break
        n = 2
        base_slug = slug
        while slug in used_slugs:
            slug, n = f"{base_slug}-{n}", n + 1
        used_slugs.add(slug)
        used_titles.add(title)

        if cat.sizes:
            n_colours = rng.choices((1, 2, 3), weights=(45, 35, 20))[0]
            colours = rng.sample(cat.colours, n_colours)
            combos = [(size, colour) for colour in colours for size in cat.sizes]
        else:
            colours = [drawn.colour or rng.choice(cat.colours)]
            combos = [("", colours[0])]

        low, high = drawn.price_range or cat.price_range
        reference = math.exp(rng.uniform(math.log(low), math.log(high)))
        candidates = vendors_by_kind[kind]
        n_vendors = min(len(candidates), _weighted(rng, VENDOR_COUNT_WEIGHTS))
        product_vendors = rng.sample(candidates, n_vendors)
        vendor_prices = {
            v: _price_cents(reference * rng.uniform(0.92, 1.12)) for v in product_vendors
        }
        state = _weighted(rng, PRODUCT_STATES)

        variants = []
        for position, (size, colour) in enumerate(combos):
            sellers = [v for v in product_vendors if rng.random() < SIZE_COVERAGE] or [
                rng.choice(product_vendors)
            ]
            offers = []
            for v in sellers:
                stock, restock = _stock(rng, state)
                offers.append(
                    OfferSpec(v, vendor_prices[v], stock, restock,
                              rng.random() >= INACTIVE_OFFER_SHARE)
                )  # fmt: skip
            sku = f"{cat.sku_prefix}-{index:06d}-{size or 'TU'}-{COLOUR_CODES[colour]}"
            variants.append(VariantSpec(sku, size, colour, position, offers))

        weight = drawn.weight or round(rng.uniform(*cat.weight_range) / 10) * 10
        parcel_count = rng.randint(2, 4) if kind == "furniture" else 1

        colour_text = ", ".join(c.lower() for c in colours)
        tail = [f"Signé {brand}."]
        if cat.sizes:
            tail.append(f"Disponible du {cat.sizes[0]} au {cat.sizes[-1]}, coloris {colour_text}.")
        elif kind not in ("grooming", "watch"):
            tail.append(f"Coloris : {colour_text}.")
        description = " ".join([*(s for s in drawn.sentences if s), *tail])
        yield ProductSpec(
            index=index,
            category=cat_index,
            kind=kind,
            title=title,
            slug=slug,
            brand=brand,
            description=description,
            parcel_count=parcel_count,
            weight_grams=weight,
            age_seconds=rng.randrange(365 * 24 * 3600),
            colours=colours,
            variants=variants,
        )
