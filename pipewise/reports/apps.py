from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "pipewise.reports"
    label = "reports"
    verbose_name = "Reports and KPIs"
