from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "pipewise.org"
    label = "org"
    verbose_name = "Organisation"
