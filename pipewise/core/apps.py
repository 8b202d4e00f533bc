from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pipewise.core"
    label = "core"
    verbose_name = "Pipewise core"
