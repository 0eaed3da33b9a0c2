"""Word lists the demo catalogue is assembled from: categories, brands, titles, colours.

Titles follow French listing style, noun first ("Chemise rayée en popeline à col italien").
Word lists are built per noun family so that no adjective has to agree with a noun it does
not know; leather nouns carry their gender for the descriptions ("Ce portefeuille", "Cette
ceinture").
"""

from dataclasses import dataclass

# The storefront draws product images from Product.kind and the first variant's colour,
# so every colour used here comes from this palette.
PALETTE = (
    "Blanc", "Bleu ciel", "Bleu marine", "Noir", "Gris", "Beige", "Camel", "Marron",
    "Bordeaux", "Vert olive", "Rose", "Kaki", "Cognac", "Naturel",
)  # fmt: skip


@dataclass(frozen=True)
class CategorySeed:
    kind: str
    slug: str
    name: str
    name_en: str
    sizes: tuple[str, ...]
    description: str
    description_en: str
    share: float  # of the generated products
    price_range: tuple[int, int]  # euros TTC, a product's reference price is drawn in it
    weight_range: tuple[int, int]  # grams
    colours: tuple[str, ...]
    sku_prefix: str


CATEGORIES: tuple[CategorySeed, ...] = (
    CategorySeed(
        "shirt", "chemises", "Chemises", "Shirts", ("S", "M", "L", "XL", "XXL"),
        "Oxford, popeline, lin ou flanelle : des chemises bien coupées, du bureau au week-end, "
        "choisies chez des chemisiers indépendants.",
        "Oxford, poplin, linen or flannel: well-cut shirts from independent shirtmakers, "
        "from the office to the weekend.",
        0.20, (39, 149), (220, 380),
        ("Blanc", "Bleu ciel", "Bleu marine", "Rose", "Gris", "Beige", "Kaki", "Vert olive",
         "Bordeaux", "Noir"),
        "CHE",
    ),
    CategorySeed(
        "trousers", "pantalons", "Pantalons", "Trousers", ("38", "40", "42", "44", "46", "48"),
        "Chinos, pantalons à pinces, velours et flanelle, en tailles françaises du 38 au 48.",
        "Chinos, pleated trousers, corduroy and flannel, in French sizes 38 to 48.",
        0.13, (49, 189), (420, 850),
        ("Beige", "Bleu marine", "Gris", "Kaki", "Vert olive", "Camel", "Noir", "Marron"),
        "PAN",
    ),
    CategorySeed(
        "shoes", "chaussures", "Chaussures", "Shoes",
        ("39", "40", "41", "42", "43", "44", "45", "46"),
        "Derbies, richelieus, mocassins et bottines de bottiers indépendants, souvent "
        "ressemelables, du 39 au 46.",
        "Derbies, oxfords, loafers and boots from independent shoemakers, often resoleable, "
        "sizes 39 to 46.",
        0.13, (89, 390), (850, 1700),
        ("Noir", "Marron", "Cognac", "Bordeaux", "Camel", "Blanc", "Bleu marine", "Beige"),
        "CHA",
    ),
    CategorySeed(
        "knitwear", "pulls-et-mailles", "Pulls & Mailles", "Knitwear",
        ("S", "M", "L", "XL", "XXL"),
        "Pulls marins, cols roulés, cardigans : mérinos, cachemire et laine d'agneau "
        "tricotés pour durer.",
        "Breton sweaters, roll necks, cardigans: merino, cashmere and lambswool knitted "
        "to last.",
        0.12, (59, 290), (350, 850),
        ("Bleu marine", "Gris", "Beige", "Camel", "Bordeaux", "Vert olive", "Noir", "Naturel"),
        "PUL",
    ),
    CategorySeed(
        "watch", "montres", "Montres", "Watches", (),
        "Montres mécaniques et à quartz d'horlogers indépendants, de la montre habillée à la "
        "plongeuse.",
        "Mechanical and quartz watches from independent watchmakers, from dress watches to "
        "divers.",
        0.09, (129, 1290), (90, 260),
        ("Noir", "Blanc", "Bleu marine", "Vert olive", "Beige", "Marron"),
        "MON",
    ),
    CategorySeed(
        "leather", "maroquinerie", "Maroquinerie", "Leather goods", (),
        "Portefeuilles, ceintures, sacoches et étuis en cuir pleine fleur, souvent cousus "
        "main.",
        "Wallets, belts, bags and cases in full-grain leather, often hand-stitched.",
        0.13, (29, 390), (80, 1600),
        ("Cognac", "Marron", "Noir", "Camel", "Bordeaux", "Naturel"),
        "MAR",
    ),
    CategorySeed(
        "grooming", "soin-et-rasage", "Soin & Rasage", "Grooming & Shaving", (),
        "Huiles à barbe, savons, blaireaux et rasoirs : le rituel du rasage et du soin, "
        "formulé par des artisans.",
        "Beard oils, soaps, brushes and razors: the shaving and grooming ritual, made by "
        "craftspeople.",
        0.12, (8, 89), (60, 650),
        ("Naturel", "Blanc", "Noir"),
        "SOI",
    ),
    CategorySeed(
        "furniture", "mobilier", "Mobilier", "Furniture", (),
        "Fauteuils club, bureaux, bars roulants et valets de chambre : des meubles "
        "volumineux, livrés en plusieurs colis.",
        "Club chairs, desks, bar carts and valet stands: bulky furniture delivered in "
        "several parcels.",
        0.08, (290, 3490), (12_000, 65_000),
        ("Cognac", "Marron", "Noir", "Naturel", "Vert olive", "Bordeaux"),
        "MOB",
    ),
)  # fmt: skip


BRANDS: dict[str, tuple[str, ...]] = {
    "shirt": ("Maison Corbière", "Chemiserie Delacroix", "Guilhem & Fils", "Tissage Vauban",
              "Atelier Sévigné", "Loire & Lin", "Maison Verlaine"),
    "trousers": ("Drap & Flanelle", "Maison Corbière", "Atelier Sévigné", "Vauquelin",
                 "Les Ateliers Mistral", "Serge & Velours"),
    "shoes": ("Bottier Marcel Fabre", "Souliers d'Aubrac", "Maison Roncevaux",
              "Cordonnerie Saint-Cyr", "Semelle & Cie", "Van Rossem"),
    "knitwear": ("Les Mailles de Saint-Malo", "Tricots d'Iroise", "Laines du Queyras",
                 "Maison Corbière", "Tricotage Vosgien"),
    "watch": ("Besson & Fils", "Chronos Morteau", "Maison Lémanique", "Comtoise Horlogerie",
              "Atelier Van Rossem"),
    "leather": ("Atelier du Cuir Lyonnais", "Sellier Castellane", "Cuirs de Millau",
                "Van Rossem", "Maroquinerie Quercy"),
    "grooming": ("Le Comptoir du Barbier", "Barbe & Blaireau", "Savonnerie du Luberon",
                 "Officine Saint-Germain", "Pin & Vétiver"),
    "furniture": ("Ébénisterie Morvan", "Van Rossem Intérieur", "Atelier Chêne & Laiton",
                  "Club 1930", "Le Grenier du Gentleman"),
}  # fmt: skip


# --- Shirts: "Chemise" + pattern + fabric + collar [+ fit] -----------------------------
SHIRT_FABRICS = (
    ("Oxford", "un oxford de coton au tissage natté, souple et résistant"),
    ("en popeline", "une popeline de coton fine et légèrement lustrée"),
    ("en lin lavé", "un lin lavé qui se froisse juste ce qu'il faut"),
    ("en flanelle", "une flanelle de coton brossée, chaude et douce"),
    ("en chambray", "un chambray léger à l'aspect denim"),
    ("en denim léger", "un denim de 6 onces, assez fin pour se porter sous une veste"),
    ("en seersucker", "un seersucker gaufré qui reste frais en été"),
    ("en twill", "un twill de coton à la diagonale discrète, facile à repasser"),
    ("en piqué de coton", "un piqué de coton aéré"),
    ("en velours milleraies", "un velours milleraies souple"),
    ("en coton bio", "un coton biologique certifié GOTS"),
)
SHIRT_PATTERNS = (
    ("", ""),
    ("rayée", "rayée"),
    ("à carreaux", "à carreaux"),
    ("unie", "unie"),
    ("à rayures bâton", "à rayures bâton"),
    ("à micro-motifs", "à micro-motifs"),
    ("vichy", "à carreaux vichy"),
)
SHIRT_COLLARS = (
    ("à col boutonné", "Son col boutonné se porte aussi bien avec ou sans cravate."),
    ("à col italien", "Le col italien, largement ouvert, met en valeur un nœud de cravate."),
    ("à col Mao", "Le col Mao lui donne une allure décontractée et nette."),
    ("à col français", "Le col français classique s'adapte à toutes les occasions."),
    ("à col cassé", "Le col cassé, réservé au nœud papillon, en fait une chemise de soirée."),
    ("à col club", "Le col club aux pointes arrondies rappelle les années 1920."),
    ("à col requin", "Le col requin s'ouvre largement pour les cravates épaisses."),
)
FITS = (
    ("", "Coupe classique."),
    ("coupe ajustée", "Coupe ajustée, près du corps sans serrer."),
    ("coupe droite", "Coupe droite, confortable."),
    ("coupe slim", "Coupe slim pour une silhouette affinée."),
    ("coupe décontractée", "Coupe décontractée, à porter ouverte ou fermée."),
)

# --- Trousers: noun + fabric [+ detail] [+ fit] ------------------------------------------
TROUSER_NOUNS = (
    "Chino",
    "Pantalon à pinces",
    "Pantalon de ville",
    "Pantalon cargo",
    "Pantalon de costume",
    "Pantalon cinq poches",
    "Bermuda",
    "Pantalon de travail",
)
TROUSER_FABRICS = (
    ("en coton stretch", "un coton stretch qui suit les mouvements"),
    ("en flanelle de laine", "une flanelle de laine peignée, tombante et chaude"),
    ("en velours côtelé", "un velours côtelé à larges côtes"),
    ("en lin", "un lin épais qui respire"),
    ("en gabardine", "une gabardine de laine infroissable"),
    ("en serge de coton", "une serge de coton robuste"),
    ("en toile de coton", "une toile de coton lavée"),
    ("en denim brut", "un denim brut selvedge qui se patine avec le temps"),
    ("en moleskine", "une moleskine de coton dense et douce"),
)
TROUSER_DETAILS = (
    ("", ""),
    ("", ""),
    ("à revers", "Bas à revers de 4 cm."),
    ("à pattes de serrage", "Pattes de serrage sur les côtés, pour se passer de ceinture."),
    ("à taille ajustable", "Taille ajustable par boucles latérales."),
    ("à double pince", "Double pince devant pour plus d'aisance."),
    ("à ceinture élastiquée", "Ceinture élastiquée au dos, très confortable."),
)
TROUSER_FITS = ("", "coupe droite", "coupe fuseau", "coupe slim", "coupe large",
                "taille haute")  # fmt: skip

# --- Shoes: noun + leather [+ detail] ----------------------------------------------------
SHOE_NOUNS = (  # (name, gender of the plural noun)
    ("Derbies", "m"),
    ("Richelieus", "m"),
    ("Mocassins à pampilles", "m"),
    ("Mocassins à patte", "m"),
    ("Bottines Chelsea", "f"),
    ("Boots à lacets", "f"),
    ("Chukka boots", "f"),
    ("Baskets basses", "f"),
    ("Baskets montantes", "f"),
    ("Chaussures bateau", "f"),
    ("Chaussures double boucle", "f"),
    ("Bottines à zip", "f"),
)
SHOE_LEATHERS = (
    ("en cuir box", "un cuir box lisse et brillant"),
    ("en cuir grainé", "un cuir grainé résistant aux rayures"),
    ("en daim", "un daim velouté"),
    ("en nubuck", "un nubuck doux au toucher"),
    ("en cuir patiné", "un cuir patiné à la main"),
    ("en veau velours", "un veau velours souple"),
    ("en cuir ciré", "un cuir ciré qui résiste à la pluie"),
    ("en toile et cuir", "une toile de coton épaisse et des renforts en cuir"),
)
SHOE_DETAILS = (
    ("", "Semelle cuir cousue Blake."),
    ("à semelle Goodyear", "Montage Goodyear : la paire se ressemelle facilement."),
    ("à semelle gomme", "Semelle en gomme pour une bonne accroche."),
    ("à bout fleuri", "Le bout fleuri est perforé à la main."),
    ("à bout droit", "Le bout droit les rend très habillées."),
    ("à semelle crantée", "Semelle crantée pour les chemins comme la ville."),
)

# --- Knitwear: noun + wool [+ knit] ---------------------------------------------------------
KNIT_NOUNS = (
    "Pull col rond",
    "Pull col V",
    "Pull col camionneur",
    "Pull col roulé",
    "Cardigan",
    "Gilet zippé",
    "Pull marin",
    "Pull torsadé",
    "Sweat col rond",
    "Polo à col boutonné",
)
KNIT_WOOLS = (
    ("en laine mérinos", "une laine mérinos extra-fine qui ne gratte pas"),
    ("en cachemire", "un cachemire de Mongolie intérieure, léger et très chaud"),
    ("en laine d'agneau", "une laine d'agneau douce et gonflante"),
    ("en coton bio", "un coton biologique, pour la mi-saison"),
    ("en mohair", "un mélange de mohair et de laine, aérien"),
    ("en laine et cachemire", "un mélange laine et cachemire"),
    ("en shetland", "une laine shetland rustique au toucher brossé"),
    ("en alpaga", "une laine d'alpaga chaude et légère"),
)
KNIT_STITCHES = ("", "maille fine", "grosse maille", "maille côtelée", "à coudières",
                 "à boutons de corne")  # fmt: skip

# --- Watches: type + dial + case + strap -------------------------------------------------
WATCH_TYPES = (
    ("Montre automatique", "Mouvement automatique : elle se remonte avec les gestes du poignet."),
    ("Montre à quartz", "Mouvement à quartz précis, pile garantie trois ans."),
    ("Montre chronographe", "Chronographe avec compteurs des minutes et des secondes."),
    ("Montre de plongée", "Étanche à 200 mètres, lunette tournante unidirectionnelle."),
    ("Montre d'aviateur", "Grand cadran lisible et couronne surdimensionnée."),
    ("Montre habillée", "Boîtier fin qui glisse sous une manchette de chemise."),
    ("Montre à remontage manuel", "Mouvement mécanique à remonter chaque matin."),
    ("Montre GMT", "Aiguille de second fuseau horaire pour les voyageurs."),
)
WATCH_DIALS = (  # (dial, palette colour the product image uses)
    ("cadran noir", "Noir"),
    ("cadran blanc", "Blanc"),
    ("cadran bleu soleillé", "Bleu marine"),
    ("cadran vert", "Vert olive"),
    ("cadran crème", "Beige"),
    ("cadran gris ardoise", "Gris"),
    ("cadran saumon", "Rose"),
)
WATCH_CASES = ("boîtier acier 36 mm", "boîtier acier 38 mm", "boîtier acier 40 mm",
               "boîtier titane 42 mm", "boîtier doré 37 mm", "boîtier bronze 41 mm")  # fmt: skip
WATCH_STRAPS = ("bracelet cuir", "bracelet milanais", "bracelet NATO", "bracelet acier",
                "bracelet en cuir de veau", "bracelet caoutchouc")  # fmt: skip

# --- Leather goods: noun (gender, number, weight) + leather [+ detail] -------------------
LEATHER_NOUNS = (  # (noun, gender, weight in grams, price range in euros)
    ("Portefeuille", "m", 120, (45, 160)),
    ("Porte-cartes", "m", 60, (29, 85)),
    ("Ceinture", "f", 180, (39, 140)),
    ("Sacoche", "f", 900, (149, 390)),
    ("Cartable", "m", 1400, (190, 490)),
    ("Étui à lunettes", "m", 90, (29, 79)),
    ("Porte-documents", "m", 1100, (170, 450)),
    ("Sac week-end", "m", 1600, (220, 590)),
    ("Trousse de toilette", "f", 350, (59, 149)),
    ("Porte-clés", "m", 40, (15, 45)),
    ("Porte-monnaie", "m", 70, (25, 69)),
    ("Étui à stylos", "m", 80, (29, 75)),
    ("Pochette d'ordinateur", "f", 500, (79, 190)),
    ("Bracelet", "m", 30, (19, 59)),
)
LEATHER_MATERIALS = (
    ("en cuir grainé", "un cuir de vachette grainé"),
    ("en cuir pleine fleur", "un cuir pleine fleur qui se patine joliment"),
    ("en cuir vieilli", "un cuir vieilli à la main"),
    ("en cuir tannage végétal", "un cuir au tannage végétal, sans chrome"),
    ("en veau box", "un veau box lisse"),
    ("en cuir d'agneau", "un cuir d'agneau très souple"),
    ("en toile et cuir", "une toile enduite rehaussée de cuir"),
    ("en cuir tressé", "des lanières de cuir tressées à la main"),
)
LEATHER_DETAILS = (
    ("", ""),
    ("à coutures sellier", "cousu au point sellier, à la main"),
    ("à fermoir laiton", "fermoir en laiton massif"),
    ("cousu main", "entièrement cousu main"),
    ("à double soufflet", "deux soufflets pour plus de contenance"),
    ("à tranches peintes", "tranches peintes et lissées à la main"),
)

# --- Grooming: noun (scented?, formats) [+ scent] + format -------------------------------
GROOMING_NOUNS = (  # (noun, scented?, formats, price range in euros)
    ("Huile à barbe", True, ("30 ml", "50 ml"), (14, 32)),
    ("Baume après-rasage", True, ("75 ml", "100 ml"), (16, 35)),
    ("Savon à barbe", True, ("100 g", "150 g"), (9, 24)),
    ("Crème à raser", True, ("100 ml", "150 ml"), (12, 28)),
    ("Shampooing à barbe", True, ("100 ml", "200 ml"), (10, 22)),
    ("Eau de toilette", True, ("50 ml", "100 ml"), (39, 89)),
    ("Baume à barbe", True, ("50 ml", "75 ml"), (14, 29)),
    ("Gel nettoyant visage", True, ("150 ml", "200 ml"), (12, 26)),
    ("Crème hydratante visage", True, ("50 ml", "75 ml"), (18, 42)),
    ("Savon surgras", True, ("100 g", "200 g"), (6, 14)),
    ("Blaireau en poils synthétiques", False, ("manche en bois", "manche en corne"), (29, 79)),
    ("Rasoir de sûreté", False, ("peigne fermé", "peigne ouvert"), (35, 95)),
    ("Pierre d'alun", False, ("90 g", "120 g"), (6, 12)),
    ("Coffret de rasage", False, ("3 pièces", "5 pièces"), (59, 149)),
    ("Peigne à barbe", False, ("en corne", "en bois d'olivier"), (12, 29)),
)
SCENTS = (
    ("au vétiver", "le vétiver"),
    ("au cèdre de l'Atlas", "le cèdre de l'Atlas"),
    ("au santal", "le bois de santal"),
    ("à la lavande", "la lavande de Haute-Provence"),
    ("au bois de cade", "le bois de cade"),
    ("à la bergamote", "la bergamote"),
    ("au tabac blond", "un accord de tabac blond"),
    ("sans parfum", ""),
    ("à la figue", "la figue"),
    ("au thé noir", "le thé noir fumé"),
)

# --- Furniture: noun (materials, weight range) [+ style] ---------------------------------
FURNITURE_NOUNS = (  # (noun, materials, price range in euros)
    ("Fauteuil club", ("en cuir vieilli", "en cuir capitonné", "en velours côtelé"),
     (890, 2490)),
    ("Canapé Chesterfield 3 places", ("en cuir capitonné", "en cuir vieilli", "en velours"),
     (1690, 3490)),
    ("Bureau de ministre", ("en chêne massif", "en noyer", "en acajou"), (990, 2890)),
    ("Bibliothèque", ("en chêne massif", "en acier et chêne", "en noyer"), (590, 1890)),
    ("Table basse", ("en chêne massif", "en acier et chêne", "en noyer", "en teck recyclé"),
     (290, 990)),
    ("Valet de chambre", ("en chêne massif", "en noyer", "en hêtre"), (190, 490)),
    ("Commode", ("en chêne massif", "en noyer", "en teck recyclé"), (590, 1690)),
    ("Bar roulant", ("en laiton et verre", "en acier et chêne", "en noyer"), (390, 1190)),
    ("Tabouret de bar", ("en cuir vieilli", "en acier et chêne"), (190, 490)),
    ("Fauteuil de bureau", ("en cuir vieilli", "en cuir capitonné"), (490, 1490)),
    ("Repose-pieds", ("en cuir vieilli", "en cuir capitonné", "en velours"), (190, 590)),
    ("Console", ("en chêne massif", "en acier et chêne", "en noyer"), (390, 1290)),
)  # fmt: skip
FURNITURE_STYLES = ("", "style années 30", "style industriel", "à piètement laiton",
                    "style atelier", "à finition huilée")  # fmt: skip

FIRST_NAMES = ("Paul", "Camille", "Antoine", "Sophie", "Marcel", "Henri", "Yann", "Louis",
               "Margaux", "Karim", "Hélène", "Nadia", "Pieter", "Mathilde")  # fmt: skip
LAST_NAMES = ("Verlaine", "Rochat", "Delacroix", "Lacoste", "Fabre", "Besson", "Le Goff",
              "Morvan", "Dufour", "Benali", "Castan", "Roux", "Van Rossem", "Lejeune")  # fmt: skip
