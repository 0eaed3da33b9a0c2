"""The demo vendors and people: fictional independent men's shops of France and Belgium.

Names, addresses and descriptions are invented (streets and cities are real places, the shops
are not). Legal numbers are generated with valid check digits from a fixed seed, so they are
the same whatever `--seed` the catalogue uses: demo logins never change.
"""

import random
from dataclasses import dataclass
from decimal import Decimal

from allies.vendors import legal

DEMO_DOMAIN = "demo.allies.test"
# Shared by every demo login; `DEMO_PASSWORD` in the environment overrides it.
DEFAULT_PASSWORD = "alliesdemo"
CUSTOMER_EMAIL = f"client@{DEMO_DOMAIN}"
STAFF_EMAIL = f"staff@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class VendorSeed:
    name: str
    slug: str
    legal_name: str
    legal_form: str  # SAS, SARL, EURL (France) or SRL (Belgium)
    share_capital: str
    street: str
    postcode: str
    city: str
    country: str
    phone: str
    commission_rate: Decimal
    kinds: tuple[str, ...]  # Product.Kind values this vendor sells
    description: str

    @property
    def email(self) -> str:
        return f"contact@{self.slug}.{DEMO_DOMAIN}"

    @property
    def user_email(self) -> str:
        return f"vendeur@{self.slug}.{DEMO_DOMAIN}"


VENDORS: tuple[VendorSeed, ...] = (
    VendorSeed(
        name="Maison Verlaine",
        slug="maison-verlaine",
        legal_name="Verlaine Habillement",
        legal_form="SAS",
        share_capital="50 000 €",
        street="18 rue du Cherche-Midi",
        postcode="75006",
        city="Paris",
        country="FR",
        phone="+33 1 45 48 27 90",
        commission_rate=Decimal("0.1500"),
        kinds=("shirt", "trousers", "knitwear", "grooming"),
        description=(
            "Boutique de la rive gauche fondée en 1987 par Paul Verlaine (aucun lien avec le "
            "poète), Maison Verlaine habille les hommes pressés qui aiment les belles "
            "matières : chemises en popeline, pantalons de flanelle et mailles douces, "
            "choisis pièce par pièce."
        ),
    ),
    VendorSeed(
        name="Atelier du Cuir Lyonnais",
        slug="atelier-du-cuir-lyonnais",
        legal_name="Atelier du Cuir Lyonnais",
        legal_form="SARL",
        share_capital="20 000 €",
        street="7 rue Mercière",
        postcode="69002",
        city="Lyon",
        country="FR",
        phone="+33 4 78 42 17 63",
        commission_rate=Decimal("0.1400"),
        kinds=("leather", "shoes", "furniture"),
        description=(
            "Dans son atelier de la Presqu'île, une équipe de six maroquiniers coupe, pique "
            "et patine à la main portefeuilles, ceintures et sacoches, et restaure quelques "
            "fauteuils club chaque saison."
        ),
    ),
    VendorSeed(
        name="Chemiserie Delacroix",
        slug="chemiserie-delacroix",
        legal_name="Delacroix et Fils",
        legal_form="SARL",
        share_capital="15 000 €",
        street="4 rue de la Fosse",
        postcode="44000",
        city="Nantes",
        country="FR",
        phone="+33 2 40 47 63 12",
        commission_rate=Decimal("0.1300"),
        kinds=("shirt",),
        description=(
            "Chemisier nantais depuis trois générations : cols, poignets et coupes travaillés "
            "comme en grande mesure, pour des chemises qui tiennent toute la journée."
        ),
    ),
    VendorSeed(
        name="Le Comptoir du Barbier",
        slug="le-comptoir-du-barbier",
        legal_name="Comptoir du Barbier",
        legal_form="EURL",
        share_capital="5 000 €",
        street="22 cours de l'Intendance",
        postcode="33000",
        city="Bordeaux",
        country="FR",
        phone="+33 5 56 81 30 44",
        commission_rate=Decimal("0.1800"),
        kinds=("grooming",),
        description=(
            "Un barbier bordelais qui a ouvert sa boutique à ses clients : huiles, savons, "
            "blaireaux et rasoirs qu'il utilise lui-même au fauteuil."
        ),
    ),
    VendorSeed(
        name="Bottier Marcel Fabre",
        slug="bottier-marcel-fabre",
        legal_name="Manufacture Fabre",
        legal_form="SAS",
        share_capital="120 000 €",
        street="3 place Jules Nadi",
        postcode="26100",
        city="Romans-sur-Isère",
        country="FR",
        phone="+33 4 75 02 18 56",
        commission_rate=Decimal("0.1200"),
        kinds=("shoes", "leather"),
        description=(
            "Romans-sur-Isère, capitale de la chaussure : la famille Fabre y monte derbies, "
            "richelieus et bottines en cousu Goodyear, ressemelables pendant des années."
        ),
    ),
    VendorSeed(
        name="Horlogerie Besson & Fils",
        slug="horlogerie-besson-et-fils",
        legal_name="Besson & Fils",
        legal_form="SAS",
        share_capital="80 000 €",
        street="41 Grande Rue",
        postcode="25000",
        city="Besançon",
        country="FR",
        phone="+33 3 81 82 09 71",
        commission_rate=Decimal("0.1000"),
        kinds=("watch",),
        description=(
            "Horlogers à Besançon depuis 1952 : montres mécaniques et à quartz assemblées et "
            "réglées dans l'atelier, révision gratuite la première année."
        ),
    ),
    VendorSeed(
        name="Les Mailles de Saint-Malo",
        slug="les-mailles-de-saint-malo",
        legal_name="Tricotage Malouin",
        legal_form="SARL",
        share_capital="30 000 €",
        street="12 rue de Dinan",
        postcode="35400",
        city="Saint-Malo",
        country="FR",
        phone="+33 2 99 40 85 23",
        commission_rate=Decimal("0.1500"),
        kinds=("knitwear",),
        description=(
            "Pulls marins, cols roulés et cardigans tricotés en Bretagne dans des laines qui "
            "tiennent chaud face au vent du large."
        ),
    ),
    VendorSeed(
        name="Ébénisterie Morvan",
        slug="ebenisterie-morvan",
        legal_name="Ébénisterie Morvan",
        legal_form="EURL",
        share_capital="10 000 €",
        street="9 rue de la Chouette",
        postcode="21000",
        city="Dijon",
        country="FR",
        phone="+33 3 80 30 52 68",
        commission_rate=Decimal("0.1100"),
        kinds=("furniture",),
        description=(
            "Mobilier de bureau et de salon en chêne et noyer massifs, fabriqué à la commande "
            "dans un atelier bourguignon et livré en plusieurs colis prêts à monter."
        ),
    ),
    VendorSeed(
        name="L'Intendant",
        slug="l-intendant",
        legal_name="L'Intendant Lille",
        legal_form="SAS",
        share_capital="40 000 €",
        street="27 rue Esquermoise",
        postcode="59800",
        city="Lille",
        country="FR",
        phone="+33 3 20 55 71 09",
        commission_rate=Decimal("0.1650"),
        kinds=("shirt", "trousers", "shoes", "watch", "grooming"),
        description=(
            "Le vestiaire complet de l'homme du Nord : des basiques bien coupés, quelques "
            "montres et tout le nécessaire de rasage, choisis par deux anciens tailleurs."
        ),
    ),
    VendorSeed(
        name="Drap & Flanelle",
        slug="drap-et-flanelle",
        legal_name="Drap et Flanelle Roubaix",
        legal_form="SAS",
        share_capital="60 000 €",
        street="85 Grande Rue",
        postcode="59100",
        city="Roubaix",
        country="FR",
        phone="+33 3 20 73 26 40",
        commission_rate=Decimal("0.1400"),
        kinds=("trousers", "shirt", "knitwear"),
        description=(
            "Héritiers du textile roubaisien, nous tissons encore nos flanelles et nos serges "
            "avant d'en tirer pantalons, chemises et gilets."
        ),
    ),
    VendorSeed(
        name="Le Grenier du Gentleman",
        slug="le-grenier-du-gentleman",
        legal_name="Grenier du Gentleman",
        legal_form="EURL",
        share_capital="8 000 €",
        street="14 rue des Filatiers",
        postcode="31000",
        city="Toulouse",
        country="FR",
        phone="+33 5 61 25 64 38",
        commission_rate=Decimal("0.1700"),
        kinds=("furniture", "leather", "watch", "grooming"),
        description=(
            "Un grenier toulousain rempli d'objets chinés et de pièces neuves : bars "
            "roulants, valets de chambre, montres et maroquinerie pour les amateurs de style."
        ),
    ),
    VendorSeed(
        name="Barbe & Blaireau",
        slug="barbe-et-blaireau",
        legal_name="Barbe et Blaireau",
        legal_form="SAS",
        share_capital="12 000 €",
        street="31 rue Paradis",
        postcode="13001",
        city="Marseille",
        country="FR",
        phone="+33 4 91 54 12 87",
        commission_rate=Decimal("0.1900"),
        kinds=("grooming", "leather"),
        description=(
            "Soins de barbe formulés à Marseille avec des huiles végétales de Provence, et "
            "trousses de toilette en cuir pour les emporter partout."
        ),
    ),
    VendorSeed(
        name="Atelier Van Rossem",
        slug="atelier-van-rossem",
        legal_name="Atelier Van Rossem",
        legal_form="SRL",
        share_capital="18 600 €",
        street="Rue du Bailli 62",
        postcode="1050",
        city="Ixelles",
        country="BE",
        phone="+32 2 538 41 76",
        commission_rate=Decimal("0.1350"),
        kinds=("leather", "watch", "furniture"),
        description=(
            "Une maison bruxelloise d'objets pour la maison et le bureau : fauteuils, "
            "sacoches, montres au dessin sobre, choisis avec un œil d'antiquaire."
        ),
    ),
    VendorSeed(
        name="Le Vestiaire Liégeois",
        slug="le-vestiaire-liegeois",
        legal_name="Vestiaire Liégeois",
        legal_form="SRL",
        share_capital="25 000 €",
        street="Rue Pont d'Avroy 19",
        postcode="4000",
        city="Liège",
        country="BE",
        phone="+32 4 223 57 14",
        commission_rate=Decimal("0.1550"),
        kinds=("shirt", "trousers", "knitwear", "shoes"),
        description=(
            "Au cœur du Carré, une boutique liégeoise qui mélange belles maisons françaises "
            "et jeunes marques belges, de la chemise à la chaussure."
        ),
    ),
)


@dataclass(frozen=True)
class VendorIdentity:
    """The legal numbers of a demo vendor. `siret` holds the Belgian enterprise number (10
    digits) for a Belgian company, which has no SIRET; the model has one field for both."""

    siren: str
    siret: str
    vat_number: str


def vendor_identities() -> list[VendorIdentity]:
    rng = random.Random("allies-demo-vendors")  # fixed: identities never depend on --seed
    identities = []
    for seed in VENDORS:
        if seed.country == "BE":
            number = legal.be_enterprise_number_make(rng)
            identities.append(VendorIdentity(number, number, legal.be_vat_number(number)))
        else:
            siren = legal.siren_make(rng)
            identities.append(
                VendorIdentity(siren, legal.siret_make(siren), legal.fr_vat_number(siren))
            )
    return identities


# The demo customer and their two addresses (ACC-9: delivery addresses and a billing address).
CUSTOMER = {
    "first_name": "Julien",
    "last_name": "Marchand",
    "phone": "+33 6 12 48 75 30",
}
CUSTOMER_ADDRESSES = (
    {
        "kind": "delivery",
        "recipient": "Julien Marchand",
        "street": "48 rue des Martyrs",
        "street_extra": "Bâtiment B, 3e étage",
        "postcode": "75009",
        "city": "Paris",
        "country": "FR",
        "phone": "+33 6 12 48 75 30",
        "instructions": "Digicode 4821B, laisser au gardien si absent.",
        "is_default": True,
    },
    {
        "kind": "billing",
        "recipient": "Julien Marchand",
        "street": "5 place Bellecour",
        "street_extra": "",
        "postcode": "69002",
        "city": "Lyon",
        "country": "FR",
        "phone": "+33 6 12 48 75 30",
        "instructions": "",
        "is_default": True,
    },
)
STAFF = {"first_name": "Claire", "last_name": "Dubreuil"}
