from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "pipewise.catalog"
    label = "catalog"
    verbose_name = "Products"
