from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "pipewise.planning"
    label = "planning"
    verbose_name = "Sales planning"
