"""What demo records are called: people, companies, job titles and the words of selling.

People and companies get names that fit the country they are in (a German
account is a "GmbH" with German contacts), so lists, searches and duplicate
checks look like a real database. Nothing here touches the database.
"""

from __future__ import annotations

import random
import re
import unicodedata

from pipewise.customers.choices import BuyingRole
from pipewise.demo.chance import pick

# fmt: off
FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "de": (
        "Anna", "Lukas", "Julia", "Felix", "Laura", "Jonas", "Sarah", "Leon", "Lisa", "Paul",
        "Katharina", "Maximilian", "Hannah", "Tim", "Lea", "Jan", "Sophie", "Niklas", "Marie",
        "David", "Johanna", "Moritz", "Clara", "Florian", "Carina", "Stefan", "Sabine",
        "Thomas", "Andrea", "Markus", "Jürgen", "Birgit",
    ),
    "en": (
        "James", "Olivia", "William", "Emma", "Oliver", "Charlotte", "Jack", "Amelia", "Harry",
        "Isla", "George", "Sophia", "Noah", "Mia", "Thomas", "Grace", "Ethan", "Chloe", "Daniel",
        "Emily", "Michael", "Jessica", "Matthew", "Hannah", "Ryan", "Lauren", "Andrew", "Megan",
        "Chris", "Rachel", "Priya", "Diego",
    ),
    "fr": (
        "Camille", "Louis", "Léa", "Hugo", "Manon", "Gabriel", "Chloé", "Arthur", "Inès", "Jules",
        "Emma", "Lucas", "Sarah", "Nathan", "Julie", "Antoine", "Claire", "Thomas", "Pauline",
        "Mathieu", "Élise", "Nicolas", "Margaux", "Julien", "Céline", "Vincent", "Amélie",
        "Pierre", "Lucie", "Maxime",
    ),
    "nl": (
        "Daan", "Emma", "Sem", "Julia", "Lucas", "Sophie", "Levi", "Tess", "Finn", "Anna", "Bram",
        "Lotte", "Thijs", "Fleur", "Ruben", "Sanne", "Lars", "Eva", "Jesse", "Noor", "Niels",
        "Iris", "Koen", "Femke", "Stijn", "Maud", "Wouter", "Lieke", "Joris", "Roos",
    ),
    "ja": (
        "Haruto", "Yui", "Sota", "Hina", "Yuto", "Aoi", "Riku", "Sakura", "Kaito", "Mei",
        "Takumi", "Rin", "Ren", "Yuna", "Daiki", "Miyu", "Kenta", "Akari", "Shota", "Nanami",
        "Hiroshi", "Yuki", "Kazuki", "Ayaka", "Naoki", "Emi", "Takeshi", "Mai", "Ryo", "Kana",
    ),
    "sg": (
        "Wei Ling", "Jun Jie", "Hui Min", "Zhi Hao", "Mei Ling", "Jia Hui", "Kai Xiang", "Xin Yi",
        "Rajesh", "Priya", "Siti", "Ahmad", "Nurul", "Arjun", "Jasmine", "Marcus", "Rachel",
        "Daniel", "Shu Fen", "Wen Jie",
    ),
}

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "de": (
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder",
        "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange",
        "Schmitt", "Werner", "Krause", "Meier", "Lehmann", "Huber", "Brandt",
    ),
    "en": (
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Taylor", "Davies", "Wilson", "Evans",
        "Thomas", "Roberts", "Walker", "Wright", "Thompson", "White", "Hughes", "Edwards",
        "Green", "Hall", "Wood", "Harris", "Martin", "Clarke", "Jackson", "Turner", "Hill",
        "Moore", "Cooper", "Ward", "Morris", "Patel", "Garcia",
    ),
    "fr": (
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
        "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
        "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert",
        "Bonnet", "François", "Martinez", "Legrand",
    ),
    "nl": (
        "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
        "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
        "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf",
        "van der Meer", "Kok", "Jacobs", "de Haan", "Vermeulen", "van der Linden",
    ),
    "ja": (
        "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura",
        "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue",
        "Kimura", "Hayashi", "Shimizu", "Yamazaki", "Mori", "Abe", "Ikeda", "Hashimoto",
        "Ishikawa", "Ogawa", "Fujita", "Okada", "Goto", "Hasegawa",
    ),
    "sg": (
        "Tan", "Lim", "Lee", "Ng", "Ong", "Wong", "Goh", "Chua", "Chan", "Koh", "Teo", "Ang",
        "Yeo", "Tay", "Ho", "Low", "Toh", "Sim", "Chong", "Chia", "Kumar", "Rahman",
    ),
}
# fmt: on

# Industries, and the words companies in them put in their names.
INDUSTRIES: tuple[str, ...] = (
    "Manufacturing",
    "Logistics",
    "Retail",
    "Healthcare",
    "Financial services",
    "Software",
    "Construction",
    "Energy",
    "Food & beverage",
    "Automotive",
    "Telecommunications",
    "Professional services",
    "Media",
    "Education",
)
INDUSTRY_WEIGHTS: tuple[float, ...] = (16, 10, 9, 8, 8, 10, 6, 5, 6, 7, 4, 6, 3, 2)
PUBLIC_SECTOR = "Public sector"

TRADE_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "Manufacturing": ("Manufacturing", "Industries", "Precision Parts", "Machine Works"),
        "Logistics": ("Logistics", "Freight", "Transport", "Shipping"),
        "Retail": ("Retail", "Stores", "Trading", "Outfitters"),
        "Healthcare": ("Health", "Medical", "Clinics", "Care"),
        "Financial services": ("Capital", "Finance", "Insurance", "Wealth"),
        "Software": ("Software", "Systems", "Digital", "Labs"),
        "Construction": ("Construction", "Builders", "Building Group"),
        "Energy": ("Energy", "Power", "Solar", "Utilities"),
        "Food & beverage": ("Foods", "Beverages", "Bakeries", "Brewing"),
        "Automotive": ("Automotive", "Motors", "Auto Parts"),
        "Telecommunications": ("Telecom", "Networks", "Communications"),
        "Professional services": ("Consulting", "Advisory", "Associates"),
        "Media": ("Media", "Publishing", "Studios"),
        "Education": ("Academy", "Learning", "Training"),
    },
    "de": {
        "Manufacturing": ("Maschinenbau", "Präzisionstechnik", "Fertigungstechnik", "Werkzeugbau"),
        "Logistics": ("Logistik", "Spedition", "Transporte"),
        "Retail": ("Handel", "Handelshaus", "Warenhaus"),
        "Healthcare": ("Medizintechnik", "Klinikverbund", "Pflegedienste"),
        "Financial services": ("Finanz", "Versicherungen", "Vermögensberatung"),
        "Software": ("Software", "Systemhaus", "Digital"),
        "Construction": ("Bau", "Bauunternehmung", "Hochbau"),
        "Energy": ("Energie", "Solartechnik", "Energietechnik"),
        "Food & beverage": ("Lebensmittel", "Brauerei", "Backwaren", "Feinkost"),
        "Automotive": ("Fahrzeugtechnik", "Autoteile", "Automobilzulieferer"),
        "Telecommunications": ("Telekommunikation", "Netze"),
        "Professional services": ("Beratung", "Consulting", "Partner"),
        "Media": ("Medien", "Verlag", "Studios"),
        "Education": ("Akademie", "Bildungswerk"),
    },
    "fr": {
        "Manufacturing": ("Industries", "Mécanique", "Usinage"),
        "Logistics": ("Logistique", "Transports"),
        "Retail": ("Distribution", "Commerce"),
        "Healthcare": ("Santé", "Médical"),
        "Financial services": ("Finance", "Assurances", "Gestion"),
        "Software": ("Logiciels", "Numérique", "Systèmes"),
        "Construction": ("Construction", "Bâtiment"),
        "Energy": ("Énergie", "Solaire"),
        "Food & beverage": ("Alimentaire", "Boulangeries", "Vins"),
        "Automotive": ("Automobile", "Équipements Auto"),
        "Telecommunications": ("Télécom", "Réseaux"),
        "Professional services": ("Conseil", "Associés"),
        "Media": ("Médias", "Éditions", "Studio"),
        "Education": ("Formation", "Académie"),
    },
}

# fmt: off
COINED_PREFIXES = (
    "Nord", "Alpen", "Rhein", "Blue", "North", "Silver", "Summit", "Pacific", "Atlas", "Nova",
    "Apex", "Vertex", "Stern", "Helix", "Orion", "Lumen", "Terra", "Aqua", "Crest", "Falcon",
    "Granit", "Iris", "Keystone", "Meridian",
)
COINED_STEMS = (
    "tec", "wave", "line", "point", "gate", "field", "stone", "bridge", "works", "core",
    "mark", "port", "vision", "star", "way", "link", "form", "flow",
)

# fmt: on

PUBLIC_BODIES: dict[str, tuple[str, ...]] = {
    "de": (
        "Stadtwerke {city}",
        "Stadt {city}",
        "Universitätsklinikum {city}",
        "Landratsamt {city}",
        "Verkehrsbetriebe {city}",
        "Hochschule {city}",
    ),
    "fr": ("Ville de {city}", "Métropole de {city}", "CHU de {city}", "Université de {city}"),
    "nl": ("Gemeente {city}", "Hogeschool {city}", "Waterschap {city}"),
    "en": (
        "{city} City Council",
        "{city} Transit Authority",
        "{city} University Hospital",
        "{city} Water Board",
        "University of {city}",
        "{city} Port Authority",
    ),
    "ja": ("{city} Metropolitan Government", "{city} City Hospital", "{city} University"),
    "sg": ("{city} Land Transport Office", "{city} Polytechnic", "{city} Public Library Board"),
}

# Job titles and the part their holders usually play in a purchase.
TITLES: tuple[tuple[str, str], ...] = (
    ("Chief Executive Officer", BuyingRole.DECISION_MAKER),
    ("Managing Director", BuyingRole.DECISION_MAKER),
    ("Chief Financial Officer", BuyingRole.ECONOMIC_BUYER),
    ("Head of Finance", BuyingRole.ECONOMIC_BUYER),
    ("VP Sales", BuyingRole.CHAMPION),
    ("Head of Sales Operations", BuyingRole.CHAMPION),
    ("Revenue Operations Lead", BuyingRole.CHAMPION),
    ("Sales Manager", BuyingRole.USER),
    ("Account Manager", BuyingRole.USER),
    ("IT Director", BuyingRole.TECHNICAL_BUYER),
    ("Head of IT", BuyingRole.TECHNICAL_BUYER),
    ("Procurement Manager", BuyingRole.GATEKEEPER),
    ("Office Manager", BuyingRole.GATEKEEPER),
    ("Operations Manager", BuyingRole.INFLUENCER),
    ("Marketing Director", BuyingRole.INFLUENCER),
)

PUBLIC_EMAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "gmx.de", "icloud.com")

# Fictional competitors, so the demo names no real company as the one we lose to.
COMPETITORS = (
    "Dealcraft",
    "FunnelForge",
    "QuotaHub",
    "SalesLoom",
    "Closewise",
    "Pipedream CRM",
    "In-house spreadsheets",
)

DISQUALIFICATION_REASONS = (
    "No budget this year",
    "Not the decision maker",
    "Company too small for us",
    "Under contract with a competitor",
    "Duplicate of an existing contact",
    "No response after six attempts",
    "Student or job seeker",
    "Outside our territories",
)

# What a deal is about, by the product line it mostly sells.
DEAL_THEMES = (
    "Platform rollout",
    "Seat expansion",
    "Analytics add-on",
    "Forecasting pilot",
    "ERP integration",
    "CRM connector",
    "Support upgrade",
    "Data migration",
    "Sales team onboarding",
    "Regional rollout",
    "New business",
    "Renewal",
)

_GERMAN = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)


def ascii_slug(text: str, sep: str = "") -> str:
    """Lower-case ASCII letters and digits, words joined by ``sep`` (for e-mails and domains)."""
    text = unicodedata.normalize("NFKD", text.translate(_GERMAN))
    text = text.encode("ascii", "ignore").decode().lower()
    return sep.join(re.findall(r"[a-z0-9]+", text))


def person_name(rng: random.Random, culture: str) -> tuple[str, str]:
    """A first and last name as common in ``culture``."""
    return pick(rng, FIRST_NAMES[culture]), pick(rng, LAST_NAMES[culture])


def work_email(first: str, last: str, domain: str, style: int) -> str:
    """A company e-mail address in one of the usual shapes."""
    first_slug, last_slug = ascii_slug(first), ascii_slug(last)
    if style == 0:
        local = f"{first_slug}.{last_slug}"
    elif style == 1:
        local = f"{first_slug[:1]}{last_slug}"
    else:
        local = f"{first_slug}{last_slug[:1]}"
    return f"{local}@{domain}"


def company_base_name(rng: random.Random, culture: str, industry: str, city: str) -> str:
    """A company name without its legal form, e.g. "Bauer Logistik" or "Nordwave Systems"."""
    trades = TRADE_WORDS.get(culture, TRADE_WORDS["en"])[industry]
    trade = pick(rng, trades)
    last_names = LAST_NAMES[culture]
    shape = rng.random()
    if shape < 0.35:
        return f"{pick(rng, last_names)} {trade}"
    if shape < 0.5:
        first, second = pick(rng, last_names), pick(rng, last_names)
        if first == second:
            return f"{first} {trade}"
        return f"{first} & {second} {trade}"
    if shape < 0.9:
        coined = pick(rng, COINED_PREFIXES) + pick(rng, COINED_STEMS)
        return f"{coined} {trade}"
    return f"{city} {trade}"


def public_body_name(rng: random.Random, culture: str, city: str) -> str:
    """The name of a public-sector buyer in ``city`` (a utility, hospital, council...)."""
    return pick(rng, PUBLIC_BODIES[culture]).format(city=city)
