from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "pipewise.leads"
    label = "leads"
    verbose_name = "Leads"
