"""A product's optional unit cost: set and cleared through the API by those who configure
the catalogue, refused when negative, and read by gross margin."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from pipewise.catalog.models import Product
from pipewise.core.services import configuration_save


def test_admins_set_change_and_clear_a_products_cost_through_the_api(api, people):
    client = api.as_user(people.admin)
    body = {"sku": "ROB-1", "name": "Robot arm", "list_price": "1000.00", "cost": "612.50"}
    created = client.post("/api/v1/products/", body)
    assert created.status_code == 201, created.data
    assert created.data["cost"] == "612.50"
    product = Product.objects.get(sku="ROB-1")
    assert product.cost == Decimal("612.50")
    negative = client.patch(f"/api/v1/products/{product.pk}/", {"cost": "-1"})
    assert negative.status_code == 400 and "cost" in negative.data
    cleared = client.patch(f"/api/v1/products/{product.pk}/", {"cost": None}, format="json")
    assert cleared.status_code == 200 and cleared.data["cost"] is None
    assert Product.objects.get(pk=product.pk).cost is None
    refused = api.as_user(people.ae).patch(f"/api/v1/products/{product.pk}/", {"cost": "1"})
    assert refused.status_code == 403
    without = api.as_user(people.admin).post(
        "/api/v1/products/", {"sku": "ROB-2", "name": "Gripper", "list_price": "5"}
    )
    assert without.status_code == 201 and without.data["cost"] is None


def test_a_negative_cost_is_refused_by_validation(people):
    with pytest.raises(ValidationError) as refused:
        configuration_save(
            instance=Product(),
            values={"sku": "X-1", "name": "X", "list_price": Decimal(1), "cost": Decimal(-2)},
        )
    assert "product_cost_not_negative" in str(refused.value) or "cost" in str(refused.value)
    assert not Product.objects.filter(sku="X-1").exists()


def test_the_demo_catalogue_gives_most_products_a_cost_below_their_price(db):
    from pipewise.demo.catalogue import PRODUCTS, UNIT_COSTS, catalogue_build

    catalogue_build()
    catalogue_build()  # building twice changes nothing
    products = {p.sku: p for p in Product.objects.all()}
    assert len(products) == len(PRODUCTS)
    for spec in PRODUCTS:
        assert products[spec.sku].cost == UNIT_COSTS.get(spec.sku)
    costed = [p for p in products.values() if p.cost is not None]
    assert costed and len(costed) < len(products)  # some lines are left out of the margin
    assert all(p.cost < p.list_price for p in costed)
