"""What the demo company sells: segments, product lines and priced products.

The demo company sells a sales-management platform by the seat (three
editions), add-on modules, connectors, services by the day and support plans;
one retired product shows what an inactive catalogue entry looks like. Most products
have a unit cost (``UNIT_COSTS``), so the won deals show a gross margin. Written
with ``configuration_save`` and keyed on SKU / name, so building twice changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pipewise.catalog.models import Product
from pipewise.core.services import configuration_save
from pipewise.org.models import ProductLine, Segment

SMB, MID_MARKET, ENTERPRISE, PUBLIC = "SMB", "Mid-market", "Enterprise", "Public sector"
SEGMENTS = (SMB, MID_MARKET, ENTERPRISE, PUBLIC)

PLATFORM, ANALYTICS, CONNECTORS = "Core platform", "Analytics", "Connectors"
SERVICES, SUPPORT = "Professional services", "Support plans"
PRODUCT_LINES = (PLATFORM, ANALYTICS, CONNECTORS, SERVICES, SUPPORT)


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    name: str
    line: str
    list_price: Decimal
    kind: str  # seats | module | service | support
    active: bool = True
    description: str = ""


PRODUCTS = (
    ProductSpec("PLT-STD", "Platform Standard (seat, year)", PLATFORM, Decimal("480.00"), "seats",
                description="CRM, pipeline and activities for small teams."),
    ProductSpec("PLT-PRO", "Platform Professional (seat, year)", PLATFORM, Decimal("900.00"),
                "seats", description="Adds forecasting, territories and approvals."),
    ProductSpec("PLT-ENT", "Platform Enterprise (seat, year)", PLATFORM, Decimal("1500.00"),
                "seats", description="Adds sandboxes, audit and single sign-on."),
    ProductSpec("ANL-DSH", "Analytics dashboards", ANALYTICS, Decimal("6000.00"), "module"),
    ProductSpec("ANL-FCS", "Forecasting module", ANALYTICS, Decimal("12000.00"), "module"),
    ProductSpec("ANL-SCR", "Predictive lead and deal scoring", ANALYTICS, Decimal("18000.00"),
                "module"),
    ProductSpec("CON-ERP", "ERP connector", CONNECTORS, Decimal("8000.00"), "module"),
    ProductSpec("CON-CRM", "CRM migration connector", CONNECTORS, Decimal("5000.00"), "module"),
    ProductSpec("CON-API", "API access pack", CONNECTORS, Decimal("3000.00"), "module"),
    ProductSpec("SVC-IMP", "Implementation (consultant day)", SERVICES, Decimal("1200.00"),
                "service"),
    ProductSpec("SVC-TRN", "Sales team training workshop", SERVICES, Decimal("2500.00"),
                "service"),
    ProductSpec("SVC-MIG", "Data migration package", SERVICES, Decimal("9500.00"), "module"),
    ProductSpec("SUP-PRM", "Premium support (year)", SUPPORT, Decimal("7500.00"), "support"),
    ProductSpec("SUP-247", "24/7 support (year)", SUPPORT, Decimal("15000.00"), "support"),
    ProductSpec("PLT-CLS", "Platform Classic (seat, year, retired)", PLATFORM, Decimal("400.00"),
                "seats", active=False),
)  # fmt: skip

# What one unit costs the demo company (licence hosting, connector partner fees, consultant
# days, support staff): won deals show a gross margin. The analytics modules and the API
# pack have no cost recorded, so their lines are left out of the margin, as in real books.
UNIT_COSTS = {
    "PLT-STD": Decimal("95.00"),
    "PLT-PRO": Decimal("160.00"),
    "PLT-ENT": Decimal("240.00"),
    "CON-ERP": Decimal("2400.00"),
    "CON-CRM": Decimal("1500.00"),
    "SVC-IMP": Decimal("650.00"),
    "SVC-TRN": Decimal("1100.00"),
    "SVC-MIG": Decimal("4200.00"),
    "SUP-PRM": Decimal("2600.00"),
    "SUP-247": Decimal("6800.00"),
}


@dataclass
class Catalogue:
    """Segments by name and active products by kind, as the deal generator uses them."""

    segments: dict[str, Segment]
    products: dict[str, Product]  # by SKU
    specs: dict[str, ProductSpec]  # by SKU

    def of_kind(self, kind: str) -> list[ProductSpec]:
        return [s for s in PRODUCTS if s.kind == kind and s.active]


def catalogue_build() -> Catalogue:
    """Create (or bring up to date) the segments, product lines and products."""
    segments = {
        name: configuration_save(
            instance=Segment.objects.filter(name=name).first() or Segment(), values={"name": name}
        )
        for name in SEGMENTS
    }
    lines = {
        name: configuration_save(
            instance=ProductLine.objects.filter(name=name).first() or ProductLine(),
            values={"name": name},
        )
        for name in PRODUCT_LINES
    }
    products = {}
    for spec in PRODUCTS:
        products[spec.sku] = configuration_save(
            instance=Product.objects.filter(sku=spec.sku).first() or Product(),
            values={
                "sku": spec.sku,
                "name": spec.name,
                "product_line": lines[spec.line],
                "description": spec.description,
                "list_price": spec.list_price,
                "cost": UNIT_COSTS.get(spec.sku),
                "active": spec.active,
            },
        )
    return Catalogue(
        segments=segments, products=products, specs={spec.sku: spec for spec in PRODUCTS}
    )
