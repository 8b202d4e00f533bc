"""The demo company's sales geography: regions → countries → areas, and what is in them.

Each *leaf* territory (an area, or a country without areas) is where accounts
live and an account executive sells. It carries the cities of that patch with
their post-code shapes, and a weight: how much of the business sits there.
Post-code and phone patterns use ``#`` for a digit and ``?`` for a capital letter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pipewise.demo.chance import pick


@dataclass(frozen=True)
class City:
    name: str
    postcode: str  # pattern, e.g. "80###" or "EC1A #??"


@dataclass(frozen=True)
class Leaf:
    """A territory accounts are assigned to, with its cities and share of the business."""

    code: str
    name: str
    cities: tuple[City, ...]
    weight: float


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166 alpha-2, also the territory code
    name: str
    culture: str  # which names people and companies here have (see ``names``)
    tld: str
    phone: str
    legal_forms: tuple[str, ...]
    areas: tuple[Leaf, ...] = ()
    cities: tuple[City, ...] = ()  # for a country without areas
    weight: float = 0.0  # for a country without areas

    @property
    def leaves(self) -> tuple[Leaf, ...]:
        if self.areas:
            return self.areas
        return (Leaf(self.code, self.name, self.cities, self.weight),)


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    countries: tuple[Country, ...]


REGIONS: tuple[Region, ...] = (
    Region(
        "EMEA",
        "EMEA",
        (
            Country(
                "DE",
                "Germany",
                "de",
                "de",
                "+49 ### #######",
                ("GmbH", "GmbH", "GmbH", "GmbH", "AG", "GmbH & Co. KG", "KG"),
                areas=(
                    Leaf(
                        "DE-N",
                        "Northern Germany",
                        (
                            City("Hamburg", "20###"),
                            City("Berlin", "10###"),
                            City("Hannover", "30###"),
                            City("Bremen", "28###"),
                        ),
                        0.09,
                    ),
                    Leaf(
                        "DE-S",
                        "Southern Germany",
                        (
                            City("München", "80###"),
                            City("Stuttgart", "70###"),
                            City("Nürnberg", "90###"),
                            City("Augsburg", "86###"),
                        ),
                        0.10,
                    ),
                    Leaf(
                        "DE-W",
                        "Western Germany",
                        (
                            City("Köln", "50###"),
                            City("Düsseldorf", "40###"),
                            City("Frankfurt am Main", "60###"),
                            City("Dortmund", "44###"),
                        ),
                        0.07,
                    ),
                ),
            ),
            Country(
                "GB",
                "United Kingdom",
                "en",
                "co.uk",
                "+44 20 #### ####",
                ("Ltd", "Ltd", "Ltd", "plc"),
                areas=(
                    Leaf(
                        "GB-ENG",
                        "England",
                        (
                            City("London", "EC#A #??"),
                            City("Manchester", "M# #??"),
                            City("Birmingham", "B# #??"),
                            City("Leeds", "LS# #??"),
                            City("Bristol", "BS# #??"),
                        ),
                        0.08,
                    ),
                    Leaf(
                        "GB-SCT",
                        "Scotland",
                        (
                            City("Edinburgh", "EH# #??"),
                            City("Glasgow", "G# #??"),
                            City("Aberdeen", "AB1# #??"),
                        ),
                        0.025,
                    ),
                ),
            ),
            Country(
                "FR",
                "France",
                "fr",
                "fr",
                "+33 # ## ## ## ##",
                ("SAS", "SAS", "SA", "SARL"),
                areas=(
                    Leaf(
                        "FR-IDF",
                        "Île-de-France",
                        (
                            City("Paris", "750##"),
                            City("Boulogne-Billancourt", "92100"),
                            City("Versailles", "78000"),
                        ),
                        0.05,
                    ),
                    Leaf(
                        "FR-ARA",
                        "Auvergne-Rhône-Alpes",
                        (
                            City("Lyon", "6900#"),
                            City("Grenoble", "380##"),
                            City("Clermont-Ferrand", "630##"),
                        ),
                        0.025,
                    ),
                ),
            ),
            Country(
                "NL",
                "Netherlands",
                "nl",
                "nl",
                "+31 ## ### ####",
                ("B.V.", "B.V.", "B.V.", "N.V."),
                cities=(
                    City("Amsterdam", "10## ??"),
                    City("Rotterdam", "30## ??"),
                    City("Utrecht", "35## ??"),
                    City("Eindhoven", "56## ??"),
                ),
                weight=0.04,
            ),
        ),
    ),
    Region(
        "AMER",
        "Americas",
        (
            Country(
                "US",
                "United States",
                "en",
                "com",
                "+1 ###-###-####",
                ("Inc.", "Inc.", "Inc.", "LLC", "Corp."),
                areas=(
                    Leaf(
                        "US-E",
                        "US East",
                        (
                            City("New York", "100##"),
                            City("Boston", "021##"),
                            City("Atlanta", "303##"),
                            City("Philadelphia", "191##"),
                        ),
                        0.13,
                    ),
                    Leaf(
                        "US-C",
                        "US Central",
                        (
                            City("Chicago", "606##"),
                            City("Dallas", "752##"),
                            City("Denver", "802##"),
                            City("Minneapolis", "554##"),
                        ),
                        0.09,
                    ),
                    Leaf(
                        "US-W",
                        "US West",
                        (
                            City("San Francisco", "941##"),
                            City("Seattle", "981##"),
                            City("Los Angeles", "900##"),
                            City("Portland", "972##"),
                        ),
                        0.11,
                    ),
                ),
            ),
            Country(
                "CA",
                "Canada",
                "en",
                "ca",
                "+1 ###-###-####",
                ("Inc.", "Inc.", "Ltd."),
                cities=(
                    City("Toronto", "M#V #?#"),
                    City("Montreal", "H#Y #?#"),
                    City("Vancouver", "V#B #?#"),
                    City("Calgary", "T#P #?#"),
                ),
                weight=0.05,
            ),
        ),
    ),
    Region(
        "APAC",
        "Asia-Pacific",
        (
            Country(
                "AU",
                "Australia",
                "en",
                "com.au",
                "+61 # #### ####",
                ("Pty Ltd",),
                cities=(
                    City("Sydney", "2000"),
                    City("Melbourne", "3000"),
                    City("Brisbane", "4000"),
                    City("Perth", "6000"),
                ),
                weight=0.06,
            ),
            Country(
                "JP",
                "Japan",
                "ja",
                "co.jp",
                "+81 3 #### ####",
                ("K.K.", "Co., Ltd."),
                cities=(
                    City("Tokyo", "100-00##"),
                    City("Osaka", "530-00##"),
                    City("Yokohama", "220-00##"),
                ),
                weight=0.035,
            ),
            Country(
                "SG",
                "Singapore",
                "sg",
                "com.sg",
                "+65 #### ####",
                ("Pte. Ltd.",),
                cities=(City("Singapore", "0#####"),),
                weight=0.025,
            ),
        ),
    ),
)

STREETS: dict[str, tuple[str, ...]] = {
    "de": (
        "Hauptstraße",
        "Bahnhofstraße",
        "Industriestraße",
        "Gewerbering",
        "Schillerstraße",
        "Am Hafen",
        "Lindenallee",
        "Gutenbergstraße",
    ),
    "en": (
        "High Street",
        "Station Road",
        "Market Street",
        "Main Street",
        "Park Avenue",
        "Commerce Drive",
        "Oak Lane",
        "Harbour Road",
    ),
    "fr": (
        "rue de la République",
        "avenue Victor Hugo",
        "boulevard Voltaire",
        "rue du Commerce",
        "rue de la Gare",
        "quai des Chartrons",
    ),
    "nl": (
        "Stationsweg",
        "Kerkstraat",
        "Industrieweg",
        "Havenstraat",
        "Marktplein",
        "Keizersgracht",
    ),
    "ja": ("Marunouchi", "Umeda", "Shibaura", "Minatomirai", "Nihonbashi"),
    "sg": ("Raffles Place", "Orchard Road", "Anson Road", "Cecil Street", "Robinson Road"),
}


def leaves() -> list[tuple[Region, Country, Leaf]]:
    """Every leaf territory with its country and region, in a fixed order."""
    return [
        (region, country, leaf)
        for region in REGIONS
        for country in region.countries
        for leaf in country.leaves
    ]


def fill_pattern(rng: random.Random, pattern: str) -> str:
    """A post code or phone number from its pattern (``#`` digit, ``?`` capital letter)."""
    out = []
    for char in pattern:
        if char == "#":
            out.append(pick(rng, "0123456789"))
        elif char == "?":
            out.append(pick(rng, "ABDEFGHJLNPQRSTUWXYZ"))
        else:
            out.append(char)
    return "".join(out)


def street_address(rng: random.Random, culture: str) -> str:
    """A street address written the way it is written in that country."""
    street = pick(rng, STREETS[culture])
    number = rng.randint(1, 180)
    if culture in ("de", "nl"):
        return f"{street} {number}"
    if culture == "fr":
        return f"{number} {street}"
    if culture == "ja":
        return f"{rng.randint(1, 4)}-{rng.randint(1, 12)}-{rng.randint(1, 20)} {street}"
    return f"{number} {street}"
